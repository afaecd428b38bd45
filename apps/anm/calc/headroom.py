"""Flexibility headroom of one constraint episode.

Relief is expressed in MW *at the constrained element*. An asset moving ``x`` MW in the helpful
direction relieves ``x * factor`` there, where ``factor`` comes from the engine's sensitivities
(branch MW per asset MW for thermal and exchange limits; the asset's voltage effect relative to
the worst bus's own for voltage limits). Assets whose factor is below ``MIN_FACTOR`` are not useful.

Energy: a battery that charges through the first hours of an export constraint may be full
before it ends. An energy-limited asset (``energy_mwh`` known: a battery's room to charge, or its
energy above the reserve) spends, interval by interval in time order, what the episode needs from
it (``relief / factor``, at most its power); once its energy is spent it offers nothing more.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MIN_FACTOR = 0.05

ABSORB, INJECT = -1, +1  # helpful direction: take more power out of the grid, or put more in


@dataclass
class Candidate:
    """One flexible asset or generator as seen from one episode.

    Attributes:
        asset_id: registry id.
        name: asset name.
        kind: ``battery``, ``ev_charger`` or a generator kind (``pv``, ``wind`` …).
        factor: relief at the element per MW moved at the asset (≥ 0).
        available_mw: (L,) MW it can move in the helpful direction in each interval of the episode.
        curtailable: True for generators on a flexible (ANM) connection: counted only as
            curtailment, never as headroom.
        connected_on: ISO date the connection offer was accepted (last-in-first-out order).
        energy_mwh: usable energy in the helpful direction at the episode's start (None: not
            energy-limited), e.g. a battery's room to charge.
        element / pp_index: the asset's pandapower table and index (to apply a plan).
    """

    asset_id: int
    name: str
    kind: str
    factor: float
    available_mw: np.ndarray
    curtailable: bool = False
    connected_on: str = ""
    energy_mwh: float | None = None
    element: str = ""
    pp_index: int = -1


@dataclass
class Headroom:
    relief_mw: np.ndarray
    headroom_mw: np.ndarray
    shortfall_mw: np.ndarray
    contributors: list[dict] = field(default_factory=list)
    dispatch: list[tuple[Candidate, np.ndarray]] = field(default_factory=list)

    @property
    def coverable(self) -> bool:
        return bool(np.all(self.shortfall_mw <= 1e-6))


def deliverable_mw(candidate: Candidate, relief_mw: np.ndarray, step_hours: float) -> np.ndarray:
    """(L,) MW the asset could move in each interval: its power, and for an energy-limited asset
    no more than the energy it still has, having spent before only what the episode needed from
    it (``relief / factor``)."""
    power = np.clip(np.nan_to_num(candidate.available_mw, nan=0.0), 0.0, None)
    if candidate.energy_mwh is None:
        return power
    needed = np.clip(relief_mw, 0.0, None) / candidate.factor
    out = power.copy()
    energy = max(float(candidate.energy_mwh), 0.0)
    for t in range(len(out)):  # short loops: an episode has tens of intervals
        out[t] = min(out[t], energy / step_hours)
        energy -= min(out[t], needed[t]) * step_hours
    return out


def headroom(relief_mw: np.ndarray, candidates: list[Candidate], *, step_hours: float = 0.25) -> Headroom:
    """Flexible (non-curtailment) relief available in each interval, and what is left over.

    Parameters
    ----------
    relief_mw: (L,) relief needed at the element in each interval of the episode.
    candidates: assets with their factors and availability.
    step_hours: interval length (for energy limits).

    Returns
    -------
    :class:`Headroom` with per-interval headroom and shortfall, the contributing assets
    (largest first) with their peak effective MW, and a dispatch that meets the relief where it
    can: every useful asset moved by the same share of what it could give (``dispatch``, MW).
    """
    relief = np.nan_to_num(np.asarray(relief_mw, dtype=float), nan=0.0)
    total = np.zeros_like(relief)
    contributors, useful = [], []
    for c in candidates:
        if c.curtailable or c.factor < MIN_FACTOR:
            continue
        mw = deliverable_mw(c, relief, step_hours)
        effective = mw * c.factor
        total += effective
        if effective.max(initial=0.0) > 0:
            useful.append((c, mw))
            contributors.append({"asset_id": c.asset_id, "name": c.name, "kind": c.kind,
                                 "factor": round(c.factor, 3), "peak_effective_mw": round(float(effective.max()), 4)})
    contributors.sort(key=lambda row: -row["peak_effective_mw"])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, np.minimum(1.0, np.clip(relief, 0.0, None) / total), 0.0)
    dispatch = [(c, mw * share) for c, mw in useful]
    return Headroom(relief, total, np.clip(relief - total, 0.0, None), contributors, dispatch)
