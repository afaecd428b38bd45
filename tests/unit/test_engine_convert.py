"""from_pandapower: identity, topology, feeders, switches and refusals."""

from __future__ import annotations

import copy

import numpy as np
import pandapower as pp
import pytest

from apps.grid.engine import (
    BRANCH_LINE,
    BRANCH_TRAFO,
    EmptyNetworkError,
    IslandedNetworkError,
    UnsupportedElementError,
    from_pandapower,
    reference_options,
    snapshot,
)
from engine_fixtures import build_small_net


def _max_dv_vs_pandapower(net, model=None, **options):
    model = model or from_pandapower(net, **options)
    snap = snapshot(model)
    ref = copy.deepcopy(net)
    pp.runpp(ref, **reference_options(model))
    vm = np.array([np.nan if snap.vm_pu[i] is None else snap.vm_pu[i] for i in ref.bus.index])
    vm_ref = ref.res_bus.vm_pu.to_numpy()
    assert (np.isnan(vm) == np.isnan(vm_ref)).all()
    dl = [abs(snap.line_loading_percent[i] - ref.res_line.loading_percent[i]) for i in ref.line.index]
    dl += [abs(snap.trafo_loading_percent[i] - ref.res_trafo.loading_percent[i]) for i in ref.trafo.index]
    return np.nanmax(np.abs(vm - vm_ref)), max(dl)


def test_model_keeps_pandapower_identity(mv_net, mv_model):
    m = mv_model
    assert len(m.buses) == len(mv_net.bus)
    assert list(m.buses.pp_index) == list(mv_net.bus.index)
    assert list(m.buses.name) == list(mv_net.bus.name)
    lines = m.line_positions
    assert list(m.branches.pp_index[lines]) == list(mv_net.line.index)
    assert list(m.branches.name[m.trafo_positions]) == list(mv_net.trafo.name)
    assert list(m.loads.pp_index) == list(mv_net.load.index)
    assert list(m.storages.pp_index) == list(mv_net.storage.index)
    assert len(m.sgens.of_type("Wind")) == 6
    assert m.branch_position("trafo", mv_net.trafo.index[1])[0] == m.trafo_positions[1]


def test_feeders_and_primary_from_topology(mv_net, mv_model):
    m = mv_model
    assert len(m.feeders) == 8
    lv_busbars = set(mv_net.trafo.lv_bus)
    seen = set()
    for f in m.feeders:
        assert f.head_bus in lv_busbars
        line = mv_net.line.loc[f.head_line]
        assert f.head_bus in (line.from_bus, line.to_bus)
        expected = np.sqrt(3) * 20.0 * line.max_i_ka * line.parallel * line.df
        assert f.capacity_mva == pytest.approx(expected)
        assert not seen & set(f.bus_indices), "radial feeders do not share buses"
        seen |= set(f.bus_indices)
    assert sorted(m.branches.pp_index[m.primary_trafos]) == sorted(mv_net.trafo.index)


def test_small_net_matches_pandapower_and_respects_switches(small_net, small_model):
    dv, dl = _max_dv_vs_pandapower(small_net, small_model)
    assert dv < 1e-6 and dl < 1e-4
    ring = small_model.branch_position("line", small_net.line.index[small_net.line.name == "ring"])[0]
    assert small_model.branches.from_closed[ring] and not small_model.branches.to_closed[ring]
    # the closed bus-bus coupler fuses the two busbar sections into one node
    assert small_model.buses.node[1] == small_model.buses.node[2]
    names = [f.name for f in small_model.feeders]
    assert names == ["A head", "B head"]


@pytest.mark.parametrize("change", ["close_ring", "open_trafo_lv", "line_out", "bus_out", "open_coupler"])
def test_topology_changes_match_pandapower(change):
    net = build_small_net()
    if change == "close_ring":
        net.switch.loc[net.switch.et == "l", "closed"] = True
    elif change == "open_trafo_lv":
        # open trafo switch on the LV side: trafo energised from HV only, MV side unsupplied
        pp.create_switch(net, 1, 0, et="t", closed=False)
        pp.create_ext_grid(net, 4, vm_pu=1.0)  # keep the MV side supplied from a second source
    elif change == "line_out":
        net.line.loc[net.line.name == "A mid", "in_service"] = False
    elif change == "bus_out":
        net.bus.loc[7, "in_service"] = False
    elif change == "open_coupler":
        net.switch.loc[net.switch.et == "b", "closed"] = False
    dv, dl = _max_dv_vs_pandapower(net)
    assert dv < 1e-6
    assert dl < 1e-4


def test_taps_shift_and_pi_model_match_pandapower():
    net = build_small_net()
    net.trafo.loc[0, ["tap_changer_type", "tap_pos", "tap_neutral", "tap_step_percent", "tap_side"]] = \
        ["Ratio", 3, 0, 1.5, "hv"]
    net.trafo.loc[0, "shift_degree"] = 150.0
    net.bus.loc[1:, "vn_kv"] = 20.5  # off-nominal busbar voltages
    dv, dl = _max_dv_vs_pandapower(net)
    assert dv < 1e-6 and dl < 1e-4
    net.trafo.loc[0, "tap_side"] = "lv"
    assert max(_max_dv_vs_pandapower(net, trafo_model="pi")) < 1e-4
    # pandapower ignores tap_pos without a tap_changer_type; so does the engine
    net.trafo.loc[0, "tap_changer_type"] = None
    assert _max_dv_vs_pandapower(net)[0] < 1e-6


def test_empty_and_sourceless_networks_raise():
    empty = pp.create_empty_network()
    with pytest.raises(EmptyNetworkError, match="no buses"):
        from_pandapower(empty)
    net = build_small_net()
    net.ext_grid["in_service"] = False
    with pytest.raises(EmptyNetworkError, match="ext_grid"):
        from_pandapower(net)


def test_unsupported_elements_raise():
    net = build_small_net()
    pp.create_gen(net, 3, p_mw=1.0, vm_pu=1.0)
    with pytest.raises(UnsupportedElementError, match="gen"):
        from_pandapower(net)
    net = build_small_net()
    net.load.loc[0, "const_z_p_percent"] = 50.0
    with pytest.raises(UnsupportedElementError, match="ZIP"):
        from_pandapower(net)


def test_disconnected_island_nan_or_error():
    net = build_small_net()
    net.line.loc[net.line.name == "B head", "in_service"] = False  # B1, B2 lose supply
    with pytest.raises(IslandedNetworkError, match="no path"):
        from_pandapower(net, allow_islands=False)
    model = from_pandapower(net)
    assert sorted(model.unsupplied_buses) == [6, 7]
    snap = snapshot(model)
    assert snap.converged
    assert snap.vm_pu[6] is None and snap.vm_pu[7] is None
    assert snap.vm_pu[3] is not None
    assert _max_dv_vs_pandapower(net)[0] < 1e-6


def test_branch_kinds(mv_model):
    kinds = mv_model.branches.kind
    assert set(np.unique(kinds)) == {BRANCH_LINE, BRANCH_TRAFO}
