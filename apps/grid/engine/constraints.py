"""Constraint detection: thermal, voltage and exchange limits, as episodes with the relief needed.

An *episode* is a run of consecutive steps in which one element is beyond one limit. Each
episode carries its start / end step (inclusive), the peak value and when it happened, and per
step the relief that would bring the element back inside the limit.

Relief definitions
------------------
* thermal (lines, transformers): **MW-over-limit approximation at constant power factor** —
  the apparent power over the limit, ``(loading - limit) / 100 * rating_mva``, split into its
  active and reactive parts with the branch's present power factor (at the end that sets the
  loading): ``relief_mw = excess_mva * |P| / S`` and ``relief_mvar = excess_mva * |Q| / S``.
  It is the flow reduction the branch needs; :mod:`.sensitivity` converts it into set-point
  changes of particular assets when their effect is not one-to-one.
* voltage: the excess in pu divided by the bus's own sensitivity ``dV/dP`` (and ``dV/dQ``),
  linearised once per result at the converged step with the largest voltage deviation: the MW
  (MVAr) to take out of (overvoltage) or add to (undervoltage) the bus itself.
* export / import at feeder heads and at the primary substation: ``|P| - limit`` in MW.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .model import BRANCH_LINE, NetworkModel
from .powerflow import PowerFlowResult

VIOLATION = "violation"
PREALARM = "prealarm"


@dataclass
class ConstraintLimits:
    """Limits used by :func:`detect_constraints`.

    Attributes:
        thermal_limit_percent: loading limit of lines and transformers.
        thermal_prealarm_percent: loading pre-alarm level.
        voltage_band_pu: default (min, max) band for every bus.
        voltage_bands_by_kv: per nominal voltage (kV) overrides of the band, e.g. ``{0.4: (0.9, 1.1)}``.
        use_bus_limits: when True, the ``min_vm_pu`` / ``max_vm_pu`` of ``net.bus`` replace the
            band wherever they are given.
        voltage_prealarm_margin_pu: pre-alarm when a voltage is within this margin of the band.
        feeder_export_limit_mw / feeder_import_limit_mw: reverse / forward power limit at feeder
            heads; a number for every feeder, a dict ``head line index -> MW``, or None for the
            head-end capacity (``Feeder.capacity_mva``).
        primary_export_limit_mw / primary_import_limit_mw: limits at the primary transformers
            (HV side, summed); None = their firm (N-1) capacity: the ratings less the largest unit.
        exchange_prealarm_fraction: pre-alarm at this fraction of an exchange limit.
        include_prealarms: also report pre-alarm episodes.
        thermal_cyclic_percent: cyclic / emergency rating (% of the branch rating): a scalar, (n_branch,)
            or (T, n_branch); None = the continuous limit (no allowance). Above it is a violation at once.
        thermal_allowance_steps: how many consecutive steps a branch may run above its continuous
            limit (``thermal_limit_percent``, which may also be (n_branch,) or (T, n_branch) for
            seasonal ratings) and at or below its cyclic rating before it is a violation; those
            steps are pre-alarms. Scalar or (n_branch,).
        thermal_prealarm_fraction: when set, the thermal pre-alarm is this fraction of the
            continuous limit (instead of ``thermal_prealarm_percent``).
        bus_vmin_pu / bus_vmax_pu: per-bus (n_bus,) bands that replace every other voltage band
            (statutory limits by voltage level with site overrides, computed by the caller).
        feeder_limits_from_capacity: when False, a feeder head is monitored only where
            ``feeder_export_limit_mw`` / ``feeder_import_limit_mw`` name it (a dict); otherwise
            None means the head line's capacity (which the head line's thermal limit checks too).
    """

    thermal_limit_percent: float | np.ndarray = 100.0
    thermal_prealarm_percent: float = 90.0
    voltage_band_pu: tuple[float, float] = (0.95, 1.05)
    voltage_bands_by_kv: dict = field(default_factory=dict)
    use_bus_limits: bool = False
    voltage_prealarm_margin_pu: float = 0.01
    feeder_export_limit_mw: float | dict | None = None
    feeder_import_limit_mw: float | dict | None = None
    primary_export_limit_mw: float | None = None
    primary_import_limit_mw: float | None = None
    exchange_prealarm_fraction: float = 0.9
    include_prealarms: bool = True
    thermal_cyclic_percent: float | np.ndarray | None = None
    thermal_allowance_steps: int | np.ndarray = 0
    thermal_prealarm_fraction: float | None = None
    bus_vmin_pu: np.ndarray | None = None
    bus_vmax_pu: np.ndarray | None = None
    feeder_limits_from_capacity: bool = True


@dataclass(eq=False)
class ConstraintEpisode:
    """One element beyond one limit over consecutive steps.

    Attributes:
        element: ``"bus"``, ``"line"``, ``"trafo"``, ``"feeder"`` or ``"primary"``.
        pp_index: pandapower index (feeder: head line index; primary: -1).
        name: element name.
        kind: ``"thermal"``, ``"overvoltage"``, ``"undervoltage"``, ``"export"`` or ``"import"``.
        level: ``"violation"`` or ``"prealarm"``.
        start / end: first and last step (inclusive).
        peak_value / peak_step: worst value and its step.
        limit: the limit crossed (pre-alarm threshold for pre-alarms).
        unit: unit of ``peak_value`` and ``limit`` (``"%"``, ``"pu"``, ``"MW"``).
        relief_mw / relief_mvar: per step from start to end, the relief needed (see module doc).
        start_time / end_time / peak_time: timestamps when the result has them, else None.
    """

    element: str
    pp_index: int
    name: str
    kind: str
    level: str
    start: int
    end: int
    peak_value: float
    peak_step: int
    limit: float
    unit: str
    relief_mw: np.ndarray
    relief_mvar: np.ndarray
    start_time: object = None
    end_time: object = None
    peak_time: object = None

    @property
    def duration_steps(self) -> int:
        return self.end - self.start + 1

    def as_dict(self) -> dict:
        """Plain-Python representation (lists and floats) for storage or JSON."""
        def t(v):
            return None if v is None else str(v)

        return dict(element=self.element, pp_index=self.pp_index, name=self.name, kind=self.kind,
                    level=self.level, start=self.start, end=self.end, peak_value=float(self.peak_value),
                    peak_step=self.peak_step, limit=float(self.limit), unit=self.unit,
                    relief_mw=[float(v) for v in self.relief_mw],
                    relief_mvar=[float(v) for v in self.relief_mvar],
                    start_time=t(self.start_time), end_time=t(self.end_time), peak_time=t(self.peak_time))


def _runs(mask: np.ndarray):
    """Start and end (inclusive) of the runs of True in each column of a (T, n) mask.

    Returns:
        (column, start, end) arrays, sorted by column then start.
    """
    t_len, n = mask.shape
    padded = np.zeros((t_len + 2, n), dtype=np.int8)
    padded[1:-1] = mask
    edges = np.diff(padded, axis=0)
    col_s, start = np.nonzero(edges.T == 1)
    col_e, end = np.nonzero(edges.T == -1)
    return col_s, start, end - 1


def _run_length(mask: np.ndarray) -> np.ndarray:
    """(T, n) number of consecutive True steps up to and including each step (0 where False)."""
    out = np.zeros(mask.shape, dtype=np.int64)
    run = np.zeros(mask.shape[1:], dtype=np.int64)
    for t in range(mask.shape[0]):
        run = (run + 1) * mask[t]
        out[t] = run
    return out


def _limit_array(value, feeders, default: np.ndarray) -> np.ndarray:
    if value is None:
        return default
    if isinstance(value, dict):
        return np.array([float(value.get(f.head_line, d)) for f, d in zip(feeders, default)])
    return np.full(len(feeders), float(value))


def voltage_bands(model: NetworkModel, limits: ConstraintLimits) -> tuple[np.ndarray, np.ndarray]:
    """Per-bus (vmin, vmax) arrays from the limits.

    Parameters:
        model: the network model.
        limits: the constraint limits.

    Returns:
        Two arrays over buses.
    """
    vn = model.buses.vn_kv
    vmin = np.full(len(vn), float(limits.voltage_band_pu[0]))
    vmax = np.full(len(vn), float(limits.voltage_band_pu[1]))
    for kv, (lo, hi) in limits.voltage_bands_by_kv.items():
        sel = np.isclose(vn, float(kv))
        vmin[sel], vmax[sel] = lo, hi
    if limits.use_bus_limits:
        b = model.buses
        vmin = np.where(np.isfinite(b.vm_min_pu), b.vm_min_pu, vmin)
        vmax = np.where(np.isfinite(b.vm_max_pu), b.vm_max_pu, vmax)
    if limits.bus_vmin_pu is not None:
        vmin = np.asarray(limits.bus_vmin_pu, dtype=float)
    if limits.bus_vmax_pu is not None:
        vmax = np.asarray(limits.bus_vmax_pu, dtype=float)
    return vmin, vmax


class _Collector:
    def __init__(self, result: PowerFlowResult):
        self.result = result
        self.episodes: list[ConstraintEpisode] = []
        self.ts = result.timestamps

    def add(self, *, element, pp_index, name, kind, level, value, over_mask, limit, unit,
            relief_mw, relief_mvar, worst="max"):
        """Add the episodes of every column of (T, n) ``value`` where ``over_mask`` holds."""
        cols, starts, ends = _runs(over_mask)
        ts = self.ts
        for c, s, e in zip(cols, starts, ends):
            seg = value[s:e + 1, c]
            k = int(np.nanargmax(seg) if worst == "max" else np.nanargmin(seg))
            peak = s + k
            self.episodes.append(ConstraintEpisode(
                element=element[c] if isinstance(element, np.ndarray) else element,
                pp_index=int(pp_index[c]), name=str(name[c]), kind=kind, level=level,
                start=int(s), end=int(e), peak_value=float(seg[k]), peak_step=int(peak),
                limit=float(limit[peak, c] if np.ndim(limit) == 2 else limit[c]), unit=unit,
                relief_mw=relief_mw(s, e, c), relief_mvar=relief_mvar(s, e, c),
                start_time=None if ts is None else ts[s], end_time=None if ts is None else ts[e],
                peak_time=None if ts is None else ts[peak]))


def detect_constraints(result: PowerFlowResult, limits: ConstraintLimits | None = None, *,
                       voltage_relief: bool = True) -> list[ConstraintEpisode]:
    """Constraint episodes of a power-flow result.

    Parameters:
        result: time-series result (steps that did not converge are NaN and never count).
        limits: the limits (defaults: :class:`ConstraintLimits`).
        voltage_relief: compute MW / MVAr relief of voltage episodes from the buses' own
            sensitivities; when False those relief arrays are NaN.

    Returns:
        Episodes sorted by start step, then element.
    """
    limits = limits or ConstraintLimits()
    model = result.model
    col = _Collector(result)
    b = model.branches
    kinds = np.where(b.kind == BRANCH_LINE, "line", "trafo").astype(object)

    # ---- thermal
    loading = result.loading_percent
    rating = b.rating_mva
    pf_p, pf_q = _branch_power_factors(result)
    shape = loading.shape
    continuous = np.broadcast_to(np.asarray(limits.thermal_limit_percent, dtype=float), shape)
    cyclic = continuous if limits.thermal_cyclic_percent is None else \
        np.broadcast_to(np.asarray(limits.thermal_cyclic_percent, dtype=float), shape)
    with np.errstate(invalid="ignore"):
        over_continuous = loading > continuous
        violation = (loading > cyclic) | (_run_length(over_continuous) > np.broadcast_to(
            np.asarray(limits.thermal_allowance_steps), shape[1:]))
        prealarm_level = continuous * limits.thermal_prealarm_fraction if limits.thermal_prealarm_fraction \
            else np.broadcast_to(float(limits.thermal_prealarm_percent), shape)
        prealarm = loading > prealarm_level
    for level, mask, threshold in ((VIOLATION, violation, continuous), (PREALARM, prealarm, prealarm_level)):
        if level == PREALARM and not limits.include_prealarms:
            continue

        def thermal_relief(s, e, c, share=None, threshold=threshold):
            excess = np.maximum(loading[s:e + 1, c] - threshold[s:e + 1, c], 0) / 100.0 * rating[c]
            return excess * share[s:e + 1, c]

        col.add(element=kinds, pp_index=b.pp_index, name=b.name, kind="thermal", level=level,
                value=loading, over_mask=mask, limit=threshold, unit="%",
                relief_mw=lambda s, e, c, f=thermal_relief: f(s, e, c, share=pf_p),
                relief_mvar=lambda s, e, c, f=thermal_relief: f(s, e, c, share=pf_q))

    # ---- voltage
    vm = result.vm_pu
    vmin, vmax = voltage_bands(model, limits)
    buses = model.buses
    outside = (vm > vmax - limits.voltage_prealarm_margin_pu) | (vm < vmin + limits.voltage_prealarm_margin_pu)
    dvdp, dvdq = (_self_sensitivities(result, np.flatnonzero(outside.any(axis=0)))
                  if voltage_relief else (np.full(len(buses), np.nan), np.full(len(buses), np.nan)))

    def voltage_relief_fn(bound, sens):
        def relief(s, e, c):
            excess = np.abs(vm[s:e + 1, c] - bound[c])
            with np.errstate(divide="ignore", invalid="ignore"):
                return excess / np.abs(sens[c])
        return relief

    for level, margin in ((VIOLATION, 0.0), (PREALARM, limits.voltage_prealarm_margin_pu)):
        if level == PREALARM and not limits.include_prealarms:
            continue
        hi, lo = vmax - margin, vmin + margin
        col.add(element="bus", pp_index=buses.pp_index, name=buses.name, kind="overvoltage", level=level,
                value=vm, over_mask=vm > hi, limit=hi, unit="pu",
                relief_mw=voltage_relief_fn(hi, dvdp), relief_mvar=voltage_relief_fn(hi, dvdq))
        col.add(element="bus", pp_index=buses.pp_index, name=buses.name, kind="undervoltage", level=level,
                value=vm, over_mask=vm < lo, limit=lo, unit="pu", worst="min",
                relief_mw=voltage_relief_fn(lo, dvdp), relief_mvar=voltage_relief_fn(lo, dvdq))

    # ---- exchange at feeder heads and primary substation
    for ex in exchanges(model, limits):
        _exchange(col, limits, ex.element, ex.pp_index, ex.names, ex.p_mw(result), ex.export_limit_mw,
                  ex.import_limit_mw)

    col.episodes.sort(key=lambda ep: (ep.start, ep.element, ep.pp_index, ep.kind, ep.level))
    return col.episodes


@dataclass(frozen=True)
class Exchange:
    """Power exchanges that have limits: the feeder heads, or the primary substation.

    Attributes:
        element: ``"feeder"`` or ``"primary"``.
        pp_index / names: one per exchange (feeder: head line index; primary: -1).
        export_limit_mw / import_limit_mw: reverse / forward power limit of each, MW.
        columns: the feeders' columns in ``PowerFlowResult.feeder_p_mw`` (None for the primary).
    """

    element: str
    pp_index: np.ndarray
    names: np.ndarray
    export_limit_mw: np.ndarray
    import_limit_mw: np.ndarray
    columns: list[int] | None = None

    def p_mw(self, result: PowerFlowResult) -> np.ndarray:
        """Active power into the network below each exchange, time × exchange (negative: reverse)."""
        return result.primary_p_mw[:, None] if self.columns is None else result.feeder_p_mw[:, self.columns]


def exchanges(model: NetworkModel, limits: ConstraintLimits) -> list[Exchange]:
    """The feeder heads and the primary substation with their export / import limits, as
    :func:`detect_constraints` checks them (feeders without a limit are left out)."""
    out = []
    feeders = model.feeders
    if feeders and not limits.feeder_limits_from_capacity:
        named = set()
        for value in (limits.feeder_export_limit_mw, limits.feeder_import_limit_mw):
            named |= set(value) if isinstance(value, dict) else set()
        feeders = [f for f in feeders if f.head_line in named]
    if feeders:
        capacity = np.array([f.capacity_mva for f in feeders]) if limits.feeder_limits_from_capacity \
            else np.full(len(feeders), np.inf)
        out.append(Exchange("feeder", np.array([f.head_line for f in feeders]),
                            np.array([f.name for f in feeders], dtype=object),
                            _limit_array(limits.feeder_export_limit_mw, feeders, capacity),
                            _limit_array(limits.feeder_import_limit_mw, feeders, capacity),
                            columns=[f.feeder_id for f in feeders]))
    if len(model.primary_trafos):
        units = model.branches.rating_mva[model.primary_trafos]
        # firm (N-1) capacity, EREC P2/8: the ratings less the largest unit (one unit: its rating)
        total = float(np.sum(units) - np.max(units)) if len(units) > 1 else float(units[0])
        exp_lim = total if limits.primary_export_limit_mw is None else limits.primary_export_limit_mw
        imp_lim = total if limits.primary_import_limit_mw is None else limits.primary_import_limit_mw
        out.append(Exchange("primary", np.array([-1]), np.array(["primary substation"], dtype=object),
                            np.array([exp_lim]), np.array([imp_lim])))
    return out


def _exchange(col: _Collector, limits: ConstraintLimits, element: str, pp_index, names,
              p: np.ndarray, export_lim: np.ndarray, import_lim: np.ndarray) -> None:
    export = -p  # reverse flow, towards the upstream network
    nan_q = lambda s, e, c: np.full(e - s + 1, np.nan)  # noqa: E731
    for level, frac in ((VIOLATION, 1.0), (PREALARM, limits.exchange_prealarm_fraction)):
        if level == PREALARM and not limits.include_prealarms:
            continue
        for kind, value, lim in (("export", export, export_lim * frac), ("import", p, import_lim * frac)):
            col.add(element=element, pp_index=pp_index, name=names, kind=kind, level=level, value=value,
                    over_mask=value > lim[None, :], limit=lim, unit="MW",
                    relief_mw=lambda s, e, c, v=value, lim=lim: v[s:e + 1, c] - lim[c],
                    relief_mvar=nan_q)


def _branch_power_factors(result: PowerFlowResult) -> tuple[np.ndarray, np.ndarray]:
    """|P|/S and |Q|/S at the end of each branch that sets its loading (1, 0 without flows)."""
    if result.p_from_mw is None:
        return np.ones_like(result.loading_percent), np.zeros_like(result.loading_percent)
    b = result.model.branches
    from_side = result.i_from_ka * b.loading_per_ka_from >= result.i_to_ka * b.loading_per_ka_to
    p = np.where(from_side, result.p_from_mw, result.p_to_mw)
    q = np.where(from_side, result.q_from_mvar, result.q_to_mvar)
    s = np.hypot(p, q)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s > 0, np.abs(p) / s, 1.0), np.where(s > 0, np.abs(q) / s, 0.0)


def _self_sensitivities(result: PowerFlowResult, bus_positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Own-bus dV/dP and dV/dQ over all buses (NaN where not computed).

    Linearised once, at the converged step with the largest voltage deviation from 1 pu: a bus's
    own voltage sensitivity depends mostly on the impedance to the source, so one operating point
    keeps year-long runs fast.
    """
    from .sensitivity import self_voltage_sensitivities

    n_bus = result.vm_pu.shape[1]
    dvdp, dvdq = np.full(n_bus, np.nan), np.full(n_bus, np.nan)
    ok = result.converged
    if len(bus_positions) == 0 or not ok.any():
        return dvdp, dvdq
    deviation = np.nanmax(np.abs(result.vm_pu - 1.0), axis=1, initial=0.0)
    deviation[~ok] = -1
    step = int(np.argmax(deviation))
    p, q = self_voltage_sensitivities(result.model, result, step, bus_positions)
    dvdp[bus_positions], dvdq[bus_positions] = p, q
    return dvdp, dvdq
