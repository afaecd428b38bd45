"""Battery state of charge by operating mode, hand-computed (pure calc, no database)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.forecasting.calc.battery import MODE_IDLE, MODE_SCHEDULE, MODE_SELF_CONSUMPTION, simulate_batteries
from apps.forecasting.calc.provider import (
    KIND_PV,
    EVSpecs,
    LoadSpecs,
    NetworkSpecs,
    SgenSpecs,
    StorageSpecs,
    run_batteries,
)
from apps.forecasting.calc.timebase import make_horizon

HOURS = np.arange(24)


def premise_specs(mode=MODE_SELF_CONSUMPTION) -> NetworkSpecs:
    """A 3-bus feeder: bus 0 the source, bus 1 a neighbour's house (0.8 kW, no battery), bus 2 the
    premise: a 0.5 kW house load, 4 kWp of PV and a 5 kW / 10 kWh battery (η 95 %, reserve 10 %).
    Premise numbers: 0 = the premise at bus 2, −1 = the neighbour (no battery there)."""
    kw = 1e-3
    return NetworkSpecs(
        loads=LoadSpecs(pp_index=np.array([0, 1]), p_mw=np.array([0.8 * kw, 0.5 * kw]), q_mvar=np.zeros(2),
                        col_p=np.array([-1, -1]), col_q=np.array([-1, -1]), in_service=np.ones(2, dtype=bool),
                        premise=np.array([-1, 0])),
        sgens=SgenSpecs(pp_index=np.array([0]), kind=np.array([KIND_PV]), rated_mw=np.array([4 * kw]),
                        inverter_mw=np.array([np.nan]), p_mw=np.array([4 * kw]), col=np.array([-1]),
                        in_service=np.array([True]), premise=np.array([0])),
        storages=StorageSpecs(pp_index=np.array([0]), p_mw=np.array([0.0]), rated_mw=np.array([5 * kw]),
                              capacity_mwh=np.array([10 * kw]), min_e_mwh=np.array([0.0]), soc=np.array([np.nan]),
                              col=np.array([-1]), in_service=np.array([True]), mode=np.array([mode]),
                              efficiency=np.array([0.95]), reserve=np.array([0.10]), premise=np.array([0])),
        evs=EVSpecs(pp_index=np.array([], dtype=np.int64), rated_mw=np.array([]), in_service=np.array([], dtype=bool)),
        ref_pv_col=-1, ref_wind_col=-1,
    )


def a_sunny_day():
    """Hourly steps over 21 June; PV 4 kW from 08:00 to 16:00, 0 otherwise; loads constant."""
    horizon = make_horizon(pd.date_range("2026-06-21 00:00", periods=24, freq="60min"), np.zeros(24), 60)
    pv = np.where((HOURS >= 8) & (HOURS < 16), 4e-3, 0.0)[:, None]
    load = np.tile([0.8e-3, 0.5e-3], (24, 1))
    return horizon, load, pv


def test_self_consumption_charges_from_the_surplus_until_full_and_covers_the_evening():
    specs = premise_specs()
    horizon, load, pv = a_sunny_day()
    run = run_batteries(specs, horizon, load, pv, schedule=np.zeros((24, 1)), e0=np.array([1e-3]))  # at the reserve
    p_kw, e_kwh = run.p_mw[:, 0] * 1e3, run.soc_mwh[:, 0] * 1e3
    # 00–08: demand 0.5 kW but the battery is at its reserve (1 kWh): it does nothing.
    assert p_kw[:8] == pytest.approx(0.0, abs=1e-9) and e_kwh[:8] == pytest.approx(1.0)
    # 08–10: surplus 4 − 0.5 = 3.5 kW (the neighbour's 0.8 kW is not this premise's); stores 3.5·0.95.
    assert p_kw[8:10] == pytest.approx(3.5)
    assert e_kwh[8] == pytest.approx(1.0 + 3.325) and e_kwh[9] == pytest.approx(7.65)
    # 10–11: only 10 − 7.65 = 2.35 kWh of room left: 2.35/0.95 = 2.47368 kW, then full.
    assert p_kw[10] == pytest.approx(2.35 / 0.95) and e_kwh[10] == pytest.approx(10.0)
    # 11–16: full: the surplus is exported, no charging.
    assert p_kw[11:16] == pytest.approx(0.0, abs=1e-9) and e_kwh[11:16] == pytest.approx(10.0)
    # 16–24: covers the 0.5 kW house load, drawing 0.5/0.95 kWh an hour: 10 − 8·0.526316 = 5.789 kWh.
    assert p_kw[16:] == pytest.approx(-0.5)
    assert e_kwh[23] == pytest.approx(10.0 - 8 * 0.5 / 0.95)
    # Headroom: nothing left to absorb once full at midday; 5 kW to discharge (energy allows 8.55 kWh/h).
    assert run.charge_mw[12, 0] == pytest.approx(0.0, abs=1e-12)
    assert run.discharge_mw[12, 0] == pytest.approx(5e-3)
    # 09:00, charging 3.5 kW with 2.35 kWh of room after the hour: min(5 − 3.5, 2.35/0.95) = 1.5 kW.
    assert run.charge_mw[9, 0] == pytest.approx(1.5e-3)


def test_self_consumption_stops_at_the_reserve():
    specs = premise_specs()
    horizon, load, _ = a_sunny_day()
    run = run_batteries(specs, horizon, load, np.zeros((24, 1)), schedule=np.zeros((24, 1)), e0=np.array([2e-3]))
    # 2 kWh, reserve 1 kWh: 1 kWh × 0.95 = 0.95 kWh delivered: 0.5 kW for one hour, 0.45 kW the next.
    assert run.p_mw[:2, 0] * 1e3 == pytest.approx([-0.5, -0.45])
    assert run.p_mw[2:, 0] == pytest.approx(0.0, abs=1e-12)
    assert run.soc_mwh[-1, 0] * 1e3 == pytest.approx(1.0)


def test_schedule_mode_follows_the_aggregator_within_power_and_energy():
    run = simulate_batteries(
        desired_mw=np.array([[8.0], [4.0], [-2.0], [-20.0]]), mode=np.array([MODE_SCHEDULE]), e0_mwh=np.array([2.0]),
        capacity_mwh=np.array([10.0]), reserve_mwh=np.array([1.0]), rated_mw=np.array([5.0]),
        efficiency=np.array([1.0]), step_hours=1.0)
    # 8 -> rated 5 (E 7); 4 -> room 3 (E 10); −2 (E 8); −20 -> rated 5 (E 3).
    assert run.p_mw[:, 0] == pytest.approx([5.0, 3.0, -2.0, -5.0])
    assert run.soc_mwh[:, 0] == pytest.approx([7.0, 10.0, 8.0, 3.0])


def test_idle_batteries_hold_their_charge():
    run = simulate_batteries(
        desired_mw=np.full((3, 1), 4.0), mode=np.array([MODE_IDLE]), e0_mwh=np.array([5.0]),
        capacity_mwh=np.array([10.0]), reserve_mwh=np.array([0.0]), rated_mw=np.array([2.0]),
        efficiency=np.array([1.0]), step_hours=0.5)
    assert run.p_mw == pytest.approx(0.0) and run.soc_mwh == pytest.approx(5.0)
    assert run.charge_mw == pytest.approx(2.0) and run.discharge_mw == pytest.approx(2.0)
