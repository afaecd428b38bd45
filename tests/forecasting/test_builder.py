"""The vectorised forecast builder on synthetic profiles (no database, no SimBench files):
truth reproduction, quantile ordering, error growth with lead time, reproducible seeds,
ingested weather, availability, totals."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from apps.forecasting.calc import errors as em
from apps.forecasting.calc.ev import ev_on_probability, ev_truth
from apps.forecasting.calc.physics import ev_plugged_fraction, pv_power_rel, wind_power_rel
from apps.forecasting.calc.provider import ZoneWeather, build_forecast, compute_truth, truth_totals
from apps.forecasting.calc.timebase import make_horizon, simbench_steps

from .conftest import horizon_from, make_specs

MONDAY_6AM = dt.datetime(2026, 3, 2, 6, 0)  # naive wall clock (the builder's input)


def build(specs, profiles, seed=7, **kwargs):
    return build_forecast(specs, profiles, horizon_from(MONDAY_6AM), seed=seed, keep_truth=True, **kwargs)


# --- time base -------------------------------------------------------------------------------

def test_wall_clock_maps_to_the_same_moment_of_2016():
    times = pd.DatetimeIndex(["2026-01-01 00:00", "2026-12-31 23:45", "2028-02-29 12:00", "2027-03-01 00:00",
                              "2026-06-15 10:07"])
    assert simbench_steps(times).tolist() == [0, 35135, 59 * 96 + 48, 60 * 96, 166 * 96 + 40]


def test_a_horizon_across_new_year_wraps_to_the_start_of_the_profile():
    h = horizon_from(dt.datetime(2026, 12, 31, 23, 30), steps=4)
    assert h.simbench_rows[:, 0].tolist() == [35134, 35135, 0, 1]


def test_longer_steps_average_their_quarter_hours():
    times = pd.date_range("2026-03-02 00:00", periods=4, freq="60min")
    h = make_horizon(times, np.arange(4.0), 60)
    assert h.simbench_rows.shape == (4, 4)
    assert h.simbench_rows[1].tolist() == [h.simbench_rows[0, 0] + 4 + k for k in range(4)]
    with pytest.raises(ValueError):
        make_horizon(times, np.arange(4.0), 20)


# --- error model -----------------------------------------------------------------------------

def test_sigma_grows_with_the_square_root_of_lead_time():
    ghi = em.ERRORS["ghi"]
    assert ghi.sigma(0) == pytest.approx(0.08)
    assert ghi.sigma(24) == pytest.approx(0.08 + 0.04 * 24**0.5)
    assert ghi.sigma(48) > ghi.sigma(24) > ghi.sigma(6) > ghi.sigma(0)
    assert em.ERRORS["wind"].sigma(-3) == pytest.approx(0.7)  # negative leads count as 0


def test_ar1_paths_have_unit_variance_and_persist():
    z = em.ar1_paths(np.random.default_rng(1), 192, 4000)
    assert z.std() == pytest.approx(1.0, abs=0.03)
    lag1 = np.mean(z[1:] * z[:-1])
    assert lag1 == pytest.approx(0.95, abs=0.02)


def test_seed_derivation_is_reproducible():
    issued = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone.utc).timestamp()
    assert em.derive_seed(3, issued) == em.derive_seed(3, issued + 59)  # same minute
    assert em.derive_seed(3, issued) != em.derive_seed(3, issued + 60)
    assert em.derive_seed(3, issued) != em.derive_seed(4, issued)
    assert em.derive_seed(10**6, issued) < 2**63


# --- truth -----------------------------------------------------------------------------------

def test_truth_reproduces_the_profiles_through_the_physical_models(synthetic_profiles, specs):
    truth = compute_truth(specs, synthetic_profiles, horizon_from(MONDAY_6AM))
    assert truth.load_p == pytest.approx(0.5)        # 0.5 × 1 MW
    assert truth.load_q == pytest.approx(0.02)       # 0.1 × 0.2 MVAr
    assert truth.sgen_p[:, 0] == pytest.approx(0.8)  # PV: 0.4 × 2 MWp via GHI and back
    assert truth.sgen_p[:, 1] == pytest.approx(1.5)  # wind: 0.5 × 3 MW via wind speed and back
    assert truth.sgen_p[:, 2] == pytest.approx(0.8)  # biomass: 0.8 × 1 MW
    assert truth.storage_schedule == pytest.approx(-0.1)  # 0.25 × −0.4 (SimBench sign)
    # The fixture's battery follows that schedule (schedule mode) from half full (0.5 MWh): each
    # quarter-hour at 0.1 MW draws 0.1 × 0.25 / 0.95 MWh, so it empties after 0.5·0.95/0.025 = 19
    # steps and then stops (it used to discharge for 48 h from 1 MWh: an artefact).
    assert truth.storage_p[:19, 0] == pytest.approx(-0.1)
    assert truth.storage_p[19:, 0] == pytest.approx(0.0, abs=1e-9)
    assert truth.storage_soc[18, 0] == pytest.approx(0.0, abs=1e-9)
    h = horizon_from(MONDAY_6AM)
    # EV: smart-charging sessions (tests/forecasting/test_ev.py checks the sessions themselves).
    expected_ev = ev_truth([3], [0.011], h.day_of_year, h.hour_of_day, 0.25)[:, 0]
    assert truth.ev_p[:, 0] == pytest.approx(expected_ev)


def test_truth_totals_add_up(synthetic_profiles, specs):
    totals = truth_totals(specs, compute_truth(specs, synthetic_profiles, horizon_from(MONDAY_6AM)))
    assert totals["demand"] == pytest.approx(1.5)
    battery = np.where(np.arange(192) < 19, -0.1, 0.0)  # discharges until empty (see above)
    expected = 0.8 + 1.5 + 0.8 - 1.5 - totals["ev"] - battery
    assert totals["net_export"] == pytest.approx(expected)


# --- quantiles -------------------------------------------------------------------------------

def test_quantiles_are_ordered_per_element_and_in_totals(synthetic_profiles):
    f = build(make_specs(50), synthetic_profiles)
    for arrays in (f.load_p, f.sgen_p, f.ev_p):
        assert np.all(arrays["p10"] <= arrays["p50"] + 1e-12)
        assert np.all(arrays["p50"] <= arrays["p90"] + 1e-12)
    for name, per_q in f.totals.items():
        assert np.all(per_q["p10"] <= per_q["p50"] + 1e-12), name
        assert np.all(per_q["p50"] <= per_q["p90"] + 1e-12), name
    assert np.all(f.sgen_p["p10"] >= 0) and np.all(f.load_p["p10"] >= 0)


def test_wind_quantiles_stay_ordered_past_cut_out(synthetic_profiles, specs):
    # A storm forecast of 24 m/s: P90 wind speed lies beyond cut-out, where output drops to 0.
    steps = 192
    weather = ZoneWeather(np.full(steps, np.nan), np.full(steps, 24.0), np.full(steps, np.nan))
    f = build(specs, synthetic_profiles, weather=weather)
    wind = {q: f.sgen_p[q][:, 1] for q in ("p10", "p50", "p90")}
    assert np.all(wind["p10"] <= wind["p50"]) and np.all(wind["p50"] <= wind["p90"])
    assert wind["p10"].min() == 0.0  # some quantile sees the turbine cut out


def test_demand_total_is_narrower_than_the_sum_of_load_bands(synthetic_profiles):
    f = build(make_specs(200), synthetic_profiles)
    total_width = f.totals["demand"]["p90"] - f.totals["demand"]["p10"]
    summed_width = (f.load_p["p90"] - f.load_p["p10"]).sum(axis=1)
    assert np.all(total_width < summed_width)  # diversity between loads
    assert f.totals["demand"]["p50"] == pytest.approx(f.load_p["p50"].sum(axis=1))


def test_net_export_median_is_generation_minus_consumption(synthetic_profiles, specs):
    t = build(specs, synthetic_profiles).totals
    expected = t["pv"]["p50"] + t["wind"]["p50"] + t["other_gen"]["p50"] - t["demand"]["p50"] - t["ev"]["p50"] - t["storage"]["p50"]
    assert t["net_export"]["p50"] == pytest.approx(expected)


def test_a_scheduled_battery_does_not_depend_on_the_weather(synthetic_profiles, specs):
    f = build(specs, synthetic_profiles)
    for q in ("p10", "p50", "p90"):
        assert f.storage_p[q][:19, 0] == pytest.approx(-0.1)
        assert f.storage_p[q][19:, 0] == pytest.approx(0.0, abs=1e-9)
    assert f.totals["storage"]["p10"] == pytest.approx(f.totals["storage"]["p90"])


# --- error growth and seeds ------------------------------------------------------------------

def test_realised_errors_grow_with_lead_time(synthetic_profiles):
    specs = make_specs(2)
    early, late = [], []
    for seed in range(120):
        f = build(specs, synthetic_profiles, seed=seed)
        error = f.sgen_p["p50"][:, 1] - f.truth.sgen_p[:, 1]  # wind: the largest weather error
        early.append(error[:8])     # leads 0–2 h
        late.append(error[-32:])    # leads 40–48 h
    assert np.sqrt(np.mean(np.square(late))) > 1.5 * np.sqrt(np.mean(np.square(early)))


def test_bands_widen_with_lead_time(synthetic_profiles, specs):
    f = build(specs, synthetic_profiles)
    width = (f.load_p["p90"] - f.load_p["p10"])[:, 0] / f.load_p["p50"][:, 0]
    assert np.all(np.diff(width) >= -1e-12) and width[-1] > 2 * width[0]


def test_same_seed_same_forecast_other_seed_other_forecast(synthetic_profiles, specs):
    a, b, c = build(specs, synthetic_profiles, seed=11), build(specs, synthetic_profiles, seed=11), build(specs, synthetic_profiles, seed=12)
    assert np.array_equal(a.load_p["p50"], b.load_p["p50"]) and np.array_equal(a.sgen_p["p90"], b.sgen_p["p90"])
    assert not np.array_equal(a.load_p["p50"], c.load_p["p50"])


def test_weather_paths_do_not_depend_on_the_number_of_loads(synthetic_profiles):
    small, large = build(make_specs(3), synthetic_profiles, seed=5), build(make_specs(300), synthetic_profiles, seed=5)
    assert np.array_equal(small.sgen_p["p50"], large.sgen_p["p50"])


# --- ingested weather ------------------------------------------------------------------------

def test_ingested_weather_drives_pv_and_wind(synthetic_profiles, specs):
    steps = 192
    ghi, wind, temp = (np.full(steps, np.nan) for _ in range(3))
    ghi[:4], wind[:4], temp[:4] = 800.0, 8.0, 20.0
    f = build(specs, synthetic_profiles, weather=ZoneWeather(ghi, wind, temp))
    assert f.ingested_steps == 4
    assert f.sgen_p["p50"][:4, 0] == pytest.approx(2.0 * 0.66114048)   # 2 MWp at 800 W/m², 20 °C
    assert f.sgen_p["p50"][:4, 1] == pytest.approx(3.0 * 485 / 1701)   # 3 MW at 8 m/s
    # Quantiles around the ingested value, lead 0: σ_GHI = 8 %, σ_wind = 0.7 m/s.
    z = em.Z90
    assert f.sgen_p["p10"][0, 0] == pytest.approx(2.0 * pv_power_rel(800 * (1 - z * 0.08), 20.0))
    assert f.sgen_p["p90"][0, 1] == pytest.approx(3.0 * wind_power_rel(8 + z * 0.7))
    assert f.weather["ghi_w_m2"]["p50"][:4] == pytest.approx(800.0)
    assert not np.allclose(f.sgen_p["p50"][4:, 0], 2.0 * 0.66114048)  # the provider elsewhere


# --- availability ----------------------------------------------------------------------------

def test_availability_for_flexibility(synthetic_profiles, specs):
    f = build(specs, synthetic_profiles)
    h = horizon_from(MONDAY_6AM)
    # Battery: SOC unknown (0 in SimBench) -> 50 % of 1 MWh; schedule −0.1 MW (discharging),
    # η = 0.95. First step: E = 0.5 − 0.025/0.95 = 0.473684 MWh after it.
    # Charge: min(0.5 − (−0.1), (1 − 0.473684)/(0.95·0.25)) = 0.6; discharge:
    # min(0.5 + (−0.1), 0.473684·0.95/0.25) = 0.4. Once empty (step 19 on): charge 0.5, discharge 0.
    e1 = 0.5 - 0.1 * 0.25 / 0.95
    assert f.availability["battery_soc_mwh"][0, 0] == pytest.approx(e1)
    assert f.availability["battery_charge_mw"][0, 0] == pytest.approx(0.6)
    assert f.availability["battery_discharge_mw"][0, 0] == pytest.approx(0.4)
    assert f.availability["battery_charge_mw"][19:, 0] == pytest.approx(0.5)
    assert f.availability["battery_discharge_mw"][19:, 0] == pytest.approx(0.0, abs=1e-9)
    plugged = ev_plugged_fraction(h.hour_of_day, h.is_weekend)
    assert f.availability["ev_plugged_fraction"][:, 0] == pytest.approx(plugged)
    # 08:00–08:15 on a Monday (step middle 08:07:30): the commute has taken EVs away.
    k = 8
    assert h.hour_of_day[k] == pytest.approx(8.125)
    assert plugged[k] == pytest.approx(0.90 - 0.65 * 1.125 / 2)
    up, down = f.availability["ev_flex_up_mw"][:, 0], f.availability["ev_flex_down_mw"][:, 0]
    assert up + down == pytest.approx(0.011 * plugged)
    assert down == pytest.approx(0.011 * ev_on_probability([3], [0.011], h.day_of_year, h.hour_of_day, 0.25)[:, 0])


def test_pv_quantiles_never_exceed_clear_sky(synthetic_profiles, specs):
    """The synthetic PV profile is the same every day, so every day is its own clearest: clear sky
    equals the truth (0.8 MW). Errors on the clear-sky index keep every quantile at or below it
    (the old relative GHI error put P90 up to 1.2816·36 % above it), and a day-ahead P10 below."""
    f = build(specs, synthetic_profiles)
    truth = f.truth.sgen_p[:, 0]
    assert truth == pytest.approx(0.8)
    assert f.truth.clear_sky_by_col[:, f.truth.pv_asset_pos[0]] == pytest.approx(f.truth.ghi_by_col[:, f.truth.pv_asset_pos[0]])
    clear = f.truth.clear_sky_by_col[:, f.truth.ref_pv_pos]
    for q in ("p10", "p50", "p90"):
        assert np.all(f.weather["ghi_w_m2"][q] <= clear + 1e-9), q
        # output may pass the truth only through a colder forecast cell (γ = −0.4 %/K)
        assert np.all(f.sgen_p[q][:, 0] <= truth * 1.02), q
    assert np.all(f.sgen_p["p10"][96:, 0] < truth[96:])  # a day ahead the forecast is less sure
