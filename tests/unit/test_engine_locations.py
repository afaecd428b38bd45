"""UK-style limits in the engine: a time-over-limit (cyclic) allowance, firm primary capacity,
and constraint locations (one per feeder, not one per bus), with their direction."""

from __future__ import annotations

import numpy as np
import pytest

from apps.grid.engine import ConstraintLimits, detect_constraints, run_time_series
from apps.grid.engine.locations import EXPORT, IMPORT, LocationMap, group_by_location
from engine_fixtures import constant_injections


def _loading_result(small_model, percent_by_step):
    """A result whose 'A head' line loading follows ``percent_by_step`` (other values from a solve)."""
    n = len(percent_by_step)
    result = run_time_series(small_model, constant_injections(small_model, n))
    pos = int(small_model.branch_position("line", 0)[0])
    result.loading_percent = result.loading_percent.copy()
    result.loading_percent[:, :] = 10.0
    result.loading_percent[:, pos] = percent_by_step
    return result, pos


def thermal(episodes, level):
    return [(e.start, e.end) for e in episodes if e.kind == "thermal" and e.level == level and e.pp_index == 0]


def test_a_short_excursion_within_the_cyclic_allowance_is_a_prealarm(small_model):
    # continuous 100 %, cyclic 120 %, 2 steps (30 min) allowed between them
    limits = ConstraintLimits(thermal_limit_percent=100.0, thermal_cyclic_percent=120.0, thermal_allowance_steps=2,
                              thermal_prealarm_fraction=0.9)
    result, _ = _loading_result(small_model, [80, 110, 115, 80, 80])
    episodes = detect_constraints(result, limits, voltage_relief=False)
    assert thermal(episodes, "violation") == []
    assert thermal(episodes, "prealarm") == [(1, 2)]


def test_a_long_excursion_becomes_a_violation_when_the_allowance_runs_out(small_model):
    limits = ConstraintLimits(thermal_limit_percent=100.0, thermal_cyclic_percent=120.0, thermal_allowance_steps=2,
                              thermal_prealarm_fraction=0.9)
    result, pos = _loading_result(small_model, [80, 110, 110, 110, 110, 80])
    episodes = detect_constraints(result, limits, voltage_relief=False)
    assert thermal(episodes, "violation") == [(3, 4)]  # the third and fourth step over the continuous rating
    violation = next(e for e in episodes if e.kind == "thermal" and e.level == "violation" and e.pp_index == 0)
    assert violation.limit == 100.0
    # relief brings it back to its continuous rating: 10 % of the rating, times the power factor share
    rating = small_model.branches.rating_mva[pos]
    assert all(0 < r <= 0.10 * rating + 1e-9 for r in violation.relief_mw)


def test_above_the_cyclic_rating_is_a_violation_at_once(small_model):
    limits = ConstraintLimits(thermal_limit_percent=100.0, thermal_cyclic_percent=120.0, thermal_allowance_steps=8)
    result, _ = _loading_result(small_model, [80, 125, 80])
    assert thermal(detect_constraints(result, limits, voltage_relief=False), "violation") == [(1, 1)]


def test_seasonal_limits_may_change_step_by_step(small_model):
    # a (T, n_branch) continuous limit: 100 % in the first two steps, 110 % after (a colder season)
    continuous = np.full((4, len(small_model.branches)), 100.0)
    continuous[2:] = 110.0
    result, _ = _loading_result(small_model, [105, 105, 105, 105])
    episodes = detect_constraints(result, ConstraintLimits(thermal_limit_percent=continuous), voltage_relief=False)
    assert thermal(episodes, "violation") == [(0, 1)]


def test_the_primary_export_limit_defaults_to_firm_capacity(small_model):
    # one 25 MVA unit: its firm capacity is its own rating (no N-1 spare); with two it would be one
    sgens = np.tile(small_model.sgens.p_mw, (2, 1))
    sgens[1] = [19.0, 14.0]  # 33 MW of generation, 5 MW of load and storage, losses: ~26.5 MW exported
    result = run_time_series(small_model, constant_injections(small_model, 2, sgen_p_mw=sgens))
    episodes = detect_constraints(result, ConstraintLimits(include_prealarms=False), voltage_relief=False)
    export = [e for e in episodes if e.element == "primary" and e.kind == "export"]
    assert len(export) == 1 and export[0].limit == pytest.approx(25.0)
    assert export[0].start == export[0].end == 1 and export[0].peak_value > 25.0


def test_over_voltage_on_several_buses_of_one_feeder_is_one_location(small_model):
    # big export on feeder A: A1, A2, A3 all above a tight band; feeder B stays inside
    sgens = np.tile(small_model.sgens.p_mw, (3, 1))
    sgens[1:, 0] = 12.0  # PV at A3
    result = run_time_series(small_model, constant_injections(small_model, 3, sgen_p_mw=sgens))
    vm = result.vm_pu[1]
    a_buses = small_model.bus_position([3, 4, 5])
    band_top = float(np.min(vm[a_buses])) - 0.001  # every A bus above it, B buses below
    assert np.all(vm[small_model.bus_position([6, 7])] < band_top)
    limits = ConstraintLimits(voltage_band_pu=(0.9, band_top), include_prealarms=False, thermal_limit_percent=1e9)
    episodes = [e for e in detect_constraints(result, limits) if e.kind == "overvoltage"]
    assert len({e.pp_index for e in episodes}) == 3  # three buses over the limit …
    located = group_by_location(episodes, result)
    assert len(located) == 1  # … one constraint location
    loc = located[0]
    assert (loc.location, loc.location_index, loc.kind, loc.direction) == ("feeder", 0, "overvoltage", EXPORT)
    assert loc.key == "feeder:0:overvoltage" and loc.voltage_level == "mv"
    assert loc.worst.pp_index == 5 and loc.peak_value == pytest.approx(vm[small_model.bus_position([5])[0]])
    assert [m["pp_index"] for m in loc.members] == [5, 4, 3]  # worst first, every bus listed
    assert (loc.start, loc.end) == (1, 2)


def test_thermal_direction_follows_the_flow_towards_the_source(small_model):
    loads = np.tile(small_model.loads.p_mw, (2, 1))
    sgens = np.tile(small_model.sgens.p_mw, (2, 1))
    loads[0] *= 4.0        # step 0: heavy demand, power flows out to the feeders
    sgens[1, 0] = 15.0     # step 1: big PV on feeder A, power flows back to the busbar
    result = run_time_series(small_model, constant_injections(small_model, 2, load_p_mw=loads, sgen_p_mw=sgens))
    locations = LocationMap(small_model)
    head = int(small_model.branch_position("line", 0)[0])
    assert locations.thermal_direction(head, result, 0) == IMPORT
    assert locations.thermal_direction(head, result, 1) == EXPORT
    trafo = int(small_model.branch_position("trafo", 0)[0])
    assert locations.thermal_direction(trafo, result, 1) == EXPORT


def test_a_short_lull_does_not_split_a_constraint(small_model):
    limits = ConstraintLimits(thermal_limit_percent=100.0, include_prealarms=False)
    result, _ = _loading_result(small_model, [110, 80, 110, 80, 80, 80, 110])
    episodes = detect_constraints(result, limits, voltage_relief=False)
    windows = [(e.start, e.end) for e in group_by_location(episodes, result, join_gap_steps=1)]
    assert windows == [(0, 2), (6, 6)]
