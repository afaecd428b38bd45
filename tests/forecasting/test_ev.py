"""Home EV charging under GB smart-charging defaults: each charger draws nothing or its full
rating, starts outside the peak hours after a random delay of up to 600 s, and its forecast band
is on/off (never ±σ around an average)."""
from __future__ import annotations

import numpy as np
import pytest

from apps.forecasting.calc.ev import (
    DEFAULT_STARTS,
    EV_PLUG_PROBABILITY,
    MAX_DELAY_S,
    default_start_hour,
    ev_on_probability,
    ev_truth,
    in_peak,
    on_off_quantile,
    unit_hash,
)

STEP_H = 0.25
N = 600


def _days(first_day: int, days: int):
    steps = days * 96
    t = np.arange(steps) * STEP_H
    return first_day + (t // 24).astype(float), (t % 24) + STEP_H / 2


def test_unit_hash_is_deterministic_and_in_the_unit_interval():
    u = unit_hash(np.arange(10_000), 5, 1)
    assert np.all((u >= 0) & (u < 1))
    assert u == pytest.approx(unit_hash(np.arange(10_000), 5, 1))
    assert abs(u.mean() - 0.5) < 0.01
    assert not np.allclose(u, unit_hash(np.arange(10_000), 6, 1))


def test_peak_hours_of_the_2021_regulations():
    assert in_peak(np.array([7.99, 8.0, 10.99, 11.0, 15.99, 16.0, 21.99, 22.0])).tolist() == [
        False, True, True, False, False, True, True, False]


def test_a_charger_draws_nothing_or_its_full_rating():
    rated = np.full(N, 0.0074)
    day, hour = _days(220, 3)
    p = ev_truth(np.arange(N), rated, day, hour, STEP_H)
    on = p > 0
    assert np.all(p <= 0.0074 + 1e-12)
    # Inside a session every step is at the full rating; only its first and last step are part-filled.
    partial = on & (p < 0.0074 - 1e-12)
    starts = on & ~np.vstack([np.zeros((1, N), bool), on[:-1]])
    assert partial.sum() <= 2 * starts.sum()


def test_off_peak_by_default_with_a_randomised_delay_of_at_most_600_s():
    rated = np.full(N, 0.0074)
    day, hour = _days(220, 3)
    p = ev_truth(np.arange(N), rated, day, hour, STEP_H)
    assert p[in_peak(hour)].sum() == 0.0  # nothing in 08:00-11:00 or 16:00-22:00
    on = p > 0
    first = on & ~np.vstack([np.zeros((1, N), bool), on[:-1]])
    defaults = default_start_hour(np.arange(N))
    step_start = (day * 24 + hour - STEP_H / 2)[:, None]
    first[0] = False  # sessions already running when the window opens
    rows, cols = np.nonzero(first)
    # Start = end of its first step less the part of the step it fills.
    start = step_start[rows, 0] + STEP_H - p[rows, cols] / 0.0074 * STEP_H
    since_default = ((start - defaults[cols]) % 24.0) * 3600.0
    assert since_default.min() >= -1e-6
    assert since_default.max() <= MAX_DELAY_S + 1e-6
    # Every default start is outside the peak, and some chargers use each of them.
    assert set(np.unique(defaults)) == {h for h, _ in DEFAULT_STARTS}
    assert not in_peak(defaults).any()


def test_plug_in_share_over_nights():
    rated = np.full(2000, 0.0074)
    day, hour = _days(100, 8)
    p = ev_truth(np.arange(2000), rated, day, hour, STEP_H)
    sessions = (p > 0) & ~np.vstack([np.ones((1, 2000), bool), p[:-1] > 0])  # starts inside the window
    per_night = sessions.sum() / (2000 * 8)
    assert per_night == pytest.approx(EV_PLUG_PROBABILITY, abs=0.03)


def test_on_off_quantiles_by_hand():
    prob = np.array([[0.05, 0.3, 0.6, 0.95]])
    rated = np.array([0.0074, 0.0074, 0.011, 0.0036])
    assert on_off_quantile(prob, rated, 0.9).tolist() == [[0.0, 0.0074, 0.011, 0.0036]]
    assert on_off_quantile(prob, rated, 0.5).tolist() == [[0.0, 0.0, 0.011, 0.0036]]
    assert on_off_quantile(prob, rated, 0.1).tolist() == [[0.0, 0.0, 0.0, 0.0036]]


def test_on_probability_matches_the_sessions_it_forecasts():
    # Averaged over many chargers, the forecast probability equals the realised share charging.
    n = 4000
    idx, rated = np.arange(n), np.full(n, 0.0074)
    day, hour = _days(150, 2)
    prob = ev_on_probability(idx, rated, day, hour, STEP_H)
    share = ev_truth(idx, rated, day, hour, STEP_H).mean(axis=1) / 0.0074
    assert prob.max() <= EV_PLUG_PROBABILITY + 1e-12
    assert np.abs(prob.mean(axis=1) - share).max() < 0.03
    assert prob[in_peak(hour)].sum() == 0.0
