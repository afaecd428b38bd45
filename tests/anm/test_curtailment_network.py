"""Curtailment on a small pandapower network with known answers (no database).

A 20 kV source feeds one export line (NA2XS2Y 1x70, 0.22 kA: √3·20·0.22 = 7.62 MVA) to a PV park
bus with a 0.5 MW load and two PV generators (4 MW connected 2019, 3 MW connected 2023); a short
spur from the park carries a third PV (5 MW, connected 2015). At full sun the park exports
≈ 11 MW over the line: a thermal overload of ≈ 146 %. The engine finds it, its sensitivities give
each generator's effect on the line, and apps.anm.calc decides who is curtailed and by how much.
Applying that curtailment and re-running the power flow brings the line back to its limit.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from apps.anm.calc.curtailment import LIFO, PRO_RATA, curtail as curtail_episode
from apps.anm.calc.headroom import Candidate, headroom
from apps.grid.engine import Injections, detect_constraints, from_pandapower, run_time_series, sensitivities

RATING_MVA = math.sqrt(3) * 20.0 * 0.22
SUN = np.array([0.3, 0.8, 1.0, 0.9])  # PV output as a fraction of rating, per step
PV = [  # (bus name, MW, name, connected on)
    ("far end", 5.0, "PV 2015", "2015-03-01"),
    ("park", 4.0, "PV 2019", "2019-05-01"),
    ("park", 3.0, "PV 2023", "2023-07-01"),
]


@pytest.fixture(scope="module")
def grid():
    import pandapower as pp

    net = pp.create_empty_network(name="export line", sn_mva=1.0)
    source = pp.create_bus(net, 20.0, name="source")
    park = pp.create_bus(net, 20.0, name="park")
    far = pp.create_bus(net, 20.0, name="far end")
    pp.create_ext_grid(net, source, vm_pu=0.98)  # low enough that no bus goes over-voltage
    pp.create_line(net, source, park, 4.0, "NA2XS2Y 1x70 RM/25 12/20 kV", name="export line")
    pp.create_line(net, park, far, 3.0, "NA2XS2Y 1x185 RM/25 12/20 kV", name="spur")
    pp.create_load(net, park, p_mw=0.5, q_mvar=0.0, name="park load")
    buses = {"park": park, "far end": far}
    for bus, p_mw, name, _ in PV:
        pp.create_sgen(net, buses[bus], p_mw=p_mw, q_mvar=0.0, name=name, type="PV")
    model = from_pandapower(net)
    return net, model


def injections(model, sgen_p: np.ndarray) -> Injections:
    steps = len(sgen_p)
    return Injections(load_p_mw=np.tile(model.loads.p_mw, (steps, 1)), load_q_mvar=np.tile(model.loads.q_mvar, (steps, 1)),
                      sgen_p_mw=sgen_p, sgen_q_mvar=np.zeros_like(sgen_p))


@pytest.fixture(scope="module")
def case(grid):
    """The overload as the engine sees it: result, the line's episode, each generator's factor."""
    net, model = grid
    sgen_p = SUN[:, None] * model.sgens.p_mw[None, :]
    result = run_time_series(model, injections(model, sgen_p))
    violations = [e for e in detect_constraints(result) if e.level == "violation"]
    line = int(model.branch_position("line", 0)[0])
    asset_buses = np.array(sorted({int(b) for b in model.buses.pp_index[model.sgens.bus]}))
    episode = next(e for e in violations if e.element == "line" and e.pp_index == 0)
    s = sensitivities(model, result, episode.peak_step, asset_buses, buses=[], branches=[line])
    factor_of_bus = {int(b): abs(float(s.dp_from_dp[i, 0])) for i, b in enumerate(asset_buses)}
    factors = [factor_of_bus[int(model.buses.pp_index[b])] for b in model.sgens.bus]
    window = slice(episode.start, episode.end + 1)
    generators = [
        Candidate(asset_id=i, name=name, kind="pv", factor=factors[i], available_mw=sgen_p[window, i],
                  curtailable=True, connected_on=on)
        for i, (_, _, name, on) in enumerate(PV)
    ]
    return {"model": model, "result": result, "violations": violations, "episode": episode, "sgen_p": sgen_p,
            "factors": factors, "generators": generators, "sensitivities": s, "line": line}


def test_the_engine_sees_one_thermal_overload_on_the_export_line(case):
    result, episode = case["result"], case["episode"]
    loading = result.loading_percent[:, case["line"]]
    assert loading[0] < 90 and loading[2] > 140  # morning fine, noon well over
    assert [(e.element, e.pp_index, e.kind) for e in case["violations"]] == [("line", 0, "thermal")]
    assert (episode.start, episode.end, episode.peak_step) == (1, 3, 2)
    assert episode.peak_value == pytest.approx(loading[2])
    # Relief = MVA over the limit × |P|/S; the flow is almost purely active (PV at unity power factor).
    hand = (loading[1:4] - 100.0) / 100.0 * RATING_MVA
    np.testing.assert_allclose(episode.relief_mw, hand, rtol=0.01)
    assert episode.relief_mw[1] == pytest.approx(3.52, abs=0.02)


def test_factors_are_the_lines_response_to_each_generator(case):
    model, s = case["model"], case["sensitivities"]
    f_park, f_far = case["factors"][1], case["factors"][0]
    assert case["factors"][1] == case["factors"][2]  # same bus, same effect
    # Just under 1: part of every extra MW is lost in the line at this heavy loading; the far
    # generator also loses some in the spur.
    assert 0.85 < f_far < f_park < 1.0
    assert np.all(s.dp_from_dp < 0)  # more generation = more reverse flow at the source end
    # Check against a small perturbation through the full power flow.
    sgen_p = case["sgen_p"][[2]].copy()
    base = run_time_series(model, injections(model, sgen_p)).p_from_mw[0, case["line"]]
    sgen_p[0, 2] -= 0.05
    moved = run_time_series(model, injections(model, sgen_p)).p_from_mw[0, case["line"]]
    assert (moved - base) / 0.05 == pytest.approx(f_park, rel=0.01)


def curtail(shortfall_mw, generators, *, rule, step):
    """The plan for one interval of the episode, as ``[{"asset_id", "name", "curtail_mw"}]``."""
    shortfall = np.zeros(len(generators[0].available_mw))
    shortfall[step] = shortfall_mw
    plan, _ = curtail_episode(shortfall, generators, rule=rule)
    return [{"asset_id": p["asset_id"], "name": p["name"], "curtail_mw": p["mw"][step]} for p in plan if p["mw"][step] > 0]


def relieve(case, plan, step):
    """Loading of the line at ``step`` (of the result) after the plan is applied there."""
    sgen_p = case["sgen_p"].copy()
    for p in plan:
        sgen_p[step, p["asset_id"]] -= p["curtail_mw"]
    return run_time_series(case["model"], injections(case["model"], sgen_p)).loading_percent[step, case["line"]]


def test_no_flexibility_means_the_whole_relief_is_shortfall(case):
    room = headroom(case["episode"].relief_mw, case["generators"])
    np.testing.assert_allclose(room.headroom_mw, 0.0)
    np.testing.assert_allclose(room.shortfall_mw, case["episode"].relief_mw)
    assert not room.coverable and room.contributors == []
    assert int(np.argmax(room.shortfall_mw)) == case["episode"].peak_step - case["episode"].start


def test_lifo_curtails_the_2023_pv_fully_then_part_of_the_2019_pv(case):
    episode, f = case["episode"], case["factors"]
    k = episode.peak_step - episode.start
    relief = float(episode.relief_mw[k])
    plan = curtail(relief, case["generators"], rule=LIFO, step=k)

    # By hand: PV 2023 gives its 3 MW (relieving 3·f), PV 2019 covers the rest, PV 2015 keeps running.
    expected_2019 = (relief - 3.0 * f[2]) / f[1]
    assert 0 < expected_2019 < 4.0
    assert [p["name"] for p in plan] == ["PV 2023", "PV 2019"]
    assert plan[0]["curtail_mw"] == pytest.approx(3.0)
    assert plan[1]["curtail_mw"] == pytest.approx(expected_2019, abs=1e-6)
    assert plan[1]["curtail_mw"] == pytest.approx(0.88, abs=0.03)  # ≈ (3.52 − 3·0.91) / 0.91

    after = relieve(case, plan, episode.peak_step)
    assert 96.0 < after <= 101.0  # back to the limit (the linearisation errs on the safe side)


def test_pro_rata_curtails_every_pv_by_the_same_fraction(case):
    episode, f = case["episode"], case["factors"]
    k = episode.peak_step - episode.start
    relief = float(episode.relief_mw[k])
    plan = curtail(relief, case["generators"], rule=PRO_RATA, step=k)

    fraction = relief / (5.0 * f[0] + 4.0 * f[1] + 3.0 * f[2])
    assert 0.3 < fraction < 0.35
    by_name = {p["name"]: p["curtail_mw"] for p in plan}
    assert by_name == pytest.approx({"PV 2015": 5.0 * fraction, "PV 2019": 4.0 * fraction, "PV 2023": 3.0 * fraction},
                                    abs=1e-6)

    after = relieve(case, plan, episode.peak_step)
    assert 96.0 < after <= 101.0


@pytest.mark.parametrize("rule", [LIFO, PRO_RATA])
def test_one_plan_for_every_interval_clears_the_whole_episode(case, rule):
    """The plan covers every interval of the episode (not only the worst): applied all at once
    and re-solved, the line stays at its limit throughout, and nothing is left uncleared."""
    episode = case["episode"]
    plan, uncleared = curtail_episode(episode.relief_mw, case["generators"], rule=rule)
    assert plan and np.all(uncleared <= 1e-9)
    sgen_p = case["sgen_p"].copy()
    for row in plan:
        sgen_p[episode.start:episode.end + 1, row["asset_id"]] -= np.asarray(row["mw"])
    after = run_time_series(case["model"], injections(case["model"], sgen_p)).loading_percent[:, case["line"]]
    assert np.all(after[episode.start:episode.end + 1] <= 101.0)
    assert after[episode.peak_step] > 95.0  # no more than needed
    if rule == LIFO:  # the 2015 PV keeps running in every interval
        assert all(row["name"] != "PV 2015" for row in plan)


def test_a_battery_at_the_park_reduces_what_is_curtailed(case):
    episode, f = case["episode"], case["factors"]
    k = episode.peak_step - episode.start
    battery = Candidate(asset_id=99, name="park battery", kind="battery", factor=f[1],
                        available_mw=np.full(episode.duration_steps, 2.0))
    room = headroom(episode.relief_mw, case["generators"] + [battery])
    np.testing.assert_allclose(room.headroom_mw, 2.0 * f[1])
    shortfall = float(room.shortfall_mw[k])
    assert shortfall == pytest.approx(float(episode.relief_mw[k]) - 2.0 * f[1])
    plan = curtail(shortfall, case["generators"] + [battery], rule=LIFO, step=k)
    assert [p["name"] for p in plan] == ["PV 2023"]  # the battery is never curtailed
    assert plan[0]["curtail_mw"] == pytest.approx(shortfall / f[2])
    # The battery charging 2 MW plus the curtailment clear the line.
    sgen_p = case["sgen_p"].copy()
    sgen_p[episode.peak_step, 2] -= plan[0]["curtail_mw"]
    model = case["model"]
    inj = injections(model, sgen_p)
    inj.load_p_mw[episode.peak_step, 0] += 2.0  # the battery's charge, as extra demand at the park
    assert run_time_series(model, inj).loading_percent[episode.peak_step, case["line"]] <= 101.0
