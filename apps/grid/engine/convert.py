"""Build the engine's :class:`NetworkModel` from a pandapower net.

The branch parameters reproduce pandapower's own ``_pd2ppc`` formulas (``build_branch.py``):
line pi model with ``parallel``; transformer short-circuit impedance referred to the LV bus with
the tap-adjusted LV voltage, magnetising admittance from ``pfe_kw`` / ``i0_percent``, the T model
turned into its exact pi equivalent (``trafo_model='t'``, pandapower's default), off-nominal ratio
``(vn_hv / vn_lv) / (vn_hv_bus / vn_lv_bus)`` and the vector-group phase shift.

Tap changers follow pandapower 3 exactly: the tap position only acts when ``tap_changer_type``
is ``"Ratio"``, ``"Symmetrical"`` or ``"Ideal"``. A transformer with ``tap_changer_type=None``
(all SimBench transformers) is calculated at its neutral ratio even if ``tap_pos`` is set, as
pandapower does.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from .elements import unsupported_features
from .errors import EmptyNetworkError, IslandedNetworkError, UnsupportedElementError
from .model import (
    BRANCH_LINE,
    BRANCH_TRAFO,
    BranchTable,
    BusTable,
    InjectionTable,
    NetworkModel,
    ShuntTable,
    SQRT3,
    SourceTable,
    line_rating_mva,
)
from .taps import TapTable, build_tap_table, empty_tap_table
from .topology import derive_feeders, fuse_buses, primary_transformers, supplied_buses

def from_pandapower(net, *, trafo_model: str = "t", calculate_voltage_angles: bool = True,
                    allow_islands: bool = True) -> NetworkModel:
    """Convert a pandapower net into the engine's network model.

    Parameters:
        net: pandapower net (not modified).
        trafo_model: ``"t"`` (pandapower's default) or ``"pi"``, as in ``pandapower.runpp``.
        calculate_voltage_angles: as in ``pandapower.runpp``; when False transformer phase shifts
            are ignored.
        allow_islands: when False, raise :class:`IslandedNetworkError` if some in-service bus has
            no path to a source; when True (default) such buses are kept and report NaN voltages
            (see :attr:`NetworkModel.unsupplied_buses`).

    Returns:
        The :class:`NetworkModel`, with feeders and primary transformers derived from topology.

    Raises:
        EmptyNetworkError: no buses or no in-service external grid.
        UnsupportedElementError: the net uses elements or options the engine does not model.
        IslandedNetworkError: see ``allow_islands``.
    """
    if trafo_model not in ("t", "pi"):
        raise UnsupportedElementError(f"trafo_model must be 't' or 'pi', got {trafo_model!r}")
    if len(net.bus) == 0:
        raise EmptyNetworkError("the network has no buses")
    _refuse_unsupported(net)

    buses = _bus_table(net)
    bus_pos = pd.Series(np.arange(len(net.bus)), index=net.bus.index)
    sources = _source_table(net, bus_pos, buses)
    if not sources.in_service.any():
        raise EmptyNetworkError("the network has no in-service external grid (ext_grid)")

    line_table = _line_branches(net, bus_pos, buses)
    trafo_table = _trafo_branches(net, bus_pos, buses, trafo_model, calculate_voltage_angles)
    branches = _concat_branches(line_table, trafo_table)

    buses.supplied = supplied_buses(buses, branches, sources)
    if not allow_islands and (buses.in_service & ~buses.supplied).any():
        lost = buses.pp_index[buses.in_service & ~buses.supplied]
        raise IslandedNetworkError(
            f"{len(lost)} in-service bus(es) have no path to an external grid, e.g. "
            f"{lost[:10].tolist()}")

    model = NetworkModel(
        name=str(getattr(net, "name", "") or ""),
        sn_mva=float(net.sn_mva),
        f_hz=float(net.f_hz),
        trafo_model=trafo_model,
        buses=buses,
        branches=branches,
        sources=sources,
        loads=_injection_table(net, "load", bus_pos, buses),
        sgens=_injection_table(net, "sgen", bus_pos, buses),
        storages=_injection_table(net, "storage", bus_pos, buses),
        shunts=_shunt_table(net, bus_pos, buses),
    )
    model.taps = _tap_table(net, bus_pos, buses, branches, sources, trafo_model, calculate_voltage_angles)
    model.feeders = derive_feeders(buses, branches)
    model.primary_trafos = primary_transformers(buses, branches, sources)
    return model


# --------------------------------------------------------------------------- checks

def _table(net, name: str) -> pd.DataFrame:
    table = net[name] if name in net else None
    return table if isinstance(table, pd.DataFrame) else pd.DataFrame()


def _refuse_unsupported(net) -> None:
    if problems := unsupported_features(net):
        raise UnsupportedElementError("; ".join(problems))
    line = _table(net, "line")
    if len(line) and "tdpf" in line and line["tdpf"].astype(object).fillna(False).astype(bool).any():
        warnings.warn("line tdpf flags are ignored (no temperature-dependent power flow)", stacklevel=3)


# --------------------------------------------------------------------------- tables

def _col(table: pd.DataFrame, name: str, default) -> np.ndarray:
    if name in table:
        values = table[name]
        if isinstance(default, float):
            return values.astype(float).fillna(default).to_numpy()
        return values.to_numpy()
    return np.full(len(table), default)


def _names(table: pd.DataFrame) -> np.ndarray:
    if "name" not in table:
        return np.array([""] * len(table), dtype=object)
    return np.array(["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                     for v in table["name"].to_numpy()], dtype=object)


def _bus_table(net) -> BusTable:
    bus = net.bus
    n = len(bus)
    bus_pos = pd.Series(np.arange(n), index=bus.index)
    switch = _table(net, "switch")
    pairs = np.zeros((0, 2), dtype=np.int64)
    if len(switch):
        closed_bb = switch[(switch["et"] == "b") & switch["closed"].astype(bool)]
        if len(closed_bb):
            pairs = np.column_stack([bus_pos.loc[closed_bb["bus"].to_numpy()].to_numpy(),
                                     bus_pos.loc[closed_bb["element"].to_numpy()].to_numpy()])
    return BusTable(
        pp_index=bus.index.to_numpy(dtype=np.int64),
        name=_names(bus),
        vn_kv=bus["vn_kv"].to_numpy(dtype=float),
        vm_min_pu=_col(bus, "min_vm_pu", np.nan),
        vm_max_pu=_col(bus, "max_vm_pu", np.nan),
        in_service=bus["in_service"].to_numpy(dtype=bool),
        node=fuse_buses(n, pairs),
        supplied=np.ones(n, dtype=bool),
    )


def _source_table(net, bus_pos: pd.Series, buses: BusTable) -> SourceTable:
    eg = _table(net, "ext_grid")
    bus = bus_pos.loc[eg["bus"].to_numpy()].to_numpy() if len(eg) else np.zeros(0, dtype=np.int64)
    return SourceTable(
        pp_index=eg.index.to_numpy(dtype=np.int64),
        name=_names(eg),
        bus=bus.astype(np.int64),
        vm_pu=_col(eg, "vm_pu", 1.0),
        va_degree=_col(eg, "va_degree", 0.0),
        in_service=(_col(eg, "in_service", True).astype(bool) & buses.in_service[bus])
        if len(eg) else np.zeros(0, dtype=bool),
    )


def _open_ends(net, element_code: str, table: pd.DataFrame, first_bus: str) -> tuple[np.ndarray, np.ndarray]:
    """(first_end_open, second_end_open) for lines ('l', from/to) or trafos ('t', hv/lv)."""
    n = len(table)
    first_open = np.zeros(n, dtype=bool)
    second_open = np.zeros(n, dtype=bool)
    switch = _table(net, "switch")
    if not len(switch) or not n:
        return first_open, second_open
    sw = switch[(switch["et"] == element_code) & ~switch["closed"].astype(bool)]
    if not len(sw):
        return first_open, second_open
    elem_pos = pd.Series(np.arange(n), index=table.index)
    known = sw["element"].isin(table.index)
    sw = sw[known]
    pos = elem_pos.loc[sw["element"].to_numpy()].to_numpy()
    at_first = table[first_bus].to_numpy()[pos] == sw["bus"].to_numpy()
    first_open[pos[at_first]] = True
    second_open[pos[~at_first]] = True
    return first_open, second_open


def _branch_ends(kind: int, table: pd.DataFrame, from_bus: np.ndarray, to_bus: np.ndarray,
                 from_open: np.ndarray, to_open: np.ndarray, buses: BusTable) -> dict:
    """The columns lines and transformers share: identity, ends and whether each end conducts."""
    return dict(
        kind=np.full(len(table), kind, dtype=np.int8),
        pp_index=table.index.to_numpy(dtype=np.int64),
        name=_names(table),
        from_bus=from_bus.astype(np.int64), to_bus=to_bus.astype(np.int64),
        in_service=table["in_service"].to_numpy(dtype=bool),
        from_closed=~from_open & buses.in_service[from_bus],
        to_closed=~to_open & buses.in_service[to_bus],
    )


def _line_branches(net, bus_pos: pd.Series, buses: BusTable) -> dict:
    line = _table(net, "line")
    n = len(line)
    if n == 0:
        return {}
    fb = bus_pos.loc[line["from_bus"].to_numpy()].to_numpy()
    tb = bus_pos.loc[line["to_bus"].to_numpy()].to_numpy()
    length = line["length_km"].to_numpy(dtype=float)
    parallel = line["parallel"].to_numpy(dtype=float)
    df = line["df"].to_numpy(dtype=float)
    vn_from, vn_to = buses.vn_kv[fb], buses.vn_kv[tb]
    # pandapower refers the line to its from-bus voltage; the engine refers branches to the to-bus
    to_side = np.square(vn_to / vn_from)
    r = line["r_ohm_per_km"].to_numpy(dtype=float) * length / parallel * to_side
    x = line["x_ohm_per_km"].to_numpy(dtype=float) * length / parallel * to_side
    b = 2 * math.pi * float(net.f_hz) * line["c_nf_per_km"].to_numpy(dtype=float) * 1e-9 * length * parallel / to_side
    g = _col(line, "g_us_per_km", 0.0) * 1e-6 * length * parallel / to_side
    i_max = line["max_i_ka"].to_numpy(dtype=float) * df * parallel
    from_open, to_open = _open_ends(net, "l", line, "from_bus")
    with np.errstate(divide="ignore"):
        per_ka = np.where(i_max > 0, 100.0 / i_max, np.inf)
    return dict(
        **_branch_ends(BRANCH_LINE, line, fb, tb, from_open, to_open, buses),
        r_ohm=r, x_ohm=x, g_s=g, b_s=b,
        ratio=np.ones(n), shift_rad=np.zeros(n),
        i_max_ka=i_max, sn_mva=np.full(n, np.nan),
        rating_mva=line_rating_mva(vn_from, i_max),  # i_max already holds df and parallel
        loading_per_ka_from=per_ka, loading_per_ka_to=per_ka.copy(),
        vn_from_kv=vn_from, vn_to_kv=vn_to,
    )


def _tap_adjusted_voltages(trafo: pd.DataFrame, calculate_voltage_angles: bool):
    """Tap-adjusted rated voltages and phase shift, as pandapower's ``_calc_tap_from_dataframe``."""
    vnh = trafo["vn_hv_kv"].to_numpy(dtype=float).copy()
    vnl = trafo["vn_lv_kv"].to_numpy(dtype=float).copy()
    shift = (trafo["shift_degree"].to_numpy(dtype=float).copy() if calculate_voltage_angles
             else np.zeros(len(trafo)))
    for t in ("", "2"):
        if f"tap{t}_pos" not in trafo:
            continue
        if f"tap{t}_changer_type" not in trafo:
            raise UnsupportedElementError(
                f"net.trafo has tap{t}_pos but no tap{t}_changer_type column (pandapower < 3 data)")
        ctype = trafo[f"tap{t}_changer_type"].astype(object).where(
            trafo[f"tap{t}_changer_type"].notna(), "").to_numpy()
        tap_side = trafo[f"tap{t}_side"].astype(object).where(trafo[f"tap{t}_side"].notna(), "").to_numpy()
        pos = trafo[f"tap{t}_pos"].to_numpy(dtype=float)
        neutral = _col(trafo, f"tap{t}_neutral", np.nan)
        step_pct = _col(trafo, f"tap{t}_step_percent", np.nan)
        step_deg = _col(trafo, f"tap{t}_step_degree", np.nan)
        diff = pos - neutral
        ideal = ctype == "Ideal"
        complex_tap = (ctype == "Ratio") | (ctype == "Symmetrical")
        for side, vn, direction in (("hv", vnh, 1.0), ("lv", vnl, -1.0)):
            m_ideal = ideal & (tap_side == side)
            if m_ideal.any():
                deg_set = np.nan_to_num(step_deg[m_ideal], nan=0) != 0
                pct_set = np.nan_to_num(step_pct[m_ideal], nan=0) != 0
                if (deg_set & pct_set).any():
                    raise UnsupportedElementError(
                        "both tap_step_degree and tap_step_percent set for an ideal phase shifter")
                with np.errstate(invalid="ignore"):
                    add = np.where(deg_set, direction * diff[m_ideal] * step_deg[m_ideal],
                                   direction * 2 * np.rad2deg(np.arcsin(diff[m_ideal] * step_pct[m_ideal] / 200)))
                if calculate_voltage_angles:
                    shift[m_ideal] += add
            m_cplx = complex_tap & (tap_side == side)
            if m_cplx.any():
                steps = np.nan_to_num(step_pct[m_cplx] * diff[m_cplx] / 100, nan=0)
                angle = np.deg2rad(np.nan_to_num(step_deg[m_cplx], nan=0))
                u1 = vn[m_cplx]
                du = u1 * steps
                vn[m_cplx] = np.sqrt((u1 + du * np.cos(angle)) ** 2 + (du * np.sin(angle)) ** 2)
                if calculate_voltage_angles:
                    shift[m_cplx] += np.rad2deg(np.arctan(direction * du * np.sin(angle)
                                                          / (u1 + du * np.cos(angle))))
    return vnh, vnl, shift


def _wye_delta(r, x, g, b, r_ratio, x_ratio):
    """Exact pi equivalent of pandapower's T transformer model (``build_branch._wye_delta``)."""
    r, x, g, b = r.copy(), x.copy(), g.copy(), b.copy()
    tidx = (g != 0) | (b != 0)
    if not tidx.any():
        return r, x, g, b
    za = r[tidx] * r_ratio[tidx] + 1j * x[tidx] * x_ratio[tidx]
    zb = r[tidx] * (1 - r_ratio[tidx]) + 1j * x[tidx] * (1 - x_ratio[tidx])
    zc = 1 / (g + 1j * b)[tidx]
    zsum = za * zb + za * zc + zb * zc
    zab = zsum / zc
    yf = zb / zsum  # 1 / zac
    yt = za / zsum  # 1 / zbc
    if not np.allclose(yf, yt, rtol=1e-12, atol=0):
        raise UnsupportedElementError("transformers with leakage ratios other than 0.5 give an "
                                      "asymmetric pi model, which the engine does not model")
    r[tidx], x[tidx] = zab.real, zab.imag
    g[tidx], b[tidx] = 2 * yf.real, 2 * yf.imag
    return r, x, g, b


def trafo_electrical(trafo: pd.DataFrame, vn_hv_bus: np.ndarray, vn_lv_bus: np.ndarray, sn_net: float,
                     trafo_model: str, calculate_voltage_angles: bool) -> dict:
    """Pi parameters of transformers at their ``tap_pos`` (referred to the LV bus voltage).

    Parameters:
        trafo: rows of ``net.trafo`` (the tap columns decide the ratio and impedance).
        vn_hv_bus / vn_lv_bus: nominal voltages of the HV / LV buses.
        sn_net: the net's base power.
        trafo_model, calculate_voltage_angles: as in :func:`from_pandapower`.

    Returns:
        Dict of arrays ``r_ohm, x_ohm, g_s, b_s, ratio, shift_rad``.
    """
    sn = trafo["sn_mva"].to_numpy(dtype=float)
    parallel = trafo["parallel"].to_numpy(dtype=float)
    vn_lv_rated = trafo["vn_lv_kv"].to_numpy(dtype=float)

    vnh, vnl, shift = _tap_adjusted_voltages(trafo, calculate_voltage_angles)
    ratio = (vnh / vnl) / (vn_hv_bus / vn_lv_bus)

    # short-circuit impedance in pu of (sn_net, vn_lv_bus), with the tap-adjusted LV voltage
    tap_lv = np.square(vnl / vn_lv_bus) * sn_net
    z_sc = trafo["vk_percent"].to_numpy(dtype=float) / 100.0 / sn * tap_lv
    r_sc = trafo["vkr_percent"].to_numpy(dtype=float) / 100.0 / sn * tap_lv
    x_sc = np.sign(z_sc) * np.sqrt(z_sc ** 2 - r_sc ** 2)
    r_pu, x_pu = r_sc / parallel, x_sc / parallel

    # magnetising admittance
    base_z = np.square(vn_lv_bus) / sn_net
    pfe_mw = trafo["pfe_kw"].to_numpy(dtype=float) * 1e-3
    ym_mva = trafo["i0_percent"].to_numpy(dtype=float) / 100.0 * sn
    b_mva = -np.sqrt(np.clip(ym_mva ** 2 - pfe_mw ** 2, 0, None))
    scale = base_z * parallel / np.square(vn_lv_rated) / np.square(vnl / vn_lv_rated)
    g_pu, b_pu = pfe_mw * scale, b_mva * scale

    if trafo_model == "t":
        r_ratio = _col(trafo, "leakage_resistance_ratio_hv", 0.5)
        x_ratio = _col(trafo, "leakage_reactance_ratio_hv", 0.5)
        r_pu, x_pu, g_pu, b_pu = _wye_delta(r_pu, x_pu, g_pu, b_pu, r_ratio, x_ratio)
    return dict(r_ohm=r_pu * base_z, x_ohm=x_pu * base_z, g_s=g_pu / base_z, b_s=b_pu / base_z,
                ratio=ratio, shift_rad=np.deg2rad(shift))



def _trafo_branches(net, bus_pos: pd.Series, buses: BusTable, trafo_model: str,
                    calculate_voltage_angles: bool) -> dict:
    trafo = _table(net, "trafo")
    n = len(trafo)
    if n == 0:
        return {}
    if (trafo["df"].to_numpy(dtype=float) <= 0).any():
        raise UnsupportedElementError("transformer rating factor df must be positive")
    hb = bus_pos.loc[trafo["hv_bus"].to_numpy()].to_numpy()
    lb = bus_pos.loc[trafo["lv_bus"].to_numpy()].to_numpy()
    vn_hv_bus, vn_lv_bus = buses.vn_kv[hb], buses.vn_kv[lb]
    sn = trafo["sn_mva"].to_numpy(dtype=float)
    parallel = trafo["parallel"].to_numpy(dtype=float)
    df = trafo["df"].to_numpy(dtype=float)
    vn_lv_rated = trafo["vn_lv_kv"].to_numpy(dtype=float)
    electrical = trafo_electrical(trafo, vn_hv_bus, vn_lv_bus, float(net.sn_mva), trafo_model,
                                  calculate_voltage_angles)

    hv_open, lv_open = _open_ends(net, "t", trafo, "hv_bus")
    rating = sn * parallel * df
    return dict(
        **_branch_ends(BRANCH_TRAFO, trafo, hb, lb, hv_open, lv_open, buses),
        **electrical,
        i_max_ka=np.full(n, np.nan), sn_mva=rating, rating_mva=rating,
        loading_per_ka_from=SQRT3 * trafo["vn_hv_kv"].to_numpy(dtype=float) * 100.0 / rating,
        loading_per_ka_to=SQRT3 * vn_lv_rated * 100.0 / rating,
        vn_from_kv=vn_hv_bus, vn_to_kv=vn_lv_bus,
    )


def _tap_table(net, bus_pos: pd.Series, buses: BusTable, branches: BranchTable, sources: SourceTable,
               trafo_model: str, calculate_voltage_angles: bool) -> TapTable:
    trafo = _table(net, "trafo")
    if not len(trafo):
        return empty_tap_table()
    hb = bus_pos.loc[trafo["hv_bus"].to_numpy()].to_numpy()
    lb = bus_pos.loc[trafo["lv_bus"].to_numpy()].to_numpy()

    def electrical(rows: pd.DataFrame, which: np.ndarray) -> dict:
        return trafo_electrical(rows, buses.vn_kv[hb[which]], buses.vn_kv[lb[which]], float(net.sn_mva),
                                trafo_model, calculate_voltage_angles)

    return build_tap_table(net, trafo, np.flatnonzero(branches.kind == BRANCH_TRAFO), hb, lb,
                           sources.bus[sources.in_service], electrical)


def _concat_branches(*parts: dict) -> BranchTable:
    parts = [p for p in parts if p]
    fields = BranchTable.__dataclass_fields__.keys()
    if not parts:
        empty = {f: np.zeros(0) for f in fields}
        for f in ("kind",):
            empty[f] = np.zeros(0, dtype=np.int8)
        for f in ("pp_index", "from_bus", "to_bus"):
            empty[f] = np.zeros(0, dtype=np.int64)
        for f in ("in_service", "from_closed", "to_closed"):
            empty[f] = np.zeros(0, dtype=bool)
        empty["name"] = np.zeros(0, dtype=object)
        return BranchTable(**empty)
    return BranchTable(**{f: np.concatenate([p[f] for p in parts]) for f in fields})


def _injection_table(net, element: str, bus_pos: pd.Series, buses: BusTable) -> InjectionTable:
    table = _table(net, element)
    n = len(table)
    bus = bus_pos.loc[table["bus"].to_numpy()].to_numpy().astype(np.int64) if n else np.zeros(0, np.int64)
    scaling = _col(table, "scaling", 1.0)
    der_type = (np.array(["" if pd.isna(v) else str(v) for v in table["type"].to_numpy()], dtype=object)
                if "type" in table else np.array([""] * n, dtype=object))
    return InjectionTable(
        element=element,
        pp_index=table.index.to_numpy(dtype=np.int64),
        name=_names(table),
        bus=bus,
        p_mw=_col(table, "p_mw", 0.0) * scaling,
        q_mvar=_col(table, "q_mvar", 0.0) * scaling,
        in_service=(_col(table, "in_service", True).astype(bool) & buses.in_service[bus]) if n
        else np.zeros(0, dtype=bool),
        der_type=der_type,
        sn_mva=_col(table, "sn_mva", np.nan),
    )


def _shunt_table(net, bus_pos: pd.Series, buses: BusTable) -> ShuntTable:
    shunt = _table(net, "shunt")
    n = len(shunt)
    bus = bus_pos.loc[shunt["bus"].to_numpy()].to_numpy().astype(np.int64) if n else np.zeros(0, np.int64)
    vn_bus = buses.vn_kv[bus]
    vn = _col(shunt, "vn_kv", np.nan)
    vn = np.where(np.isnan(vn), vn_bus, vn)
    step = _col(shunt, "step", 1.0)
    # pandapower: P = p_mw * step at the shunt's rated voltage; positive q_mvar absorbs
    return ShuntTable(
        pp_index=shunt.index.to_numpy(dtype=np.int64),
        name=_names(shunt),
        bus=bus,
        g_s=_col(shunt, "p_mw", 0.0) * step / np.square(vn) if n else np.zeros(0),
        b_s=-_col(shunt, "q_mvar", 0.0) * step / np.square(vn) if n else np.zeros(0),
        in_service=(_col(shunt, "in_service", True).astype(bool) & buses.in_service[bus]) if n
        else np.zeros(0, dtype=bool),
    )
