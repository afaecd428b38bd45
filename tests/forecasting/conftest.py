"""Fixtures of the forecasting tests: a synthetic SimBench-like profile set (no files, no DB) and
small element specs built on it, so the pure builder can be checked against hand values."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from apps.forecasting.calc.provider import (
    KIND_OTHER,
    KIND_PV,
    KIND_WIND,
    EVSpecs,
    LoadSpecs,
    NetworkSpecs,
    SgenSpecs,
    StorageSpecs,
)
from apps.forecasting.calc.simbench_profiles import RelativeProfiles
from apps.forecasting.calc.timebase import STEPS_PER_YEAR, make_horizon


@pytest.fixture(scope="session")
def synthetic_profiles() -> RelativeProfiles:
    """Constant relative profiles: load 0.5 (p) / 0.1 (q), PV 0.4, wind 0.5, biomass 0.8,
    battery 0.25."""
    def const(*values):
        return np.tile(np.array(values, dtype=np.float32), (STEPS_PER_YEAR, 1))

    return RelativeProfiles(
        dataset="synthetic",
        values={"load": const(0.5, 0.1), "sgen": const(0.4, 0.5, 0.8), "storage": const(0.25)},
        columns={"load": {"H0_pload": 0, "H0_qload": 1}, "sgen": {"PV1": 0, "WP1": 1, "BM1": 2},
                 "storage": {"ST1": 0}},
    )


def make_specs(n_loads: int = 3) -> NetworkSpecs:
    """n loads of 1 MW / 0.2 MVAr on profile H0, one PV (2 MWp), one wind (3 MW), one biomass
    (1 MW), one battery (0.5 MW / 1 MWh, schedule -0.4 MW base), one 11 kW EV charger."""
    i = np.arange(n_loads)
    return NetworkSpecs(
        loads=LoadSpecs(pp_index=i, p_mw=np.ones(n_loads), q_mvar=np.full(n_loads, 0.2),
                        col_p=np.zeros(n_loads, dtype=np.int64), col_q=np.ones(n_loads, dtype=np.int64),
                        in_service=np.ones(n_loads, dtype=bool)),
        sgens=SgenSpecs(pp_index=np.array([0, 1, 2]), kind=np.array([KIND_PV, KIND_WIND, KIND_OTHER]),
                        rated_mw=np.array([2.0, 3.0, 1.0]), inverter_mw=np.array([2.0, np.nan, np.nan]),
                        p_mw=np.array([2.0, 3.0, 1.0]), col=np.array([0, 1, 2]), in_service=np.ones(3, dtype=bool)),
        storages=StorageSpecs(pp_index=np.array([0]), p_mw=np.array([-0.4]), rated_mw=np.array([0.5]),
                              capacity_mwh=np.array([1.0]), min_e_mwh=np.array([0.0]), soc=np.array([0.0]),
                              col=np.array([0]), in_service=np.array([True])),
        evs=EVSpecs(pp_index=np.array([n_loads]), rated_mw=np.array([0.011]), in_service=np.array([True])),
        ref_pv_col=0, ref_wind_col=1,
    )


def horizon_from(start: dt.datetime, steps: int = 192, step_minutes: int = 15, issued_at: dt.datetime | None = None):
    times = pd.date_range(start, periods=steps, freq=f"{step_minutes}min")
    issued = pd.Timestamp(issued_at or start)
    lead = (times - issued).total_seconds().to_numpy() / 3600.0
    return make_horizon(times.tz_localize(None) if times.tz is not None else times, lead, step_minutes)


@pytest.fixture
def specs() -> NetworkSpecs:
    return make_specs()
