"""pandapower as the reference: same inputs through ``runpp`` and a cross-check helper."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .model import NetworkModel
from .powerflow import Injections, dense_injections, run_time_series

# runpp options written out, so a change of pandapower defaults cannot move the reference
RUNPP_OPTIONS = dict(algorithm="nr", calculate_voltage_angles=True, init="auto", trafo_model="t",
                     trafo_loading="current", tolerance_mva=1e-8, max_iteration="auto",
                     voltage_depend_loads=True, check_connectivity=True, numba=False)


def reference_options(model: NetworkModel) -> dict:
    """``pandapower.runpp`` keyword arguments matching the model's conversion options."""
    options = dict(RUNPP_OPTIONS)
    options["trafo_model"] = model.trafo_model
    return options


def add_tap_controllers(net, model: NetworkModel) -> list[int]:
    """Give the net one pandapower ``DiscreteTapControl`` per OLTC of the model (the reference for
    the engine's tap regulation), replacing any it had. Returns the regulated trafo indices."""
    from pandapower.control import DiscreteTapControl

    taps = model.taps
    if "controller" in net and len(net.controller):
        keep = [i for i, obj in net.controller["object"].items() if not isinstance(obj, DiscreteTapControl)]
        net.controller = net.controller.loc[keep]
    indices = []
    for row in taps.reg:
        idx = int(model.branches.pp_index[taps.branch[row]])
        side = "lv" if taps.controlled_bus[row] == model.branches.to_bus[taps.branch[row]] else "hv"
        DiscreteTapControl(net, idx, vm_lower_pu=float(taps.vm_lower_pu[row]),
                           vm_upper_pu=float(taps.vm_upper_pu[row]), side=side)
        indices.append(idx)
    return indices


def reset_taps(net, model: NetworkModel) -> None:
    """Put the regulated transformers back on the tap each engine step starts from."""
    taps = model.taps
    if len(taps.reg):
        idx = model.branches.pp_index[taps.branch[taps.reg]]
        net.trafo.loc[idx, "tap_pos"] = taps.pos[taps.reg]


def set_injections(net, model: NetworkModel, injections: Injections, step: int) -> None:
    """Write one step of injections into the net's tables (``scaling`` set to 1).

    Parameters:
        net: pandapower net the model was built from (modified in place).
        model: the network model.
        injections: the time series.
        step: step to write.
    """
    dense = dense_injections(model, injections)
    for element, table, p, q in (("load", model.loads, dense.load_p, dense.load_q),
                                 ("sgen", model.sgens, dense.sgen_p, dense.sgen_q),
                                 ("storage", model.storages, dense.storage_p, dense.storage_q)):
        if len(table) == 0:
            continue
        frame = net[element]
        frame.loc[table.pp_index, "p_mw"] = p[step]
        frame.loc[table.pp_index, "q_mvar"] = q[step]
        frame.loc[table.pp_index, "scaling"] = 1.0


@dataclass(eq=False)
class CrossCheckReport:
    """Engine vs pandapower on sampled steps.

    Attributes:
        steps: steps compared.
        max_dv_pu: max |vm_engine - vm_pandapower| over buses and steps.
        max_dloading_pct: max |loading difference| over lines, trafos and steps (percentage points).
        worst_bus: pandapower index of the bus with max_dv_pu.
        worst_branch: ``(kind, pandapower index)`` of the branch with max_dloading_pct.
        nan_mismatches: buses that are NaN in one result only (should be 0).
        reference_failures: steps where pandapower did not converge (left out of the maxima).
        tap_mismatches: (step, transformer) pairs where the OLTCs settled on different taps.
        taps_moved: steps where some OLTC left its starting tap (engine).
    """

    steps: np.ndarray
    max_dv_pu: float
    max_dloading_pct: float
    worst_bus: int
    worst_branch: tuple
    nan_mismatches: int
    reference_failures: list
    tap_mismatches: int = 0
    taps_moved: int = 0


def cross_check(model: NetworkModel, net, injections: Injections, *, n_samples: int = 50,
                steps: np.ndarray | None = None, seed: int = 0) -> CrossCheckReport:
    """Run sampled steps through the engine and through ``pandapower.runpp`` and compare.

    Parameters:
        model: model built from ``net``.
        net: the pandapower net (a deep copy is modified, not the net itself).
        injections: time series.
        n_samples: number of steps drawn at random (without replacement) when ``steps`` is None.
        steps: explicit steps to compare.
        seed: random seed of the sample.

    Returns:
        :class:`CrossCheckReport`. With OLTCs in the model, pandapower runs with one
        ``DiscreteTapControl`` per OLTC (``run_control=True``), each step starting from the same
        taps as the engine.
    """
    import pandapower as pp

    n_total = injections.steps()
    if steps is None:
        rng = np.random.default_rng(seed)
        steps = np.sort(rng.choice(n_total, size=min(n_samples, n_total), replace=False))
    steps = np.asarray(steps, dtype=np.int64)
    dense = dense_injections(model, injections)
    sampled = Injections(load_p_mw=dense.load_p[steps], load_q_mvar=dense.load_q[steps],
                         sgen_p_mw=dense.sgen_p[steps], sgen_q_mvar=dense.sgen_q[steps],
                         storage_p_mw=dense.storage_p[steps], storage_q_mvar=dense.storage_q[steps])
    engine = run_time_series(model, sampled)

    ref_net = copy.deepcopy(net)
    options = reference_options(model)
    regulated = add_tap_controllers(ref_net, model)
    if regulated:
        options["run_control"] = True
    reg_cols = model.taps.reg
    tap_mismatch = 0
    b = model.branches
    lines, trafos = model.line_positions, model.trafo_positions
    max_dv, max_dl, worst_bus, worst_branch, nan_mismatch = 0.0, 0.0, -1, ("", -1), 0
    failures = []
    for row, step in enumerate(steps):
        set_injections(ref_net, model, sampled, row)
        reset_taps(ref_net, model)
        try:
            pp.runpp(ref_net, **options)
        except pp.LoadflowNotConverged:
            failures.append(int(step))
            continue
        if regulated:
            ref_taps = ref_net.trafo.loc[regulated, "tap_pos"].to_numpy(dtype=float)
            tap_mismatch += int((ref_taps != engine.tap_pos[row, reg_cols]).sum())
        vm_ref = ref_net.res_bus.loc[model.buses.pp_index, "vm_pu"].to_numpy(dtype=float)
        vm = engine.vm_pu[row]
        nan_mismatch += int((np.isnan(vm) != np.isnan(vm_ref)).sum())
        dv = np.abs(vm - vm_ref)
        if np.isfinite(dv).any() and np.nanmax(dv) > max_dv:
            max_dv = float(np.nanmax(dv))
            worst_bus = int(model.buses.pp_index[np.nanargmax(dv)])
        ld_ref = np.empty(len(b))
        ld_ref[lines] = ref_net.res_line.loc[b.pp_index[lines], "loading_percent"].to_numpy(dtype=float)
        ld_ref[trafos] = ref_net.res_trafo.loc[b.pp_index[trafos], "loading_percent"].to_numpy(dtype=float)
        dl = np.abs(engine.loading_percent[row] - ld_ref)
        if np.isfinite(dl).any() and np.nanmax(dl) > max_dl:
            max_dl = float(np.nanmax(dl))
            worst = int(np.nanargmax(dl))
            worst_branch = ("line" if worst in set(lines.tolist()) else "trafo", int(b.pp_index[worst]))
    return CrossCheckReport(steps=steps, max_dv_pu=max_dv, max_dloading_pct=max_dl,
                            worst_bus=worst_bus, worst_branch=worst_branch,
                            nan_mismatches=nan_mismatch, reference_failures=failures,
                            tap_mismatches=tap_mismatch,
                            taps_moved=int((engine.tap_pos[:, reg_cols] != model.taps.pos[reg_cols]).any(axis=1).sum()))


def pandapower_time_series(net, model: NetworkModel, injections: Injections, *,
                           steps: int | None = None) -> dict:
    """Run ``pandapower.timeseries.run_timeseries`` on the same inputs (the speed reference).

    Parameters:
        net: the pandapower net (a deep copy is used).
        model: model built from ``net``.
        injections: time series.
        steps: run only the first ``steps`` steps (default: all).

    Returns:
        Dict with ``vm_pu`` (T, n_bus), ``line_loading_percent`` (T, n_line) and
        ``trafo_loading_percent`` (T, n_trafo) as numpy arrays, in model order.
    """
    import pandas as pd
    from pandapower.control import ConstControl
    from pandapower.timeseries import DFData, OutputWriter, run_timeseries

    dense = dense_injections(model, injections)
    n = dense.n_steps if steps is None else min(steps, dense.n_steps)
    ts_net = copy.deepcopy(net)
    for element, table, p, q in (("load", model.loads, dense.load_p, dense.load_q),
                                 ("sgen", model.sgens, dense.sgen_p, dense.sgen_q),
                                 ("storage", model.storages, dense.storage_p, dense.storage_q)):
        if len(table) == 0:
            continue
        ts_net[element].loc[table.pp_index, "scaling"] = 1.0
        for variable, values in (("p_mw", p), ("q_mvar", q)):
            frame = pd.DataFrame(values[:n], columns=table.pp_index)
            ConstControl(ts_net, element=element, variable=variable, element_index=table.pp_index,
                         data_source=DFData(frame), profile_name=table.pp_index)
    regulated = add_tap_controllers(ts_net, model)
    if regulated:
        # every step starts from the same taps, as in the engine (whose steps are independent)
        start = pd.DataFrame(np.tile(model.taps.pos[model.taps.reg], (n, 1)), columns=regulated)
        ConstControl(ts_net, element="trafo", variable="tap_pos", element_index=regulated,
                     data_source=DFData(start), profile_name=regulated)
    writer = OutputWriter(ts_net, time_steps=range(n), output_path=None)
    writer.log_variable("res_bus", "vm_pu")
    writer.log_variable("res_line", "loading_percent")
    writer.log_variable("res_trafo", "loading_percent")
    run_timeseries(ts_net, time_steps=range(n), verbose=False, **reference_options(model))
    return {
        "vm_pu": writer.output["res_bus.vm_pu"].to_numpy(),
        "line_loading_percent": writer.output["res_line.loading_percent"].to_numpy(),
        "trafo_loading_percent": writer.output["res_trafo.loading_percent"].to_numpy(),
    }
