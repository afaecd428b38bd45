"""Flexibility headroom of one constraint episode.

Relief is expressed in MW *at the constrained element*. An asset moving ``x`` MW in the helpful
direction relieves ``x * factor`` there, where ``factor`` comes from the engine's sensitivities
(branch MW per asset MW for thermal and exchange limits; the asset's voltage effect relative to
the bus's own for voltage limits). Assets whose factor is below ``MIN_FACTOR`` are not useful.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MIN_FACTOR = 0.05

ABSORB, INJECT = -1, +1  # helpful direction: take more power out of the grid, or put more in


@dataclass
class Candidate:
    """One flexible asset as seen from one episode.

    Attributes:
        asset_id: registry id.
        name: asset name.
        kind: ``battery``, ``ev_charger`` or a generator kind (``pv``, ``wind`` …).
        factor: relief at the element per MW moved at the asset (≥ 0).
        available_mw: (L,) MW it can move in the helpful direction in each interval of the episode.
        curtailable: True for generators (counted only as curtailment, never as headroom).
        connected_on: ISO date, for last-in-first-out curtailment.
    """

    asset_id: int
    name: str
    kind: str
    factor: float
    available_mw: np.ndarray
    curtailable: bool = False
    connected_on: str = ""


@dataclass
class Headroom:
    relief_mw: np.ndarray
    headroom_mw: np.ndarray
    shortfall_mw: np.ndarray
    contributors: list[dict] = field(default_factory=list)

    @property
    def coverable(self) -> bool:
        return bool(np.all(self.shortfall_mw <= 1e-6))


def headroom(relief_mw: np.ndarray, candidates: list[Candidate]) -> Headroom:
    """Flexible (non-curtailment) relief available in each interval, and what is left over.

    Parameters
    ----------
    relief_mw: (L,) relief needed at the element in each interval of the episode.
    candidates: assets with their factors and availability.

    Returns
    -------
    :class:`Headroom` with per-interval headroom and shortfall, and the contributing assets
    (largest first) with their peak effective MW.
    """
    relief = np.nan_to_num(np.asarray(relief_mw, dtype=float), nan=0.0)
    total = np.zeros_like(relief)
    contributors = []
    for c in candidates:
        if c.curtailable or c.factor < MIN_FACTOR:
            continue
        effective = np.clip(np.nan_to_num(c.available_mw, nan=0.0), 0.0, None) * c.factor
        total += effective
        if effective.max(initial=0.0) > 0:
            contributors.append({"asset_id": c.asset_id, "name": c.name, "kind": c.kind,
                                 "factor": round(c.factor, 3), "peak_effective_mw": round(float(effective.max()), 4)})
    contributors.sort(key=lambda row: -row["peak_effective_mw"])
    return Headroom(relief, total, np.clip(relief - total, 0.0, None), contributors)
