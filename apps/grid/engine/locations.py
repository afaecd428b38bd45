"""Constraint locations: what an ANM scheme monitors, instead of every bus and branch.

:func:`detect_constraints` finds episodes per bus and per branch. An operator manages *constraint
locations*: a feeder (its voltage, the thermal limit of its sections, its head exchange), a
transformer, the primary substation's export / import. :func:`group_by_location` maps each
element episode to its location and merges overlapping episodes of one location, kind and level
into one, keeping the worst element and every element affected.

Mapping
-------
* bus voltage → the most specific feeder that supplies the bus (its LV feeder for an LV bus);
  a busbar with no feeder is its own location (``"busbar"``).
* line thermal → the most specific feeder holding both ends; lines outside every feeder (HV
  lines) are their own location (``"line"``).
* transformer thermal → the transformer, except primary transformers, whose loading is part of
  the primary's export / import (firm capacity is the stricter limit there, so one location).
* feeder head and primary exchange → that feeder / the primary.

Direction
---------
Every location episode says whether it is *export-type* (relieved by more demand or less
generation: over-voltage, reverse power, thermal with power flowing towards the source) or
*import-type* (the reverse). Thermal direction is read from the flow at the episode's peak: the
upstream end of a branch is the one nearer a source (breadth-first hop count).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from .constraints import ConstraintEpisode
from .model import BRANCH_LINE, NetworkModel
from .powerflow import PowerFlowResult
from .topology import connected_branch_mask

EXPORT, IMPORT = "export", "import"
MV, LV = "mv", "lv"
LV_KV = 1.0  # below this nominal voltage a location is on the LV list


@dataclass(eq=False)
class LocationEpisode:
    """One constraint location beyond one limit over consecutive steps.

    Attributes:
        location: ``"feeder"``, ``"trafo"``, ``"primary"``, ``"line"`` or ``"busbar"``.
        location_index: feeder head line / transformer / line / bus pandapower index; -1 for the primary.
        name: the location's name (feeder: its head line's name).
        kind: ``"overvoltage"``, ``"undervoltage"``, ``"thermal"``, ``"export"`` or ``"import"``.
        direction: ``"export"`` or ``"import"`` (see module doc).
        voltage_level: ``"mv"`` (MV and primary: the ANM list) or ``"lv"`` (planning list).
        level: ``"violation"`` or ``"prealarm"``.
        start / end: first and last step (inclusive).
        peak_step / peak_value / limit / unit: of the worst element.
        worst: the worst element's own episode (element, index, name, relief).
        members: ``[{"element", "pp_index", "name", "peak_value", "limit"}]``, worst first.
        relief_mw: per step start..end, the largest relief any member needs.
    """

    location: str
    location_index: int
    name: str
    kind: str
    direction: str
    voltage_level: str
    level: str
    start: int
    end: int
    peak_step: int
    peak_value: float
    limit: float
    unit: str
    worst: ConstraintEpisode
    members: list[dict] = field(default_factory=list)
    relief_mw: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def key(self) -> str:
        """Stable identity of the location and limit: one alarm per key."""
        return f"{self.location}:{self.location_index}:{self.kind}"


def overshoot(episode) -> float:
    """How far past its limit an episode goes, comparable within one kind (fraction of the
    limit for % and MW, pu for voltage)."""
    if episode.unit == "pu":
        return (episode.limit - episode.peak_value) if episode.kind == "undervoltage" else (episode.peak_value - episode.limit)
    return (abs(episode.peak_value) - abs(episode.limit)) / abs(episode.limit) if episode.limit else np.inf


class LocationMap:
    """Where each element's constraints belong in one network model (built once per model)."""

    def __init__(self, model: NetworkModel):
        self.model = model
        feeders = sorted(model.feeders, key=lambda f: len(f.bus_indices))  # most specific first
        self.feeder_of_bus: dict[int, object] = {}
        for feeder in feeders:
            for bus in feeder.bus_indices:
                self.feeder_of_bus.setdefault(int(bus), feeder)
        # a line belongs to the most specific feeder holding both its ends; a head line to its feeder
        b = model.branches
        lines = np.flatnonzero(b.kind == BRANCH_LINE)
        ends_a, ends_z = model.buses.pp_index[b.from_bus[lines]], model.buses.pp_index[b.to_bus[lines]]
        self.feeder_of_branch: dict[int, object] = {int(f.head_branch): f for f in model.feeders}
        for feeder in feeders:
            members = np.asarray(feeder.bus_indices)
            inside = np.isin(ends_a, members) & np.isin(ends_z, members)
            for pos in lines[inside]:
                self.feeder_of_branch.setdefault(int(pos), feeder)
        self.primary_positions = set(int(p) for p in model.primary_trafos)
        self.hops = _hops_from_source(model)

    def of(self, episode: ConstraintEpisode, result: PowerFlowResult) -> tuple[str, int, str, str, str]:
        """(location, index, name, direction, voltage level) of one element episode."""
        m, element = self.model, episode.element
        if element == "bus":
            feeder = self.feeder_of_bus.get(int(episode.pp_index))
            direction = EXPORT if episode.kind == "overvoltage" else IMPORT
            if feeder is None:
                vn = float(m.buses.vn_kv[m.bus_position([episode.pp_index])[0]])
                return "busbar", int(episode.pp_index), episode.name, direction, _level(vn)
            return "feeder", int(feeder.head_line), feeder.name, direction, _level(feeder.vn_kv)
        if element == "primary":
            return "primary", -1, "primary substation", episode.kind, MV
        if element == "feeder":
            feeder = next(f for f in m.feeders if f.head_line == episode.pp_index)
            return "feeder", int(feeder.head_line), feeder.name, episode.kind, _level(feeder.vn_kv)
        pos = int(m.branch_position(element, int(episode.pp_index))[0])
        direction = self.thermal_direction(pos, result, episode.peak_step)
        if element == "trafo":
            if pos in self.primary_positions:
                return "primary", -1, "primary substation", direction, MV
            return "trafo", int(episode.pp_index), episode.name, direction, _level(float(m.branches.vn_to_kv[pos]))
        feeder = self.feeder_of_branch.get(pos)
        if feeder is None:
            return "line", int(episode.pp_index), episode.name, direction, _level(float(m.branches.vn_from_kv[pos]))
        return "feeder", int(feeder.head_line), feeder.name, direction, _level(feeder.vn_kv)

    def thermal_direction(self, pos: int, result: PowerFlowResult, step: int) -> str:
        """Export when the branch carries power towards the source at ``step``."""
        if result.p_from_mw is None:
            return IMPORT
        b = self.model.branches
        from_up = self.hops[b.from_bus[pos]] <= self.hops[b.to_bus[pos]]
        p_up = result.p_from_mw[step, pos] if from_up else result.p_to_mw[step, pos]
        return EXPORT if p_up < 0 else IMPORT  # power leaving the branch at its upstream end


def _level(vn_kv: float) -> str:
    return LV if vn_kv < LV_KV else MV


def _hops_from_source(model: NetworkModel) -> np.ndarray:
    """Hop count of every bus from the nearest in-service source (inf where unsupplied)."""
    n = len(model.buses)
    b = model.branches
    on = connected_branch_mask(b)
    f, t = b.from_bus[on], b.to_bus[on]
    # closed bus couplers are already fused into nodes; hop over nodes, report per bus
    node = model.buses.node
    graph = coo_matrix((np.ones(len(f)), (node[f], node[t])), shape=(n, n))
    sources = np.unique(node[model.sources.bus[model.sources.in_service]])
    if len(sources) == 0:
        return np.full(n, np.inf)
    dist = shortest_path(graph, directed=False, unweighted=True, indices=sources)
    return np.min(np.atleast_2d(dist), axis=0)[node]


def group_by_location(episodes: list[ConstraintEpisode], result: PowerFlowResult,
                      locations: LocationMap | None = None, *, join_gap_steps: int = 0) -> list[LocationEpisode]:
    """Merge element episodes into constraint-location episodes.

    Parameters:
        episodes: from :func:`detect_constraints` on ``result``.
        result: the power-flow result they came from (flows give thermal direction).
        locations: a prepared :class:`LocationMap` of ``result.model`` (built when None).
        join_gap_steps: episodes of one location and kind separated by at most this many
            calm steps are one constraint (an operator does not release and re-arm a scheme
            for a 15-minute lull).

    Returns:
        Location episodes sorted by start, then location.
    """
    locations = locations or LocationMap(result.model)
    groups: dict[tuple, list] = {}
    for ep in episodes:
        loc, index, name, direction, vlevel = locations.of(ep, result)
        kind = ep.kind
        if loc == "primary" and kind == "thermal":
            kind = direction  # a primary unit's loading is the primary's export / import
        key = (loc, index, kind, ep.level)
        groups.setdefault(key, []).append((ep, name, direction, vlevel))
    out: list[LocationEpisode] = []
    for (loc, index, kind, level), items in groups.items():
        items.sort(key=lambda item: item[0].start)
        window: list = []
        for item in items + [None]:
            if item is not None and window and item[0].start <= max(w[0].end for w in window) + 1 + join_gap_steps:
                window.append(item)
                continue
            if window:
                out.append(_merge(loc, index, kind, level, window))
            window = [item] if item is not None else []
    out.sort(key=lambda e: (e.start, e.location, e.location_index, e.kind, e.level))
    return out


def _merge(loc: str, index: int, kind: str, level: str, window: list) -> LocationEpisode:
    episodes = [w[0] for w in window]
    worst_item = max(window, key=lambda w: (overshoot(w[0]), -w[0].start))
    worst = worst_item[0]
    start, end = min(e.start for e in episodes), max(e.end for e in episodes)
    relief = np.zeros(end - start + 1)
    for e in episodes:
        seg = np.nan_to_num(np.asarray(e.relief_mw, dtype=float), nan=0.0)
        relief[e.start - start:e.end - start + 1] = np.maximum(relief[e.start - start:e.end - start + 1], seg)
    members: dict[tuple, dict] = {}
    for e in sorted(episodes, key=overshoot, reverse=True):
        members.setdefault((e.element, int(e.pp_index)), {
            "element": e.element, "pp_index": int(e.pp_index), "name": str(e.name),
            "peak_value": float(e.peak_value), "limit": float(e.limit)})
    name = worst_item[1]
    direction = worst_item[2] if kind not in ("export", "import") else kind
    return LocationEpisode(
        location=loc, location_index=index, name=name, kind=kind, direction=direction,
        voltage_level=worst_item[3], level=level, start=start, end=end, peak_step=worst.peak_step,
        peak_value=float(worst.peak_value), limit=float(worst.limit), unit=worst.unit, worst=worst,
        members=list(members.values()), relief_mw=relief)
