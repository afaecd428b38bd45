"""The projection of one partition, as pure calculation: engine model and forecast in →
constraint locations, voltage support, flexibility headroom, curtailment and a re-solve that
confirms the plan out. No Django: the registry facts it needs (live DER, feeder names, stored
limits) come in as typed values, read by ``apps.anm.selectors``.

Cases (not "every element at P10" — P90 PV with P90 demand would cancel):
* ``export``: generation P90 with demand P10 — bounds export-type constraints (over-voltage,
  reverse power, thermal with power flowing towards the source);
* ``median``: P50 of everything;
* ``import``: generation P10 with demand P90 — bounds import-type constraints.
An export-type constraint is reported from the export and median cases only, an import-type one
from the import and median cases; the card's numbers come from the bounding case.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from apps.grid.engine import (
    BRANCH_LINE,
    ConstraintLimits,
    Injections,
    detect_constraints,
    injections_from_profiles,
    run_time_series,
    sensitivities,
)
from apps.grid.engine.constraints import exchanges
from apps.grid.engine.locations import EXPORT, MV, LocationEpisode, LocationMap, group_by_location

from .curtailment import curtail
from .headroom import ABSORB, INJECT, Candidate, headroom
from .limits import constraint_limits
from .severity import ORDER as SEVERITY_ORDER
from .severity import overshoot_percent, severity
from .voltage_support import Q_PER_P, TARGET_MARGIN_PU, voltage_support

CASES = {"export": ("p90", "p10"), "median": ("p50", "p50"), "import": ("p10", "p90")}
HEATMAP_ROWS = 25
JOIN_GAP_STEPS = 4  # a lull of up to an hour does not end a constraint
MEMBERS_SHOWN = 40
FLEX_ASSETS_SHOWN = 10

__all__ = ["ABSORB", "CASES", "HEATMAP_ROWS", "INJECT", "DerFacts", "EpisodeRow", "PartitionProjection",
           "alarmed_elements", "battery_energy", "heatmap_rank", "project_partition"]


# --- typed values in and out -------------------------------------------------------------------

@dataclass(frozen=True)
class DerFacts:
    """What the registry says about one live DER asset (keyed by its pandapower element and index)."""

    id: int
    name: str
    kind: str
    flexible: bool  # a flexible (ANM) connection: may be curtailed
    accepted_on: str  # ISO date of the offer accepted (or connection); "" when unknown


@dataclass(frozen=True)
class PoolAsset:
    """A flexible asset or generator of the partition, as the engine model places it."""

    bus: int  # position of its bus in the model
    element: str  # storage, load (EV charger) or sgen
    idx: int  # pandapower index
    der: DerFacts


@dataclass(frozen=True)
class Effect:
    """How an asset at one bus acts on a violation: P factor, the helpful direction when the
    sensitivity decides it (None: the constraint's own direction), |dV/dQ| where reactive power
    may help (None otherwise)."""

    factor: float
    direction: int | None
    dv_dq: float | None


@dataclass(frozen=True)
class MergedEpisode:
    """One constraint across the cases: the bounding case's episode, that case, every case seeing it."""

    rep: LocationEpisode
    case: str
    cases: tuple[str, ...]


@dataclass(frozen=True)
class CasePlan:
    """The response planned for one violation, applied with the others of its case in the re-solve."""

    number: int
    rep: LocationEpisode
    dispatch: list  # (Candidate, MW array) pairs from the headroom
    curtailment: list[dict]
    support: dict
    q_gens: list[int]  # sgen indices whose reactive power the plan uses


@dataclass(frozen=True)
class EpisodeRow:
    """One constraint episode as stored (``ConstraintEpisode`` fields; JSON via ``as_json``)."""

    element: str
    pp_index: int
    name: str
    kind: str
    level: str
    direction: str
    voltage_level: str
    case: str
    cases: list[str]
    start: str
    end: str
    peak_at: str
    peak_value: float
    limit: float
    unit: str
    worst: dict[str, Any]
    members: list[dict]
    members_count: int
    relief_mw: list[float]
    headroom_mw: list[float] = field(default_factory=list)
    coverable: bool = True
    flex_assets: list[dict] = field(default_factory=list)
    curtailment: list[dict] = field(default_factory=list)
    uncleared_mw: float = 0.0
    voltage_support: dict = field(default_factory=dict)
    confirmed: bool | None = None
    severity: str = "low"

    def as_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class PartitionProjection:
    episodes: tuple[EpisodeRow, ...]
    heatmap_rows: tuple[dict, ...]

    def as_json(self) -> dict:
        return {"episodes": [e.as_json() for e in self.episodes], "heatmap_rows": list(self.heatmap_rows)}


# --- one partition -----------------------------------------------------------------------------

def project_partition(*, model, locations: LocationMap, bundle, der: dict[tuple[str, int], DerFacts],
                      feeder_names: dict[int, str], stored_limits: dict, primary: dict, issued_at: dt.datetime,
                      step_minutes: int, curtailment_rule: str) -> PartitionProjection:
    """Run the three cases of one partition through the engine and plan the response.

    Parameters
    ----------
    model, locations: the partition's engine model and its constraint locations.
    bundle: the run's forecast (``valid_times``, ``scenario()``, ``availability``).
    der: the partition's live DER, keyed ``(pp_element, pp_index)``.
    feeder_names: registry feeder name per head-line pandapower index.
    stored_limits: the limits the run stored in its inputs; ``primary``: its primary's share.
    issued_at: the forecast cut-off (severity counts hours to breach from it).
    curtailment_rule: the network's principle of access (``lifo`` or ``pro_rata``).

    Returns
    -------
    The episodes and heatmap rows of the partition.
    """
    times = bundle.valid_times
    step_h = step_minutes / 60.0
    limits = constraint_limits(model, {**stored_limits, "primary": primary}, times, step_minutes)
    stamps = times.to_numpy()
    injections = {case: injections_from_profiles(model, bundle.scenario(generation=g, demand=d), timestamps=stamps)
                  for case, (g, d) in CASES.items()}
    results = {case: run_time_series(model, inj) for case, inj in injections.items()}
    found = {case: [e for e in group_by_location(detect_constraints(results[case], limits), results[case], locations,
                                               join_gap_steps=JOIN_GAP_STEPS)
                    if case == "median" or e.direction == case]
             for case in CASES}
    merged = merge_cases(found)

    pool = asset_pool(model, der, bundle)
    zones = Zones(model)
    violations = [(number, m) for number, m in enumerate(merged) if m.rep.level == "violation"]
    effects = effectiveness(model, results, violations, pool, zones)
    step = dt.timedelta(minutes=step_minutes)
    plans: dict[str, list[CasePlan]] = {case: [] for case in CASES}
    episodes: list[EpisodeRow] = []
    for number, m in enumerate(merged):
        rep, case = m.rep, m.case
        row = episode_row(m, times, step, feeder_names)
        if rep.level == "violation":
            window = slice(rep.start, rep.end + 1)
            relief = np.nan_to_num(np.asarray(rep.relief_mw, dtype=float), nan=0.0)
            support, q_gens = {}, []
            if rep.kind in ("overvoltage", "undervoltage") and rep.voltage_level == MV:
                support, q_gens = plan_voltage_support(model, results[case], rep, effects[number], pool, bundle, case,
                                                       limits, primary)
                relief = relief * support["remaining_fraction"]
            candidates = episode_candidates(pool, effects[number], rep, case, window, bundle)
            room = headroom(relief, candidates, step_hours=step_h)
            plan, uncleared = curtail(room.shortfall_mw, candidates, rule=curtailment_rule)
            plans[case].append(CasePlan(number=number, rep=rep, dispatch=room.dispatch, curtailment=plan,
                                        support=support, q_gens=q_gens))
            hours = max((times[rep.start].to_pydatetime() - issued_at).total_seconds() / 3600.0, 0.0)
            row = dataclasses.replace(
                row, relief_mw=[round(float(v), 4) for v in relief],
                headroom_mw=[round(float(v), 4) for v in room.headroom_mw], coverable=room.coverable,
                flex_assets=room.contributors[:FLEX_ASSETS_SHOWN], voltage_support=support,
                curtailment=[{**p, "mwh": round(sum(p["mw"]) * step_h, 4)} for p in plan],
                uncleared_mw=round(float(uncleared.max(initial=0.0)), 4),
                severity=severity(overshoot=overshoot_percent(rep.peak_value, rep.limit, rep.unit),
                                  hours_to_breach=hours, coverable=room.coverable),
            )
        episodes.append(row)
    for case, items in plans.items():
        if items:
            for number, cleared in confirm(model, locations, limits, injections[case], items).items():
                episodes[number] = dataclasses.replace(episodes[number], confirmed=cleared)
    alarmed = alarmed_elements(episodes)
    return PartitionProjection(episodes=tuple(episodes),
                               heatmap_rows=tuple(heatmap_rows(model, results, limits, alarmed=alarmed)))


def merge_cases(found: dict[str, list[LocationEpisode]]) -> list[MergedEpisode]:
    """One episode per location, kind and level across the cases: overlapping windows are the
    same constraint; the bounding case's numbers are shown where it sees it."""
    groups: dict[tuple, list[tuple[LocationEpisode, str, list[str]]]] = {}
    for case in ("export", "import", "median"):
        for ep in found[case]:
            key = (ep.key, ep.level)
            for rep, _, cases in groups.setdefault(key, []):
                if ep.start <= rep.end and rep.start <= ep.end:
                    if case not in cases:
                        cases.append(case)
                    break
            else:
                groups[key].append((ep, case, [case]))
    merged = [MergedEpisode(rep=rep, case=case, cases=tuple(sorted(cases)))
              for items in groups.values() for rep, case, cases in items]
    merged.sort(key=lambda m: (m.rep.start, m.rep.location, m.rep.location_index, m.rep.kind))
    return merged


def episode_row(merged: MergedEpisode, times, step: dt.timedelta, feeder_names: dict[int, str]) -> EpisodeRow:
    rep = merged.rep
    name = feeder_names.get(rep.location_index, rep.name) if rep.location == "feeder" else rep.name
    worst = rep.worst
    return EpisodeRow(
        element=rep.location, pp_index=int(rep.location_index), name=str(name), kind=rep.kind,
        level=rep.level, direction=rep.direction, voltage_level=rep.voltage_level,
        case=merged.case, cases=list(merged.cases), start=times[rep.start].isoformat(),
        end=(times[rep.end] + step).isoformat(), peak_at=times[rep.peak_step].isoformat(),
        peak_value=float(rep.peak_value), limit=float(rep.limit), unit=rep.unit,
        worst={"element": worst.element, "pp_index": int(worst.pp_index), "name": str(worst.name)},
        members=rep.members[:MEMBERS_SHOWN], members_count=len(rep.members),
        relief_mw=[round(float(v), 4) for v in np.nan_to_num(rep.relief_mw, nan=0.0)],
    )


def asset_pool(model, der: dict[tuple[str, int], DerFacts], bundle) -> list[PoolAsset]:
    """Every flexible asset and generator of the partition: batteries (charge / discharge),
    plugged-in EV chargers (charge more / less), generators (curtailment, only if their
    connection is flexible; reactive power for voltage support, any MV generator)."""
    avail = bundle.availability
    ev_columns = set(avail["ev_flex_up_mw"].columns) if "ev_flex_up_mw" in avail else set()
    pool: list[PoolAsset] = []

    def add(table, element, keep=lambda idx: True):
        for idx, bus in zip(table.pp_index, model.buses.pp_index[table.bus]):
            idx = int(idx)
            if (element, idx) in der and keep(idx):
                pool.append(PoolAsset(bus=int(bus), element=element, idx=idx, der=der[(element, idx)]))

    add(model.storages, "storage")
    if ev_columns:
        add(model.loads, "load", keep=lambda idx: idx in ev_columns)
    add(model.sgens, "sgen")
    return pool


class Zones:
    """Which buses can usefully act on a location: the location's own feeder (a radial grid's
    flows and voltages there respond to what happens on that feeder); the whole partition for the
    primary."""

    def __init__(self, model):
        self.model = model
        self.members = {int(f.head_line): {int(b) for b in f.bus_indices} for f in model.feeders}
        self.by_head_bus: dict[int, list] = {}
        for feeder in model.feeders:
            self.by_head_bus.setdefault(int(feeder.head_bus), []).append(feeder)
        # Every bus of an LV network -> the LV busbar its feeder leaves (LV feeders only).
        self.lv_busbar: dict[int, int] = {
            int(b): int(f.head_bus) for f in model.feeders if f.vn_kv < 1.0 for b in f.bus_indices}

    def buses(self, rep: LocationEpisode) -> set[int] | None:
        """Bus indices of the zone; None = the whole partition."""
        m = self.model
        if rep.location == "feeder":
            return self.members.get(rep.location_index)
        if rep.location == "trafo":
            pos = int(m.branch_position("trafo", rep.location_index)[0])
            lv = int(m.buses.pp_index[m.branches.to_bus[pos]])
            fed = self.by_head_bus.get(lv, [])
            return {lv} | {int(b) for f in fed for b in f.bus_indices}
        return None


def effectiveness(model, results: dict, violations: list[tuple[int, MergedEpisode]], pool: list[PoolAsset],
                  zones: Zones) -> dict[int, dict[int, Effect]]:
    """Per violation (keyed by its number in the merged list): {asset bus: Effect} from the
    engine's sensitivities at the worst element's peak. Episodes sharing a case and peak step
    share one linearisation."""
    groups: dict[tuple[str, int], list[tuple[int, LocationEpisode, set[int]]]] = {}
    for number, m in violations:
        zone = zones.buses(m.rep)
        buses = {a.bus for a in pool if zone is None or a.bus in zone}
        groups.setdefault((m.case, int(m.rep.peak_step)), []).append((number, m.rep, buses))
    out: dict[int, dict[int, Effect]] = {}
    # For an MV constraint, an asset in an LV network acts like an injection at that network's LV
    # busbar (the LV network's own losses are second order): one right-hand side per LV busbar,
    # not one per home (a thousand EV chargers would otherwise cost a thousand solves).
    lv_busbar = zones.lv_busbar
    for (case, step), items in groups.items():
        rest = []
        for number, rep, buses in items:
            if rep.location == "primary":
                out[number] = {b: Effect(1.0, None, None) for b in buses}
            else:
                rest.append((number, rep, buses))
        if not rest:
            continue

        def solved_at(b: int, rep) -> int:
            return lv_busbar.get(b, b) if rep.voltage_level == MV else b

        asset_buses = sorted({solved_at(b, r) for _, r, bs in rest for b in bs}
                             | {int(r.worst.pp_index) for _, r, _ in rest if r.worst.element == "bus"})
        if not asset_buses:
            for number, _, _ in rest:
                out[number] = {}
            continue
        mon_buses = sorted({int(r.worst.pp_index) for _, r, _ in rest if r.worst.element == "bus"})
        mon_branches = sorted({_branch_of(model, r.worst) for _, r, _ in rest if r.worst.element != "bus"})
        # Q only where an MV voltage constraint may use reactive power; P alone halves the solve
        with_q = any(r.worst.element == "bus" and r.voltage_level == MV for _, r, _ in rest)
        s = sensitivities(model, results[case], step, np.array(asset_buses), buses=mon_buses, branches=mon_branches,
                          with_q=with_q)
        row = {b: i for i, b in enumerate(asset_buses)}
        for number, rep, buses in rest:
            at = {b: row[solved_at(b, rep)] for b in buses}
            if rep.worst.element == "bus":
                col = mon_buses.index(int(rep.worst.pp_index))
                own = s.dvm_dp[row[int(rep.worst.pp_index)], col]
                out[number] = {b: Effect(abs(s.dvm_dp[at[b], col] / own) if own else 0.0, None,
                                         abs(float(s.dvm_dq[at[b], col])) if with_q else None) for b in buses}
            else:
                col = mon_branches.index(_branch_of(model, rep.worst))
                out[number] = {b: Effect(abs(float(s.dp_from_dp[at[b], col])),
                                         ABSORB if s.dloading_dp[at[b], col] > 0 else INJECT, None) for b in buses}
    return out


def _branch_of(model, episode) -> int:
    element = "line" if episode.element == "feeder" else episode.element
    return int(model.branch_position(element, int(episode.pp_index))[0])


def episode_candidates(pool: list[PoolAsset], effects: dict[int, Effect], rep: LocationEpisode, case: str,
                       window: slice, bundle) -> list[Candidate]:
    """The pool as seen from one episode: effectiveness and availability in the helpful
    direction; batteries limited by the energy they have at the episode's start."""
    fixed = ABSORB if rep.direction == EXPORT else INJECT
    generation = CASES[case][0]
    avail = bundle.availability
    candidates = []
    for asset in pool:
        effect = effects.get(asset.bus)
        if effect is None:
            continue
        direction = effect.direction or fixed
        element, idx, der = asset.element, asset.idx, asset.der
        energy = None
        if element == "sgen":
            if direction != ABSORB or not der.flexible:
                continue  # only flexible connections are curtailed, and only against export-type limits
            frame = bundle.scenario(generation=generation, demand=generation)[("sgen", "p_mw")]
        elif element == "storage":
            frame = avail["battery_charge_mw" if direction == ABSORB else "battery_discharge_mw"]
            energy = battery_energy(avail, idx, window, direction)
        else:
            frame = avail["ev_flex_up_mw" if direction == ABSORB else "ev_flex_down_mw"]
        if idx not in frame.columns:
            continue
        candidates.append(Candidate(
            asset_id=der.id, name=der.name, kind=der.kind, factor=float(effect.factor),
            available_mw=frame[idx].to_numpy(dtype=float)[window], curtailable=element == "sgen",
            connected_on=der.accepted_on, energy_mwh=energy, element=element, pp_index=idx,
        ))
    return candidates


def battery_energy(avail: dict, idx: int, window: slice, direction: int) -> float | None:
    """Grid-side energy a battery can give over a constraint window in the helpful direction, on
    top of its own operation, when the forecast simulates its state of charge; None otherwise.

    ``battery_soc_mwh`` is the stored energy at the end of each step of the battery's own run.
    Extra charging accumulated by any step of the window must fit under the capacity at that
    step, so the room is ``capacity − max(SOC over the window)`` (a battery that fills by
    itself at 11:00 has none at 13:00); extra discharging likewise ``min(SOC) − reserve``.
    """
    soc = avail.get("battery_soc_mwh")
    if soc is None or idx not in soc.columns:
        return None
    path = soc[idx].to_numpy(dtype=float)[window]
    if not len(path):
        return 0.0
    capacity = float(avail["battery_capacity_mwh"][idx].iloc[0])
    reserve = float(avail["battery_reserve_mwh"][idx].iloc[0])
    eff = float(avail["battery_efficiency"][idx].iloc[0]) if "battery_efficiency" in avail else 1.0
    # grid-side energy: charging needs (room / eff) from the grid; discharging gives (stored × eff)
    if direction == ABSORB:
        return max(capacity - float(path.max()), 0.0) / eff
    return max(float(path.min()) - reserve, 0.0) * eff


def plan_voltage_support(model, result, rep: LocationEpisode, effects: dict[int, Effect], pool: list[PoolAsset],
                         bundle, case: str, limits: ConstraintLimits, primary: dict) -> tuple[dict, list[int]]:
    """Reactive power of the feeder's generators and a move of the primary's voltage target,
    before any curtailment (MV voltage constraints). Returns the support figures and the
    generators (sgen indices) whose reactive power the plan uses."""
    t = rep.peak_step
    excess = (rep.peak_value - rep.limit) if rep.kind == "overvoltage" else (rep.limit - rep.peak_value)
    gens = [a for a in pool if a.element == "sgen" and a.bus in effects and effects[a.bus].dv_dq is not None]
    sgen_p = bundle.scenario(generation=CASES[case][0], demand=CASES[case][1])[("sgen", "p_mw")]
    p = np.array([float(sgen_p[a.idx].iloc[t]) if a.idx in sgen_p.columns else 0.0 for a in gens])
    dv_dq = np.array([effects[a.bus].dv_dq for a in gens])
    room = 0.0
    if primary.get("oltc"):
        vm = result.vm_pu[t]
        vmin, vmax = limits.bus_vmin_pu, limits.bus_vmax_pu
        margin = (vm - vmin) if rep.kind == "overvoltage" else (vmax - vm)
        mv = model.buses.vn_kv >= 1.0  # the primary's target moves its MV side; LV is behind off-load taps
        room = float(np.nanmin(margin[mv & np.isfinite(vm)], initial=np.inf)) - TARGET_MARGIN_PU
        room = 0.0 if not np.isfinite(room) else max(room, 0.0)
    support = voltage_support(excess_pu=float(excess), dv_dq=dv_dq, gen_p_mw=p, target_room_pu=room)
    return support, [a.idx for a in gens] if support["reactive_pu"] > 0 else []


def confirm(model, locations: LocationMap, limits: ConstraintLimits, injections: Injections,
            items: list[CasePlan]) -> dict[int, bool]:
    """Apply every plan of one case at once — generators' reactive power at 0.95 power factor,
    flexibility as the headroom dispatched it, then curtailment (one generator curtailed by the
    most any constraint asks of it in each interval) — re-solve the affected steps, and say
    whether each constraint clears. A move of the primary's voltage target is re-solved with the
    OLTCs regulating to the lowered target (taps move in whole steps, so a small move may change
    nothing)."""
    first = min(item.rep.start for item in items)
    last = max(item.rep.end for item in items) + 1
    span = last - first

    def rows_of(table_steps, name):
        value = getattr(injections, name)
        return np.broadcast_to(table_steps, (span, len(table_steps))).copy() if value is None else np.array(value[first:last], dtype=float)

    arrays = {
        "load_p_mw": rows_of(model.loads.p_mw, "load_p_mw"), "load_q_mvar": rows_of(model.loads.q_mvar, "load_q_mvar"),
        "sgen_p_mw": rows_of(model.sgens.p_mw, "sgen_p_mw"), "sgen_q_mvar": rows_of(model.sgens.q_mvar, "sgen_q_mvar"),
        "storage_p_mw": rows_of(model.storages.p_mw, "storage_p_mw"),
        "storage_q_mvar": rows_of(model.storages.q_mvar, "storage_q_mvar"),
    }
    columns = {element: {int(v): i for i, v in enumerate(table.pp_index)}
               for element, table in (("load", model.loads), ("sgen", model.sgens), ("storage", model.storages))}
    delta: dict[str, dict[int, np.ndarray]] = {"load": {}, "sgen": {}, "storage": {}}
    shift = np.zeros(span)
    for item in items:
        rep, support = item.rep, item.support
        sign = +1.0 if rep.direction == EXPORT else -1.0  # export limits: consume more / generate less
        rows = slice(rep.start - first, rep.end - first + 1)
        for cand, mw in item.dispatch:
            cur = delta[cand.element].setdefault(cand.pp_index, np.zeros(span))
            cur[rows] = np.maximum(cur[rows], mw) if sign > 0 else np.minimum(cur[rows], -mw)
        for row in item.curtailment:
            cur = delta["sgen"].setdefault(row["pp_index"], np.zeros(span))
            cur[rows] = np.maximum(cur[rows], np.asarray(row["mw"]))
        for idx in item.q_gens:  # absorb (export-type) or supply reactive power at the G99 limit
            col = columns["sgen"][idx]
            arrays["sgen_q_mvar"][rows, col] = -sign * Q_PER_P * np.clip(arrays["sgen_p_mw"][rows, col], 0.0, None)
        if support and support.get("target_pu", 0) > 0 and rep.kind == "overvoltage":
            shift[rows] = np.maximum(shift[rows], support["target_pu"])
    for element, changes in delta.items():
        target = arrays[f"{element}_p_mw"]
        for idx, values in changes.items():
            # sgen: curtailment lowers output; load/storage: + consumes more
            target[:, columns[element][idx]] += -values if element == "sgen" else values
    if shift.any() and len(model.taps.reg):
        # the OLTCs regulate to the lowered target: the busbar moves by whole tap steps
        result = run_time_series(model, Injections(**arrays), target_shift_pu=-shift)
    else:
        result = run_time_series(model, Injections(**arrays))
        if shift.any():  # no regulating transformer in the model: the move as a uniform shift
            mv = model.buses.vn_kv >= 1.0
            result.vm_pu = result.vm_pu - np.where(mv[None, :], shift[:, None], 0.0)
    still = group_by_location(detect_constraints(result, _slice_limits(limits, first, last), voltage_relief=False),
                              result, locations, join_gap_steps=JOIN_GAP_STEPS)
    left = {(e.key, e.start + first, e.end + first) for e in still if e.level == "violation"}
    return {item.number: not any(key == item.rep.key and s <= item.rep.end and item.rep.start <= e
                                 for key, s, e in left)
            for item in items}


def _slice_limits(limits: ConstraintLimits, first: int, last: int) -> ConstraintLimits:
    def cut(value):
        return value[first:last] if isinstance(value, np.ndarray) and value.ndim == 2 else value

    return dataclasses.replace(limits, thermal_limit_percent=cut(limits.thermal_limit_percent),
                               thermal_cyclic_percent=cut(limits.thermal_cyclic_percent), include_prealarms=False)


def alarmed_elements(episodes) -> dict[tuple[str, int], str]:
    """The worst element of every MV violation (what the ANM raises an alarm on), with the most
    severe severity seen there: ``{(element, pp_index): severity}``."""
    out: dict[tuple[str, int], str] = {}
    for e in episodes:
        if e.level != "violation" or e.voltage_level != MV:
            continue
        key = (e.worst["element"], int(e.worst["pp_index"]))
        if key not in out or SEVERITY_ORDER[e.severity] < SEVERITY_ORDER[out[key]]:
            out[key] = e.severity
    return out


def heatmap_rank(rows: list[dict], limit: int = HEATMAP_ROWS) -> list[dict]:
    """Rows ranked by severity (the element of every alarm, most severe first), then by peak use;
    every alarmed row is kept, the others fill up to ``limit`` rows."""
    ranked = sorted(rows, key=lambda r: (SEVERITY_ORDER.get(r.get("severity"), 9), -r["peak"]))
    alarmed = [r for r in ranked if r.get("severity")]
    return alarmed + [r for r in ranked if not r.get("severity")][:max(limit - len(alarmed), 0)]


def heatmap_rows(model, results: dict, limits: ConstraintLimits,
                 alarmed: dict[tuple[str, int], str] | None = None) -> list[dict]:
    """Utilisation of each element's limit (100 = at the limit) over time, worst case, for the
    most stressed elements: branch loading against its continuous (seasonal) rating; bus voltage
    deviation from 1 pu against the allowed deviation; feeder-head and primary exchange against
    their export / import limits. The worst element of every MV violation
    (``alarmed``, from ``alarmed_elements``) always has its row, carrying its ``severity``, and
    rows rank by severity first (``heatmap_rank``)."""
    alarmed = alarmed or {}
    continuous = np.broadcast_to(np.asarray(limits.thermal_limit_percent, dtype=float), results["median"].loading_percent.shape)
    loading = np.fmax.reduce([r.loading_percent for r in results.values()]) / continuous * 100
    vmax = np.fmax.reduce([r.vm_pu for r in results.values()])
    vmin = np.fmin.reduce([r.vm_pu for r in results.values()])
    lower, upper = limits.bus_vmin_pu, limits.bus_vmax_pu
    voltage = np.fmax((vmax - 1.0) / (upper - 1.0), (1.0 - vmin) / (1.0 - lower)) * 100
    rows = []
    for values, table, label in ((loading, model.branches, None), (voltage, model.buses, "bus")):
        peaks = np.nan_to_num(np.nanmax(values, axis=0, initial=0.0), nan=0.0)
        kinds = [label] * len(table.pp_index) if label else ["line" if k == BRANCH_LINE else "trafo" for k in table.kind]
        wanted = [pos for pos in range(len(kinds)) if (kinds[pos], int(table.pp_index[pos])) in alarmed]
        for pos in dict.fromkeys([*wanted, *np.argsort(-peaks)[:HEATMAP_ROWS].tolist()]):
            element, pp_index = kinds[pos], int(table.pp_index[pos])
            rows.append({"element": element, "pp_index": pp_index, "name": str(table.name[pos]),
                         "peak": round(float(peaks[pos]), 1), "severity": alarmed.get((element, pp_index)),
                         "values": [None if not np.isfinite(v) else round(float(v), 1) for v in values[:, pos]]})
    # Feeder heads and the primary substation: the larger of export and import against its limit.
    for ex in exchanges(model, limits):
        p = [ex.p_mw(r) for r in results.values()]
        with np.errstate(divide="ignore", invalid="ignore"):
            use = np.fmax(np.fmax.reduce([-x for x in p]) / ex.export_limit_mw[None, :],
                          np.fmax.reduce(p) / ex.import_limit_mw[None, :]) * 100
        use = np.where(np.isfinite(use), use, np.nan)
        for col in range(use.shape[1]):
            element, pp_index = ex.element, int(ex.pp_index[col])
            peak = np.nanmax(use[:, col], initial=0.0)
            rows.append({"element": element, "pp_index": pp_index, "name": str(ex.names[col]),
                         "peak": round(float(np.nan_to_num(peak)), 1), "severity": alarmed.get((element, pp_index)),
                         "values": [None if not np.isfinite(v) else round(float(v), 1) for v in use[:, col]]})
    return heatmap_rank(rows)


def timeline(bundle) -> dict:
    """Network totals with P10–P90 bands for the timeline chart."""
    out = {"times": [t.isoformat() for t in bundle.valid_times]}
    for quantity in ("demand", "pv", "wind", "net_export"):
        frame = bundle.totals[quantity]
        out[quantity] = {q: [round(float(v), 3) for v in frame[q]] for q in ("p10", "p50", "p90")}
    return out
