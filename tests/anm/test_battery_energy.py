"""Battery flexibility over a constraint window is limited by the simulated state of charge."""
from __future__ import annotations

import pandas as pd
import pytest

from apps.anm.calc.projection import ABSORB, INJECT, battery_energy


def test_anm_battery_energy_over_a_window_uses_the_fullest_and_emptiest_steps():
    times = pd.date_range("2026-06-21 10:00", periods=4, freq="60min", tz="UTC")
    avail = {
        "battery_soc_mwh": pd.DataFrame({7: [7.65, 10.0, 10.0, 9.5]}, index=times),
        "battery_capacity_mwh": pd.DataFrame({7: [10.0]}, index=times[:1]),
        "battery_reserve_mwh": pd.DataFrame({7: [1.0]}, index=times[:1]),
        "battery_efficiency": pd.DataFrame({7: [0.95]}, index=times[:1]),
    }
    # A window 10:00–11:00 sees room 10 − 10 = 0 (full by 11:00), although it starts at 7.65 kWh.
    assert battery_energy(avail, 7, slice(0, 2), ABSORB) == pytest.approx(0.0)
    assert battery_energy(avail, 7, slice(0, 1), ABSORB) == pytest.approx(2.35 / 0.95)
    # Discharging over 10:00–13:00: the emptiest step (7.65) less the reserve, times η.
    assert battery_energy(avail, 7, slice(0, 4), INJECT) == pytest.approx((7.65 - 1.0) * 0.95)
    assert battery_energy(avail, 8, slice(0, 4), ABSORB) is None  # not simulated
