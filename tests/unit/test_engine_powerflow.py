"""Batch power flow: correctness against pandapower, statuses, input errors, exchanges."""

from __future__ import annotations

import numpy as np
import pytest

from apps.grid.engine import (
    InputShapeError,
    Injections,
    InvalidInputError,
    StepStatus,
    cross_check,
    from_pandapower,
    run_time_series,
    snapshot,
)
from engine_fixtures import constant_injections


def test_snapshot_matches_pandapower_runpp(mv_net, mv_model):
    import copy

    import pandapower as pp

    snap = snapshot(mv_model)
    assert snap.converged and snap.status == StepStatus.CONVERGED
    ref = copy.deepcopy(mv_net)
    pp.runpp(ref)  # pandapower defaults: the reference semantics
    for idx in ref.bus.index:
        assert snap.vm_pu[idx] == pytest.approx(ref.res_bus.vm_pu[idx], abs=1e-6)
    for idx in ref.line.index:
        assert snap.line_loading_percent[idx] == pytest.approx(ref.res_line.loading_percent[idx], abs=1e-4)
    for idx in ref.trafo.index:
        assert snap.trafo_loading_percent[idx] == pytest.approx(ref.res_trafo.loading_percent[idx], abs=1e-4)
    assert snap.primary_p_mw == pytest.approx(ref.res_trafo.p_hv_mw.sum(), abs=1e-5)


def test_snapshot_accepts_a_pandapower_net(small_net):
    snap = snapshot(small_net)
    assert snap.converged and set(snap.vm_pu) == set(small_net.bus.index)


def test_time_series_cross_check_mv(mv_model, mv_net, mv_injections):
    report = cross_check(mv_model, mv_net, mv_injections, n_samples=8, seed=3)
    assert report.max_dv_pu <= 1e-4
    assert report.max_dloading_pct <= 0.1
    assert report.nan_mismatches == 0 and not report.reference_failures


def test_time_series_cross_check_mvlv(mvlv_net):
    # set-points scaled per step (the SimBench profiles of this net take long to compute;
    # the bench cross-checks 50 profile steps)
    model = from_pandapower(mvlv_net)
    rng = np.random.default_rng(7)
    n = 3
    load_f = rng.uniform(0.2, 1.2, (n, 1))
    sgen_f = rng.uniform(0.0, 1.0, (n, 1))
    injections = constant_injections(
        model, n, load_p_mw=model.loads.p_mw * load_f, load_q_mvar=model.loads.q_mvar * load_f,
        sgen_p_mw=model.sgens.p_mw * sgen_f, storage_p_mw=model.storages.p_mw * rng.uniform(-1, 1, (n, 1)))
    report = cross_check(model, mvlv_net, injections, steps=np.arange(n))
    assert report.max_dv_pu <= 1e-4
    assert report.max_dloading_pct <= 0.1


def test_methods_agree(mv_model, mv_injections):
    inj = mv_injections.slice(0, 12)
    nr = run_time_series(mv_model, inj, method="newton_raphson")
    ic = run_time_series(mv_model, inj, method="iterative_current")
    assert np.nanmax(np.abs(nr.vm_pu - ic.vm_pu)) < 1e-7


def test_result_shapes_and_frames(mv_model, mv_result, mv_net):
    r = mv_result
    assert r.vm_pu.shape == (192, len(mv_net.bus))
    assert r.line_loading_percent.shape == (192, len(mv_net.line))
    assert r.trafo_loading_percent.shape == (192, len(mv_net.trafo))
    assert r.converged.all()
    frame = r.frame("line_loading_percent")
    assert list(frame.columns) == list(mv_net.line.index)
    assert frame.index[0] == r.timestamps[0]
    # the feeder head flow is the head line's flow at the busbar end
    f = mv_model.feeders[0]
    p = r.p_from_mw[:, f.head_branch] if f.head_at_from else r.p_to_mw[:, f.head_branch]
    np.testing.assert_allclose(r.feeder_p_mw[:, 0], p)
    # primary exchange equals the ext_grid supply here (single source above the trafos)
    np.testing.assert_allclose(r.primary_p_mw, r.source_p_mw[:, 0], atol=1e-4)


def test_reverse_flow_is_negative(small_model):
    n = 3
    sgen = np.tile(small_model.sgens.p_mw, (n, 1))
    sgen[1] *= 10.0  # strong DER output: feeders and substation export
    r = run_time_series(small_model, constant_injections(small_model, n, sgen_p_mw=sgen))
    assert (r.feeder_p_mw[0] > 0).all()
    assert (r.feeder_p_mw[1] < 0).all()
    assert r.primary_p_mw[1] < 0 < r.primary_p_mw[0]


def test_storage_is_modelled(small_net, small_model):
    import copy

    import pandapower as pp

    n = 2
    storage = np.array([[0.0], [3.0]])  # idle, then charging 3 MW
    r = run_time_series(small_model, constant_injections(small_model, n, storage_p_mw=storage))
    assert r.vm_pu[1, 4] < r.vm_pu[0, 4]
    ref = copy.deepcopy(small_net)
    ref.storage.loc[:, "p_mw"] = 3.0
    pp.runpp(ref)
    np.testing.assert_allclose(r.vm_pu[1], ref.res_bus.vm_pu.to_numpy(), atol=1e-7)


def test_non_convergence_is_a_step_status(small_model):
    n = 4
    loads = np.tile(small_model.loads.p_mw, (n, 1))
    loads[2] *= 400.0  # voltage collapse: no solution exists
    r = run_time_series(small_model, constant_injections(small_model, n, load_p_mw=loads))
    assert list(r.status) == [0, 0, StepStatus.NOT_CONVERGED, 0]
    assert np.isnan(r.vm_pu[2]).all() and np.isnan(r.loading_percent[2]).all()
    assert np.isnan(r.feeder_p_mw[2]).all() and np.isnan(r.primary_p_mw[2])
    assert np.isfinite(r.vm_pu[[0, 1, 3]]).all()
    assert 2 in r.messages


def test_non_convergence_in_snapshot(small_net):
    import copy

    net = copy.deepcopy(small_net)
    net.load["p_mw"] *= 400.0
    snap = snapshot(net)
    assert not snap.converged and snap.status == StepStatus.NOT_CONVERGED
    assert all(v is None for v in snap.vm_pu.values())
    assert snap.message


def test_mismatched_shapes_raise(small_model):
    n_load = len(small_model.loads)
    with pytest.raises(InputShapeError, match="load_p_mw has shape"):
        run_time_series(small_model, Injections(load_p_mw=np.zeros((3, n_load + 1))))
    with pytest.raises(InputShapeError, match="disagree"):
        run_time_series(small_model, Injections(load_p_mw=np.zeros((3, n_load)),
                                                sgen_p_mw=np.zeros((4, len(small_model.sgens)))))
    with pytest.raises(InputShapeError):
        run_time_series(small_model, Injections())


def test_nan_inputs_raise(small_model):
    loads = np.tile(small_model.loads.p_mw, (3, 1))
    loads[1, 2] = np.nan
    with pytest.raises(InvalidInputError, match="step 1"):
        run_time_series(small_model, constant_injections(small_model, 3, load_p_mw=loads))


def test_constant_setpoints_equal_snapshot(small_model):
    r = run_time_series(small_model, Injections(n_steps=3))
    snap = snapshot(small_model)
    np.testing.assert_allclose(r.vm_pu[2], [snap.vm_pu[i] for i in small_model.buses.pp_index])


def test_chunking_gives_same_results(mv_model, mv_injections):
    inj = mv_injections.slice(0, 20)
    whole = run_time_series(mv_model, inj)
    chunked = run_time_series(mv_model, inj, chunk_steps=7, keep_flows=False)
    np.testing.assert_allclose(whole.vm_pu, chunked.vm_pu)
    np.testing.assert_allclose(whole.loading_percent, chunked.loading_percent)
    assert chunked.p_from_mw is None
