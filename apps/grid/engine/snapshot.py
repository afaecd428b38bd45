"""Single power flow of the set-points already in the net (the Django snapshot study)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .model import NetworkModel
from .powerflow import PowerFlowResult, StepStatus, solve_regulated


@dataclass(eq=False)
class SnapshotResult:
    """Results of one power flow, keyed by pandapower index.

    Missing values (buses without supply, a failed solve) are ``None`` so the dicts serialise to
    JSON as they are.

    Attributes:
        converged: True when the power flow converged.
        status: :class:`StepStatus`.
        message: solver message when it failed, else ``""``.
        vm_pu / va_degree: bus index -> value.
        line_loading_percent: line index -> value.
        trafo_loading_percent: trafo index -> value.
        feeder_p_mw: head line index -> power entering the feeder (negative = reverse flow).
        primary_p_mw: power through the primary transformers (HV side, negative = reverse).
        result: the underlying one-step :class:`PowerFlowResult`.
    """

    converged: bool
    status: StepStatus
    message: str
    vm_pu: dict
    va_degree: dict
    line_loading_percent: dict
    trafo_loading_percent: dict
    feeder_p_mw: dict
    primary_p_mw: float | None
    result: PowerFlowResult


def _clean(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _keyed(index: np.ndarray, values: np.ndarray) -> dict:
    return {int(k): _clean(v) for k, v in zip(index, values)}


def snapshot(model, *, regulate: bool = True) -> SnapshotResult:
    """Power flow of the set-points in the net (``p_mw * scaling``, ``q_mvar * scaling``, ``in_service``).

    Parameters:
        model: a :class:`NetworkModel`, or a pandapower net (converted with
            :func:`from_pandapower` first).
        regulate: let on-load tap changers regulate (as ``runpp(run_control=True)``).

    Returns:
        :class:`SnapshotResult`.
    """
    if not isinstance(model, NetworkModel):
        from .convert import from_pandapower

        model = from_pandapower(model)
    if regulate:
        result = solve_regulated(model, None, 1)
    else:
        from .powerflow import _solve_fixed

        result = _solve_fixed(model, None, 1)
    m = model
    status = StepStatus(int(result.status[0]))
    return SnapshotResult(
        converged=status == StepStatus.CONVERGED,
        status=status,
        message=result.messages.get(0, ""),
        vm_pu=_keyed(m.buses.pp_index, result.vm_pu[0]),
        va_degree=_keyed(m.buses.pp_index, result.va_degree[0]),
        line_loading_percent=_keyed(m.branches.pp_index[m.line_positions],
                                    result.loading_percent[0, m.line_positions]),
        trafo_loading_percent=_keyed(m.branches.pp_index[m.trafo_positions],
                                     result.loading_percent[0, m.trafo_positions]),
        feeder_p_mw=_keyed(np.array([f.head_line for f in m.feeders], dtype=np.int64),
                           result.feeder_p_mw[0]),
        primary_p_mw=_clean(result.primary_p_mw[0]) if len(m.primary_trafos) else None,
        result=result,
    )
