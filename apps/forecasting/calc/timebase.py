"""The SimBench year as a time base: wall-clock times to SimBench profile steps.

SimBench profiles cover 2016 (a leap year) in 35,136 quarter-hours without daylight-saving
gaps. A wall-clock time maps to the step with the same month, day and time of day in 2016.
Because 2016 has a 29 February, every calendar date has a counterpart: 29 Feb of a leap year
maps to 29 Feb 2016, and in other years that day of the profile is simply never used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SIMBENCH_YEAR = 2016
STEP_MINUTES = 15
STEPS_PER_DAY = 96
STEPS_PER_YEAR = 366 * STEPS_PER_DAY  # 35,136
_DAYS_BEFORE_MONTH_LEAP = np.array([0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335])


@dataclass(frozen=True)
class Horizon:
    """The steps of one forecast, described for the models.

    Attributes:
        simbench_rows: (T, m) SimBench steps covered by each forecast step (m quarter-hours).
        lead_hours: (T,) hours from issue to the start of each step (never negative).
        hour_of_day: (T,) local fractional hour at the middle of each step.
        is_weekend: (T,) Saturday or Sunday.
        day_of_year: (T,) 0-based day of the 2016 calendar.
        step_minutes: length of a step.
    """

    simbench_rows: np.ndarray
    lead_hours: np.ndarray
    hour_of_day: np.ndarray
    is_weekend: np.ndarray
    day_of_year: np.ndarray
    step_minutes: int

    @property
    def steps(self) -> int:
        return len(self.lead_hours)

    @property
    def step_hours(self) -> float:
        return self.step_minutes / 60.0


def simbench_steps(wall_times: pd.DatetimeIndex) -> np.ndarray:
    """SimBench profile rows for naive wall-clock times (same month/day/time of day in 2016).

    Parameters:
        wall_times: naive local times.

    Returns:
        int64 array of rows in [0, 35136); times inside a quarter-hour map to its start.
    """
    day0 = _DAYS_BEFORE_MONTH_LEAP[wall_times.month.to_numpy() - 1] + wall_times.day.to_numpy() - 1
    quarter = (wall_times.hour.to_numpy() * 60 + wall_times.minute.to_numpy()) // STEP_MINUTES
    return (day0 * STEPS_PER_DAY + quarter).astype(np.int64)


def make_horizon(wall_times: pd.DatetimeIndex, lead_hours: np.ndarray, step_minutes: int) -> Horizon:
    """Describe forecast steps for the models.

    Parameters:
        wall_times: naive local start time of each step.
        lead_hours: hours from issue to each step start (negative values are clipped to 0).
        step_minutes: a positive multiple of 15.

    Returns:
        A :class:`Horizon`.
    """
    if step_minutes <= 0 or step_minutes % STEP_MINUTES:
        raise ValueError(f"step_minutes must be a positive multiple of {STEP_MINUTES}, not {step_minutes}.")
    per_step = step_minutes // STEP_MINUTES
    offsets = pd.to_timedelta(np.arange(per_step) * STEP_MINUTES, unit="min")
    quarters = pd.DatetimeIndex(np.add.outer(wall_times.to_numpy(), offsets.to_numpy()).ravel())
    rows = simbench_steps(quarters).reshape(len(wall_times), per_step)
    middle = wall_times + pd.Timedelta(minutes=step_minutes / 2)
    day0 = _DAYS_BEFORE_MONTH_LEAP[wall_times.month.to_numpy() - 1] + wall_times.day.to_numpy() - 1
    return Horizon(
        simbench_rows=rows,
        lead_hours=np.maximum(np.asarray(lead_hours, dtype=float), 0.0),
        hour_of_day=((middle - middle.normalize()).total_seconds().to_numpy() / 3600.0).astype(float),
        is_weekend=wall_times.dayofweek.to_numpy() >= 5,
        day_of_year=day0.astype(float),
        step_minutes=step_minutes,
    )


def warmup_horizon(horizon: Horizon, hours: int) -> Horizon:
    """The ``hours`` of quarter-hours just before a horizon (lead 0): used to run batteries up
    to the horizon's start when their state of charge is unknown."""
    n = int(hours * 60 // STEP_MINUTES)
    rows = (int(horizon.simbench_rows[0, 0]) - n + np.arange(n)) % STEPS_PER_YEAR
    per_day = 24 * 60 // STEP_MINUTES
    return Horizon(
        simbench_rows=rows[:, None], lead_hours=np.zeros(n), hour_of_day=((rows % per_day) + 0.5) * STEP_MINUTES / 60.0,
        is_weekend=np.zeros(n, dtype=bool), day_of_year=(rows // per_day).astype(float), step_minutes=STEP_MINUTES,
    )
