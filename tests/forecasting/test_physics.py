"""The physical models against hand-computed values (no database)."""
from __future__ import annotations

import numpy as np
import pytest

from apps.forecasting.calc.physics import (
    DEFAULT_PV,
    ev_charging_share,
    ev_plugged_fraction,
    pv_ghi_from_power_rel,
    pv_power_rel,
    temperature_truth,
    wind_power_rel,
    wind_speed_from_power_rel,
)
from apps.forecasting.calc.provider import pv_inverter_limit_rel

# --- PV --------------------------------------------------------------------------------------
# At 800 W/m² and 20 °C: POA = 1.10·800 = 880 W/m²; cell = 20 + (45−20)/800·880 = 47.5 °C;
# DC = 0.880 · (1 − 0.004·22.5) · (1 − 0.14) = 0.688688 per kWp; AC = 0.96 · DC = 0.66114048.
PV_800_20 = 0.66114048


def test_pv_at_given_irradiance_and_temperature():
    assert pv_power_rel(800.0, 20.0) == pytest.approx(PV_800_20, rel=1e-12)
    # A 200 kWp system: 0.2 MW · 0.66114048.
    assert 0.2 * pv_power_rel(800.0, 20.0) == pytest.approx(0.132228096, rel=1e-12)


def test_pv_is_zero_at_night_and_warmer_cells_produce_less():
    assert pv_power_rel(0.0, 10.0) == 0.0
    assert pv_power_rel(800.0, 30.0) < pv_power_rel(800.0, 20.0)


def test_pv_inverter_clipping_default_dc_ac_ratio():
    # Cold and bright: 1000 W/m², −10 °C -> cell 24.375 °C, DC = 1.1 · 1.0025 · 0.86 = 0.948365,
    # AC before clipping 0.9104304 > 1/1.1, so the inverter limit (0.909090…) binds.
    unclipped = 1.1 * (1 - 0.004 * (24.375 - 25)) * 0.86 * 0.96
    assert unclipped == pytest.approx(0.9104304)
    assert pv_power_rel(1000.0, -10.0) == pytest.approx(1 / 1.1, rel=1e-12)


def test_pv_inverter_clipping_from_registry_rating():
    # 200 kWp behind a 100 kVA inverter (sn_mva): limit 0.5 per kWp, output 0.1 MW.
    limit = pv_inverter_limit_rel(np.array([0.2]), np.array([0.1]))
    assert limit[0] == pytest.approx(0.5)
    assert 0.2 * pv_power_rel(800.0, 20.0, inverter_limit_rel=limit)[0] == pytest.approx(0.1)
    # No (or a larger) rating in the registry: the default DC/AC ratio applies.
    assert pv_inverter_limit_rel(np.array([0.2, 0.2]), np.array([np.nan, 0.5])) == pytest.approx([1 / 1.1, 1 / 1.1])


def test_pv_inverse_recovers_irradiance():
    assert pv_ghi_from_power_rel(PV_800_20, 20.0) == pytest.approx(800.0, rel=1e-10)
    ghi = np.linspace(0, 1000, 11)
    temperature = np.linspace(-5, 30, 11)
    back = pv_ghi_from_power_rel(pv_power_rel(ghi, temperature, inverter_limit_rel=np.inf), temperature)
    assert back == pytest.approx(ghi, abs=1e-9)
    assert pv_ghi_from_power_rel(0.0, 15.0) == 0.0


def test_pv_defaults_are_documented_values():
    assert (DEFAULT_PV.transposition_factor, DEFAULT_PV.dc_ac_ratio, DEFAULT_PV.system_losses) == (1.10, 1.10, 0.14)


# --- wind ------------------------------------------------------------------------------------

@pytest.mark.parametrize("speed, expected", [
    (0.0, 0.0),
    (2.99, 0.0),
    (3.0, 0.0),                        # cut-in: the cubic starts from zero
    (8.0, (512 - 27) / (1728 - 27)),   # between: (v³ − 3³)/(12³ − 3³) = 485/1701
    (12.0, 1.0),                       # rated
    (20.0, 1.0),
    (24.99, 1.0),
    (25.0, 0.0),                       # cut-out
    (30.0, 0.0),
])
def test_wind_power_curve(speed, expected):
    assert wind_power_rel(speed) == pytest.approx(expected, abs=1e-12)


def test_wind_inverse():
    assert wind_speed_from_power_rel(485 / 1701) == pytest.approx(8.0, rel=1e-12)
    assert wind_speed_from_power_rel(0.0) == pytest.approx(1.5)   # calm: the middle of 0–3 m/s
    assert wind_speed_from_power_rel(1.0) == pytest.approx(12.0)  # rated, never the storm branch
    p = np.linspace(0.0, 1.0, 21)
    assert wind_power_rel(wind_speed_from_power_rel(p)) == pytest.approx(p, abs=1e-12)


# --- EV --------------------------------------------------------------------------------------

@pytest.mark.parametrize("hour, weekend, expected", [
    (3.0, False, 0.90),    # overnight: plugged in
    (7.0, False, 0.90),    # the commute starts
    (8.0, False, 0.575),   # half-way through the 07:00–09:00 drain: 0.90 − 0.65/2
    (12.0, False, 0.25),   # working day
    (17.5, False, 0.525),  # evening return: 0.25 + 0.55·(1.5/3)
    (23.0, False, 0.90),
    (9.5, True, 0.725),    # weekend morning: 0.90 − 0.35·(1.5/3)
    (12.0, True, 0.55),
])
def test_ev_plugged_in_fraction(hour, weekend, expected):
    assert ev_plugged_fraction(hour, weekend) == pytest.approx(expected)


def test_ev_charging_share_peaks_in_the_evening():
    assert ev_charging_share(19.0) == pytest.approx(0.45 - 0.10 * 0.5 / 2.5)  # 0.43
    assert ev_charging_share(18.5) == pytest.approx(0.45)
    assert ev_charging_share(3.0) == pytest.approx(0.075)
    assert ev_charging_share(np.array([24.0, 0.0])) == pytest.approx([0.15, 0.15])


def test_temperature_truth_is_seasonal_and_diurnal():
    assert temperature_truth(200, 15.0) == pytest.approx(9.5 + 9 + 4)
    assert temperature_truth(17, 3.0) < 2.0
