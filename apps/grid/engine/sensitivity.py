"""Sensitivities of bus voltages and branch flows to injections at candidate asset buses.

Analytic: the Newton-Raphson Jacobian of the solved operating point (polar coordinates, sources
as slack) gives ``d(theta, |V|) / d(P, Q)`` at every node; branch currents and flows are then
differentiated through the same pi model power-grid-model solves. An injection of +1 MW means
+1 MW *generated* at the bus (a load reduction of 1 MW has the same effect).

:func:`finite_difference_sensitivities` re-runs the full power flow with each asset perturbed,
to check the analytic values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from .errors import InvalidInputError
from .model import SQRT3, NetworkModel
from .powerflow import DenseInjections, PowerFlowResult, StepStatus, injection_update



@dataclass(eq=False)
class Sensitivities:
    """Change of monitored quantities per MW / MVAr injected at each asset bus.

    Attributes:
        asset_buses: pandapower bus indices of the assets (rows).
        buses: pandapower indices of the monitored buses (columns of ``dvm_*``).
        branches: branch positions of the monitored branches (columns of the branch arrays).
        dvm_dp / dvm_dq: (n_asset, n_bus) pu per MW / per MVAr.
        dloading_dp / dloading_dq: (n_asset, n_branch) percentage points per MW / per MVAr.
        dp_from_dp / dp_from_dq: (n_asset, n_branch) MW of active flow at the branch's from end.
        step: step of the operating point (or -1).
    """

    asset_buses: np.ndarray
    buses: np.ndarray
    branches: np.ndarray
    dvm_dp: np.ndarray
    dvm_dq: np.ndarray
    dloading_dp: np.ndarray
    dloading_dq: np.ndarray
    dp_from_dp: np.ndarray
    dp_from_dq: np.ndarray
    step: int = -1


def _branch_admittances(model: NetworkModel, conducting_mask: np.ndarray | None = None):
    """Per-branch (yff, yft, ytf, ytt) in pu of 1 MVA, as power-grid-model builds them."""
    b = model.branches
    ys = np.square(b.vn_to_kv) / (b.r_ohm + 1j * b.x_ohm)
    ysh = (b.g_s + 1j * b.b_s) * np.square(b.vn_to_kv)
    tap = b.ratio * np.exp(1j * b.shift_rad)
    k2 = np.square(b.ratio)
    from_on = b.in_service & b.from_closed
    to_on = b.in_service & b.to_closed
    if conducting_mask is not None:
        from_on, to_on = from_on & conducting_mask, to_on & conducting_mask
    # a branch between two fused buses is left out of power-grid-model, so out of Ybus too
    same_node = model.buses.node[b.from_bus] == model.buses.node[b.to_bus]
    from_on, to_on = from_on & ~same_node, to_on & ~same_node
    both = from_on & to_on
    single = from_on ^ to_on
    yff = np.zeros(len(b), dtype=complex)
    yft, ytf, ytt = yff.copy(), yff.copy(), yff.copy()
    ytt[both] = ys[both] + 0.5 * ysh[both]
    yff[both] = ytt[both] / k2[both]
    yft[both] = -ys[both] / np.conj(tap[both])
    ytf[both] = -ys[both] / tap[both]
    with np.errstate(divide="ignore", invalid="ignore"):
        open_shunt = np.where(np.abs(ysh) < 1e-12, 0.0, 0.5 * ysh + 1.0 / (1.0 / ys + 2.0 / ysh))
    yff[single & from_on] = open_shunt[single & from_on] / k2[single & from_on]
    ytt[single & to_on] = open_shunt[single & to_on]
    return yff, yft, ytf, ytt


def _ybus(model: NetworkModel, yff, yft, ytf, ytt):
    b = model.branches
    n = len(model.buses)
    f = model.buses.node[b.from_bus]
    t = model.buses.node[b.to_bus]
    rows = np.concatenate([f, f, t, t])
    cols = np.concatenate([f, t, f, t])
    vals = np.concatenate([yff, yft, ytf, ytt])
    sh = model.shunts
    if len(sh):
        on = sh.in_service
        node = model.buses.node[sh.bus[on]]
        rows = np.concatenate([rows, node])
        cols = np.concatenate([cols, node])
        vals = np.concatenate([vals, (sh.g_s[on] + 1j * sh.b_s[on]) * np.square(model.buses.vn_kv[sh.bus[on]])])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


@dataclass(eq=False)
class _Linearisation:
    """Factorised Jacobian of one operating point."""

    V: np.ndarray
    active: np.ndarray
    pq: np.ndarray
    pq_row: np.ndarray
    lu: object
    yff: np.ndarray
    yft: np.ndarray
    ytf: np.ndarray
    ytt: np.ndarray

    def solve(self, nodes: np.ndarray, with_q: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """d(theta) and d|V| at every node for +1 pu P (first half) and +1 pu Q (second half,
        only ``with_q``) injected at each of ``nodes``; shapes (n_node, 2 * len(nodes)), or
        (n_node, len(nodes)) without Q."""
        n, npq, k = len(self.V), len(self.pq), len(nodes)
        rows = self.pq_row[nodes]
        valid = rows >= 0  # an injection on the slack node changes nothing
        rhs = np.zeros((2 * npq, 2 * k if with_q else k))
        rhs[rows[valid], np.flatnonzero(valid)] = 1.0
        if with_q:
            rhs[npq + rows[valid], k + np.flatnonzero(valid)] = 1.0
        sol = self.lu.solve(rhs) if npq else rhs
        dva = np.zeros((n, rhs.shape[1]))
        dvm = np.zeros((n, rhs.shape[1]))
        dva[self.pq] = sol[:npq]
        dvm[self.pq] = sol[npq:]
        return dva, dvm


def _linearise(model: NetworkModel, result: PowerFlowResult, step: int) -> _Linearisation:
    """Jacobian of the power-flow equations at a solved step, factorised (sources are slack)."""
    if result.status[step] != StepStatus.CONVERGED:
        raise InvalidInputError(f"step {step} did not converge; no operating point to linearise")
    n = len(model.buses)
    node = model.buses.node
    vm = np.ones(n)
    va = np.zeros(n)
    energized = np.isfinite(result.vm_pu[step])
    vm[node[energized]] = result.vm_pu[step][energized]
    va[node[energized]] = np.deg2rad(result.va_degree[step][energized])
    V = vm * np.exp(1j * va)

    if result.tap_pos is not None and len(model.taps.reg):
        # the branches as solved at this step: regulated taps where the OLTC left them (held
        # fixed for the linearisation: a tap changer acts over minutes, not on a small change)
        from .taps import model_at_taps

        model = model_at_taps(model, result.tap_pos[step, model.taps.reg])
    yff, yft, ytf, ytt = _branch_admittances(model)
    Y = _ybus(model, yff, yft, ytf, ytt)
    slack = np.zeros(n, dtype=bool)
    slack[node[model.sources.bus[model.sources.in_service]]] = True
    active = np.zeros(n, dtype=bool)
    active[node[energized]] = True
    pq = np.flatnonzero(active & ~slack)

    Ibus = Y @ V
    dV = sp.diags(V)
    Vnorm = sp.diags(V / np.abs(V))
    dS_dVm = sp.csr_matrix(dV @ np.conj(Y @ Vnorm) + sp.diags(np.conj(Ibus)) @ Vnorm)[pq][:, pq]
    dS_dVa = sp.csr_matrix(1j * dV @ np.conj(sp.diags(Ibus) - Y @ dV))[pq][:, pq]
    J = sp.bmat([[dS_dVa.real, dS_dVm.real], [dS_dVa.imag, dS_dVm.imag]], format="csc")
    pq_row = -np.ones(n, dtype=np.int64)
    pq_row[pq] = np.arange(len(pq))
    return _Linearisation(V=V, active=active, pq=pq, pq_row=pq_row, lu=splu(J) if len(pq) else None,
                          yff=yff, yft=yft, ytf=ytf, ytt=ytt)


def self_voltage_sensitivities(model: NetworkModel, result: PowerFlowResult, step: int,
                               bus_positions: np.ndarray, *, block: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """dV/dP and dV/dQ of each bus to an injection at that same bus (pu per MW / MVAr).

    Parameters:
        model: the network model.
        result: a solved result.
        step: step whose operating point is linearised.
        bus_positions: bus positions.
        block: right-hand sides solved at once (bounds memory on large networks).

    Returns:
        Two arrays over ``bus_positions`` (NaN for buses without supply).
    """
    lin = _linearise(model, result, step)
    nodes = model.buses.node[np.asarray(bus_positions, dtype=np.int64)]
    dvdp = np.full(len(nodes), np.nan)
    dvdq = np.full(len(nodes), np.nan)
    for start in range(0, len(nodes), block):
        chunk = nodes[start:start + block]
        ok = lin.active[chunk]
        if not ok.any():
            continue
        _, dvm = lin.solve(chunk[ok])
        k = int(ok.sum())
        idx = np.flatnonzero(ok) + start
        dvdp[idx] = dvm[chunk[ok], np.arange(k)]
        dvdq[idx] = dvm[chunk[ok], k + np.arange(k)]
    return dvdp, dvdq


def sensitivities(model: NetworkModel, result: PowerFlowResult, step: int, asset_buses, *,
                  buses=None, branches=None, with_q: bool = True) -> Sensitivities:
    """Analytic sensitivities at the operating point of one solved step.

    Parameters:
        model: the network model.
        result: a :class:`PowerFlowResult` with flows (``keep_flows=True``).
        step: the step (row of ``result``) whose operating point is linearised.
        asset_buses: pandapower bus indices of the candidate flexible assets.
        buses: pandapower indices of the monitored buses (default: all).
        branches: branch positions to monitor (default: all).
        with_q: also the per-MVAr sensitivities; without, the ``*_dq`` arrays are NaN and the
            solve costs half (the right-hand sides dominate on large networks).

    Returns:
        :class:`Sensitivities`.

    Raises:
        InvalidInputError: the step did not converge, or an asset bus has no supply.
    """
    asset_pos = model.bus_position(asset_buses)
    mon_bus = np.arange(len(model.buses)) if buses is None else model.bus_position(buses)
    mon_br = np.arange(len(model.branches)) if branches is None else np.asarray(branches, dtype=np.int64)
    lin = _linearise(model, result, step)
    node, V = model.buses.node, lin.V
    yff, yft, ytf, ytt = lin.yff, lin.yft, lin.ytf, lin.ytt
    n_asset = len(asset_pos)
    if np.any(~lin.active[node[asset_pos]]):
        raise InvalidInputError("an asset bus has no supply at this operating point")
    dva, dvm = lin.solve(node[asset_pos], with_q=with_q)
    if not with_q:  # NaN columns stand in for the Q half so the shapes stay the same
        dva = np.hstack([dva, np.full_like(dva, np.nan)])
        dvm = np.hstack([dvm, np.full_like(dvm, np.nan)])

    # bus voltages
    dvm_bus = dvm[node[mon_bus]]  # (n_mon_bus, 2 * n_asset)

    # branch currents and flows
    b = model.branches
    f = node[b.from_bus[mon_br]]
    t = node[b.to_bus[mon_br]]
    # dV per RHS, only at the monitored branches' end nodes (all nodes would be n x 2k dense)
    dVc_f = V[f][:, None] * (1j * dva[f] + dvm[f] / np.abs(V[f])[:, None])
    dVc_t = V[t][:, None] * (1j * dva[t] + dvm[t] / np.abs(V[t])[:, None])
    i_f = yff[mon_br] * V[f] + yft[mon_br] * V[t]
    i_t = ytf[mon_br] * V[f] + ytt[mon_br] * V[t]
    di_f = yff[mon_br, None] * dVc_f + yft[mon_br, None] * dVc_t
    di_t = ytf[mon_br, None] * dVc_f + ytt[mon_br, None] * dVc_t
    with np.errstate(divide="ignore", invalid="ignore"):
        dabs_f = np.where(np.abs(i_f)[:, None] > 0, np.real(np.conj(i_f)[:, None] * di_f) / np.abs(i_f)[:, None], 0)
        dabs_t = np.where(np.abs(i_t)[:, None] > 0, np.real(np.conj(i_t)[:, None] * di_t) / np.abs(i_t)[:, None], 0)
    base_ka_f = 1.0 / (SQRT3 * b.vn_from_kv[mon_br])
    base_ka_t = 1.0 / (SQRT3 * b.vn_to_kv[mon_br])
    lf = b.loading_per_ka_from[mon_br] * base_ka_f
    lt = b.loading_per_ka_to[mon_br] * base_ka_t
    from_side_max = (np.abs(i_f) * lf) >= (np.abs(i_t) * lt)
    dloading = np.where(from_side_max[:, None], dabs_f * lf[:, None], dabs_t * lt[:, None])
    dS_f = dVc_f * np.conj(i_f)[:, None] + V[f][:, None] * np.conj(di_f)
    dp_from = dS_f.real

    return Sensitivities(
        asset_buses=model.buses.pp_index[asset_pos],
        buses=model.buses.pp_index[mon_bus],
        branches=mon_br,
        dvm_dp=dvm_bus[:, :n_asset].T.copy(), dvm_dq=dvm_bus[:, n_asset:].T.copy(),
        dloading_dp=dloading[:, :n_asset].T.copy(), dloading_dq=dloading[:, n_asset:].T.copy(),
        dp_from_dp=dp_from[:, :n_asset].T.copy(), dp_from_dq=dp_from[:, n_asset:].T.copy(),
        step=int(step),
    )


def sensitivities_over_steps(model: NetworkModel, result: PowerFlowResult, steps, asset_buses, *,
                             buses=None, branches=None) -> list[Sensitivities]:
    """:func:`sensitivities` for several steps (one operating point each); failed steps are skipped.

    Parameters:
        model, result, asset_buses, buses, branches: see :func:`sensitivities`.
        steps: steps to linearise.

    Returns:
        List of :class:`Sensitivities`, one per converged step.
    """
    return [sensitivities(model, result, int(s), asset_buses, buses=buses, branches=branches)
            for s in steps if result.status[int(s)] == StepStatus.CONVERGED]


def finite_difference_sensitivities(model: NetworkModel, injections: DenseInjections, step: int,
                                    asset_buses, *, delta_mw: float = 0.01,
                                    buses=None, branches=None) -> Sensitivities:
    """Sensitivities by central finite differences of the full power flow.

    Probe generators (zero at the base point) are added at the asset buses; each is set to
    ``+delta`` and ``-delta`` MW (then MVAr) in one power-grid-model batch.

    Parameters:
        model: the network model.
        injections: validated injections (``dense_injections``).
        step: step whose injections form the base point.
        asset_buses: pandapower bus indices of the assets.
        delta_mw: perturbation in MW / MVAr.
        buses, branches: monitored elements as in :func:`sensitivities`.

    Returns:
        :class:`Sensitivities` computed numerically.
    """
    from power_grid_model import ComponentType, DatasetType, LoadGenType, PowerGridModel, initialize_array

    from .pgm_input import pgm_input_data, pgm_layout
    from .powerflow import _translate

    asset_pos = model.bus_position(asset_buses)
    layout = pgm_layout(model)
    data = pgm_input_data(model, layout)
    n_asset = len(asset_pos)
    first_id = int(max(int(np.max(a["id"])) for a in data.values() if len(a))) + 1
    probe_ids = np.arange(first_id, first_id + n_asset, dtype=np.int32)
    gens = data[ComponentType.sym_gen]
    probes = initialize_array(DatasetType.input, ComponentType.sym_gen, n_asset)
    probes["id"] = probe_ids
    probes["node"] = layout.node_ids[asset_pos]
    probes["status"] = 1
    probes["type"] = LoadGenType.const_power
    probes["p_specified"] = 0.0
    probes["q_specified"] = 0.0
    data[ComponentType.sym_gen] = np.concatenate([gens, probes])
    pgm = PowerGridModel(data, system_frequency=model.f_hz)

    one = DenseInjections(*(getattr(injections, f)[step:step + 1] for f in (
        "load_p", "load_q", "sgen_p", "sgen_q", "storage_p", "storage_q")))
    base = injection_update(model, layout, one)
    n_sc = 4 * n_asset  # (+P, -P, +Q, -Q) per asset
    update = {k: np.repeat(v, n_sc, axis=0) for k, v in base.items()}
    gen_base = update.get(ComponentType.sym_gen)
    probe_upd = initialize_array(DatasetType.update, ComponentType.sym_gen, (n_sc, n_asset))
    probe_upd["id"] = probe_ids[None, :]
    probe_upd["p_specified"] = 0.0
    probe_upd["q_specified"] = 0.0
    d = delta_mw * 1e6
    for a in range(n_asset):
        probe_upd["p_specified"][4 * a, a] = d
        probe_upd["p_specified"][4 * a + 1, a] = -d
        probe_upd["q_specified"][4 * a + 2, a] = d
        probe_upd["q_specified"][4 * a + 3, a] = -d
    update[ComponentType.sym_gen] = probe_upd if gen_base is None else np.concatenate([gen_base, probe_upd], axis=1)

    out = pgm.calculate_power_flow(update_data=update, error_tolerance=1e-12, max_iterations=50,
                                   output_component_types={
                                       ComponentType.node: ["energized", "u_pu", "u_angle"],
                                       ComponentType.generic_branch: ["p_from", "q_from", "i_from",
                                                                      "p_to", "q_to", "i_to"],
                                       ComponentType.source: ["p", "q"]})
    res = _translate(model, layout, out, np.zeros(n_sc, dtype=np.int8), {}, True, None)
    mon_bus = np.arange(len(model.buses)) if buses is None else model.bus_position(buses)
    mon_br = np.arange(len(model.branches)) if branches is None else np.asarray(branches, dtype=np.int64)

    def central(arr, plus, minus):
        return (arr[plus] - arr[minus]) / (2 * delta_mw)

    p_plus, p_minus = np.arange(0, n_sc, 4), np.arange(1, n_sc, 4)
    q_plus, q_minus = np.arange(2, n_sc, 4), np.arange(3, n_sc, 4)
    return Sensitivities(
        asset_buses=model.buses.pp_index[asset_pos], buses=model.buses.pp_index[mon_bus], branches=mon_br,
        dvm_dp=central(res.vm_pu[:, mon_bus], p_plus, p_minus),
        dvm_dq=central(res.vm_pu[:, mon_bus], q_plus, q_minus),
        dloading_dp=central(res.loading_percent[:, mon_br], p_plus, p_minus),
        dloading_dq=central(res.loading_percent[:, mon_br], q_plus, q_minus),
        dp_from_dp=central(res.p_from_mw[:, mon_br], p_plus, p_minus),
        dp_from_dq=central(res.p_from_mw[:, mon_br], q_plus, q_minus),
        step=int(step),
    )
