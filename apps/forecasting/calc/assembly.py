"""Forecast assembly (pure: no Django): request checks, placing ingested weather on the horizon,
and shaping the builder's arrays into a :class:`~apps.forecasting.bundle.ForecastBundle` with
its provenance.

The reads (registry, profiles, weather) are :func:`apps.forecasting.selectors.forecast_injections`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import numpy as np
import pandas as pd

from ..bundle import QUANTILES, ForecastBundle
from . import errors as em
from .physics import DEFAULT_PV, DEFAULT_WIND
from .provider import (
    BATTERY_DEFAULT_EFFICIENCY,
    BATTERY_DEFAULT_HOURS,
    BATTERY_DEFAULT_SOC,
    BATTERY_WARMUP_HOURS,
    CLEAR_SKY_INDEX_MAX,
    CLEAR_SKY_WINDOW_DAYS,
    NetworkSpecs,
    ZoneWeather,
    build_forecast,
)
from .simbench_profiles import RelativeProfiles
from .timebase import STEP_MINUTES, Horizon

MODEL_VERSION = "forecasting-2"  # 2: battery SOC by operating mode, PV errors on the clear-sky index
MAX_HORIZON_HOURS = 7 * 24  # the error model is calibrated to 48 h; longer is allowed, flagged
CALIBRATED_HOURS = 48


class ForecastInputError(ValueError):
    """The forecast request is not acceptable; the message says why."""


def aware_utc(moment: dt.datetime, name: str) -> dt.datetime:
    """``moment`` in UTC; a naive time or a non-time is a :class:`ForecastInputError` naming ``name``."""
    if not isinstance(moment, dt.datetime):
        raise ForecastInputError(f"{name} must be a datetime.")
    if moment.utcoffset() is None:
        raise ForecastInputError(f"{name} must be timezone-aware.")
    return moment.astimezone(dt.timezone.utc)


def check_horizon(steps, step_minutes) -> None:
    """Raise :class:`ForecastInputError` unless ``steps`` × ``step_minutes`` is a horizon we forecast."""
    if not isinstance(steps, int) or steps < 1:
        raise ForecastInputError("steps must be a whole number ≥ 1.")
    if not isinstance(step_minutes, int) or step_minutes < STEP_MINUTES or step_minutes % STEP_MINUTES:
        raise ForecastInputError(f"step_minutes must be a positive multiple of {STEP_MINUTES}.")
    if steps * step_minutes > MAX_HORIZON_HOURS * 60:
        raise ForecastInputError(f"The horizon may not exceed {MAX_HORIZON_HOURS} hours.")


def lead_hours(valid_times: pd.DatetimeIndex, issued_at: dt.datetime) -> np.ndarray:
    """Hours from the issue to each step (0 for steps before it)."""
    return np.maximum((valid_times - pd.Timestamp(issued_at)).total_seconds().to_numpy() / 3600.0, 0.0)


def place_weather(rows, valid_times: pd.DatetimeIndex, step_minutes: int) -> ZoneWeather:
    """Ingested weather rows ``(valid_at, ghi, wind, temperature)`` on the horizon's steps.

    Rows that are not a step start at this resolution are skipped; steps without a row stay
    unprovided (the demo provider fills them).
    """
    weather = ZoneWeather.empty(len(valid_times))
    start = valid_times[0]
    step = pd.Timedelta(minutes=step_minutes)
    for valid_at, ghi, wind, temperature in rows:
        offset = pd.Timestamp(valid_at) - start
        if offset % step:
            continue
        k = int(offset // step)
        weather.ghi_w_m2[k], weather.wind_speed_m_s[k], weather.temperature_c[k] = ghi, wind, temperature
    return weather


def weather_source(steps_from_ingest: int, steps: int) -> str:
    if not steps_from_ingest:
        return "simbench-demo"
    return "ingest" if steps_from_ingest == steps else "ingest+simbench-demo"


def assumptions() -> dict:
    """The model's fixed assumptions, recorded with every forecast."""
    return {
        "pv": asdict(DEFAULT_PV), "wind": asdict(DEFAULT_WIND), "errors": em.error_model_summary(),
        "battery": {"default_soc": BATTERY_DEFAULT_SOC, "default_hours": BATTERY_DEFAULT_HOURS,
                    "default_efficiency": BATTERY_DEFAULT_EFFICIENCY, "warmup_hours": BATTERY_WARMUP_HOURS,
                    "model": "state of charge by operating mode (self-consumption / schedule / idle)"},
        "pv_clear_sky": {"window_days": CLEAR_SKY_WINDOW_DAYS, "index_max": CLEAR_SKY_INDEX_MAX,
                         "error": "absolute on the clear-sky index"},
    }


def assemble_bundle(*, network_id: int, issued_at: dt.datetime, start: dt.datetime, step_minutes: int,
                    valid_times: pd.DatetimeIndex, horizon: Horizon, specs: NetworkSpecs, profiles: RelativeProfiles,
                    weather: ZoneWeather, seed: int, inputs: dict) -> ForecastBundle:
    """Build the forecast and shape it into the engine's profile layout.

    Parameters
    ----------
    network_id / issued_at / start / step_minutes / valid_times / horizon: the time base.
    specs: the network's elements (their pandapower indices name the columns).
    profiles / weather / seed: as for :func:`~apps.forecasting.calc.provider.build_forecast`.
    inputs: provenance; its ``warnings`` list is extended here (shared EV/load indices).

    Returns
    -------
    The bundle. EV chargers are pandapower loads: their columns join the loads', summed where
    an index is shared.
    """
    arrays = build_forecast(specs, profiles, horizon, seed=seed, weather=weather)
    steps = len(valid_times)
    load_index = np.concatenate([specs.loads.pp_index, specs.evs.pp_index])
    order = np.argsort(load_index, kind="stable")
    load_cols = pd.Index(load_index[order], name="pp_index")
    if load_cols.has_duplicates:
        inputs["warnings"].insert(0, "EV charger and load share a pandapower index; their forecasts are summed.")
    sgen_cols = pd.Index(specs.sgens.pp_index, name="pp_index")
    storage_cols = pd.Index(specs.storages.pp_index, name="pp_index")
    ev_cols = pd.Index(specs.evs.pp_index, name="pp_index")
    zeros_ev = np.zeros((steps, len(ev_cols)))

    def frame(values: np.ndarray, columns: pd.Index) -> pd.DataFrame:
        df = pd.DataFrame(values, index=valid_times, columns=columns)
        return df.T.groupby(level=0).sum().T if columns.has_duplicates else df

    quantiles = {
        q: {
            ("load", "p_mw"): frame(np.hstack([arrays.load_p[q], arrays.ev_p[q]])[:, order], load_cols),
            ("load", "q_mvar"): frame(np.hstack([arrays.load_q[q], zeros_ev])[:, order], load_cols),
            ("sgen", "p_mw"): frame(arrays.sgen_p[q], sgen_cols),
            ("storage", "p_mw"): frame(arrays.storage_p[q], storage_cols),
        }
        for q in QUANTILES
    }
    availability = {
        # per-battery constants (capacity, reserve, efficiency) are one row at the first step
        name: pd.DataFrame(values, index=valid_times[:len(values)],
                           columns=ev_cols if name.startswith("ev_") else storage_cols)
        for name, values in arrays.availability.items()
    }
    totals = {name: pd.DataFrame(per_q, index=valid_times)[list(QUANTILES)] for name, per_q in arrays.totals.items()}
    zone_weather = {name: pd.DataFrame(per_q, index=valid_times)[list(QUANTILES)]
                    for name, per_q in arrays.weather.items()}
    return ForecastBundle(
        network_id=network_id, issued_at=issued_at, start=start, step_minutes=step_minutes, valid_times=valid_times,
        quantiles=quantiles, availability=availability, totals=totals, weather=zone_weather, inputs=inputs,
    )
