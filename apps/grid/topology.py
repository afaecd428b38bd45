"""Feeders and substations derived from a pandapower net's topology.

A substation is the LV-side busbar of one or more transformers. A feeder is what hangs off one
line leaving that busbar: the buses reached from the line's far end without passing through a
transformer, an open switch or another busbar. Two head lines that meet (a closed ring) share
one feeder.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import pandapower as pp


@dataclass
class DerivedFeeder:
    busbar: int
    head_line: int
    head_bus: int
    vn_kv: float
    capacity_mva: float
    buses: set[int] = field(default_factory=set)
    lines: set[int] = field(default_factory=set)


@dataclass
class DerivedSubstation:
    busbar: int
    name: str
    primary: bool
    transformers: list[int]
    feeders: list[DerivedFeeder] = field(default_factory=list)


def _open_line_switches(net: pp.pandapowerNet) -> set[int]:
    sw = net.switch
    return set(sw.loc[(sw.et == "l") & ~sw.closed.astype(bool), "element"].astype(int))


def derive_substations(net: pp.pandapowerNet) -> list[DerivedSubstation]:
    """Return one substation per transformer LV busbar, each with its feeders."""
    open_lines = _open_line_switches(net)
    graph = nx.Graph()
    graph.add_nodes_from(net.bus.index)
    for idx, row in net.line.iterrows():
        if row.in_service and idx not in open_lines:
            graph.add_edge(int(row.from_bus), int(row.to_bus), line=int(idx))
    bus_switches = net.switch[(net.switch.et == "b") & net.switch.closed.astype(bool)]
    for _, row in bus_switches.iterrows():
        graph.add_edge(int(row.bus), int(row.element), line=None)

    substations: dict[int, DerivedSubstation] = {}
    for idx, trafo in net.trafo.iterrows():
        busbar = int(trafo.lv_bus)
        sub = substations.get(busbar)
        if sub is None:
            name = str(trafo.get("substation") or "") if isinstance(trafo.get("substation"), str) else ""
            name = name or str(net.bus.at[busbar, "name"] or f"Substation {busbar}")
            sub = substations[busbar] = DerivedSubstation(
                busbar=busbar, name=name, primary=float(trafo.vn_hv_kv) >= 30.0, transformers=[]
            )
        sub.transformers.append(int(idx))

    without_busbars = graph.subgraph(set(graph.nodes) - set(substations))
    component_of = {}
    for number, component in enumerate(nx.connected_components(without_busbars)):
        for bus in component:
            component_of[bus] = number

    claimed: dict[int, DerivedFeeder] = {}
    for busbar, sub in sorted(substations.items()):
        for neighbour in sorted(graph.neighbors(busbar)):
            line = graph.edges[busbar, neighbour].get("line")
            if line is None or neighbour in substations:
                continue
            component = component_of[neighbour]
            if component in claimed:  # a closed ring back to an already-found feeder
                claimed[component].lines.add(line)
                continue
            row = net.line.loc[line]
            vn_kv = float(net.bus.at[busbar, "vn_kv"])
            feeder = DerivedFeeder(
                busbar=busbar,
                head_line=line,
                head_bus=busbar,
                vn_kv=vn_kv,
                capacity_mva=math.sqrt(3) * vn_kv * float(row.max_i_ka) * float(row.df) * int(row.parallel),
            )
            claimed[component] = feeder
            sub.feeders.append(feeder)

    for bus, component in component_of.items():
        if component in claimed:
            claimed[component].buses.add(int(bus))
    for u, v, data in graph.edges(data=True):
        if data.get("line") is None:
            continue
        for bus in (u, v):
            if bus in component_of and component_of[bus] in claimed:
                claimed[component_of[bus]].lines.add(data["line"])
                break
    return [substations[b] for b in sorted(substations)]
