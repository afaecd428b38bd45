"""Scenarios and N-1 outages in one call."""

from __future__ import annotations

import copy

import numpy as np
import pandapower as pp
import pytest

from apps.grid.engine import (
    BASE_CASE,
    InputShapeError,
    Injections,
    quantile_scenarios,
    run_scenarios,
    run_time_series,
)
from engine_fixtures import constant_injections


@pytest.fixture(scope="module")
def small_scenarios(small_model):
    base = constant_injections(small_model, 4)
    base.sgen_p_mw = base.sgen_p_mw * np.linspace(0.0, 1.0, 4)[:, None]
    return quantile_scenarios(base, {"P10": 0.5, "P50": 1.0, "P90": 1.5})


def test_base_case_equals_time_series(small_model, small_scenarios):
    res = run_scenarios(small_model, small_scenarios, outages=None)
    assert res.vm_pu.shape == (3, 1, 4, len(small_model.buses))
    assert list(res.outages) == [BASE_CASE]
    for s, name in enumerate(res.scenario_names):
        ts = run_time_series(small_model, small_scenarios[name])
        np.testing.assert_allclose(res.vm_pu[s, 0], ts.vm_pu)
        np.testing.assert_allclose(res.loading_percent[s, 0], ts.loading_percent)


def test_line_outages_match_pandapower(small_net, small_model, small_scenarios):
    res = run_scenarios(small_model, small_scenarios, outages="lines")
    n_lines = int(small_net.line.in_service.sum())
    assert res.status.shape == (3, 1 + n_lines, 4)
    assert (res.status == 0).all()
    # "A mid" out: A2, A3 lose supply (the ring is open)
    c = res.outage_labels.index("line 1")
    assert res.unsupplied_buses[1, c].max() == 2
    ref = copy.deepcopy(small_net)
    ref.line.loc[1, "in_service"] = False
    name = res.scenario_names[1]
    inj = small_scenarios[name]
    ref.sgen["p_mw"] = inj.sgen_p_mw[3]
    pp.runpp(ref)
    np.testing.assert_allclose(res.vm_pu[1, c, 3], ref.res_bus.vm_pu.to_numpy(), atol=1e-7)
    worst = res.worst()
    assert worst["max_loading_percent"].shape == (3, 1 + n_lines)


def test_mv_n1_runs(mv_model, mv_injections):
    scenarios = quantile_scenarios(mv_injections.slice(0, 4), {"P50": 1.0, "P90": 1.3})
    outages = mv_model.line_positions[:5]
    res = run_scenarios(mv_model, scenarios, outages=outages)
    assert res.vm_pu.shape[:3] == (2, 6, 4)
    assert (res.status == 0).all()


def test_scenarios_must_agree_on_steps(small_model):
    with pytest.raises(InputShapeError):
        run_scenarios(small_model, {"a": Injections(n_steps=2), "b": Injections(n_steps=3)})
    with pytest.raises(InputShapeError):
        run_scenarios(small_model, {})
