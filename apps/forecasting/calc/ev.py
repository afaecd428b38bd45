"""Home EV charging under GB smart-charging defaults, charger by charger.

The Electric Vehicles (Smart Charge Points) Regulations 2021 require a home charge point to come
set to charge outside the peak hours 08:00-11:00 and 16:00-22:00 by default, and to apply a
randomised delay of up to 600 s to every start. A charger draws nothing or its full rating, so
the model works in sessions, not in averages:

- each charger has a default start time outside the peak: the end of the evening peak (22:00,
  most chargers left at the factory default) or an off-peak tariff window its owner chose
  (23:30 or 00:30); every session then starts after a random delay of up to 600 s;
- on a given night the car is plugged in with probability ``EV_PLUG_PROBABILITY`` (UK drivers
  plug in every other night or so), and needs a session energy between ``EV_ENERGY_KWH`` (a
  day or two of driving); it charges at full rating until that energy is in.

Everything is deterministic from the charger's ``pp_index`` and the night (its day of year), so
the truth (what happens) and the forecast (what is known beforehand: the default start and the
probabilities, not the delay, the plug-in or the energy) agree on every parameter. Pure numpy.
"""
from __future__ import annotations

import numpy as np

PEAK_HOURS = ((8.0, 11.0), (16.0, 22.0))  # no charging starts here by default (2021 Regulations)
MAX_DELAY_S = 600.0
# (start hour after the evening's midnight-relative clock, share of chargers); 24.5 = 00:30 next day.
DEFAULT_STARTS = ((22.0, 0.6), (23.5, 0.2), (24.5, 0.2))
EV_PLUG_PROBABILITY = 0.7
EV_ENERGY_KWH = (6.0, 20.0)
_SALT_MODE, _SALT_PLUG, _SALT_ENERGY, _SALT_DELAY = 11, 23, 37, 53
_SAMPLES = 12  # per-session (energy, delay) samples for the forecast's on-probability


def unit_hash(a, b, salt: int) -> np.ndarray:
    """Deterministic pseudo-random numbers in [0, 1) from two integers (SplitMix64 finaliser).

    Parameters:
        a, b: integer arrays (broadcastable), e.g. charger index and night.
        salt: a small integer separating independent streams.

    Returns:
        float array in [0, 1).
    """
    with np.errstate(over="ignore"):
        x = (np.asarray(a, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
             + np.asarray(b, dtype=np.uint64) * np.uint64(0xBF58476D1CE4E5B9) + np.uint64(salt))
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def default_start_hour(pp_index) -> np.ndarray:
    """Each charger's default start (hours after the midnight that begins the evening's day)."""
    u = unit_hash(pp_index, 0, _SALT_MODE)
    hours, shares = zip(*DEFAULT_STARTS)
    return np.asarray(hours)[np.searchsorted(np.cumsum(shares), u, side="right").clip(0, len(hours) - 1)]


def in_peak(hour_of_day) -> np.ndarray:
    """True inside the Regulations' default peak hours."""
    h = np.asarray(hour_of_day, dtype=float) % 24.0
    return np.any([(h >= a) & (h < b) for a, b in PEAK_HOURS], axis=0)


def _coverage(start_h, duration_h, step_start_h, step_h) -> np.ndarray:
    """Fraction of each step [t, t + step_h) inside the session [start, start + duration)."""
    overlap = np.minimum(step_start_h + step_h, start_h + duration_h) - np.maximum(step_start_h, start_h)
    return np.clip(overlap / step_h, 0.0, 1.0)


def _steps_abs_hours(day_of_year, hour_of_day, step_h: float) -> np.ndarray:
    # hour_of_day is the middle of the step; absolute hours of the step start.
    return np.asarray(day_of_year, dtype=float) * 24.0 + np.asarray(hour_of_day, dtype=float) - step_h / 2.0


def ev_truth(pp_index, rated_mw, day_of_year, hour_of_day, step_h: float) -> np.ndarray:
    """What each charger draws per step (MW, step mean): its full rating while a session runs.

    Parameters:
        pp_index: (n,) charger indices (the seed of each charger's behaviour).
        rated_mw: (n,) charger ratings.
        day_of_year / hour_of_day: (T,) step calendar (hour at the middle of the step).
        step_h: step length in hours.

    Returns:
        (T, n) MW; inside a session every step is at the full rating, only a session's first and
        last step can be part-filled (the step mean of an on/off draw).
    """
    idx = np.asarray(pp_index, dtype=np.int64)
    rated = np.asarray(rated_mw, dtype=float)
    t0 = _steps_abs_hours(day_of_year, hour_of_day, step_h)[:, None]
    start_default = default_start_hour(idx)
    out = np.zeros((len(t0), len(idx)))
    first_day = int(np.floor(t0.min() / 24.0)) - 1 if len(t0) else 0
    last_day = int(np.floor(t0.max() / 24.0)) if len(t0) else -1
    for night in range(first_day, last_day + 1):
        key = night % 366
        plugged = unit_hash(idx, key, _SALT_PLUG) < EV_PLUG_PROBABILITY
        energy_mwh = (EV_ENERGY_KWH[0] + (EV_ENERGY_KWH[1] - EV_ENERGY_KWH[0]) * unit_hash(idx, key, _SALT_ENERGY)) / 1000.0
        start = night * 24.0 + start_default + unit_hash(idx, key, _SALT_DELAY) * MAX_DELAY_S / 3600.0
        duration = np.where(rated > 0, energy_mwh / np.where(rated > 0, rated, 1.0), 0.0)
        out += np.where(plugged, rated, 0.0) * _coverage(start, duration, t0, step_h)
    return out


def ev_on_probability(pp_index, rated_mw, day_of_year, hour_of_day, step_h: float) -> np.ndarray:
    """Probability that each charger is drawing (its full rating) in each step, as known before
    the night: the default start is known; plug-in, energy and delay are not.

    Returns:
        (T, n) probabilities in [0, EV_PLUG_PROBABILITY].
    """
    idx = np.asarray(pp_index, dtype=np.int64)
    rated = np.asarray(rated_mw, dtype=float)
    t0 = _steps_abs_hours(day_of_year, hour_of_day, step_h)[:, None]
    start_default = default_start_hour(idx)
    grid = (np.arange(_SAMPLES) + 0.5) / _SAMPLES  # stratified energy and delay samples
    energies = (EV_ENERGY_KWH[0] + (EV_ENERGY_KWH[1] - EV_ENERGY_KWH[0]) * grid) / 1000.0
    delays = grid[::-1] * MAX_DELAY_S / 3600.0  # paired in reverse: a Latin-square cover of both
    out = np.zeros((len(t0), len(idx)))
    if not len(t0):
        return out
    for night in range(int(np.floor(t0.min() / 24.0)) - 1, int(np.floor(t0.max() / 24.0)) + 1):
        for energy, delay in zip(energies, delays):
            duration = np.where(rated > 0, energy / np.where(rated > 0, rated, 1.0), 0.0)
            out += _coverage(night * 24.0 + start_default + delay, duration, t0, step_h)
    return EV_PLUG_PROBABILITY * np.clip(out / _SAMPLES, 0.0, 1.0)


def on_off_quantile(probability, rated_mw, quantile: float) -> np.ndarray:
    """The quantile of an on/off draw: the rating when P(on) > 1 - quantile, else nothing.

    Parameters:
        probability: (T, n) probability of drawing.
        rated_mw: (n,) ratings.
        quantile: e.g. 0.1, 0.5, 0.9.

    Returns:
        (T, n) MW, each value 0 or the full rating.
    """
    return np.where(np.asarray(probability) > 1.0 - quantile, np.asarray(rated_mw, dtype=float), 0.0)
