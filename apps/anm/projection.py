"""The projection of one partition: forecast → engine in three cases → constraint locations →
voltage support, flexibility headroom, curtailment → a re-solve that confirms the plan. Reads the
registry, calls the engine and the pure ``calc`` package, returns plain data for the services to
store. A partition is one primary substation and everything it feeds, so several workers can
share a big network.

Cases (not "every element at P10" — P90 PV with P90 demand would cancel):
* ``export``: generation P90 with demand P10 — bounds export-type constraints (over-voltage,
  reverse power, thermal with power flowing towards the source);
* ``median``: P50 of everything;
* ``import``: generation P10 with demand P90 — bounds import-type constraints.
An export-type constraint is reported from the export and median cases only, an import-type one
from the import and median cases; the card's numbers come from the bounding case.
"""
from __future__ import annotations

import datetime as dt
import logging
import time

import numpy as np
from pandapower.toolbox import select_subnet

from apps.forecasting.selectors import forecast_injections
from apps.grid.engine import (
    BRANCH_LINE,
    ConstraintLimits,
    Injections,
    detect_constraints,
    from_pandapower,
    injections_from_profiles,
    run_time_series,
    sensitivities,
)
from apps.grid.engine.locations import EXPORT, MV, LocationEpisode, LocationMap, group_by_location
from apps.grid.models import Bus, DERAsset, Feeder, Network, Substation, Transformer
from apps.common.caches import process_cache
from apps.grid.selectors import network_net, network_operating_limits

from .calc.curtailment import curtail
from .calc.headroom import ABSORB, INJECT, Candidate, headroom
from .calc.limits import constraint_limits
from .calc.severity import overshoot_percent, severity
from .calc.voltage_support import Q_PER_P, TARGET_MARGIN_PU, voltage_support

log = logging.getLogger(__name__)
CASES = {"export": ("p90", "p10"), "median": ("p50", "p50"), "import": ("p10", "p90")}
HEATMAP_ROWS = 25
JOIN_GAP_STEPS = 4  # a lull of up to an hour does not end a constraint
MEMBERS_SHOWN = 40


# --- partitions and inputs ---------------------------------------------------------------------

def partitions(network: Network) -> list[dict]:
    """One partition per primary substation: its busbars (plus the whole net if it has none)."""
    primaries = Substation.objects.filter(network=network, kind=Substation.Kind.PRIMARY).order_by("name")
    parts = []
    for sub in primaries:
        busbars = list(Bus.objects.filter(substation=sub).values_list("pp_index", flat=True))
        parts.append({"substation": sub.name, "busbars": busbars})
    return parts or [{"substation": network.name, "busbars": []}]


def projection_limits(network: Network) -> dict:
    """The limits a projection stores in its inputs (so a rerun uses the same): the network's
    operating limits plus, per primary substation, its firm / reverse capability and whether its
    transformers regulate with an on-load tap changer."""
    limits = network_operating_limits(network)
    limits["primaries"] = {}
    for sub in Substation.objects.filter(network=network, kind=Substation.Kind.PRIMARY):
        primary = network_operating_limits(network, substation=sub)["primary"]
        primary["oltc"] = Transformer.objects.filter(substation=sub, oltc_enabled=True).exists()
        limits["primaries"][sub.name] = primary
    return limits


_models = process_cache(maxsize=4)


def partition_model(network: Network, busbars: list[int]):
    """The engine model of one partition and its location map, cached per network revision
    (rebuilt after any electrical change, which bumps the revision)."""
    key = (network.pk, network.revision, tuple(busbars))
    if key in _models:
        return _models[key]
    net = network_net(network)
    model = from_pandapower(net)
    if busbars:
        fed = set(busbars)
        for feeder in model.feeders:
            if feeder.head_bus in busbars:
                fed.update(int(b) for b in feeder.bus_indices)
        trafo = net.trafo[net.trafo.lv_bus.isin(busbars)]
        fed.update(int(b) for b in trafo.hv_bus)
        fed.update(int(b) for b in net.ext_grid.bus)
        # Bus couplers between the HV buses stay inside (select_subnet keeps switches between kept buses).
        coupled = net.switch[(net.switch.et == "b") & net.switch.bus.isin(fed)].element
        fed.update(int(b) for b in coupled)
        if len(fed) < len(net.bus):
            model = from_pandapower(select_subnet(net, sorted(fed), include_results=False))
    _models[key] = (model, LocationMap(model))
    return _models[key]


_bundles = process_cache(maxsize=2)


def bundle_for(network: Network, inputs: dict):
    """The run's forecast (deterministic from its stored inputs; cached for the partitions of a
    run that land on the same worker)."""
    key = (network.pk, network.revision, inputs["start"], inputs["steps"], inputs["step_minutes"], inputs["seed"], inputs["issued_at"])
    if key not in _bundles:
        _bundles[key] = forecast_injections(
            network=network, start=dt.datetime.fromisoformat(inputs["start"]), steps=inputs["steps"],
            step_minutes=inputs["step_minutes"], seed=inputs["seed"], issued_at=dt.datetime.fromisoformat(inputs["issued_at"]),
        )
    return _bundles[key]


def clear_caches() -> None:
    """Forget cached models and forecasts (tests; a process that must rebuild)."""
    _models.clear()
    _bundles.clear()


# --- one partition -----------------------------------------------------------------------------

def project_partition(network: Network, inputs: dict, part: dict) -> dict:
    """Run the three cases of one partition through the engine and plan the response.

    Returns
    -------
    ``{"episodes": [...], "heatmap_rows": [...], "seconds": float}`` — plain JSON data.
    """
    began = time.perf_counter()
    model, locations = partition_model(network, part["busbars"])
    bundle = bundle_for(network, inputs)
    times = bundle.valid_times
    step_h = inputs["step_minutes"] / 60.0
    stored = inputs["limits"]
    primary = (stored.get("primaries") or {}).get(part["substation"], {})
    limits = constraint_limits(model, {**stored, "primary": primary}, times, inputs["step_minutes"])
    stamps = times.to_numpy()
    injections = {case: injections_from_profiles(model, bundle.scenario(generation=g, demand=d), timestamps=stamps)
                  for case, (g, d) in CASES.items()}
    results = {case: run_time_series(model, inj) for case, inj in injections.items()}
    found = {case: [e for e in group_by_location(detect_constraints(results[case], limits), results[case], locations,
                                               join_gap_steps=JOIN_GAP_STEPS)
                    if case == "median" or e.direction == case]
             for case in CASES}
    merged = _merge_cases(found)

    pool = _asset_pool(model, _live_der(network), bundle)
    zones = _Zones(model)
    violations = [(number, rep, case) for number, (rep, case, _) in enumerate(merged) if rep.level == "violation"]
    factors = _effectiveness(model, results, violations, pool, zones)
    feeder_names = _feeder_names(network)
    now = dt.datetime.fromisoformat(inputs["issued_at"])
    step = dt.timedelta(minutes=inputs["step_minutes"])
    plans: dict[str, list] = {case: [] for case in CASES}
    episodes = []
    for number, (rep, case, cases) in enumerate(merged):
        row = _episode_row(rep, case, cases, times, step, feeder_names)
        if rep.level == "violation":
            window = slice(rep.start, rep.end + 1)
            relief = np.nan_to_num(np.asarray(rep.relief_mw, dtype=float), nan=0.0)
            support, q_gens = {}, []
            if rep.kind in ("overvoltage", "undervoltage") and rep.voltage_level == MV:
                support, q_gens = _voltage_support(model, results[case], rep, factors[number], pool, bundle, case,
                                                   limits, primary)
                relief = relief * support["remaining_fraction"]
            candidates = _candidates(pool, factors[number], rep, case, window, bundle, step_h)
            room = headroom(relief, candidates, step_hours=step_h)
            plan, uncleared = curtail(room.shortfall_mw, candidates, rule=inputs["curtailment_rule"])
            plans[case].append((number, rep, room.dispatch, plan, (support, q_gens)))
            hours = max((times[rep.start].to_pydatetime() - now).total_seconds() / 3600.0, 0.0)
            row.update({
                "relief_mw": [round(float(v), 4) for v in relief],
                "headroom_mw": [round(float(v), 4) for v in room.headroom_mw], "coverable": room.coverable,
                "flex_assets": room.contributors[:10], "voltage_support": support,
                "curtailment": [{**p, "mwh": round(sum(p["mw"]) * step_h, 4)} for p in plan],
                "uncleared_mw": round(float(uncleared.max(initial=0.0)), 4),
                "severity": severity(overshoot=overshoot_percent(rep.peak_value, rep.limit, rep.unit),
                                     hours_to_breach=hours, coverable=room.coverable),
            })
        episodes.append(row)
    for case, items in plans.items():
        if items:
            for number, cleared in _confirm(model, locations, limits, injections[case], case, items).items():
                episodes[number]["confirmed"] = cleared
    return {"episodes": episodes, "heatmap_rows": _heatmap_rows(model, results, limits),
            "seconds": time.perf_counter() - began}


def _merge_cases(found: dict) -> list[tuple[LocationEpisode, str, list[str]]]:
    """One episode per location, kind and level across the cases: overlapping windows are the
    same constraint; the bounding case's numbers are shown where it sees it."""
    groups: dict = {}
    for case in ("export", "import", "median"):
        for ep in found[case]:
            key = (ep.key, ep.level)
            for group in groups.setdefault(key, []):
                rep = group[0]
                if ep.start <= rep.end and rep.start <= ep.end:
                    if case not in group[2]:
                        group[2].append(case)
                    break
            else:
                groups[key].append([ep, case, [case]])
    merged = [(rep, case, sorted(cases)) for items in groups.values() for rep, case, cases in items]
    merged.sort(key=lambda item: (item[0].start, item[0].location, item[0].location_index, item[0].kind))
    return merged


def _feeder_names(network: Network) -> dict[int, str]:
    return dict(Feeder.objects.filter(network=network, head_line__isnull=False).values_list("head_line__pp_index", "name"))


def _episode_row(rep: LocationEpisode, case: str, cases: list[str], times, step, feeder_names: dict) -> dict:
    name = feeder_names.get(rep.location_index, rep.name) if rep.location == "feeder" else rep.name
    worst = rep.worst
    return {
        "element": rep.location, "pp_index": int(rep.location_index), "name": str(name), "kind": rep.kind,
        "level": rep.level, "direction": rep.direction, "voltage_level": rep.voltage_level,
        "case": case, "cases": cases, "start": times[rep.start].isoformat(),
        "end": (times[rep.end] + step).isoformat(), "peak_at": times[rep.peak_step].isoformat(),
        "peak_value": float(rep.peak_value), "limit": float(rep.limit), "unit": rep.unit,
        "worst": {"element": worst.element, "pp_index": int(worst.pp_index), "name": str(worst.name)},
        "members": rep.members[:MEMBERS_SHOWN], "members_count": len(rep.members),
        "relief_mw": [round(float(v), 4) for v in np.nan_to_num(rep.relief_mw, nan=0.0)],
        "headroom_mw": [], "coverable": True, "flex_assets": [], "curtailment": [], "uncleared_mw": 0.0,
        "voltage_support": {}, "confirmed": None, "severity": "low",
    }


def _live_der(network: Network) -> dict:
    """Registry facts about the network's live DER, keyed (pp_element, pp_index)."""
    rows = DERAsset.objects.filter(network=network, status__in=DERAsset.LIVE_STATUSES).values_list(
        "pp_element", "pp_index", "id", "name", "kind", "connection_type", "offer_accepted_on", "connected_on")
    return {(el, idx): {"id": pk, "name": name, "kind": kind, "flexible": conn == DERAsset.ConnectionType.FLEXIBLE,
                        "accepted_on": (accepted or connected).isoformat() if (accepted or connected) else ""}
            for el, idx, pk, name, kind, conn, accepted, connected in rows}


def _asset_pool(model, der: dict, bundle) -> list[dict]:
    """Every flexible asset and generator of the partition: batteries (charge / discharge),
    plugged-in EV chargers (charge more / less), generators (curtailment, only if their
    connection is flexible; reactive power for voltage support, any MV generator)."""
    avail = bundle.availability
    ev_columns = set(avail["ev_flex_up_mw"].columns) if "ev_flex_up_mw" in avail else set()
    pool = []

    def add(table, element, keep=lambda idx: True):
        for idx, bus in zip(table.pp_index, model.buses.pp_index[table.bus]):
            idx = int(idx)
            if (element, idx) in der and keep(idx):
                pool.append({"bus": int(bus), "meta": der[(element, idx)], "idx": idx, "element": element})

    add(model.storages, "storage")
    if ev_columns:
        add(model.loads, "load", keep=lambda idx: idx in ev_columns)
    add(model.sgens, "sgen")
    return pool


class _Zones:
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


def _effectiveness(model, results: dict, violations: list, pool: list, zones: _Zones) -> dict:
    """Per violation (keyed by its number in the merged list): {asset bus: (P factor, helpful
    direction or None, |dV/dQ| or None)} from the engine's sensitivities at the worst element's
    peak. Episodes sharing a case and peak step share one linearisation."""
    groups: dict = {}
    for number, rep, case in violations:
        zone = zones.buses(rep)
        buses = {a["bus"] for a in pool if zone is None or a["bus"] in zone}
        groups.setdefault((case, int(rep.peak_step)), []).append((number, rep, buses))
    out: dict = {}
    # For an MV constraint, an asset in an LV network acts like an injection at that network's LV
    # busbar (the LV network's own losses are second order): one right-hand side per LV busbar,
    # not one per home (a thousand EV chargers would otherwise cost a thousand solves).
    lv_busbar = zones.lv_busbar
    for (case, step), items in groups.items():
        rest = []
        for number, rep, buses in items:
            if rep.location == "primary":
                out[number] = {b: (1.0, None, None) for b in buses}
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
                out[number] = {b: (abs(s.dvm_dp[at[b], col] / own) if own else 0.0, None,
                                   abs(float(s.dvm_dq[at[b], col])) if with_q else None) for b in buses}
            else:
                col = mon_branches.index(_branch_of(model, rep.worst))
                out[number] = {b: (abs(float(s.dp_from_dp[at[b], col])),
                                   ABSORB if s.dloading_dp[at[b], col] > 0 else INJECT, None) for b in buses}
    return out


def _branch_of(model, episode) -> int:
    element = "line" if episode.element == "feeder" else episode.element
    return int(model.branch_position(element, int(episode.pp_index))[0])


def _candidates(pool: list, factors: dict, rep: LocationEpisode, case: str, window: slice, bundle,
                step_h: float) -> list[Candidate]:
    """The pool as seen from one episode: effectiveness and availability in the helpful
    direction; batteries limited by the energy they have at the episode's start."""
    fixed = ABSORB if rep.direction == EXPORT else INJECT
    generation = CASES[case][0]
    avail = bundle.availability
    candidates = []
    for asset in pool:
        if asset["bus"] not in factors:
            continue
        factor, sensed, _ = factors[asset["bus"]]
        direction = sensed or fixed
        element, idx, meta = asset["element"], asset["idx"], asset["meta"]
        energy = None
        if element == "sgen":
            if direction != ABSORB or not meta["flexible"]:
                continue  # only flexible connections are curtailed, and only against export-type limits
            frame = bundle.scenario(generation=generation, demand=generation)[("sgen", "p_mw")]
        elif element == "storage":
            frame = avail["battery_charge_mw" if direction == ABSORB else "battery_discharge_mw"]
            energy = _battery_energy(avail, idx, window, direction)
        else:
            frame = avail["ev_flex_up_mw" if direction == ABSORB else "ev_flex_down_mw"]
        if idx not in frame.columns:
            continue
        candidates.append(Candidate(
            asset_id=meta["id"], name=meta["name"], kind=meta["kind"], factor=float(factor),
            available_mw=frame[idx].to_numpy(dtype=float)[window], curtailable=element == "sgen",
            connected_on=meta["accepted_on"], energy_mwh=energy, element=element, pp_index=idx,
        ))
    return candidates


def _battery_energy(avail: dict, idx: int, window: slice, direction: int) -> float | None:
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


def _voltage_support(model, result, rep: LocationEpisode, factors: dict, pool: list, bundle, case: str,
                     limits: ConstraintLimits, primary: dict) -> tuple[dict, list[int]]:
    """Reactive power of the feeder's generators and a move of the primary's voltage target,
    before any curtailment (MV voltage constraints). Returns the support figures and the
    generators (sgen indices) whose reactive power the plan uses."""
    t = rep.peak_step
    excess = (rep.peak_value - rep.limit) if rep.kind == "overvoltage" else (rep.limit - rep.peak_value)
    gens = [a for a in pool if a["element"] == "sgen" and a["bus"] in factors and factors[a["bus"]][2] is not None]
    sgen_p = bundle.scenario(generation=CASES[case][0], demand=CASES[case][1])[("sgen", "p_mw")]
    p = np.array([float(sgen_p[a["idx"]].iloc[t]) if a["idx"] in sgen_p.columns else 0.0 for a in gens])
    dv_dq = np.array([factors[a["bus"]][2] for a in gens])
    room = 0.0
    if primary.get("oltc"):
        vm = result.vm_pu[t]
        vmin, vmax = limits.bus_vmin_pu, limits.bus_vmax_pu
        margin = (vm - vmin) if rep.kind == "overvoltage" else (vmax - vm)
        mv = model.buses.vn_kv >= 1.0  # the primary's target moves its MV side; LV is behind off-load taps
        room = float(np.nanmin(margin[mv & np.isfinite(vm)], initial=np.inf)) - TARGET_MARGIN_PU
        room = 0.0 if not np.isfinite(room) else max(room, 0.0)
    support = voltage_support(excess_pu=float(excess), dv_dq=dv_dq, gen_p_mw=p, target_room_pu=room)
    return support, [a["idx"] for a in gens] if support["reactive_pu"] > 0 else []


def _confirm(model, locations: LocationMap, limits: ConstraintLimits, injections: Injections, case: str,
             items: list) -> dict[int, bool]:
    """Apply every plan of one case at once — generators' reactive power at 0.95 power factor,
    flexibility as the headroom dispatched it, then curtailment (one generator curtailed by the
    most any constraint asks of it in each interval) — re-solve the affected steps, and say
    whether each constraint clears. A move of the primary's voltage target is re-solved with the
    OLTCs regulating to the lowered target (taps move in whole steps, so a small move may change
    nothing)."""
    first = min(rep.start for _, rep, _, _, _ in items)
    last = max(rep.end for _, rep, _, _, _ in items) + 1
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
    delta = {"load": {}, "sgen": {}, "storage": {}}
    shift = np.zeros(span)
    for _, rep, dispatch, plan, (support, q_gens) in items:
        sign = +1.0 if rep.direction == EXPORT else -1.0  # export limits: consume more / generate less
        rows = slice(rep.start - first, rep.end - first + 1)
        for cand, mw in dispatch:
            cur = delta[cand.element].setdefault(cand.pp_index, np.zeros(span))
            cur[rows] = np.maximum(cur[rows], mw) if sign > 0 else np.minimum(cur[rows], -mw)
        for row in plan:
            cur = delta["sgen"].setdefault(row["pp_index"], np.zeros(span))
            cur[rows] = np.maximum(cur[rows], np.asarray(row["mw"]))
        for idx in q_gens:  # absorb (export-type) or supply reactive power at the G99 limit
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
    return {number: not any(key == rep.key and s <= rep.end and rep.start <= e for key, s, e in left)
            for number, rep, _, _, _ in items}


def _slice_limits(limits: ConstraintLimits, first: int, last: int) -> ConstraintLimits:
    import dataclasses

    def cut(value):
        return value[first:last] if isinstance(value, np.ndarray) and value.ndim == 2 else value

    return dataclasses.replace(limits, thermal_limit_percent=cut(limits.thermal_limit_percent),
                               thermal_cyclic_percent=cut(limits.thermal_cyclic_percent), include_prealarms=False)


def _heatmap_rows(model, results: dict, limits: ConstraintLimits) -> list[dict]:
    """Utilisation of each element's limit (100 = at the limit) over time, worst case, for the
    most stressed elements: branch loading against its continuous (seasonal) rating; bus voltage
    deviation from 1 pu against the allowed deviation."""
    continuous = np.broadcast_to(np.asarray(limits.thermal_limit_percent, dtype=float), results["median"].loading_percent.shape)
    loading = np.fmax.reduce([r.loading_percent for r in results.values()]) / continuous * 100
    vmax = np.fmax.reduce([r.vm_pu for r in results.values()])
    vmin = np.fmin.reduce([r.vm_pu for r in results.values()])
    lower, upper = limits.bus_vmin_pu, limits.bus_vmax_pu
    voltage = np.fmax((vmax - 1.0) / (upper - 1.0), (1.0 - vmin) / (1.0 - lower)) * 100
    rows = []
    for values, table, label in ((loading, model.branches, None), (voltage, model.buses, "bus")):
        peaks = np.nan_to_num(np.nanmax(values, axis=0, initial=0.0), nan=0.0)
        for pos in np.argsort(-peaks)[:HEATMAP_ROWS]:
            element = label or ("line" if table.kind[pos] == BRANCH_LINE else "trafo")
            rows.append({"element": element, "pp_index": int(table.pp_index[pos]), "name": str(table.name[pos]),
                         "peak": round(float(peaks[pos]), 1),
                         "values": [None if not np.isfinite(v) else round(float(v), 1) for v in values[:, pos]]})
    rows.sort(key=lambda r: -r["peak"])
    return rows[:HEATMAP_ROWS]


def timeline(bundle) -> dict:
    """Network totals with P10–P90 bands for the timeline chart."""
    out = {"times": [t.isoformat() for t in bundle.valid_times]}
    for quantity in ("demand", "pv", "wind", "net_export"):
        frame = bundle.totals[quantity]
        out[quantity] = {q: [round(float(v), 3) for v in frame[q]] for q in ("p10", "p50", "p90")}
    return out
