"""Batch time-series power flow with power-grid-model.

``run_time_series(model, injections)`` solves T steps (Newton-Raphson, one power-grid-model batch
per chunk of steps) and returns bus voltages, branch loading and flows, and the power exchanged at
every feeder head and at the primary transformers. A step that does not converge gets
``status == STEP_NOT_CONVERGED`` and NaN results; it never stops the run.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field

import numpy as np
from power_grid_model import CalculationMethod, ComponentType, DatasetType, PowerGridModel, initialize_array
from power_grid_model.errors import PowerGridError

from .errors import EmptyNetworkError, InputShapeError, InvalidInputError, PowerFlowError
from .model import BRANCH_LINE, NetworkModel
from .pgm_input import PgmLayout, pgm_input_data, pgm_layout

DEFAULT_CHUNK_STEPS = 4096
DEFAULT_TOLERANCE_PU = 1e-8
DEFAULT_MAX_ITERATIONS = 30
# iterative current reuses one factorised admittance matrix for every step of a batch (fast on
# radial distribution grids); the steps it cannot solve are re-solved with Newton-Raphson
ITERATIVE_CURRENT_MAX_ITERATIONS = 100
DEFAULT_THREADS = os.cpu_count() or 1
METHODS = ("auto", "newton_raphson", "iterative_current")


class StepStatus(enum.IntEnum):
    """Outcome of one power-flow step."""

    CONVERGED = 0
    NOT_CONVERGED = 1


# --------------------------------------------------------------------------- inputs

@dataclass(eq=False)
class Injections:
    """Time series of injections, one row per step, one column per element of the model table.

    Values are final MW / MVAr (no ``scaling`` applied) in pandapower's signs: loads and storage
    consume with positive values (storage: positive = charging), static generators produce with
    positive values. A ``None`` field keeps that table at its set-point for every step.

    Attributes:
        load_p_mw, load_q_mvar: (T, n_load).
        sgen_p_mw, sgen_q_mvar: (T, n_sgen).
        storage_p_mw, storage_q_mvar: (T, n_storage).
        timestamps: optional (T,) array of times (any dtype) used to label constraint episodes.
        n_steps: number of steps when every array is None (constant set-points).
    """

    load_p_mw: np.ndarray | None = None
    load_q_mvar: np.ndarray | None = None
    sgen_p_mw: np.ndarray | None = None
    sgen_q_mvar: np.ndarray | None = None
    storage_p_mw: np.ndarray | None = None
    storage_q_mvar: np.ndarray | None = None
    timestamps: np.ndarray | None = None
    n_steps: int | None = None

    FIELDS = ("load_p_mw", "load_q_mvar", "sgen_p_mw", "sgen_q_mvar", "storage_p_mw", "storage_q_mvar")

    def steps(self) -> int:
        """Number of steps T (from the arrays, or ``n_steps``)."""
        lengths = {np.shape(getattr(self, f))[0] for f in self.FIELDS if getattr(self, f) is not None
                   and np.ndim(getattr(self, f)) >= 1}
        if self.n_steps is not None:
            lengths.add(int(self.n_steps))
        if len(lengths) != 1:
            raise InputShapeError(f"injection arrays disagree on the number of steps: {sorted(lengths)}"
                                  if lengths else "injections have no arrays and no n_steps")
        return lengths.pop()

    def slice(self, start: int, stop: int) -> "Injections":
        """Steps ``start:stop`` as a new :class:`Injections`."""
        arrays = {f: None if getattr(self, f) is None else np.asarray(getattr(self, f))[start:stop]
                  for f in self.FIELDS}
        has_arrays = any(v is not None for v in arrays.values())
        n_total = self.steps()
        return Injections(**arrays,
                          timestamps=None if self.timestamps is None else np.asarray(self.timestamps)[start:stop],
                          n_steps=None if has_arrays else len(range(*slice(start, stop).indices(n_total))))


@dataclass(eq=False)
class DenseInjections:
    """Validated injections, every array (T, n) float64 in MW / MVAr."""

    load_p: np.ndarray
    load_q: np.ndarray
    sgen_p: np.ndarray
    sgen_q: np.ndarray
    storage_p: np.ndarray
    storage_q: np.ndarray

    @property
    def n_steps(self) -> int:
        return self.load_p.shape[0]


def dense_injections(model: NetworkModel, injections: Injections) -> DenseInjections:
    """Check shapes and values, and fill missing tables with the model's set-points.

    Parameters:
        model: the network model.
        injections: the time series.

    Returns:
        :class:`DenseInjections`.

    Raises:
        InputShapeError: an array is not (T, n_elements) or the arrays disagree on T.
        InvalidInputError: an array holds NaN or infinite values.
    """
    n_steps = injections.steps()
    if n_steps <= 0:
        raise InputShapeError("injections have zero steps")
    tables = {"load": model.loads, "sgen": model.sgens, "storage": model.storages}
    out = {}
    for name in Injections.FIELDS:
        table_name, quantity = name.split("_", 1)
        table = tables[table_name]
        setpoint = table.p_mw if quantity == "p_mw" else table.q_mvar
        value = getattr(injections, name)
        if value is None:
            arr = np.broadcast_to(setpoint, (n_steps, len(table)))
        else:
            arr = np.asarray(value, dtype=np.float64)
            if arr.shape != (n_steps, len(table)):
                raise InputShapeError(
                    f"{name} has shape {arr.shape}, expected ({n_steps}, {len(table)}) "
                    f"= (steps, {table_name} elements in the model)")
            if not np.isfinite(arr).all():
                bad = np.argwhere(~np.isfinite(arr))[0]
                raise InvalidInputError(
                    f"{name} holds NaN or infinite values, first at step {bad[0]}, "
                    f"{table_name} pandapower index {table.pp_index[bad[1]]}")
        out[name] = arr
    return DenseInjections(out["load_p_mw"], out["load_q_mvar"], out["sgen_p_mw"], out["sgen_q_mvar"],
                           out["storage_p_mw"], out["storage_q_mvar"])


# --------------------------------------------------------------------------- results

@dataclass(eq=False)
class PowerFlowResult:
    """Results of a batch power flow, one row per step.

    Attributes:
        model: the network model that was solved.
        status: (T,) :class:`StepStatus` codes.
        messages: step -> solver message for the steps that failed.
        vm_pu, va_degree: (T, n_bus); NaN for buses with no supply and for failed steps.
        loading_percent: (T, n_branch), pandapower's definitions (see :class:`BranchTable`).
        p_from_mw, q_from_mvar, p_to_mw, q_to_mvar, i_from_ka, i_to_ka: (T, n_branch) flows
            (None when run with ``keep_flows=False``); positive p_from = power entering the branch
            at its from end.
        source_p_mw, source_q_mvar: (T, n_source), positive = supplied into the network.
        feeder_p_mw, feeder_q_mvar: (T, n_feeder) power entering each feeder at its head;
            negative = reverse flow towards the substation.
        primary_p_mw, primary_q_mvar: (T,) power through the primary transformers at their HV
            side, summed; negative = reverse flow into the upstream grid.
        timestamps: optional (T,) labels copied from the injections.
        tap_pos: (T, n_trafo) tap position of every transformer (``trafo_positions`` order) at
            each step: fixed taps, and where an OLTC regulates, the tap it settled on.
    """

    model: NetworkModel
    status: np.ndarray
    messages: dict
    vm_pu: np.ndarray
    va_degree: np.ndarray
    loading_percent: np.ndarray
    p_from_mw: np.ndarray | None
    q_from_mvar: np.ndarray | None
    p_to_mw: np.ndarray | None
    q_to_mvar: np.ndarray | None
    i_from_ka: np.ndarray | None
    i_to_ka: np.ndarray | None
    source_p_mw: np.ndarray
    source_q_mvar: np.ndarray
    feeder_p_mw: np.ndarray
    feeder_q_mvar: np.ndarray
    primary_p_mw: np.ndarray
    primary_q_mvar: np.ndarray
    timestamps: np.ndarray | None = None
    extra: dict = field(default_factory=dict)
    tap_pos: np.ndarray | None = None

    @property
    def n_steps(self) -> int:
        return len(self.status)

    @property
    def converged(self) -> np.ndarray:
        """(T,) True where the step converged."""
        return self.status == StepStatus.CONVERGED

    @property
    def line_loading_percent(self) -> np.ndarray:
        """(T, n_line) loading of the lines, columns in ``net.line`` order."""
        return self.loading_percent[:, self.model.line_positions]

    @property
    def trafo_loading_percent(self) -> np.ndarray:
        """(T, n_trafo) loading of the transformers, columns in ``net.trafo`` order."""
        return self.loading_percent[:, self.model.trafo_positions]

    def frame(self, quantity: str):
        """A pandas DataFrame of one result, columns keyed by pandapower index.

        Parameters:
            quantity: ``"vm_pu"``, ``"va_degree"``, ``"line_loading_percent"``,
                ``"trafo_loading_percent"``, ``"feeder_p_mw"`` or any (T, n_branch) attribute
                (``"p_from_mw"``...; columns are then ``(kind, pp_index)``).

        Returns:
            ``pandas.DataFrame`` indexed by timestamps (or step number).
        """
        import pandas as pd

        index = self.timestamps if self.timestamps is not None else np.arange(self.n_steps)
        m = self.model
        if quantity in ("vm_pu", "va_degree"):
            return pd.DataFrame(getattr(self, quantity), index=index, columns=m.buses.pp_index)
        if quantity == "line_loading_percent":
            return pd.DataFrame(self.line_loading_percent, index=index,
                                columns=m.branches.pp_index[m.line_positions])
        if quantity == "trafo_loading_percent":
            return pd.DataFrame(self.trafo_loading_percent, index=index,
                                columns=m.branches.pp_index[m.trafo_positions])
        if quantity in ("feeder_p_mw", "feeder_q_mvar"):
            return pd.DataFrame(getattr(self, quantity), index=index,
                                columns=[f.head_line for f in m.feeders])
        values = getattr(self, quantity)
        kinds = np.where(m.branches.kind == BRANCH_LINE, "line", "trafo")
        return pd.DataFrame(values, index=index,
                            columns=pd.MultiIndex.from_arrays([kinds, m.branches.pp_index]))


# --------------------------------------------------------------------------- solver

def _pgm_model(model: NetworkModel) -> tuple[PowerGridModel, PgmLayout]:
    """The model's PowerGridModel and id layout, built once and cached on the model."""
    cached = model._cache.get("pgm")
    if cached is None:
        if len(model.buses) == 0:
            raise EmptyNetworkError("the network has no buses")
        layout = pgm_layout(model)
        try:
            pgm = PowerGridModel(pgm_input_data(model, layout), system_frequency=model.f_hz)
        except PowerGridError as exc:
            raise PowerFlowError(f"power-grid-model rejected the network: {exc}") from exc
        cached = (pgm, layout)
        model._cache["pgm"] = cached
    return cached


def injection_update(model: NetworkModel, layout: PgmLayout, inj: DenseInjections) -> dict:
    """power-grid-model batch update dataset (T scenarios) for the given injections.

    Parameters:
        model: the network model.
        layout: its PGM layout.
        inj: validated injections.

    Returns:
        Dict ``ComponentType -> (T, n) structured array``.
    """
    n_steps = inj.n_steps
    n_load, n_sto = len(model.loads), len(model.storages)
    update = {}
    if n_load + n_sto:
        sym_load = initialize_array(DatasetType.update, ComponentType.sym_load, (n_steps, n_load + n_sto))
        sym_load["id"] = np.concatenate([layout.load_ids, layout.storage_ids])[None, :]
        sym_load["p_specified"][:, :n_load] = inj.load_p * 1e6
        sym_load["q_specified"][:, :n_load] = inj.load_q * 1e6
        sym_load["p_specified"][:, n_load:] = inj.storage_p * 1e6
        sym_load["q_specified"][:, n_load:] = inj.storage_q * 1e6
        update[ComponentType.sym_load] = sym_load
    if len(model.sgens):
        sym_gen = initialize_array(DatasetType.update, ComponentType.sym_gen, (n_steps, len(model.sgens)))
        sym_gen["id"] = layout.sgen_ids[None, :]
        sym_gen["p_specified"] = inj.sgen_p * 1e6
        sym_gen["q_specified"] = inj.sgen_q * 1e6
        update[ComponentType.sym_gen] = sym_gen
    return update


_OUTPUT_FULL = {
    ComponentType.node: ["energized", "u_pu", "u_angle"],
    ComponentType.generic_branch: ["p_from", "q_from", "i_from", "p_to", "q_to", "i_to"],
    ComponentType.source: ["p", "q"],
}


def _calculate(pgm: PowerGridModel, update: dict | None, method: str, threading: int,
               tolerance_pu: float, max_iterations: int) -> tuple[dict, np.ndarray, dict]:
    """One power-grid-model call: (columnar output with a leading scenario axis, failed
    scenario positions, position -> message)."""
    iterations = max(max_iterations, ITERATIVE_CURRENT_MAX_ITERATIONS) if method == "iterative_current" \
        else max_iterations
    kwargs = dict(error_tolerance=tolerance_pu, max_iterations=iterations,
                  calculation_method=CalculationMethod[method], output_component_types=_OUTPUT_FULL)
    if update is None:
        try:
            out = pgm.calculate_power_flow(**kwargs)
        except PowerGridError as exc:
            if method == "iterative_current":
                return {}, np.array([0]), {0: str(exc)}
            raise
        return ({k: {a: np.asarray(v)[None, ...] for a, v in d.items()} for k, d in out.items()},
                np.zeros(0, dtype=np.int64), {})
    out = pgm.calculate_power_flow(update_data=update, threading=threading,
                                   continue_on_batch_error=True, **kwargs)
    err = pgm.batch_error
    if err is None:
        return out, np.zeros(0, dtype=np.int64), {}
    failed = np.asarray(err.failed_scenarios, dtype=np.int64)
    return out, failed, {int(i): m for i, m in zip(failed, err.error_messages)}


def solve_batch(model: NetworkModel, update: dict | None, n_scenarios: int, *,
                threading: int = DEFAULT_THREADS, keep_flows: bool = True,
                tolerance_pu: float = DEFAULT_TOLERANCE_PU,
                max_iterations: int = DEFAULT_MAX_ITERATIONS,
                method: str = "auto",
                timestamps: np.ndarray | None = None, pgm: PowerGridModel | None = None) -> PowerFlowResult:
    """Solve a power-grid-model batch and translate the output into a :class:`PowerFlowResult`.

    Parameters:
        model: the network model.
        update: PGM batch update dataset with ``n_scenarios`` rows, or None for one solve of the
            set-points.
        n_scenarios: number of scenarios in ``update`` (1 when ``update`` is None).
        threading: power-grid-model threading (0 = all cores, -1 = sequential, k = k threads).
        keep_flows: keep branch p/q/i arrays (loading, feeder and primary flows are always kept).
        tolerance_pu, max_iterations: Newton-Raphson settings.
        method: ``"auto"`` (iterative current, then Newton-Raphson for the steps it could not
            solve), ``"newton_raphson"`` or ``"iterative_current"``; all converge to the same
            solution within ``tolerance_pu``.
        timestamps: labels copied into the result.
        pgm: solve on this PowerGridModel (e.g. a copy with an outage) instead of the model's.

    Returns:
        :class:`PowerFlowResult`; failed scenarios have NaN results and ``NOT_CONVERGED`` status.

    Raises:
        PowerFlowError: power-grid-model failed as a whole (invalid data, ...).
    """
    if method not in METHODS:
        raise InvalidInputError(f"unknown method {method!r}; use one of {METHODS}")
    base_pgm, layout = _pgm_model(model)
    pgm = base_pgm if pgm is None else pgm
    if update is not None and not update:
        # nothing varies between scenarios: solve once and repeat
        single = solve_batch(model, None, 1, keep_flows=keep_flows, tolerance_pu=tolerance_pu,
                             max_iterations=max_iterations, method=method, pgm=pgm)
        return concat_results([single] * n_scenarios) if n_scenarios > 1 else single
    status = np.zeros(n_scenarios, dtype=np.int8)
    messages: dict[int, str] = {}
    first = "newton_raphson" if method == "newton_raphson" else "iterative_current"
    try:
        out, failed, msgs = _calculate(pgm, update, first, threading, tolerance_pu, max_iterations)
        if method == "auto" and len(failed):
            # re-solve only the failed steps with Newton-Raphson
            sub = None if update is None else {k: v[failed] for k, v in update.items()}
            out2, failed2, msgs2 = _calculate(pgm, sub, "newton_raphson", threading, tolerance_pu,
                                              max_iterations)
            if not out:
                out = out2
            else:
                for comp, attrs in out.items():
                    for attr, arr in attrs.items():
                        arr[failed] = out2[comp][attr]
            msgs = {int(failed[i]): m for i, m in msgs2.items()}
            failed = failed[failed2]
        if not out:
            status[:] = StepStatus.NOT_CONVERGED
            return _nan_result(model, status, msgs, keep_flows, timestamps)
        status[failed] = StepStatus.NOT_CONVERGED
        messages.update(msgs)
    except PowerGridError as exc:
        if update is None:
            # a single solve that fails is a non-converged step, not a crash
            status[:] = StepStatus.NOT_CONVERGED
            messages[0] = str(exc)
            return _nan_result(model, status, messages, keep_flows, timestamps)
        raise PowerFlowError(f"power-grid-model failed: {exc}") from exc
    return _translate(model, layout, out, status, messages, keep_flows, timestamps)


def _translate(model: NetworkModel, layout: PgmLayout, out: dict, status: np.ndarray,
               messages: dict, keep_flows: bool, timestamps) -> PowerFlowResult:
    b = model.branches
    node_out = out[ComponentType.node]
    # PGM node output order = input order = sorted representative positions
    rep = np.unique(model.buses.node)
    node_col = np.searchsorted(rep, model.buses.node)
    energized = node_out["energized"][:, node_col].astype(bool)
    vm = np.where(energized, node_out["u_pu"][:, node_col], np.nan)
    va = np.where(energized, np.rad2deg(node_out["u_angle"][:, node_col]), np.nan)
    vm[:, ~model.buses.in_service] = np.nan
    va[:, ~model.buses.in_service] = np.nan

    n_steps, n_branch = len(status), len(b)
    br = out[ComponentType.generic_branch]
    cols = np.flatnonzero(layout.branch_in_pgm)

    def branch_array(attr: str, scale: float) -> np.ndarray:
        arr = np.zeros((n_steps, n_branch))
        arr[:, cols] = br[attr] * scale
        return arr

    i_from = branch_array("i_from", 1e-3)
    i_to = branch_array("i_to", 1e-3)
    loading = np.maximum(i_from * b.loading_per_ka_from, i_to * b.loading_per_ka_to)
    p_from, q_from = branch_array("p_from", 1e-6), branch_array("q_from", 1e-6)
    p_to, q_to = branch_array("p_to", 1e-6), branch_array("q_to", 1e-6)

    feeders = model.feeders
    head = np.array([f.head_branch for f in feeders], dtype=np.int64)
    at_from = np.array([f.head_at_from for f in feeders], dtype=bool)
    feeder_p = np.where(at_from, p_from[:, head], p_to[:, head]) if len(feeders) else np.zeros((n_steps, 0))
    feeder_q = np.where(at_from, q_from[:, head], q_to[:, head]) if len(feeders) else np.zeros((n_steps, 0))
    prim = model.primary_trafos
    # NaN, not 0, when the network has no primary transformer (source on the network's own level)
    primary_p = p_from[:, prim].sum(axis=1) if len(prim) else np.full(n_steps, np.nan)
    primary_q = q_from[:, prim].sum(axis=1) if len(prim) else np.full(n_steps, np.nan)

    src = out[ComponentType.source]
    failed = status != StepStatus.CONVERGED
    result = PowerFlowResult(
        model=model, status=status, messages=messages,
        vm_pu=vm, va_degree=va, loading_percent=loading,
        p_from_mw=p_from if keep_flows else None, q_from_mvar=q_from if keep_flows else None,
        p_to_mw=p_to if keep_flows else None, q_to_mvar=q_to if keep_flows else None,
        i_from_ka=i_from if keep_flows else None, i_to_ka=i_to if keep_flows else None,
        source_p_mw=src["p"] * 1e-6, source_q_mvar=src["q"] * 1e-6,
        feeder_p_mw=feeder_p, feeder_q_mvar=feeder_q,
        primary_p_mw=primary_p, primary_q_mvar=primary_q,
        timestamps=timestamps,
    )
    if failed.any():
        _blank_steps(result, failed)
    return result


def _blank_steps(result: PowerFlowResult, rows: np.ndarray) -> None:
    """NaN every numeric result of the given steps (never leave solver garbage behind)."""
    for name in ("vm_pu", "va_degree", "loading_percent", "p_from_mw", "q_from_mvar", "p_to_mw",
                 "q_to_mvar", "i_from_ka", "i_to_ka", "source_p_mw", "source_q_mvar",
                 "feeder_p_mw", "feeder_q_mvar", "primary_p_mw", "primary_q_mvar"):
        arr = getattr(result, name)
        if arr is not None:
            arr[rows] = np.nan


def _nan_result(model: NetworkModel, status: np.ndarray, messages: dict, keep_flows: bool,
                timestamps) -> PowerFlowResult:
    n = len(status)
    nb, nbr = len(model.buses), len(model.branches)

    def nan(*shape):
        return np.full(shape, np.nan)

    return PowerFlowResult(
        model=model, status=status, messages=messages, vm_pu=nan(n, nb), va_degree=nan(n, nb),
        loading_percent=nan(n, nbr),
        p_from_mw=nan(n, nbr) if keep_flows else None, q_from_mvar=nan(n, nbr) if keep_flows else None,
        p_to_mw=nan(n, nbr) if keep_flows else None, q_to_mvar=nan(n, nbr) if keep_flows else None,
        i_from_ka=nan(n, nbr) if keep_flows else None, i_to_ka=nan(n, nbr) if keep_flows else None,
        source_p_mw=nan(n, len(model.sources)), source_q_mvar=nan(n, len(model.sources)),
        feeder_p_mw=nan(n, len(model.feeders)), feeder_q_mvar=nan(n, len(model.feeders)),
        primary_p_mw=nan(n), primary_q_mvar=nan(n), timestamps=timestamps)


def concat_results(parts: list[PowerFlowResult]) -> PowerFlowResult:
    """Stack results of consecutive chunks along the step axis."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    offset = 0
    messages = {}
    for part in parts:
        messages.update({k + offset: v for k, v in part.messages.items()})
        offset += part.n_steps

    def stack(name):
        values = [getattr(p, name) for p in parts]
        return None if values[0] is None else np.concatenate(values)

    ts = None if first.timestamps is None else np.concatenate([p.timestamps for p in parts])
    taps = None if first.tap_pos is None else np.concatenate([p.tap_pos for p in parts])
    return PowerFlowResult(
        model=first.model, status=stack("status"), messages=messages,
        **{name: stack(name) for name in (
            "vm_pu", "va_degree", "loading_percent", "p_from_mw", "q_from_mvar", "p_to_mw",
            "q_to_mvar", "i_from_ka", "i_to_ka", "source_p_mw", "source_q_mvar", "feeder_p_mw",
            "feeder_q_mvar", "primary_p_mw", "primary_q_mvar")},
        timestamps=ts, tap_pos=taps,
        extra={"tap_rounds": max(p.extra.get("tap_rounds", 1) for p in parts)} if "tap_rounds" in first.extra else {})


def run_time_series(model: NetworkModel, injections: Injections, *, threading: int = DEFAULT_THREADS,
                    chunk_steps: int = DEFAULT_CHUNK_STEPS, keep_flows: bool = True,
                    tolerance_pu: float = DEFAULT_TOLERANCE_PU,
                    max_iterations: int = DEFAULT_MAX_ITERATIONS,
                    method: str = "auto", regulate: bool = True,
                    target_shift_pu: np.ndarray | None = None) -> PowerFlowResult:
    """Time-series power flow: T steps of injections -> voltages, loading, flows, exchanges.

    Parameters:
        model: network model from :func:`from_pandapower`.
        injections: (T, n) injection arrays (see :class:`Injections`).
        threading: power-grid-model threading (default: one thread per core; -1 = sequential).
        chunk_steps: steps per power-grid-model batch (bounds memory for year-long runs).
        keep_flows: keep the (T, n_branch) p/q/i arrays.
        tolerance_pu, max_iterations: solver settings (tolerance on voltage, pu).
        method: see :func:`solve_batch` (default ``"auto"``).
        regulate: let the on-load tap changers the net declares regulate (default); False holds
            every tap at its ``tap_pos``. Fixed taps act either way (see :mod:`.taps`).
        target_shift_pu: (T,) move of every OLTC's voltage target (and band) at each step, e.g.
            -0.01 to lower the primary's target by 1 %; None keeps the targets.

    Returns:
        :class:`PowerFlowResult` with one row per step and the tap positions (``tap_pos``).

    Raises:
        InputShapeError, InvalidInputError: bad injection arrays.
        PowerFlowError: power-grid-model refused the whole batch.
    """
    dense = dense_injections(model, injections)
    pgm, layout = _pgm_model(model)
    n_steps = dense.n_steps
    parts = []
    for start in range(0, n_steps, chunk_steps):
        stop = min(start + chunk_steps, n_steps)
        chunk = DenseInjections(*(getattr(dense, f)[start:stop] for f in (
            "load_p", "load_q", "sgen_p", "sgen_q", "storage_p", "storage_q")))
        update = injection_update(model, layout, chunk)
        ts = None if injections.timestamps is None else np.asarray(injections.timestamps)[start:stop]
        options = dict(threading=threading, keep_flows=keep_flows, tolerance_pu=tolerance_pu,
                       max_iterations=max_iterations, method=method, timestamps=ts)
        if regulate:
            shift = None if target_shift_pu is None else np.asarray(target_shift_pu, dtype=float)[start:stop]
            parts.append(solve_regulated(model, update, stop - start, target_shift_pu=shift, **options))
        else:
            parts.append(_solve_fixed(model, update, stop - start, **options))
    return concat_results(parts)


def _solve_fixed(model: NetworkModel, update: dict | None, n_scenarios: int, **solve) -> PowerFlowResult:
    """``solve_batch`` with every tap held at its position (the tap positions recorded)."""
    from .taps import full_tap_positions

    result = solve_batch(model, update, n_scenarios, **solve)
    result.tap_pos = full_tap_positions(model, n_scenarios)
    return result


def solve_regulated(model: NetworkModel, update: dict | None, n_scenarios: int, **solve) -> PowerFlowResult:
    """``solve_batch`` with the model's on-load tap changers regulating (:mod:`.taps`)."""
    from .taps import solve_regulated as _solve

    return _solve(model, update, n_scenarios, **solve)
