"""The projection of one partition: forecast → engine → constraint episodes → flexibility
headroom → curtailment. Reads the registry, calls the engine, returns plain data for the services
to store. A partition is one primary substation and everything it feeds, so several workers can
share a big network.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import OrderedDict

import numpy as np
from pandapower.toolbox import select_subnet

from apps.forecasting.services import forecast_injections
from apps.grid.engine import (
    BRANCH_LINE,
    ConstraintLimits,
    detect_constraints,
    from_pandapower,
    injections_from_profiles,
    run_time_series,
    sensitivities,
)
from apps.grid.models import Bus, DERAsset, Network, Substation
from apps.grid.selectors import network_net

from .calc.curtailment import curtail
from .calc.headroom import ABSORB, INJECT, Candidate, headroom
from .calc.severity import overshoot_percent, severity

log = logging.getLogger(__name__)
QUANTILES = ("p10", "p50", "p90")
PREFERENCE = ("p50", "p90", "p10")  # the scenario whose numbers an episode card shows
HEATMAP_ROWS = 25
DEFAULT_LIMITS = {"thermal_limit_percent": 100.0, "thermal_prealarm_percent": 90.0,
                  "voltage_band_pu": [0.95, 1.05], "use_bus_limits": True}
EXPORT_LIKE = {"overvoltage", "export"}  # relieved by absorbing power (charge, curtail)
IMPORT_LIKE = {"undervoltage", "import"}


# --- partitions --------------------------------------------------------------------------------

def partitions(network: Network) -> list[dict]:
    """One partition per primary substation: its busbars (plus the whole net if it has none)."""
    primaries = Substation.objects.filter(network=network, kind=Substation.Kind.PRIMARY).order_by("name")
    parts = []
    for sub in primaries:
        busbars = list(Bus.objects.filter(substation=sub).values_list("pp_index", flat=True))
        parts.append({"substation": sub.name, "busbars": busbars})
    return parts or [{"substation": network.name, "busbars": []}]


_models: OrderedDict = OrderedDict()


def partition_model(network: Network, busbars: list[int]):
    """The engine model of one partition, cached per network revision (rebuilt after any
    electrical change, which bumps the revision)."""
    key = (network.pk, network.revision, tuple(busbars))
    if key in _models:
        _models.move_to_end(key)
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
    _models[key] = model
    while len(_models) > 4:
        _models.popitem(last=False)
    return model


# --- forecasts ---------------------------------------------------------------------------------

_bundles: OrderedDict = OrderedDict()


def bundle_for(network: Network, inputs: dict):
    """The run's forecast (deterministic from its stored inputs; cached for the partitions of a
    run that land on the same worker)."""
    key = (network.pk, network.revision, inputs["start"], inputs["steps"], inputs["step_minutes"], inputs["seed"], inputs["issued_at"])
    if key not in _bundles:
        _bundles[key] = forecast_injections(
            network=network, start=dt.datetime.fromisoformat(inputs["start"]), steps=inputs["steps"],
            step_minutes=inputs["step_minutes"], seed=inputs["seed"], issued_at=dt.datetime.fromisoformat(inputs["issued_at"]),
        )
        while len(_bundles) > 2:
            _bundles.popitem(last=False)
    return _bundles[key]


# --- one partition -----------------------------------------------------------------------------

def project_partition(network: Network, inputs: dict, part: dict) -> dict:
    """Run the three quantile scenarios of one partition through the engine.

    Returns
    -------
    ``{"episodes": [...], "heatmap_rows": [...], "seconds": float}`` — plain JSON data.
    """
    began = time.perf_counter()
    model = partition_model(network, part["busbars"])
    bundle = bundle_for(network, inputs)
    times = bundle.valid_times
    limits_kw = {**DEFAULT_LIMITS, **inputs.get("limits", {})}
    limits_kw["voltage_band_pu"] = tuple(limits_kw["voltage_band_pu"])
    limits = ConstraintLimits(**limits_kw)
    results = {
        q: run_time_series(model, injections_from_profiles(model, bundle.profiles(q), timestamps=times.to_numpy()))
        for q in QUANTILES
    }
    found = {q: detect_constraints(results[q], limits) for q in QUANTILES}
    merged = _merge(found)
    step = dt.timedelta(minutes=inputs["step_minutes"])
    now = dt.datetime.fromisoformat(inputs["issued_at"])
    pool = _asset_pool(model, _live_der(network), bundle)
    zones = _Zones(model)
    violations = [(rep, qs, next(p for p in PREFERENCE if p in qs)) for rep, qs in merged if rep.level == "violation"]
    factors = _effectiveness(model, results, violations, pool, zones)
    episodes = []
    for rep, quantiles in merged:
        relief = np.nan_to_num(np.asarray(rep.relief_mw, dtype=float), nan=0.0)
        row = {
            "element": rep.element, "pp_index": int(rep.pp_index), "name": str(rep.name), "kind": rep.kind,
            "level": rep.level, "quantiles": quantiles, "start": times[rep.start].isoformat(),
            "end": (times[rep.end] + step).isoformat(), "peak_at": times[rep.peak_step].isoformat(),
            "peak_value": float(rep.peak_value), "limit": float(rep.limit), "unit": rep.unit,
            "relief_mw": [round(float(v), 4) for v in relief],
            "headroom_mw": [], "coverable": True, "flex_assets": [], "curtailment": [], "severity": "low",
        }
        if rep.level == "violation":
            q = next(p for p in PREFERENCE if p in quantiles)
            candidates = _candidates(pool, factors[id(rep)], rep, q, slice(rep.start, rep.end + 1))
            room = headroom(relief, candidates)
            worst = int(np.argmax(room.shortfall_mw)) if len(relief) else 0
            plan = curtail(float(room.shortfall_mw[worst]) if len(relief) else 0.0,
                           [c for c in candidates if c.curtailable], rule=inputs["curtailment_rule"], step=worst)
            hours = max((times[rep.start].to_pydatetime() - now).total_seconds() / 3600.0, 0.0)
            row.update({
                "headroom_mw": [round(float(v), 4) for v in room.headroom_mw], "coverable": room.coverable,
                "flex_assets": room.contributors[:10],
                "curtailment": [{**p, "curtail_mw": round(p["curtail_mw"], 4), "at": times[rep.start + worst].isoformat()}
                                for p in plan],
                "severity": severity(overshoot=overshoot_percent(rep.peak_value, rep.limit, rep.unit),
                                     hours_to_breach=hours, coverable=room.coverable),
            })
        episodes.append(row)
    return {"episodes": episodes, "heatmap_rows": _heatmap_rows(model, results, limits),
            "seconds": time.perf_counter() - began}


def _merge(found: dict) -> list[tuple]:
    """One episode per element, kind and level across the quantile scenarios: overlapping
    windows are the same episode; the card shows the P50 one where there is one."""
    groups: dict = {}
    for q in PREFERENCE:
        for ep in found[q]:
            key = (ep.element, int(ep.pp_index), ep.kind, ep.level)
            for group in groups.setdefault(key, []):
                rep = group[0]
                if ep.start <= rep.end and rep.start <= ep.end:
                    if q not in group[1]:
                        group[1].append(q)
                    break
            else:
                groups[key].append((ep, [q]))
    merged = [(rep, sorted(qs)) for items in groups.values() for rep, qs in items]
    merged.sort(key=lambda item: (item[0].start, item[0].element, item[0].pp_index))
    return merged


def _live_der(network: Network) -> dict:
    """Registry facts about the network's live DER, keyed (pp_element, pp_index)."""
    rows = DERAsset.objects.filter(network=network, status__in=DERAsset.LIVE_STATUSES).values_list(
        "pp_element", "pp_index", "id", "name", "kind", "connected_on")
    return {(el, idx): {"id": pk, "name": name, "kind": kind, "connected_on": on.isoformat() if on else ""}
            for el, idx, pk, name, kind, on in rows}


def _asset_pool(model, der: dict, bundle) -> list[dict]:
    """Every flexible asset and curtailable generator of the partition with its availability per
    helpful direction, in MW per step: batteries (charge / discharge), plugged-in EV chargers
    (charge more / less), generators (curtail: absorbing only)."""
    avail = bundle.availability
    ev_columns = set(avail["ev_flex_up_mw"].columns) if "ev_flex_up_mw" in avail else set()
    pool = []

    def add(table, element, series_for, keep=lambda idx: True):
        for idx, bus in zip(table.pp_index, model.buses.pp_index[table.bus]):
            idx = int(idx)
            if (element, idx) in der and keep(idx):
                pool.append({"bus": int(bus), "meta": der[(element, idx)], "idx": idx, "curtailable": element == "sgen",
                             "series": series_for})

    add(model.storages, "storage", {ABSORB: avail["battery_charge_mw"], INJECT: avail["battery_discharge_mw"]})
    if ev_columns:
        add(model.loads, "load", {ABSORB: avail["ev_flex_up_mw"], INJECT: avail["ev_flex_down_mw"]},
            keep=lambda idx: idx in ev_columns)
    add(model.sgens, "sgen", {ABSORB: {q: bundle.profiles(q)[("sgen", "p_mw")] for q in QUANTILES}})
    return pool


class _Zones:
    """Which buses can usefully act on an element: the most specific feeder around it (a radial
    grid's flows and voltages there respond to what happens on that feeder)."""

    def __init__(self, model):
        self.model = model
        self.feeder_of_bus: dict[int, int] = {}
        for feeder in sorted(model.feeders, key=lambda f: -len(f.bus_indices)):
            for bus in feeder.bus_indices:
                self.feeder_of_bus[int(bus)] = feeder.feeder_id
        self.by_head_bus: dict[int, list] = {}
        for feeder in model.feeders:
            self.by_head_bus.setdefault(int(feeder.head_bus), []).append(feeder)

    def buses(self, element: str, pp_index: int) -> set[int] | None:
        """Bus indices of the zone; None = the whole partition."""
        m = self.model
        if element == "primary":
            return None
        if element == "feeder":
            return {int(b) for f in m.feeders if f.head_line == pp_index for b in f.bus_indices}
        if element == "trafo":
            pos = int(m.branch_position("trafo", pp_index)[0])
            lv = int(m.buses.pp_index[m.branches.to_bus[pos]])
            fed = self.by_head_bus.get(lv) or self.by_head_bus.get(int(m.buses.pp_index[m.branches.from_bus[pos]]), [])
            return {lv} | {int(b) for f in fed for b in f.bus_indices} if fed else None
        if element == "line":
            pos = int(m.branch_position("line", pp_index)[0])
            bus = int(m.buses.pp_index[m.branches.to_bus[pos]])
        else:
            bus = int(pp_index)
        feeder = self.feeder_of_bus.get(bus)
        return None if feeder is None else {int(b) for b in m.feeders[feeder].bus_indices}


def _effectiveness(model, results: dict, violations: list, pool: list, zones: _Zones) -> dict:
    """Per violation (keyed by id): {asset bus: (factor, helpful direction or None)}, from the
    engine's sensitivities at the episode's peak. Episodes sharing a scenario and peak step share
    one linearisation."""
    groups: dict = {}
    for rep, _, q in violations:
        zone = zones.buses(rep.element, int(rep.pp_index))
        buses = {a["bus"] for a in pool if zone is None or a["bus"] in zone}
        groups.setdefault((q, int(rep.peak_step)), []).append((rep, buses))
    out: dict = {}
    for (q, step), items in groups.items():
        primary = [(rep, buses) for rep, buses in items if rep.element == "primary"]
        for rep, buses in primary:
            out[id(rep)] = {b: (1.0, None) for b in buses}
        rest = [(rep, buses) for rep, buses in items if rep.element != "primary"]
        if not rest:
            continue
        asset_buses = sorted(set().union(*(b for _, b in rest)) | {int(r.pp_index) for r, _ in rest if r.element == "bus"})
        mon_buses = sorted({int(r.pp_index) for r, _ in rest if r.element == "bus"})
        mon_branches = sorted({_branch_of(model, r) for r, _ in rest if r.element != "bus"})
        if not asset_buses:
            continue
        s = sensitivities(model, results[q], step, np.array(asset_buses), buses=mon_buses, branches=mon_branches,
                          with_q=False)  # headroom is in MW: the Q half would double the cost
        row = {b: i for i, b in enumerate(asset_buses)}
        for rep, buses in rest:
            if rep.element == "bus":
                col = mon_buses.index(int(rep.pp_index))
                own = s.dvm_dp[row[int(rep.pp_index)], col]
                out[id(rep)] = {b: (abs(s.dvm_dp[row[b], col] / own) if own else 0.0, None) for b in buses}
            else:
                col = mon_branches.index(_branch_of(model, rep))
                out[id(rep)] = {b: (abs(float(s.dp_from_dp[row[b], col])),
                                    ABSORB if s.dloading_dp[row[b], col] > 0 else INJECT) for b in buses}
    return out


def _branch_of(model, episode) -> int:
    element = "line" if episode.element == "feeder" else episode.element
    return int(model.branch_position(element, int(episode.pp_index))[0])


def _candidates(pool: list, factors: dict, episode, q: str, window: slice) -> list[Candidate]:
    """The pool as seen from one episode: effectiveness and availability in the helpful direction."""
    fixed = ABSORB if episode.kind in EXPORT_LIKE else INJECT if episode.kind in IMPORT_LIKE else None
    candidates = []
    for asset in pool:
        if asset["bus"] not in factors:
            continue
        factor, sensed = factors[asset["bus"]]
        series = asset["series"].get(fixed or sensed or ABSORB)
        if series is None:
            continue
        frame = series[q] if isinstance(series, dict) else series
        if asset["idx"] not in frame.columns:
            continue
        meta = asset["meta"]
        candidates.append(Candidate(
            asset_id=meta["id"], name=meta["name"], kind=meta["kind"], factor=float(factor),
            available_mw=frame[asset["idx"]].to_numpy(dtype=float)[window], curtailable=asset["curtailable"],
            connected_on=meta["connected_on"],
        ))
    return candidates


def _heatmap_rows(model, results: dict, limits: ConstraintLimits) -> list[dict]:
    """Utilisation of each element's limit (100 = at the limit) over time, worst scenario, for
    the most stressed elements: branch loading against the thermal limit; bus voltage deviation
    from 1 pu against the allowed deviation."""
    loading = np.fmax.reduce([r.loading_percent for r in results.values()]) / limits.thermal_limit_percent * 100
    vmax = np.fmax.reduce([r.vm_pu for r in results.values()])
    vmin = np.fmin.reduce([r.vm_pu for r in results.values()])
    lo, hi = limits.voltage_band_pu
    upper = np.where(np.isfinite(model.buses.vm_max_pu), model.buses.vm_max_pu, hi) if limits.use_bus_limits else np.full(len(model.buses), hi)
    lower = np.where(np.isfinite(model.buses.vm_min_pu), model.buses.vm_min_pu, lo) if limits.use_bus_limits else np.full(len(model.buses), lo)
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
        out[quantity] = {q: [round(float(v), 3) for v in frame[q]] for q in QUANTILES}
    return out


def limits_dict() -> dict:
    return dict(DEFAULT_LIMITS)

