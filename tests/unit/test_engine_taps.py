"""Transformer taps: fixed positions act, OLTCs regulate their busbar like pandapower's
DiscreteTapControl (the reference)."""

from __future__ import annotations

import copy

import numpy as np
import pandapower as pp
import pytest

from apps.grid.engine import Injections, cross_check, from_pandapower, run_time_series, snapshot
from apps.grid.engine.taps import OLTC_BAND_PU, OLTC_VM_SET_PU, apply_tap_defaults, tap_defaults
from engine_fixtures import build_small_net


def _ideal_unit(tap_changer_type="Ratio", tap_pos=1.0):
    """20 kV source, an ideal 20/0.4 kV unit (no losses, no magnetising current), no load: the
    LV voltage is the source voltage over the tap ratio."""
    net = pp.create_empty_network(sn_mva=1.0)
    mv = pp.create_bus(net, 20.0)
    lv = pp.create_bus(net, 0.4)
    pp.create_ext_grid(net, mv, vm_pu=1.0)
    pp.create_transformer_from_parameters(
        net, mv, lv, sn_mva=0.4, vn_hv_kv=20.0, vn_lv_kv=0.4, vk_percent=6.0, vkr_percent=1.0,
        pfe_kw=0.0, i0_percent=0.0, tap_side="hv", tap_neutral=0, tap_min=-2, tap_max=2,
        tap_step_percent=2.5, tap_pos=tap_pos, tap_changer_type=tap_changer_type)
    return net, lv


def test_tap_plus_one_lowers_the_lv_voltage_by_the_step():
    net, lv = _ideal_unit()
    # HV winding at 20 kV x (1 + 0.025) for 0.4 kV: no-load LV voltage = 1 / 1.025 = 0.975610 pu
    result = snapshot(from_pandapower(net))
    assert result.vm_pu[lv] == pytest.approx(1 / 1.025, abs=1e-9)
    pp.runpp(net)
    assert net.res_bus.vm_pu[lv] == pytest.approx(1 / 1.025, abs=1e-9)
    net.trafo.loc[0, "tap_pos"] = -1.0  # -1: 1 / 0.975 = 1.025641 pu
    assert snapshot(from_pandapower(net)).vm_pu[lv] == pytest.approx(1 / 0.975, abs=1e-9)


def test_simbench_taps_act_only_once_the_changer_type_is_set():
    net, lv = _ideal_unit(tap_changer_type=None)
    assert snapshot(from_pandapower(net)).vm_pu[lv] == pytest.approx(1.0, abs=1e-9)  # pandapower 3 skips it
    defaults = tap_defaults(net)
    assert defaults.at[0, "tap_changer_type"] == "Ratio" and not defaults.at[0, "oltc_control"]  # a secondary: fixed tap
    apply_tap_defaults(net)
    assert snapshot(from_pandapower(net)).vm_pu[lv] == pytest.approx(1 / 1.025, abs=1e-9)


def _primary_with_pv(n_steps=96):
    """The small 110/20 kV net with an OLTC at the documented defaults and a day of PV: 20 MW
    of PV at midday on feeder A, demand peaking at five times its base in the evening."""
    net = build_small_net()
    net.trafo.loc[0, ["tap_changer_type", "tap_pos", "tap_neutral", "tap_min", "tap_max", "tap_step_percent",
                      "tap_side"]] = ["Ratio", 0, 0, -9, 9, 1.5, "hv"]
    apply_tap_defaults(net)
    net.ext_grid.loc[0, "vm_pu"] = 1.04
    model = from_pandapower(net)
    hours = np.arange(n_steps) / 4
    sun = np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None)
    demand = 1.0 + 4.0 * np.exp(-0.5 * ((hours - 18.5) / 1.5) ** 2)
    sgen_p = np.tile(model.sgens.p_mw, (n_steps, 1))
    sgen_p[:, model.sgens.of_type("PV")] = 20.0 * sun[:, None]
    return net, model, Injections(sgen_p_mw=sgen_p, load_p_mw=model.loads.p_mw[None, :] * demand[:, None],
                                  load_q_mvar=model.loads.q_mvar[None, :] * demand[:, None])


def test_defaults_put_an_oltc_on_the_primary_only():
    net, model, _ = _primary_with_pv()
    assert bool(net.trafo.at[0, "oltc_control"]) and net.trafo.at[0, "oltc_vm_set_pu"] == OLTC_VM_SET_PU
    assert list(model.taps.reg) == [0]
    assert model.taps.vm_lower_pu[0] == pytest.approx(OLTC_VM_SET_PU - OLTC_BAND_PU / 2)
    assert model.taps.vm_upper_pu[0] == pytest.approx(OLTC_VM_SET_PU + OLTC_BAND_PU / 2)


def test_oltc_holds_the_busbar_inside_its_band_over_a_day_of_pv():
    net, model, injections = _primary_with_pv()
    busbar = int(model.taps.controlled_bus[0])
    fixed = run_time_series(model, injections, regulate=False)
    held = run_time_series(model, injections)
    lower, upper = OLTC_VM_SET_PU - OLTC_BAND_PU / 2, OLTC_VM_SET_PU + OLTC_BAND_PU / 2
    # without control the busbar follows the 1.04 pu source less the transformer's drop: above
    # the band at night and at midday (PV export), inside it only at the evening peak
    assert (fixed.vm_pu[:, busbar] > upper).mean() > 0.5 and (fixed.tap_pos[:, 0] == 0).all()
    assert ((held.vm_pu[:, busbar] > lower) & (held.vm_pu[:, busbar] < upper)).all()
    taps = held.tap_pos[:, 0]
    # raising the HV tap lowers the MV busbar (1.5 % a step): +2 most of the day, fewer taps at
    # the evening peak, when the load's drop already pulls the busbar down
    assert taps.max() == 2 and taps[72:80].min() < 2 and set(np.unique(taps)) <= {0.0, 1.0, 2.0}


def test_engine_matches_pandapower_discrete_tap_control():
    net, model, injections = _primary_with_pv()
    report = cross_check(model, net, injections, steps=np.arange(0, 96, 8))
    assert report.tap_mismatches == 0 and report.taps_moved >= 10
    assert report.max_dv_pu < 1e-6 and report.max_dloading_pct < 1e-4 and not report.reference_failures
    # and a single pandapower runpp with the controller, by hand
    ref = copy.deepcopy(net)
    from pandapower.control import DiscreteTapControl

    DiscreteTapControl(ref, 0, vm_lower_pu=OLTC_VM_SET_PU - OLTC_BAND_PU / 2,
                       vm_upper_pu=OLTC_VM_SET_PU + OLTC_BAND_PU / 2)
    pp.runpp(ref, run_control=True)
    snap = snapshot(model)
    assert float(ref.trafo.at[0, "tap_pos"]) == snap.result.tap_pos[0, 0]
    assert max(abs(snap.vm_pu[i] - ref.res_bus.vm_pu[i]) for i in ref.bus.index) < 1e-6


def test_simbench_mv_with_taps_and_control_matches_pandapower(mv_net):
    from apps.grid.engine import injections_from_simbench

    net = copy.deepcopy(mv_net)
    apply_tap_defaults(net)
    model = from_pandapower(net)
    injections = injections_from_simbench(model, net, n_steps=96)
    report = cross_check(model, net, injections, steps=np.array([0, 40, 52, 80]))
    assert report.tap_mismatches == 0 and report.taps_moved >= 1
    assert report.max_dv_pu < 1e-4 and report.max_dloading_pct < 0.1


def test_a_lowered_target_moves_the_band_and_n1_cases_regulate_too():
    from apps.grid.engine import run_scenarios

    net, model, injections = _primary_with_pv()
    busbar = int(model.taps.controlled_bus[0])
    lowered = run_time_series(model, injections, target_shift_pu=np.full(96, -0.03))
    lower, upper = OLTC_VM_SET_PU - 0.03 - OLTC_BAND_PU / 2, OLTC_VM_SET_PU - 0.03 + OLTC_BAND_PU / 2
    assert ((lowered.vm_pu[:, busbar] > lower) & (lowered.vm_pu[:, busbar] < upper)).all()
    # 3 % lower is about two more 1.5 % taps (one to three: the taps stop where the band begins)
    more = lowered.tap_pos[:, 0] - run_time_series(model, injections).tap_pos[:, 0]
    assert more.min() >= 1 and more.max() <= 3 and np.median(more) == 2
    cases = run_scenarios(model, {"day": injections}, outages=model.line_positions[:2])
    vm = cases.vm_pu[0, :, :, busbar]
    ok = np.isfinite(vm)
    assert ((vm[ok] > OLTC_VM_SET_PU - OLTC_BAND_PU / 2) & (vm[ok] < OLTC_VM_SET_PU + OLTC_BAND_PU / 2)).all()
