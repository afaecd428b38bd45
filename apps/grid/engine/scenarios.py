"""Several injection scenarios (e.g. forecast quantiles) and N-1 branch outages in one call.

Each outage is applied to a copy of the power-grid-model (so its topology is built once), then
all scenarios x steps are solved as one batch on that copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from power_grid_model import ComponentType, DatasetType, initialize_array

from .errors import InputShapeError, InvalidInputError
from .model import NetworkModel
from .powerflow import (
    DEFAULT_MAX_ITERATIONS,
    DEFAULT_TOLERANCE_PU,
    DenseInjections,
    Injections,
    DEFAULT_THREADS,
    StepStatus,
    _pgm_model,
    dense_injections,
    injection_update,
    solve_batch,
)
from .taps import solve_regulated

BASE_CASE = -1


@dataclass(eq=False)
class ScenarioResult:
    """Results over scenarios x outages x steps.

    Attributes:
        model: the network model.
        scenario_names: names of the injection scenarios (axis 0).
        outages: branch positions taken out (axis 1); ``BASE_CASE`` (-1) = intact network.
        outage_labels: ``"base"`` or ``"line 12"`` / ``"trafo 3"`` per outage.
        status: (S, C, T) :class:`StepStatus` codes.
        vm_pu: (S, C, T, n_bus).
        loading_percent: (S, C, T, n_branch).
        feeder_p_mw: (S, C, T, n_feeder).
        primary_p_mw: (S, C, T).
        unsupplied_buses: (S, C, T) number of in-service buses left without supply.
    """

    model: NetworkModel
    scenario_names: list
    outages: np.ndarray
    outage_labels: list
    status: np.ndarray
    vm_pu: np.ndarray
    loading_percent: np.ndarray
    feeder_p_mw: np.ndarray
    primary_p_mw: np.ndarray
    unsupplied_buses: np.ndarray

    def worst(self) -> dict:
        """Per (scenario, outage): max loading, min / max voltage over steps and elements.

        Returns:
            Dict of (S, C) arrays: ``max_loading_percent``, ``min_vm_pu``, ``max_vm_pu``,
            ``max_unsupplied_buses``, ``failed_steps``.
        """
        with np.errstate(invalid="ignore"):
            return dict(
                max_loading_percent=np.nanmax(self.loading_percent, axis=(2, 3), initial=0.0),
                min_vm_pu=np.nanmin(self.vm_pu, axis=(2, 3), initial=np.inf),
                max_vm_pu=np.nanmax(self.vm_pu, axis=(2, 3), initial=0.0),
                max_unsupplied_buses=self.unsupplied_buses.max(axis=2),
                failed_steps=(self.status != StepStatus.CONVERGED).sum(axis=2),
            )


def line_outages(model: NetworkModel) -> np.ndarray:
    """Branch positions of every in-service line (the usual N-1 set)."""
    lines = model.line_positions
    return lines[model.branches.in_service[lines]]


def run_scenarios(model: NetworkModel, scenarios: dict, *, outages="lines", include_base: bool = True,
                  threading: int = DEFAULT_THREADS, tolerance_pu: float = DEFAULT_TOLERANCE_PU,
                  max_iterations: int = DEFAULT_MAX_ITERATIONS, method: str = "auto",
                  regulate: bool = True) -> ScenarioResult:
    """Solve every scenario under the intact network and under each single outage.

    Parameters:
        model: the network model.
        scenarios: name -> :class:`Injections`; all with the same number of steps.
        outages: ``"lines"`` (every in-service line), ``None`` (no outage), or a sequence of
            branch positions.
        include_base: put the intact network first (``BASE_CASE``).
        threading: power-grid-model threading (default: one thread per core).
        tolerance_pu, max_iterations, method: solver settings, see :func:`solve_batch`.
        regulate: on-load tap changers regulate in every case (see :mod:`.taps`).

    Returns:
        :class:`ScenarioResult`.

    Raises:
        InputShapeError: scenarios have different numbers of steps, or none is given.
        InvalidInputError: an outage position is not a branch of the model.
    """
    if not scenarios:
        raise InputShapeError("no scenarios given")
    names = list(scenarios)
    dense = [dense_injections(model, scenarios[name]) for name in names]
    steps = {d.n_steps for d in dense}
    if len(steps) != 1:
        raise InputShapeError(f"scenarios have different numbers of steps: {sorted(steps)}")
    n_steps = steps.pop()
    if isinstance(outages, str):
        if outages != "lines":
            raise InvalidInputError(f"unknown outage set {outages!r}; use 'lines', None or positions")
        outage_list = line_outages(model)
    elif outages is None:
        outage_list = np.zeros(0, dtype=np.int64)
    else:
        outage_list = np.asarray(outages, dtype=np.int64)
        if ((outage_list < 0) | (outage_list >= len(model.branches))).any():
            raise InvalidInputError("outage positions must be branch positions of the model")
    cases = np.concatenate([[BASE_CASE] if include_base else [], outage_list]).astype(np.int64)

    pgm, layout = _pgm_model(model)
    stacked = DenseInjections(*(np.concatenate([getattr(d, f) for d in dense]) for f in (
        "load_p", "load_q", "sgen_p", "sgen_q", "storage_p", "storage_q")))
    update = injection_update(model, layout, stacked)
    n_sc, n_cases, n_batch = len(names), len(cases), len(names) * n_steps

    b = model.branches
    shape = (n_sc, n_cases, n_steps)
    status = np.zeros(shape, dtype=np.int8)
    vm = np.empty(shape + (len(model.buses),))
    loading = np.empty(shape + (len(b),))
    feeder_p = np.empty(shape + (len(model.feeders),))
    primary_p = np.empty(shape)
    unsupplied = np.empty(shape, dtype=np.int32)
    in_service_bus = model.buses.in_service

    labels = []
    regulating = regulate and len(model.taps.reg) > 0
    for c, pos in enumerate(cases):
        if pos == BASE_CASE:
            labels.append("base")
            case_model = pgm
        else:
            kind = "line" if b.kind[pos] == 0 else "trafo"
            labels.append(f"{kind} {int(b.pp_index[pos])}")
            case_model = pgm.copy()
            if layout.branch_in_pgm[pos]:
                outage = initialize_array(DatasetType.update, ComponentType.generic_branch, 1)
                outage["id"] = layout.branch_ids[pos]
                outage["from_status"] = 0
                outage["to_status"] = 0
                case_model.update(update_data={ComponentType.generic_branch: outage})
        solve = dict(threading=threading, keep_flows=False, tolerance_pu=tolerance_pu,
                     max_iterations=max_iterations, method=method)
        if regulating:
            res = solve_regulated(model, update, n_batch, outage=None if pos == BASE_CASE else int(pos), **solve)
        else:
            res = solve_batch(model, update, n_batch, pgm=case_model, **solve)
        case_status = res.status
        status[:, c] = case_status.reshape(n_sc, n_steps)
        vm[:, c] = res.vm_pu.reshape(n_sc, n_steps, -1)
        loading[:, c] = res.loading_percent.reshape(n_sc, n_steps, -1)
        feeder_p[:, c] = res.feeder_p_mw.reshape(n_sc, n_steps, -1)
        primary_p[:, c] = res.primary_p_mw.reshape(n_sc, n_steps)
        ok = case_status == StepStatus.CONVERGED
        lost = (np.isnan(res.vm_pu) & in_service_bus).sum(axis=1)
        unsupplied[:, c] = np.where(ok, lost, 0).reshape(n_sc, n_steps)
    return ScenarioResult(model=model, scenario_names=names, outages=cases, outage_labels=labels,
                          status=status, vm_pu=vm, loading_percent=loading, feeder_p_mw=feeder_p,
                          primary_p_mw=primary_p, unsupplied_buses=unsupplied)


def quantile_scenarios(base: Injections, factors: dict) -> dict:
    """Simple forecast-quantile scenarios: DER output scaled by a factor per scenario.

    Parameters:
        base: the P50 injections.
        factors: name -> factor applied to ``sgen_p_mw`` (e.g. ``{"P10": 0.7, "P50": 1.0, "P90": 1.3}``).

    Returns:
        name -> :class:`Injections`.
    """
    out = {}
    for name, factor in factors.items():
        out[name] = Injections(
            load_p_mw=base.load_p_mw, load_q_mvar=base.load_q_mvar,
            sgen_p_mw=None if base.sgen_p_mw is None else np.asarray(base.sgen_p_mw) * factor,
            sgen_q_mvar=base.sgen_q_mvar, storage_p_mw=base.storage_p_mw,
            storage_q_mvar=base.storage_q_mvar, timestamps=base.timestamps, n_steps=base.n_steps)
    return out
