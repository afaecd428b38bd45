"""The pure ANM arithmetic (no database, no engine): flexibility headroom, curtailment under the
principles of access (LIFO and pro rata) and alarm severity, against hand-computed answers."""
from __future__ import annotations

import numpy as np
import pytest

from apps.anm.calc.curtailment import LIFO, PRO_RATA, curtail
from apps.anm.calc.headroom import MIN_FACTOR, Candidate, headroom
from apps.anm.calc.severity import CRITICAL, HIGH, LOW, MEDIUM, overshoot_percent, severity


def cand(asset_id, factor, available, *, kind="battery", curtailable=False, connected_on="", name=None):
    return Candidate(asset_id=asset_id, name=name or f"asset {asset_id}", kind=kind, factor=factor,
                     available_mw=np.asarray(available, dtype=float), curtailable=curtailable,
                     connected_on=connected_on)


def gen(asset_id, factor, available, connected_on):
    return cand(asset_id, factor, available, kind="pv", curtailable=True, connected_on=connected_on)


# --- headroom ----------------------------------------------------------------------------------

def test_headroom_sums_available_times_factor_and_leaves_the_shortfall():
    candidates = [
        cand(1, 0.5, [2.0, 2.0, 0.0]),                                # battery: 1.0, 1.0, 0.0 effective
        cand(2, 1.0, [0.5, np.nan, -1.0], kind="ev_charger"),         # NaN and negatives count as nothing
        cand(3, MIN_FACTOR - 0.01, [10.0, 10.0, 10.0]),               # too far away: ignored
        gen(4, 1.0, [5.0, 5.0, 5.0], "2020-01-01"),                   # generator: curtailment, never headroom
    ]
    room = headroom(np.array([1.0, 2.0, 0.5]), candidates)
    np.testing.assert_allclose(room.headroom_mw, [1.5, 1.0, 0.0])
    np.testing.assert_allclose(room.shortfall_mw, [0.0, 1.0, 0.5])
    np.testing.assert_allclose(room.relief_mw, [1.0, 2.0, 0.5])
    assert room.coverable is False
    assert [c["asset_id"] for c in room.contributors] == [1, 2]  # largest peak first; 3 and 4 left out
    assert room.contributors[0] == {"asset_id": 1, "name": "asset 1", "kind": "battery", "factor": 0.5,
                                    "peak_effective_mw": 1.0}
    assert room.contributors[1]["peak_effective_mw"] == 0.5


def test_headroom_counts_a_factor_at_exactly_the_minimum():
    room = headroom(np.array([0.1]), [cand(1, MIN_FACTOR, [4.0])])
    np.testing.assert_allclose(room.headroom_mw, [4.0 * MIN_FACTOR])
    assert room.coverable


def test_headroom_is_coverable_when_flexibility_meets_every_interval():
    room = headroom(np.array([0.4, np.nan, 0.9]), [cand(1, 0.9, [1.0, 1.0, 1.0]), cand(2, 0.2, [0.5, 0.5, 0.5])])
    np.testing.assert_allclose(room.headroom_mw, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(room.shortfall_mw, [0.0, 0.0, 0.0])  # NaN relief needs nothing
    assert room.coverable


def test_headroom_with_only_generators_is_all_shortfall():
    room = headroom(np.array([0.3, 0.7]), [gen(1, 1.0, [9.0, 9.0], "2021-01-01")])
    np.testing.assert_allclose(room.headroom_mw, [0.0, 0.0])
    np.testing.assert_allclose(room.shortfall_mw, [0.3, 0.7])
    assert not room.coverable and room.contributors == []


# --- curtailment -------------------------------------------------------------------------------
# Generators (factor, MW available, connected):
#   A 1.0 × 3 MW (2015)   B 0.5 × 2 MW (2020)   C 0.8 × 1 MW (2023)
#   D 0.02 × 5 MW (2024, too far to help)       E 0.9 × 0 MW (2025, not generating)
#   F a battery (not curtailable)

def fleet():
    return [
        gen(1, 1.0, [3.0, 1.0], "2015-04-01"),
        gen(2, 0.5, [2.0, 2.0], "2020-06-01"),
        gen(3, 0.8, [1.0, 0.5], "2023-03-01"),
        gen(4, 0.02, [5.0, 5.0], "2024-01-01"),
        gen(5, 0.9, [0.0, 0.0], "2025-01-01"),
        cand(6, 1.0, [9.0, 9.0]),
    ]


def mw(plan, step=0):
    return [(p["asset_id"], round(p["mw"][step], 9)) for p in plan if p["mw"][step] > 0]


def test_lifo_curtails_the_newest_fully_then_the_next_until_covered():
    # Interval 0, shortfall 2.0: C fully (1 MW → 0.8), B fully (2 MW → 1.0), then A 0.2 MW (→ 0.2).
    plan, uncleared = curtail([2.0, 0.0], fleet(), rule=LIFO)
    assert mw(plan) == [(3, 1.0), (2, 2.0), (1, 0.2)]
    assert sum(p["mw"][0] * p["factor"] for p in plan) == pytest.approx(2.0)
    assert [p["connected_on"] for p in plan] == ["2023-03-01", "2020-06-01", "2015-04-01"]
    assert plan[0]["name"] == "asset 3" and plan[0]["peak_mw"] == 1.0
    np.testing.assert_allclose(uncleared, [0.0, 0.0])


def test_lifo_stops_as_soon_as_the_shortfall_is_covered():
    assert mw(curtail([0.5, 0.0], fleet(), rule=LIFO)[0]) == [(3, 0.625)]  # 0.5 / 0.8
    assert mw(curtail([0.8, 0.0], fleet(), rule=LIFO)[0]) == [(3, 1.0)]  # exactly C's whole effect


def test_lifo_curtails_everything_useful_when_not_enough():
    plan, uncleared = curtail([10.0, 0.0], fleet(), rule=LIFO)
    assert mw(plan) == [(3, 1.0), (2, 2.0), (1, 3.0)]  # 4.8 MW of effect
    np.testing.assert_allclose(uncleared, [5.2, 0.0])  # what even full curtailment leaves


def test_lifo_plans_every_interval_of_the_episode():
    # Interval 0 as above (2.0); interval 1, shortfall 1.5: C 0.5 MW (→ 0.4), B 2 MW (→ 1.0), A 0.1 MW (→ 0.1)
    plan, uncleared = curtail([2.0, 1.5], fleet(), rule=LIFO)
    assert mw(plan, 0) == [(3, 1.0), (2, 2.0), (1, 0.2)]
    assert mw(plan, 1) == [(3, 0.5), (2, 2.0), (1, 0.1)]
    np.testing.assert_allclose(uncleared, [0.0, 0.0], atol=1e-12)
    same_day = [gen(7, 1.0, [1.0], "2022-01-01"), gen(8, 1.0, [1.0], "2022-01-01")]
    assert mw(curtail([1.0], same_day, rule=LIFO)[0]) == [(8, 1.0)]  # a tie goes to the later asset


def test_pro_rata_curtails_every_useful_generator_by_the_same_fraction():
    # Interval 0: reach = 3·1.0 + 2·0.5 + 1·0.8 = 4.8 MW; shortfall 2.4 → fraction 0.5 for A, B, C.
    # Interval 1: reach = 1·1.0 + 2·0.5 + 0.5·0.8 = 2.4; shortfall 0.6 → fraction 0.25.
    plan, _ = curtail([2.4, 0.6], fleet(), rule=PRO_RATA)
    assert sorted(mw(plan, 0)) == [(1, 1.5), (2, 1.0), (3, 0.5)]
    assert sorted(mw(plan, 1)) == [(1, 0.25), (2, 0.5), (3, 0.125)]


def test_pro_rata_fraction_is_capped_at_everything():
    plan, uncleared = curtail([10.0, 0.0], fleet(), rule=PRO_RATA)
    assert sorted(mw(plan)) == [(1, 3.0), (2, 2.0), (3, 1.0)]
    np.testing.assert_allclose(uncleared, [5.2, 0.0])


@pytest.mark.parametrize("rule", [LIFO, PRO_RATA])
def test_nothing_to_curtail(rule):
    assert curtail([0.0, 0.0], fleet(), rule=rule)[0] == []
    assert curtail([-1.0, -1.0], fleet(), rule=rule)[0] == []
    assert curtail([1.0], [gen(4, 0.02, [5.0], "2024-01-01"), cand(6, 1.0, [9.0])], rule=rule)[0] == []


def test_only_flexible_connections_are_curtailed():
    # A firm generator (curtailable=False) is never in the plan, however useful it is.
    firm = cand(9, 1.0, [5.0], kind="wind", curtailable=False, connected_on="2030-01-01")
    plan, uncleared = curtail([1.0], [firm, gen(1, 1.0, [0.4], "2015-01-01")], rule=LIFO)
    assert mw(plan) == [(1, 0.4)]
    np.testing.assert_allclose(uncleared, [0.6])


# --- energy-limited batteries ------------------------------------------------------------------

def test_a_battery_that_fills_up_stops_giving_headroom():
    # 2 MW of charging power, 0.75 MWh of room, 15-minute intervals, factor 1, relief 1 MW each interval:
    # it charges 1 MW (0.25 MWh) per interval, so after three intervals it is full.
    battery = Candidate(asset_id=1, name="b", kind="battery", factor=1.0, available_mw=np.full(5, 2.0), energy_mwh=0.75)
    room = headroom(np.full(5, 1.0), [battery], step_hours=0.25)
    np.testing.assert_allclose(room.headroom_mw, [2.0, 2.0, 1.0, 0.0, 0.0])  # 0.25 MWh left: 1 MW for 15 min
    np.testing.assert_allclose(room.shortfall_mw, [0.0, 0.0, 0.0, 1.0, 1.0])
    assert not room.coverable
    (_, dispatched), = room.dispatch
    np.testing.assert_allclose(dispatched, [1.0, 1.0, 1.0, 0.0, 0.0])  # what the re-solve applies


def test_dispatch_shares_the_relief_between_assets():
    room = headroom(np.array([1.0]), [cand(1, 1.0, [3.0]), cand(2, 0.5, [2.0])])
    # 3 + 1 = 4 MW effective for 1 MW of relief: each moves a quarter of what it could
    np.testing.assert_allclose([mw[0] for _, mw in room.dispatch], [0.75, 0.5])


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="Unknown curtailment rule 'fifo'"):
        curtail([1.0], fleet(), rule="fifo")
    with pytest.raises(ValueError):
        curtail([0.0], [], rule="")


# --- severity ----------------------------------------------------------------------------------

def test_overshoot_percent():
    assert overshoot_percent(1.06, 1.05, "pu") == pytest.approx(20.0)  # 0.01 of the 0.05 allowed
    assert overshoot_percent(0.93, 0.95, "pu") == pytest.approx(40.0)
    assert overshoot_percent(120.0, 100.0, "%") == pytest.approx(20.0)
    assert overshoot_percent(-12.0, 10.0, "MW") == pytest.approx(20.0)
    assert overshoot_percent(3.0, 0.0, "MW") == 100.0


@pytest.mark.parametrize("overshoot, hours, coverable, expected", [
    (12.0, 1.0, True, CRITICAL),     # soon and well past the limit
    (1.0, 2.0, False, CRITICAL),     # soon and flexibility cannot clear it
    (9.9, 2.0, True, HIGH),          # soon but small and coverable
    (1.0, 6.0, True, HIGH),          # within 6 h
    (25.0, 30.0, True, HIGH),        # far past the limit
    (1.0, 30.0, False, HIGH),        # not coverable
    (5.0, 30.0, True, MEDIUM),       # real overshoot, later
    (1.0, 24.0, True, MEDIUM),       # within the day
    (4.9, 24.1, True, LOW),          # small and far off
])
def test_severity_levels(overshoot, hours, coverable, expected):
    assert severity(overshoot=overshoot, hours_to_breach=hours, coverable=coverable) == expected


# --- heatmap rows ranked by severity -------------------------------------------------------------

def test_heatmap_rank_keeps_every_alarmed_row_first_then_fills_by_peak():
    from apps.anm.calc.projection import heatmap_rank

    rows = [{"name": f"lv{i}", "peak": 200.0 - i, "severity": None} for i in range(5)]  # LV transformers, hotter
    rows += [{"name": "mv-medium", "peak": 90.0, "severity": "medium"},
             {"name": "mv-high", "peak": 80.0, "severity": "high"},
             {"name": "mv-high-2", "peak": 85.0, "severity": "high"}]
    ranked = heatmap_rank(rows, limit=4)
    # 3 alarmed rows (high by peak, then medium), then 4 - 3 = 1 filler: the hottest other.
    assert [r["name"] for r in ranked] == ["mv-high-2", "mv-high", "mv-medium", "lv0"]
    # More alarms than the limit: every one keeps its row, no filler.
    assert [r["name"] for r in heatmap_rank(rows, limit=2)] == ["mv-high-2", "mv-high", "mv-medium"]


def test_alarmed_elements_take_the_worst_severity_of_mv_violations():
    from types import SimpleNamespace as E

    from apps.anm.calc.projection import alarmed_elements

    bus15 = {"element": "bus", "pp_index": 15, "name": "Bus 15"}
    episodes = [E(level="violation", voltage_level="mv", worst=bus15, severity="medium"),
                E(level="violation", voltage_level="mv", worst=bus15, severity="high"),
                E(level="prealarm", voltage_level="mv", worst={"element": "line", "pp_index": 3}, severity="critical"),
                E(level="violation", voltage_level="lv", worst={"element": "trafo", "pp_index": 7}, severity="high")]
    assert alarmed_elements(episodes) == {("bus", 15): "high"}
