"""What a snapshot's numbers mean against their limits, in words an operator reads on hover and
in the list of worst elements: how much of its limit an element uses and its one-line
description (ratings come from :func:`.model.line_rating_mva`). Pure: plain numbers and strings in, plain numbers and strings out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


def voltage_share(vm_pu: float, *, vmin_pu: float, vmax_pu: float) -> float:
    """How much of the allowed voltage deviation a bus uses: |V − 1| over the distance from 1 pu
    to the limit on that side (1.0 = at the limit; 1.06 pu against 0.94–1.06 is 1.0, 1.03 is 0.5)."""
    if vm_pu >= 1.0:
        span = vmax_pu - 1.0
        return (vm_pu - 1.0) / span if span > 0 else math.inf
    span = 1.0 - vmin_pu
    return (1.0 - vm_pu) / span if span > 0 else math.inf


@dataclass(frozen=True)
class Reading:
    """One element's value against its limit.

    kind: 'line', 'transformer' or 'bus'; key: '<kind>:<pandapower index>'.
    share: fraction of the limit used (1.0 = at the limit), used to rank.
    """

    kind: str
    key: str
    name: str
    feeder: str
    value: float
    limit: str
    share: float
    x: float | None
    y: float | None

    @property
    def value_text(self) -> str:
        return f"{self.value:.3f} pu" if self.kind == "bus" else f"{self.value:.0f} %"

    @property
    def label(self) -> str:
        return {"line": "Line", "transformer": "Transformer", "bus": "Bus"}[self.kind]

    @property
    def text(self) -> str:
        """The hover / list text, e.g. "Line 'MV1.101 Line 12' · feeder F3 · 87 % of 0.29 MVA"."""
        where = f" · feeder {self.feeder}" if self.feeder else ""
        joiner = " of " if self.kind != "bus" else " (limits "
        tail = ")" if self.kind == "bus" else ""
        return f"{self.label} '{self.name}'{where} · {self.value_text}{joiner}{self.limit}{tail}"


def branch_reading(*, kind: str, index: int, name: str, feeder: str, loading_percent: float,
                   rating_mva: float, x: float | None = None, y: float | None = None) -> Reading:
    """A line's or transformer's loading: ``loading_percent`` of ``rating_mva``."""
    return Reading(kind=kind, key=f"{kind}:{index}", name=name, feeder=feeder, value=loading_percent,
                   limit=f"{rating_mva:.2f} MVA", share=loading_percent / 100.0, x=x, y=y)


def bus_reading(*, index: int, name: str, feeder: str, vm_pu: float, vmin_pu: float, vmax_pu: float,
                x: float | None = None, y: float | None = None) -> Reading:
    """A bus voltage against its band."""
    return Reading(kind="bus", key=f"bus:{index}", name=name, feeder=feeder, value=vm_pu,
                   limit=f"{vmin_pu:.2f}–{vmax_pu:.2f} pu", share=voltage_share(vm_pu, vmin_pu=vmin_pu, vmax_pu=vmax_pu),
                   x=x, y=y)


def worst(readings: list[Reading], *, count: int = 10) -> list[Reading]:
    """The ``count`` readings using most of their limit, worst first (ties: by kind, then key)."""
    return sorted(readings, key=lambda r: (-r.share, r.kind, r.key))[:count]
