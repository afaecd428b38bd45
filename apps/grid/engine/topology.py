"""Topology helpers: bus fusing, supply check, feeders and the primary substation.

Graph work is done on scipy sparse graphs over *node* positions (a node is the representative
bus of a group of buses fused by closed bus-bus switches).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from .model import BRANCH_LINE, BRANCH_TRAFO, BranchTable, BusTable, Feeder, SourceTable, line_rating_mva


def fuse_buses(n_bus: int, pairs: np.ndarray) -> np.ndarray:
    """Representative bus of every bus after fusing the given pairs (closed bus-bus switches).

    Parameters:
        n_bus: number of buses.
        pairs: (k, 2) array of bus positions connected by a closed bus-bus switch.

    Returns:
        Array ``node`` with ``node[i]`` = smallest bus position in the fused group of bus ``i``.
    """
    if len(pairs) == 0:
        return np.arange(n_bus, dtype=np.int64)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n_bus, n_bus))
    _, labels = connected_components(graph, directed=False)
    # smallest bus position per label is the representative
    first = np.full(labels.max() + 1, n_bus, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(n_bus))
    return first[labels]


def connected_branch_mask(branches: BranchTable) -> np.ndarray:
    """Branches that conduct between their two ends (in service, both ends closed)."""
    return branches.in_service & branches.from_closed & branches.to_closed


def supplied_buses(buses: BusTable, branches: BranchTable, sources: SourceTable,
                   branch_mask: np.ndarray | None = None) -> np.ndarray:
    """Buses with a path to an in-service source.

    Parameters:
        buses, branches, sources: model tables.
        branch_mask: optional extra mask of branches allowed to conduct (e.g. an N-1 outage).

    Returns:
        Boolean array over buses.
    """
    n = len(buses)
    conducting = connected_branch_mask(branches)
    if branch_mask is not None:
        conducting = conducting & branch_mask
    f = buses.node[branches.from_bus[conducting]]
    t = buses.node[branches.to_bus[conducting]]
    graph = coo_matrix((np.ones(len(f)), (f, t)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    source_nodes = buses.node[sources.bus[sources.in_service]]
    supplied_labels = np.unique(labels[source_nodes])
    return np.isin(labels[buses.node], supplied_labels) & buses.in_service


def derive_feeders(buses: BusTable, branches: BranchTable) -> list[Feeder]:
    """Feeders: lines leaving a transformer's LV busbar, with the buses each one supplies.

    A feeder's buses are found by a breadth-first search from the far end of the head line that
    never re-enters the busbar and crosses transformers only from HV to LV, so networks behind
    downstream transformers belong to the feeder that supplies them.

    Parameters:
        buses: bus table (with fused ``node``).
        branches: branch table.

    Returns:
        List of :class:`Feeder`, ordered by busbar then head line position.
    """
    n = len(buses)
    conducting = connected_branch_mask(branches)
    is_line = branches.kind == BRANCH_LINE
    is_trafo = branches.kind == BRANCH_TRAFO
    node_from = buses.node[branches.from_bus]
    node_to = buses.node[branches.to_bus]

    # directed edges: lines both ways, transformers HV -> LV only
    line_sel = conducting & is_line
    trafo_sel = conducting & is_trafo
    src = np.concatenate([node_from[line_sel], node_to[line_sel], node_from[trafo_sel]])
    dst = np.concatenate([node_to[line_sel], node_from[line_sel], node_to[trafo_sel]])

    busbars: dict[int, list[int]] = {}
    for pos in np.flatnonzero(trafo_sel):
        busbars.setdefault(int(node_to[pos]), []).append(int(branches.pp_index[pos]))

    members_of_node: dict[int, list[int]] = {}
    for pos, node in enumerate(buses.node):
        members_of_node.setdefault(int(node), []).append(pos)

    feeders: list[Feeder] = []
    for busbar in sorted(busbars):
        keep = dst != busbar
        graph = coo_matrix((np.ones(int(keep.sum())), (src[keep], dst[keep])), shape=(n, n)).tocsr()
        # a line is a head when exactly one end sits on the busbar and that end is closed
        at_from = (node_from == busbar) & branches.from_closed
        at_to = (node_to == busbar) & branches.to_closed
        heads = np.flatnonzero(is_line & branches.in_service & (at_from ^ at_to)
                               & ~((node_from == busbar) & (node_to == busbar)))
        for pos in heads:
            head_at_from = bool(at_from[pos])
            far_closed = branches.to_closed[pos] if head_at_from else branches.from_closed[pos]
            far_node = int(node_to[pos] if head_at_from else node_from[pos])
            bus_positions: list[int] = []
            if far_closed:
                order = breadth_first_order(graph, far_node, directed=True, return_predecessors=False)
                for node in order:
                    bus_positions.extend(members_of_node[int(node)])
            vn_kv = float(buses.vn_kv[busbar])
            i_max = float(branches.i_max_ka[pos])  # already max_i_ka * df * parallel
            feeders.append(Feeder(
                feeder_id=len(feeders),
                name=str(branches.name[pos]),
                head_line=int(branches.pp_index[pos]),
                head_branch=int(pos),
                head_bus=int(buses.pp_index[branches.from_bus[pos] if head_at_from
                                            else branches.to_bus[pos]]),
                head_at_from=head_at_from,
                trafos=busbars[busbar],
                bus_indices=[int(buses.pp_index[b]) for b in bus_positions],
                capacity_mva=float(line_rating_mva(vn_kv, i_max)),
                vn_kv=vn_kv,
            ))
    return feeders


def primary_transformers(buses: BusTable, branches: BranchTable, sources: SourceTable) -> np.ndarray:
    """Branch positions of the transformers whose HV side is a source node.

    Parameters:
        buses, branches, sources: model tables.

    Returns:
        Branch positions (empty when the source sits on the same voltage level as the network).
    """
    source_nodes = np.unique(buses.node[sources.bus[sources.in_service]])
    is_trafo = (branches.kind == BRANCH_TRAFO) & branches.in_service
    hv_nodes = buses.node[branches.from_bus]
    return np.flatnonzero(is_trafo & np.isin(hv_nodes, source_nodes))
