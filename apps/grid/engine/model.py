"""Neutral network model of the grid engine.

The model is a set of column tables (one numpy array per attribute, one row per element), built
once from a pandapower net by :func:`apps.grid.engine.convert.from_pandapower`. Every row keeps the
pandapower index and name of the element it came from, so that results can be mapped back.

Electrical conventions
----------------------
* Branches (lines and two-winding transformers) are stored as a pi-equivalent referred to the
  nominal voltage of their *to* bus (lines: ``to_bus``; transformers: the LV bus), with an
  off-nominal ratio ``ratio * exp(j * shift_rad)`` on the *from* side. This is the branch model of
  pandapower's ``ppc`` and of power-grid-model's ``generic_branch``.
* Powers are in MW / MVAr, voltages in kV or pu, currents in kA, impedances in ohm, admittances
  in siemens.
* Injections follow pandapower's signs: loads and storage consume with positive ``p_mw``
  (storage: positive = charging), static generators (``sgen``) produce with positive ``p_mw``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

BRANCH_LINE = 0
BRANCH_TRAFO = 1
BRANCH_KIND_NAMES = {BRANCH_LINE: "line", BRANCH_TRAFO: "trafo"}
SQRT3 = np.sqrt(3.0)


def line_rating_mva(vn_kv, max_i_ka, df=1.0, parallel=1):
    """Thermal rating of a line in MVA: ``sqrt(3) * vn_kv * max_i_ka * df * parallel``.

    The one definition used by the engine (branch ratings, feeder capacities) and the registry.

    Parameters:
        vn_kv: nominal voltage of the bus the rating is referred to (kV); scalar or array.
        max_i_ka: rated current of one circuit (kA).
        df: derating factor (pandapower ``df``).
        parallel: number of parallel circuits.

    Returns:
        The rating, a float or an array shaped like the inputs.
    """
    return SQRT3 * vn_kv * max_i_ka * df * parallel


@dataclass(eq=False)
class BusTable:
    """Buses of the network.

    Attributes:
        pp_index: pandapower bus index.
        name: pandapower bus name.
        vn_kv: nominal voltage.
        vm_min_pu / vm_max_pu: voltage limits from ``net.bus`` (``min_vm_pu`` / ``max_vm_pu``), NaN
            when the net has none.
        in_service: pandapower ``in_service`` flag.
        node: position (in this table) of the bus that represents the electrical node after
            closed bus-bus switches are fused; ``node[i] == i`` for a representative bus.
        supplied: True when the bus is connected to an in-service source in the base topology.
    """

    pp_index: np.ndarray
    name: np.ndarray
    vn_kv: np.ndarray
    vm_min_pu: np.ndarray
    vm_max_pu: np.ndarray
    in_service: np.ndarray
    node: np.ndarray
    supplied: np.ndarray

    def __len__(self) -> int:
        return len(self.pp_index)


@dataclass(eq=False)
class BranchTable:
    """Lines and two-winding transformers in one table (``kind`` tells them apart).

    Attributes:
        kind: ``BRANCH_LINE`` or ``BRANCH_TRAFO``.
        pp_index / name: pandapower index and name in ``net.line`` or ``net.trafo``.
        from_bus / to_bus: bus positions; for transformers from = HV side, to = LV side.
        in_service: pandapower ``in_service`` flag (and both buses in service).
        from_closed / to_closed: False when an open switch (or out-of-service bus) cuts that end.
        r_ohm / x_ohm: series impedance referred to the to-bus nominal voltage.
        g_s / b_s: total shunt admittance of the pi model (split half / half), referred likewise.
        ratio / shift_rad: off-nominal ratio and phase shift on the from side.
        i_max_ka: thermal current limit of lines (``max_i_ka * df * parallel``), NaN for trafos.
        sn_mva: rating of transformers (``sn_mva * parallel * df``), NaN for lines.
        rating_mva: apparent-power rating, :func:`line_rating_mva` at ``vn_from_kv`` for lines.
        loading_per_ka_from / loading_per_ka_to: loading in percent per kA at each end, so that
            ``loading = max(i_from * loading_per_ka_from, i_to * loading_per_ka_to)`` reproduces
            pandapower's line and transformer (``trafo_loading='current'``) definitions.
        vn_from_kv / vn_to_kv: nominal voltage of the from / to bus.
    """

    kind: np.ndarray
    pp_index: np.ndarray
    name: np.ndarray
    from_bus: np.ndarray
    to_bus: np.ndarray
    in_service: np.ndarray
    from_closed: np.ndarray
    to_closed: np.ndarray
    r_ohm: np.ndarray
    x_ohm: np.ndarray
    g_s: np.ndarray
    b_s: np.ndarray
    ratio: np.ndarray
    shift_rad: np.ndarray
    i_max_ka: np.ndarray
    sn_mva: np.ndarray
    rating_mva: np.ndarray
    loading_per_ka_from: np.ndarray
    loading_per_ka_to: np.ndarray
    vn_from_kv: np.ndarray
    vn_to_kv: np.ndarray

    def __len__(self) -> int:
        return len(self.pp_index)


@dataclass(eq=False)
class InjectionTable:
    """Loads, static generators (DER) or storage units.

    Attributes:
        element: pandapower table name (``"load"``, ``"sgen"`` or ``"storage"``).
        pp_index / name: pandapower index and name.
        bus: bus position.
        p_mw / q_mvar: set-point times ``scaling`` (pandapower sign convention of the table).
        in_service: pandapower flag (and bus in service).
        der_type: the ``type`` column (e.g. ``"PV"``, ``"Wind_MV"``), ``""`` when missing.
        sn_mva: rated power when the table has it, else NaN.
    """

    element: str
    pp_index: np.ndarray
    name: np.ndarray
    bus: np.ndarray
    p_mw: np.ndarray
    q_mvar: np.ndarray
    in_service: np.ndarray
    der_type: np.ndarray
    sn_mva: np.ndarray

    def __len__(self) -> int:
        return len(self.pp_index)

    def of_type(self, der_type: str) -> np.ndarray:
        """Positions of the elements whose ``der_type`` starts with ``der_type`` (e.g. ``"PV"``).

        Parameters:
            der_type: type prefix, compared case-insensitively.

        Returns:
            Integer positions into this table.
        """
        prefix = der_type.lower()
        return np.flatnonzero([str(t).lower().startswith(prefix) for t in self.der_type])


@dataclass(eq=False)
class SourceTable:
    """External grids (slack sources)."""

    pp_index: np.ndarray
    name: np.ndarray
    bus: np.ndarray
    vm_pu: np.ndarray
    va_degree: np.ndarray
    in_service: np.ndarray

    def __len__(self) -> int:
        return len(self.pp_index)


@dataclass(eq=False)
class ShuntTable:
    """Shunts as constant admittances (siemens at the bus nominal voltage)."""

    pp_index: np.ndarray
    name: np.ndarray
    bus: np.ndarray
    g_s: np.ndarray
    b_s: np.ndarray
    in_service: np.ndarray

    def __len__(self) -> int:
        return len(self.pp_index)


@dataclass(eq=False)
class Feeder:
    """A line leaving a transformer's LV busbar, and what it supplies.

    Attributes:
        feeder_id: position of the feeder in ``NetworkModel.feeders``.
        name: the head line's name.
        head_line: pandapower index of the head line.
        head_branch: position of the head line in ``NetworkModel.branches``.
        head_bus: pandapower index of the busbar the feeder leaves.
        head_at_from: True when the busbar is the line's ``from_bus``.
        trafos: pandapower indices of the transformers feeding the busbar.
        bus_indices: pandapower indices of every bus supplied through the head line (including
            networks behind downstream transformers), in breadth-first order.
        capacity_mva: head-end capacity, :func:`line_rating_mva` of the head line at ``vn_kv``.
        vn_kv: nominal voltage of the head bus.
    """

    feeder_id: int
    name: str
    head_line: int
    head_branch: int
    head_bus: int
    head_at_from: bool
    trafos: list[int]
    bus_indices: list[int]
    capacity_mva: float
    vn_kv: float


@dataclass(eq=False)
class NetworkModel:
    """The engine's network: tables, derived feeders and the primary substation.

    Attributes:
        name: network name.
        sn_mva / f_hz: pandapower base power and frequency.
        trafo_model: ``"t"`` or ``"pi"``; the pandapower transformer model reproduced.
        buses, branches, sources, loads, sgens, storages, shunts: element tables.
        feeders: feeders derived from topology.
        primary_trafos: branch positions of the transformers between the source and the rest of
            the network (the primary substation).
        taps: tap changers of the transformers, fixed and regulating (:class:`.taps.TapTable`).
    """

    name: str
    sn_mva: float
    f_hz: float
    trafo_model: str
    buses: BusTable
    branches: BranchTable
    sources: SourceTable
    loads: InjectionTable
    sgens: InjectionTable
    storages: InjectionTable
    shunts: ShuntTable
    feeders: list[Feeder] = field(default_factory=list)
    primary_trafos: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    taps: "TapTable" = None  # noqa: F821 (set by from_pandapower; see .taps)
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if self.taps is None:
            from .taps import empty_tap_table

            self.taps = empty_tap_table()

    @property
    def line_positions(self) -> np.ndarray:
        """Branch positions of the lines."""
        return np.flatnonzero(self.branches.kind == BRANCH_LINE)

    @property
    def trafo_positions(self) -> np.ndarray:
        """Branch positions of the transformers."""
        return np.flatnonzero(self.branches.kind == BRANCH_TRAFO)

    @property
    def unsupplied_buses(self) -> np.ndarray:
        """pandapower indices of buses with no path to a source in the base topology."""
        return self.buses.pp_index[~self.buses.supplied]

    def bus_position(self, pp_index: int | np.ndarray) -> np.ndarray:
        """Positions of buses given their pandapower indices.

        Parameters:
            pp_index: one or more pandapower bus indices.

        Returns:
            Positions in ``buses``.

        Raises:
            InvalidInputError: an index is not a bus of this model.
        """
        return _positions(self.buses.pp_index, pp_index, "bus", self._cache)

    def branch_position(self, element: str, pp_index: int | np.ndarray) -> np.ndarray:
        """Positions in ``branches`` of lines (``element="line"``) or trafos (``"trafo"``).

        Parameters:
            element: ``"line"`` or ``"trafo"``.
            pp_index: one or more pandapower indices of that table.

        Returns:
            Positions in ``branches``.
        """
        kind = {"line": BRANCH_LINE, "trafo": BRANCH_TRAFO}[element]
        positions = np.flatnonzero(self.branches.kind == kind)
        local = _positions(self.branches.pp_index[positions], pp_index, element, self._cache,
                           key=f"branch_{element}")
        return positions[local]


def _positions(table_index: np.ndarray, wanted: int | np.ndarray, label: str, cache: dict,
               key: str | None = None) -> np.ndarray:
    from .errors import InvalidInputError

    key = key or label
    lookup = cache.get(key)
    if lookup is None:
        lookup = {int(v): i for i, v in enumerate(table_index)}
        cache[key] = lookup
    wanted_arr = np.atleast_1d(np.asarray(wanted, dtype=np.int64))
    try:
        return np.array([lookup[int(v)] for v in wanted_arr], dtype=np.int64)
    except KeyError as exc:
        raise InvalidInputError(f"{label} {exc.args[0]} is not in the network model") from None
