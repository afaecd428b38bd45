"""Transformer taps: fixed tap positions and on-load tap changers (OLTC) that regulate a busbar.

Fixed taps act through the branch parameters built in :mod:`.convert` (a tap only acts when
``tap_changer_type`` is set, as in pandapower 3). A transformer whose tap changer regulates (an
OLTC, typically a primary's HV/MV units holding the MV busbar) is solved with an outer loop
that reproduces pandapower's ``DiscreteTapControl`` step by step:

* every step of the batch starts from the transformer's ``tap_pos`` (the steps are independent,
  so a whole day is still one power-grid-model batch per round);
* after each power flow, a regulated transformer whose controlled bus is outside
  ``(vm_lower_pu, vm_upper_pu)`` moves one tap towards the band (within its tap limits);
* only the steps whose taps moved are solved again, grouped by tap configuration (one cached
  power-grid-model per configuration), until no tap moves.

power-grid-model's own ``TransformerTapRegulator`` works on its ``transformer`` component,
whose model differs from pandapower's T-model transformer, and it may settle on another tap
inside the band than pandapower's one-step-at-a-time controller; the outer loop keeps the engine
equal to pandapower (the reference) with the exact branch parameters of every tap.

Where a net says a transformer regulates: ``net.trafo`` columns ``oltc_control`` (bool),
``oltc_vm_set_pu`` and ``oltc_band_pu`` (total bandwidth: no tap change while
``|V - target| < band / 2``), as the registry exports them, or pandapower
``DiscreteTapControl`` controllers in ``net.controller``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from cachetools import LRUCache

# A UK primary's automatic voltage control (AVC) relay: hold the MV busbar at nominal voltage,
# bandwidth ±1.25 % (2.5 % total). Holding nominal, not the customary 1.02-1.03 pu, leaves the
# whole +6 % (ESQCR) for the voltage rise of embedded generation along the feeders; the band is
# wider than the 1.5 % tap step so one tap change always lands inside it (no hunting).
# Reasoning and measurements in docs/engine.md.
OLTC_VM_SET_PU = 1.00
OLTC_BAND_PU = 0.025
TAP_ACTS = ("Ratio", "Symmetrical", "Ideal")
# pandapower's control loop gives up after 30 rounds (run_control max_iter); so does the engine
MAX_TAP_ROUNDS = 30
_PGM_CACHE_SIZE = 16  # tap configurations (x outages) kept per model


@dataclass(eq=False)
class TapTable:
    """Tap changers of the model's transformers, one row per transformer (``trafo_positions``).

    Attributes:
        branch: branch positions of the transformers.
        pos: tap position the power flow starts from (``tap_pos``, neutral when missing).
        tap_min / tap_max / neutral / step_percent: pandapower tap columns (NaN when missing).
        acts: True when the tap changes the ratio (``tap_changer_type`` set, tap data present).
        regulated: True for an OLTC that regulates its controlled bus.
        controlled_bus: bus position the OLTC holds (its LV busbar), -1 when not regulated.
        controls_lv: True when the controlled bus is the LV side (else the HV side).
        vm_lower_pu / vm_upper_pu: the band; no tap change strictly inside it.
        direction: +1 when raising the tap lowers the controlled voltage (tap on the HV side,
            voltage held on the LV side, positive step), else -1 (pandapower's
            ``tap_side_coeff * tap_sign``).
        reg: positions (rows of this table) of the regulated transformers.
        params: electrical parameters of each regulated transformer at each tap:
            ``params[name][k, tap - tap_lo]`` for ``name`` in r_ohm, x_ohm, g_s, b_s, ratio,
            shift_rad and ``k`` over ``reg``.
        tap_lo: lowest tap position of ``params``.
    """

    branch: np.ndarray
    pos: np.ndarray
    tap_min: np.ndarray
    tap_max: np.ndarray
    neutral: np.ndarray
    step_percent: np.ndarray
    acts: np.ndarray
    regulated: np.ndarray
    controlled_bus: np.ndarray
    controls_lv: np.ndarray
    vm_lower_pu: np.ndarray
    vm_upper_pu: np.ndarray
    direction: np.ndarray
    params: dict
    tap_lo: int = 0

    @property
    def reg(self) -> np.ndarray:
        return np.flatnonzero(self.regulated)

    @property
    def vm_set_pu(self) -> np.ndarray:
        return (self.vm_lower_pu + self.vm_upper_pu) / 2

    @property
    def band_pu(self) -> np.ndarray:
        return self.vm_upper_pu - self.vm_lower_pu


PARAM_NAMES = ("r_ohm", "x_ohm", "g_s", "b_s", "ratio", "shift_rad")


def empty_tap_table() -> TapTable:
    z = np.zeros(0)
    return TapTable(branch=np.zeros(0, dtype=np.int64), pos=z, tap_min=z, tap_max=z, neutral=z,
                    step_percent=z, acts=np.zeros(0, dtype=bool), regulated=np.zeros(0, dtype=bool),
                    controlled_bus=np.zeros(0, dtype=np.int64), controls_lv=np.zeros(0, dtype=bool), vm_lower_pu=z, vm_upper_pu=z,
                    direction=z, params={name: np.zeros((0, 0)) for name in PARAM_NAMES})


# --------------------------------------------------------------------------- defaults for a net

def is_primary(trafo: pd.DataFrame) -> np.ndarray:
    """True for HV/MV transformers (a primary substation's units): MV on the LV side
    (1-36 kV, e.g. 11 or 20 kV) fed from 30 kV or more (33, 66, 110, 132 kV)."""
    vn_hv = trafo["vn_hv_kv"].to_numpy(dtype=float)
    vn_lv = trafo["vn_lv_kv"].to_numpy(dtype=float)
    return (vn_lv > 1.0) & (vn_lv <= 36.0) & (vn_hv >= 30.0) & (vn_hv > vn_lv)


def tap_defaults(net, *, vm_set_pu: float = OLTC_VM_SET_PU, band_pu: float = OLTC_BAND_PU) -> pd.DataFrame:
    """What the product sets on a net's transformers so that their taps act and primaries regulate.

    * ``tap_changer_type = "Ratio"`` where a tap position and step are given but no type (every
      SimBench transformer: pandapower 3 would ignore its ``tap_pos``);
    * an OLTC on every primary (HV/MV) transformer with a tap range, holding its LV busbar at
      ``vm_set_pu`` within ``band_pu`` (total), unless the net already says otherwise.

    Parameters:
        net: pandapower net (not modified).
        vm_set_pu, band_pu: OLTC target and total bandwidth.

    Returns:
        DataFrame indexed like ``net.trafo`` with ``tap_changer_type``, ``oltc_control``,
        ``oltc_vm_set_pu``, ``oltc_band_pu`` (pandapower's own ``oltc`` column only says a unit
        has an on-load tap changer, for short-circuit studies; ``oltc_control`` says it regulates).
    """
    trafo = net.trafo
    out = pd.DataFrame(index=trafo.index)
    ctype = (trafo["tap_changer_type"].astype(object) if "tap_changer_type" in trafo
             else pd.Series(None, index=trafo.index, dtype=object))
    has_tap = trafo["tap_pos"].notna() if "tap_pos" in trafo else pd.Series(False, index=trafo.index)
    has_step = (trafo["tap_step_percent"].fillna(0) != 0) if "tap_step_percent" in trafo else has_tap & False
    missing = ctype.isna() | (ctype.astype(str) == "")
    out["tap_changer_type"] = ctype.where(~(missing & has_tap & has_step), "Ratio")
    ranged = ((trafo["tap_max"] > trafo["tap_min"]) if {"tap_min", "tap_max"} <= set(trafo.columns)
              else has_tap & False)
    default_oltc = pd.Series(is_primary(trafo), index=trafo.index) & ranged.fillna(False) & has_step
    given = (trafo["oltc_control"].astype(object) if "oltc_control" in trafo
             else pd.Series(None, index=trafo.index, dtype=object))
    out["oltc_control"] = given.where(given.notna(), default_oltc).astype(bool)
    for column, default in (("oltc_vm_set_pu", vm_set_pu), ("oltc_band_pu", band_pu)):
        values = trafo[column].astype(float) if column in trafo else pd.Series(np.nan, index=trafo.index)
        out[column] = values.where(values.notna() | ~out["oltc_control"], default)
    return out


def apply_tap_defaults(net, **kwargs) -> None:
    """Write :func:`tap_defaults` into ``net.trafo`` (in place)."""
    if not len(net.trafo):
        return
    defaults = tap_defaults(net, **kwargs)
    net.trafo["tap_changer_type"] = defaults["tap_changer_type"].astype(object)
    for column in ("oltc_control", "oltc_vm_set_pu", "oltc_band_pu"):
        net.trafo[column] = defaults[column]
    net.trafo["oltc"] = defaults["oltc_control"] | (net.trafo["oltc"].fillna(False).astype(bool)
                                                    if "oltc" in net.trafo else False)


# --------------------------------------------------------------------------- the table

def _controller_settings(net) -> dict:
    """trafo index -> (vm_lower, vm_upper, side) from in-service DiscreteTapControl controllers."""
    ctrl = net["controller"] if "controller" in net else None
    if not isinstance(ctrl, pd.DataFrame) or not len(ctrl):
        return {}
    from pandapower.control import DiscreteTapControl

    out = {}
    for _, row in ctrl.iterrows():
        obj = row["object"]
        if not isinstance(obj, DiscreteTapControl) or not bool(row.get("in_service", True)) \
                or getattr(obj, "element", "trafo") != "trafo":
            continue
        for i, idx in enumerate(np.atleast_1d(obj.element_index)):
            lower = np.atleast_1d(obj.vm_lower_pu)
            upper = np.atleast_1d(obj.vm_upper_pu)
            side = np.atleast_1d(obj.side)
            out[int(idx)] = (float(lower[min(i, len(lower) - 1)]), float(upper[min(i, len(upper) - 1)]),
                             str(side[min(i, len(side) - 1)]))
    return out


def build_tap_table(net, trafo: pd.DataFrame, branch_positions: np.ndarray, hv_bus: np.ndarray,
                    lv_bus: np.ndarray, source_buses: np.ndarray, electrical) -> TapTable:
    """The :class:`TapTable` of ``net.trafo`` (called by :func:`.convert.from_pandapower`).

    Parameters:
        net: the pandapower net.
        trafo: ``net.trafo``.
        branch_positions: branch positions of the transformers (same order as ``trafo``).
        hv_bus / lv_bus: bus positions of each transformer's sides.
        source_buses: bus positions of in-service external grids (an OLTC never holds a slack).
        electrical: ``electrical(rows)`` -> pi parameters of ``net.trafo`` rows at their
            ``tap_pos`` (:func:`.convert.trafo_electrical` bound to the net).
    """
    n = len(trafo)
    if n == 0:
        return empty_tap_table()

    def col(name, default=np.nan):
        return trafo[name].astype(float).to_numpy() if name in trafo else np.full(n, default)

    neutral = col("tap_neutral")
    pos = col("tap_pos")
    pos = np.where(np.isnan(pos), neutral, pos)
    tap_min, tap_max, step = col("tap_min"), col("tap_max"), col("tap_step_percent")
    step_deg = col("tap_step_degree")
    ctype = (trafo["tap_changer_type"].astype(object).where(trafo["tap_changer_type"].notna(), "").to_numpy()
             if "tap_changer_type" in trafo else np.full(n, "", dtype=object))
    acts = np.isin(ctype, TAP_ACTS) & np.isfinite(pos) & np.isfinite(step) & (step != 0)
    tap_side = (trafo["tap_side"].astype(object).where(trafo["tap_side"].notna(), "").to_numpy()
                if "tap_side" in trafo else np.full(n, "", dtype=object))
    in_service = trafo["in_service"].to_numpy(dtype=bool)

    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    side = np.full(n, "lv", dtype=object)
    if "oltc_control" in trafo:
        flag = trafo["oltc_control"].astype(object).fillna(False).astype(bool).to_numpy()
        vm_set = np.where(np.isnan(col("oltc_vm_set_pu")), OLTC_VM_SET_PU, col("oltc_vm_set_pu"))
        band = np.where(np.isnan(col("oltc_band_pu")), OLTC_BAND_PU, col("oltc_band_pu"))
        lower = np.where(flag, vm_set - band / 2, np.nan)
        upper = np.where(flag, vm_set + band / 2, np.nan)
    position = pd.Series(np.arange(n), index=trafo.index)
    for idx, (lo, hi, s) in _controller_settings(net).items():
        if idx in position.index:
            i = int(position[idx])
            lower[i], upper[i], side[i] = lo, hi, s
    controlled = np.where(side == "hv", hv_bus, lv_bus)
    regulated = (np.isfinite(lower) & acts & in_service & np.isfinite(tap_min) & np.isfinite(tap_max)
                 & ~np.isin(controlled, source_buses))
    coeff = np.where(tap_side == "hv", 1.0, -1.0) * np.where(side == "hv", -1.0, 1.0) * np.where(step < 0, -1.0, 1.0)
    with np.errstate(invalid="ignore"):
        sign = np.where(np.isnan(step_deg), 1.0, np.sign(np.cos(np.deg2rad(step_deg))))
    sign = np.where((sign == 0) | np.isnan(sign), 1.0, sign)

    reg = np.flatnonzero(regulated)
    params = {name: np.zeros((len(reg), 0)) for name in PARAM_NAMES}
    tap_lo = 0
    if len(reg):
        tap_lo = int(np.floor(tap_min[reg].min()))
        tap_hi = int(np.ceil(tap_max[reg].max()))
        taps = np.arange(tap_lo, tap_hi + 1)
        # every regulated row once per tap position, through the same formulas as the base model
        rows = trafo.iloc[np.repeat(reg, len(taps))].copy()
        rows["tap_pos"] = np.tile(taps, len(reg)).astype(float)
        values = electrical(rows, np.repeat(reg, len(taps)))
        params = {name: np.asarray(values[name]).reshape(len(reg), len(taps)) for name in PARAM_NAMES}
    return TapTable(
        branch=np.asarray(branch_positions, dtype=np.int64), pos=pos, tap_min=tap_min, tap_max=tap_max,
        neutral=neutral, step_percent=step, acts=acts, regulated=regulated,
        controlled_bus=np.where(regulated, controlled, -1).astype(np.int64), controls_lv=side != "hv",
        vm_lower_pu=np.where(regulated, lower, np.nan), vm_upper_pu=np.where(regulated, upper, np.nan),
        direction=coeff * sign, params=params, tap_lo=tap_lo)


# --------------------------------------------------------------------------- control law

def tap_increments(taps: TapTable, vm: np.ndarray, cur: np.ndarray,
                   target_shift_pu: np.ndarray | None = None) -> np.ndarray:
    """One round of ``DiscreteTapControl``: -1, 0 or +1 per step and regulated transformer.

    Parameters:
        taps: the tap table.
        vm: (S, n_reg) voltage at each regulated transformer's controlled bus.
        cur: (S, n_reg) current tap positions.
        target_shift_pu: (S,) move of every OLTC's target (and band) per step, or None.
    """
    reg = taps.reg
    lo, hi = taps.vm_lower_pu[reg][None, :], taps.vm_upper_pu[reg][None, :]
    if target_shift_pu is not None:
        shift = np.asarray(target_shift_pu, dtype=float)[:, None]
        lo, hi = lo + shift, hi + shift
    tmin, tmax = taps.tap_min[reg], taps.tap_max[reg]
    with np.errstate(invalid="ignore"):  # NaN voltage (failed step): no move
        low, high = vm < lo, vm > hi
    up_lowers = taps.direction[reg] == 1
    inc = np.where(up_lowers,
                   np.where(low & (cur > tmin), -1, np.where(high & (cur < tmax), 1, 0)),
                   np.where(low & (cur < tmax), 1, np.where(high & (cur > tmin), -1, 0)))
    return inc.astype(np.int64)


def branch_values_at(model, config: np.ndarray) -> dict:
    """Branch parameter arrays (r_ohm, ..., shift_rad) of the model with its regulated
    transformers at the tap positions ``config`` (one per regulated transformer)."""
    taps = model.taps
    b = model.branches
    out = {name: getattr(b, name).copy() for name in PARAM_NAMES}
    cols = np.asarray(config, dtype=np.int64) - taps.tap_lo
    rows = np.arange(len(taps.reg))
    positions = taps.branch[taps.reg]
    for name in PARAM_NAMES:
        out[name][positions] = taps.params[name][rows, cols]
    return out


def model_at_taps(model, config: np.ndarray):
    """A shallow copy of the model whose branches carry the regulated taps ``config``."""
    if not len(model.taps.reg) or np.array_equal(np.asarray(config, dtype=float), model.taps.pos[model.taps.reg]):
        return model
    branches = dataclasses.replace(model.branches, **branch_values_at(model, config))
    return dataclasses.replace(model, branches=branches, _cache={})


def _pgm_for(model, config: tuple, outage: int | None = None):
    """The PowerGridModel of the model with its regulated taps at ``config`` (and a branch out)."""
    from power_grid_model import ComponentType, DatasetType, PowerGridModel, initialize_array

    from .pgm_input import pgm_input_data
    from .powerflow import _pgm_model

    base, layout = _pgm_model(model)
    base_cfg = tuple(int(v) for v in model.taps.pos[model.taps.reg])
    cache = model._cache.get("pgm_taps")
    if cache is None:
        cache = model._cache["pgm_taps"] = LRUCache(maxsize=_PGM_CACHE_SIZE)
    key = (config, outage)
    if key in cache:
        return cache[key]
    if config == base_cfg:
        pgm = base.copy() if outage is not None else base
    else:
        data = model._cache.get("pgm_input")
        if data is None:
            data = model._cache["pgm_input"] = pgm_input_data(model, layout)
        branch = data[ComponentType.generic_branch].copy()
        values = branch_values_at(model, np.array(config))
        positions = model.taps.branch[model.taps.reg]
        in_pgm = layout.branch_in_pgm[positions]
        rows = np.searchsorted(np.flatnonzero(layout.branch_in_pgm), positions[in_pgm])
        for attr, name in (("r1", "r_ohm"), ("x1", "x_ohm"), ("g1", "g_s"), ("b1", "b_s"),
                           ("k", "ratio"), ("theta", "shift_rad")):
            branch[attr][rows] = values[name][positions[in_pgm]]
        pgm = PowerGridModel({**data, ComponentType.generic_branch: branch}, system_frequency=model.f_hz)
    if outage is not None and layout.branch_in_pgm[outage]:
        upd = initialize_array(DatasetType.update, ComponentType.generic_branch, 1)
        upd["id"] = layout.branch_ids[outage]
        upd["from_status"] = 0
        upd["to_status"] = 0
        pgm.update(update_data={ComponentType.generic_branch: upd})
    cache[key] = pgm  # the least recently used configuration goes when full
    return pgm


_ROW_FIELDS = ("status", "vm_pu", "va_degree", "loading_percent", "p_from_mw", "q_from_mvar", "p_to_mw",
               "q_to_mvar", "i_from_ka", "i_to_ka", "source_p_mw", "source_q_mvar", "feeder_p_mw",
               "feeder_q_mvar", "primary_p_mw", "primary_q_mvar")


def full_tap_positions(model, n_steps: int, reg_positions: np.ndarray | None = None) -> np.ndarray:
    """(T, n_trafo) tap positions: the fixed ones, and the regulated ones where given."""
    taps = model.taps
    out = np.broadcast_to(taps.pos, (n_steps, len(taps.pos))).copy()
    if reg_positions is not None and len(taps.reg):
        out[:, taps.reg] = reg_positions
    return out


# a jump is kept when the voltage predicted one tap back is this far outside the band (the
# prediction from the exact voltage one tap away errs by under 3e-4 pu on SimBench MV)
_JUMP_MARGIN_PU = 1e-3


def _ratio_at(taps: TapTable, positions: np.ndarray) -> np.ndarray:
    """Off-nominal ratio of each regulated transformer at ``positions`` (S, n_reg)."""
    cols = np.clip(np.asarray(positions, dtype=np.int64) - taps.tap_lo, 0, taps.params["ratio"].shape[1] - 1)
    return taps.params["ratio"][np.arange(len(taps.reg))[None, :], cols]


def _scaled_voltage(taps: TapTable, vm: np.ndarray, from_pos: np.ndarray, to_pos: np.ndarray) -> np.ndarray:
    """Controlled-bus voltage at ``to_pos`` estimated from ``vm`` at ``from_pos``: the busbar
    follows the ratio (the LV side moves as 1 / k)."""
    lv = taps.controls_lv[taps.reg]
    factor = _ratio_at(taps, from_pos) / _ratio_at(taps, to_pos)
    return np.where(lv[None, :], vm * factor, vm / factor)


def _predict_taps(taps: TapTable, vm: np.ndarray, start: np.ndarray, shift) -> np.ndarray:
    """Where pandapower's one-step-at-a-time control would stop, on predicted voltages."""
    cur = np.tile(start, (len(vm), 1))
    for _ in range(MAX_TAP_ROUNDS):
        inc = tap_increments(taps, _scaled_voltage(taps, vm, np.broadcast_to(start, cur.shape), cur), cur, shift)
        if not inc.any():
            break
        cur = cur + inc
    return cur


def _path_confirmed(taps: TapTable, vm: np.ndarray, final: np.ndarray, start: np.ndarray, shift,
                    first_inc: np.ndarray) -> np.ndarray:
    """True per row when a solve at ``final`` (exact voltages ``vm``) is where pandapower's
    control stops too: nothing moves there, every unit moved the same number of steps in the
    direction its exact start voltage asked for (lockstep, as the controller does), and one
    step back every unit was still outside its band by a margin on the side it moved away from."""
    stay = ~(tap_increments(taps, vm, final, shift) != 0).any(axis=1)
    steps = final - start[None, :]
    moved = steps != 0
    lockstep = (np.abs(steps) == np.abs(steps[:, :1])).all(axis=1) & moved.all(axis=1) \
        & (np.sign(steps) == first_inc).all(axis=1)
    back = final - np.sign(steps)
    vm_back = _scaled_voltage(taps, vm, final, back)
    reg = taps.reg
    lo, hi = taps.vm_lower_pu[reg][None, :], taps.vm_upper_pu[reg][None, :]
    if shift is not None:
        lo, hi = lo + np.asarray(shift)[:, None], hi + np.asarray(shift)[:, None]
    # raising the tap lowers the voltage when direction == 1: a unit that moved up was above the band
    went_down_in_v = np.sign(steps) * taps.direction[reg][None, :] > 0
    outside = np.where(went_down_in_v, vm_back > hi + _JUMP_MARGIN_PU, vm_back < lo - _JUMP_MARGIN_PU)
    first_step = np.abs(steps) == 1  # one step back is the start, whose exact voltage moved it
    ok_units = ~moved | first_step | outside
    return stay & lockstep & ok_units.all(axis=1)


def solve_regulated(model, update: dict | None, n_scenarios: int, *, outage: int | None = None,
                    target_shift_pu: np.ndarray | None = None, **solve):
    """:func:`.powerflow.solve_batch` with the model's OLTCs regulating (see the module doc).

    Parameters:
        model: the network model.
        update: batch update (``n_scenarios`` rows) or None for the set-points.
        n_scenarios: number of scenarios.
        outage: a branch position taken out of service in every scenario (N-1), or None.
        target_shift_pu: (n_scenarios,) move of every OLTC's target per scenario (e.g. the ANM
            lowering the primary's target against an over-voltage), or None.
        **solve: keyword arguments of ``solve_batch`` (threading, keep_flows, tolerance_pu, ...).

    Returns:
        :class:`.powerflow.PowerFlowResult` with ``tap_pos`` (T, n_trafo) and
        ``extra["tap_rounds"]`` (power-flow rounds the control needed).
    """
    from .powerflow import solve_batch

    taps = model.taps
    reg = taps.reg
    start = np.rint(taps.pos[reg]).astype(np.int64)
    start_cfg = tuple(int(v) for v in start)
    first_pgm = _pgm_for(model, start_cfg, outage) if (len(reg) or outage is not None) else None
    result = solve_batch(model, update, n_scenarios, pgm=first_pgm, **solve)
    cur = np.tile(start, (n_scenarios, 1))
    rounds = 1
    if len(reg):
        ctrl = taps.controlled_bus[reg]

        def solve_rows(rows: np.ndarray, configs: np.ndarray) -> dict:
            """Solve ``rows`` at their tap ``configs``; row -> (part, position in part)."""
            out = {}
            unique, inverse = np.unique(configs, axis=0, return_inverse=True)
            for g, cfg in enumerate(unique):
                sel = rows[inverse.ravel() == g]
                sub = None if update is None else {k: v[sel] for k, v in update.items()}
                part = solve_batch(model, sub, len(sel), pgm=_pgm_for(model, tuple(int(v) for v in cfg), outage),
                                   **solve)
                out.update({int(row): (part, i) for i, row in enumerate(sel)})
            return out

        def keep(solved: dict, rows) -> None:
            for row in rows:
                part, i = solved[int(row)]
                for name in _ROW_FIELDS:
                    target = getattr(result, name)
                    if target is not None:
                        target[row] = getattr(part, name)[i]
                result.messages.pop(int(row), None)
                if i in part.messages:
                    result.messages[int(row)] = part.messages[i]

        # jump: predict where the step-by-step control ends, solve there once and keep the rows
        # whose outcome is provably the same as pandapower's path; the rest take the steps
        inc = tap_increments(taps, result.vm_pu[:, ctrl], cur, target_shift_pu)
        moving = np.flatnonzero((inc != 0).any(axis=1))
        if len(moving):
            shift = None if target_shift_pu is None else np.asarray(target_shift_pu, dtype=float)[moving]
            guess = _predict_taps(taps, result.vm_pu[moving][:, ctrl], start, shift)
            far = (np.abs(guess - start) >= 2).any(axis=1)  # one step: the plain loop costs the same
            jumped = moving[far]
            if len(jumped):
                rounds += 1
                guess_of = dict(zip(moving.tolist(), guess))
                configs = np.array([guess_of[int(r)] for r in jumped])
                solved = solve_rows(jumped, configs)
                vm_new = np.array([solved[int(r)][0].vm_pu[solved[int(r)][1], ctrl] for r in jumped])
                shift_j = None if target_shift_pu is None else np.asarray(target_shift_pu, dtype=float)[jumped]
                ok = _path_confirmed(taps, vm_new, configs, start, shift_j, inc[jumped])
                keep(solved, jumped[ok])
                cur[jumped[ok]] = configs[ok]
        for _ in range(MAX_TAP_ROUNDS):
            inc = tap_increments(taps, result.vm_pu[:, ctrl], cur, target_shift_pu)
            moved = np.flatnonzero((inc != 0).any(axis=1))
            if not len(moved):
                break
            rounds += 1
            cur[moved] += inc[moved]
            keep(solve_rows(moved, cur[moved]), moved)
    result.tap_pos = full_tap_positions(model, n_scenarios, cur)
    result.extra["tap_rounds"] = rounds
    return result
