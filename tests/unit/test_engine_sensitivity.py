"""Sensitivities against finite differences of the full power flow."""

from __future__ import annotations

import numpy as np
import pytest

from apps.grid.engine import (
    ConstraintLimits,
    InvalidInputError,
    dense_injections,
    detect_constraints,
    finite_difference_sensitivities,
    run_time_series,
    self_voltage_sensitivities,
    sensitivities,
)
from engine_fixtures import constant_injections


def _rel_err(analytic, numeric, floor):
    sig = np.abs(numeric) > floor
    return np.abs(analytic - numeric)[sig] / np.abs(numeric)[sig]


def test_sensitivities_match_finite_differences_for_constrained_elements(mv_model, mv_injections, mv_result):
    # the worst step of the two days and the elements in constraint there
    step = int(np.nanargmax(np.nanmax(mv_result.vm_pu, axis=1)))
    episodes = [e for e in detect_constraints(mv_result, ConstraintLimits(thermal_prealarm_percent=60.0))
                if e.start <= step <= e.end]
    buses = sorted({e.pp_index for e in episodes if e.element == "bus"})
    lines = sorted({e.pp_index for e in episodes if e.element == "line"})
    assert buses and lines
    branches = mv_model.branch_position("line", lines)
    assets = mv_model.buses.pp_index[mv_model.sgens.bus[mv_model.sgens.of_type("Wind")]]
    assets = np.concatenate([assets, mv_model.buses.pp_index[mv_model.storages.bus[:3]]])
    analytic = sensitivities(mv_model, mv_result, step, assets, buses=buses, branches=branches)
    numeric = finite_difference_sensitivities(mv_model, dense_injections(mv_model, mv_injections), step,
                                              assets, buses=buses, branches=branches)
    for name in ("dvm_dp", "dvm_dq", "dloading_dp", "dloading_dq", "dp_from_dp"):
        a, f = getattr(analytic, name), getattr(numeric, name)
        floor = 1e-3 * np.abs(f).max()
        assert _rel_err(a, f, floor).max() < 0.02, name
    # a wind farm's own-bus voltage rises with its output
    assert (analytic.dvm_dp[:6] > 0).any()


def test_self_voltage_sensitivity_equals_diagonal(small_model):
    r = run_time_series(small_model, constant_injections(small_model, 1))
    buses = small_model.buses.pp_index[3:6]
    full = sensitivities(small_model, r, 0, buses, buses=buses)
    dvdp, dvdq = self_voltage_sensitivities(small_model, r, 0, small_model.bus_position(buses))
    np.testing.assert_allclose(dvdp, np.diag(full.dvm_dp))
    np.testing.assert_allclose(dvdq, np.diag(full.dvm_dq))


def test_sensitivity_of_failed_step_raises(small_model):
    loads = np.tile(small_model.loads.p_mw, (1, 1)) * 400.0
    r = run_time_series(small_model, constant_injections(small_model, 1, load_p_mw=loads))
    with pytest.raises(InvalidInputError, match="did not converge"):
        sensitivities(small_model, r, 0, [3])


def test_p_only_sensitivities_equal_the_full_ones(small_model):
    r = run_time_series(small_model, constant_injections(small_model, 1))
    buses = small_model.buses.pp_index[3:6]
    full = sensitivities(small_model, r, 0, buses, buses=buses)
    p_only = sensitivities(small_model, r, 0, buses, buses=buses, with_q=False)
    for name in ("dvm_dp", "dloading_dp", "dp_from_dp"):
        np.testing.assert_allclose(getattr(p_only, name), getattr(full, name))
    assert np.isnan(p_only.dvm_dq).all() and np.isnan(p_only.dloading_dq).all()
