"""Constraint episodes: thermal, voltage, export / import, with relief."""

from __future__ import annotations

import numpy as np
import pytest

from apps.grid.engine import ConstraintLimits, detect_constraints, run_time_series, voltage_bands
from apps.grid.engine.constraints import _runs
from engine_fixtures import constant_injections


def test_runs_finds_consecutive_steps():
    mask = np.array([[0, 1], [1, 1], [1, 0], [0, 0], [1, 1]], dtype=bool)
    cols, starts, ends = _runs(mask)
    assert list(zip(cols, starts, ends)) == [(0, 1, 2), (0, 4, 4), (1, 0, 1), (1, 4, 4)]


@pytest.fixture(scope="module")
def stressed(small_model):
    """6 steps: normal, heavy load (thermal + undervoltage) at steps 1-2, big DER export at 4."""
    n = 6
    loads = np.tile(small_model.loads.p_mw, (n, 1))
    loads[1:3] *= 5.0
    sgens = np.tile(small_model.sgens.p_mw, (n, 1))
    sgens[4] *= 6.0
    ts = np.datetime64("2024-06-01T00:00") + np.arange(n) * np.timedelta64(15, "m")
    inj = constant_injections(small_model, n, load_p_mw=loads, sgen_p_mw=sgens)
    inj.timestamps = ts
    return run_time_series(small_model, inj)


def test_thermal_episode_with_relief(small_model, stressed):
    limits = ConstraintLimits(thermal_limit_percent=100.0, include_prealarms=False)
    episodes = detect_constraints(stressed, limits)
    thermal = [e for e in episodes if e.kind == "thermal"]
    assert thermal, "heavy load overloads a feeder head"
    head = [e for e in thermal if e.pp_index == 0 and e.element == "line"]
    assert len(head) == 1
    ep = head[0]
    loading = stressed.loading_percent[:, 0]
    over = np.flatnonzero(loading > 100.0)
    assert (ep.start, ep.end) == (over[0], over[-1])
    assert ep.peak_value == pytest.approx(loading[over].max())
    assert ep.peak_time == stressed.timestamps[ep.peak_step]
    assert len(ep.relief_mw) == ep.duration_steps
    # MW-over-limit approximation: the excess apparent power times the power factor
    rating = small_model.branches.rating_mva[0]
    s = ep.start
    # power factor at the end that sets the loading (the larger current)
    to_end = stressed.i_to_ka[s, 0] > stressed.i_from_ka[s, 0]
    p = (stressed.p_to_mw if to_end else stressed.p_from_mw)[s, 0]
    q = (stressed.q_to_mvar if to_end else stressed.q_from_mvar)[s, 0]
    excess = (loading[s] - 100.0) / 100.0 * rating
    assert ep.relief_mw[0] == pytest.approx(excess * abs(p) / np.hypot(p, q), rel=1e-6)
    assert (ep.relief_mw > 0).all() and (ep.relief_mvar >= 0).all()


def test_prealarm_precedes_violation(stressed):
    episodes = detect_constraints(stressed, ConstraintLimits(thermal_prealarm_percent=80.0))
    head = [e for e in episodes if e.kind == "thermal" and e.pp_index == 0 and e.element == "line"]
    levels = {e.level for e in head}
    assert levels == {"violation", "prealarm"}
    pre = next(e for e in head if e.level == "prealarm")
    vio = next(e for e in head if e.level == "violation")
    assert pre.start <= vio.start and pre.end >= vio.end


def test_voltage_band_per_level_and_relief(small_model, stressed):
    limits = ConstraintLimits(voltage_band_pu=(0.99, 1.03), voltage_bands_by_kv={110.0: (0.9, 1.1)},
                              include_prealarms=False)
    vmin, vmax = voltage_bands(small_model, limits)
    assert vmax[0] == 1.1 and vmax[1] == 1.03
    episodes = detect_constraints(stressed, limits)
    under = [e for e in episodes if e.kind == "undervoltage"]
    assert under and all(e.start >= 1 and e.end <= 2 for e in under)
    over = [e for e in episodes if e.kind == "overvoltage"]
    assert over and all(e.start == 4 for e in over)
    ep = max(over, key=lambda e: e.peak_value)
    assert ep.peak_value > 1.03
    # relief in MW at the bus: excess voltage / own dV/dP -> brings the bus back to the limit
    assert ep.relief_mw[0] > 0 and np.isfinite(ep.relief_mvar[0])
    d = ep.as_dict()
    assert d["element"] == "bus" and isinstance(d["relief_mw"][0], float)


def test_export_limits_at_feeders_and_primary(small_model, stressed):
    limits = ConstraintLimits(feeder_export_limit_mw=1.0, primary_export_limit_mw=0.5,
                              feeder_import_limit_mw={0: 100.0, 3: 100.0}, include_prealarms=False)
    episodes = detect_constraints(stressed, limits)
    export = [e for e in episodes if e.kind == "export"]
    feeders = {e.pp_index for e in export if e.element == "feeder"}
    assert feeders == {0, 3}
    primary = [e for e in export if e.element == "primary"]
    assert len(primary) == 1 and primary[0].start == primary[0].end == 4
    assert primary[0].relief_mw[0] == pytest.approx(-stressed.primary_p_mw[4] - 0.5)
    assert not [e for e in episodes if e.kind == "import"]


def test_failed_steps_never_count(small_model):
    n = 3
    loads = np.tile(small_model.loads.p_mw, (n, 1))
    loads[1] *= 400.0
    r = run_time_series(small_model, constant_injections(small_model, n, load_p_mw=loads))
    assert r.status[1] != 0
    episodes = detect_constraints(r)
    assert all(not (e.start <= 1 <= e.end) for e in episodes)


def test_year_scale_detection_on_mv(mv_result):
    episodes = detect_constraints(mv_result)
    assert any(e.kind == "overvoltage" and e.level == "violation" for e in episodes)
    starts = [e.start for e in episodes]
    assert starts == sorted(starts)
