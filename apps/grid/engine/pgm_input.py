"""power-grid-model input arrays built from the engine's :class:`NetworkModel`.

Built directly from the model tables (not through power-grid-model-io, which rejects storage and
does not reproduce pandapower's transformer formulas). Every branch is a ``generic_branch`` with
the pi parameters computed in :mod:`.convert`; loads and storage are ``sym_load``, static
generators ``sym_gen``, external grids ``source`` with a very large short-circuit power so that
they behave as an ideal slack like pandapower's ``ext_grid``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from power_grid_model import ComponentType, DatasetType, LoadGenType, initialize_array

from .model import NetworkModel

# Ideal slack: with sk = 1e15 VA the source impedance drops < 1e-7 pu at 100 MVA.
SOURCE_SK_VA = 1e15


@dataclass(eq=False)
class PgmLayout:
    """Ids of the model's elements in the power-grid-model dataset.

    Attributes:
        node_ids: PGM node id of every bus (fused buses share the id of their representative).
        branch_ids: PGM ``generic_branch`` id per branch, -1 for a branch left out (both ends on
            the same fused node).
        branch_in_pgm: mask of branches present in the dataset.
        source_ids, load_ids, storage_ids, sgen_ids, shunt_ids: PGM ids per table row.
        load_block: ids of the ``sym_load`` array in order (loads first, then storage).
    """

    node_ids: np.ndarray
    branch_ids: np.ndarray
    branch_in_pgm: np.ndarray
    source_ids: np.ndarray
    load_ids: np.ndarray
    storage_ids: np.ndarray
    sgen_ids: np.ndarray
    shunt_ids: np.ndarray


def pgm_layout(model: NetworkModel) -> PgmLayout:
    """Assign power-grid-model ids to the model's elements.

    Parameters:
        model: the network model.

    Returns:
        The :class:`PgmLayout`.
    """
    b = model.branches
    node_ids = model.buses.node.astype(np.int32)
    n_bus = len(model.buses)
    in_pgm = node_ids[b.from_bus] != node_ids[b.to_bus]
    offset = n_bus
    branch_ids = np.full(len(b), -1, dtype=np.int32)
    branch_ids[in_pgm] = offset + np.flatnonzero(in_pgm)
    offset += len(b)

    def block(n: int) -> np.ndarray:
        nonlocal offset
        ids = np.arange(offset, offset + n, dtype=np.int32)
        offset += n
        return ids

    return PgmLayout(
        node_ids=node_ids,
        branch_ids=branch_ids,
        branch_in_pgm=in_pgm,
        source_ids=block(len(model.sources)),
        load_ids=block(len(model.loads)),
        storage_ids=block(len(model.storages)),
        sgen_ids=block(len(model.sgens)),
        shunt_ids=block(len(model.shunts)),
    )


def pgm_input_data(model: NetworkModel, layout: PgmLayout) -> dict:
    """The power-grid-model input dataset of the model at its set-points.

    Parameters:
        model: the network model.
        layout: ids from :func:`pgm_layout`.

    Returns:
        Dict ``ComponentType -> structured array`` for ``PowerGridModel(...)``.
    """
    buses, b = model.buses, model.branches
    rep = np.unique(model.buses.node)
    node = initialize_array(DatasetType.input, ComponentType.node, len(rep))
    node["id"] = layout.node_ids[rep]
    node["u_rated"] = buses.vn_kv[rep] * 1e3

    sel = np.flatnonzero(layout.branch_in_pgm)
    branch = initialize_array(DatasetType.input, ComponentType.generic_branch, len(sel))
    branch["id"] = layout.branch_ids[sel]
    branch["from_node"] = layout.node_ids[b.from_bus[sel]]
    branch["to_node"] = layout.node_ids[b.to_bus[sel]]
    branch["from_status"] = (b.in_service & b.from_closed)[sel]
    branch["to_status"] = (b.in_service & b.to_closed)[sel]
    branch["r1"] = b.r_ohm[sel]
    branch["x1"] = b.x_ohm[sel]
    branch["g1"] = b.g_s[sel]
    branch["b1"] = b.b_s[sel]
    branch["k"] = b.ratio[sel]
    branch["theta"] = b.shift_rad[sel]
    branch["sn"] = np.nan_to_num(b.rating_mva[sel] * 1e6, nan=0.0, posinf=0.0)

    def appliance(component: ComponentType, ids: np.ndarray, bus: np.ndarray, in_service: np.ndarray) -> np.ndarray:
        """Input rows of one kind of appliance: id, node, status (the attributes they share)."""
        rows = initialize_array(DatasetType.input, component, len(ids))
        rows["id"] = ids
        rows["node"] = layout.node_ids[bus]
        rows["status"] = in_service
        return rows

    src = model.sources
    source = appliance(ComponentType.source, layout.source_ids, src.bus, src.in_service)
    source["u_ref"] = src.vm_pu
    source["u_ref_angle"] = np.deg2rad(src.va_degree)
    source["sk"] = SOURCE_SK_VA

    loads, storages = model.loads, model.storages
    sym_load = appliance(ComponentType.sym_load, np.concatenate([layout.load_ids, layout.storage_ids]),
                         np.concatenate([loads.bus, storages.bus]), np.concatenate([loads.in_service, storages.in_service]))
    sym_load["type"] = LoadGenType.const_power
    sym_load["p_specified"] = np.concatenate([loads.p_mw, storages.p_mw]) * 1e6
    sym_load["q_specified"] = np.concatenate([loads.q_mvar, storages.q_mvar]) * 1e6

    sgens = model.sgens
    sym_gen = appliance(ComponentType.sym_gen, layout.sgen_ids, sgens.bus, sgens.in_service)
    sym_gen["type"] = LoadGenType.const_power
    sym_gen["p_specified"] = sgens.p_mw * 1e6
    sym_gen["q_specified"] = sgens.q_mvar * 1e6

    data = {
        ComponentType.node: node,
        ComponentType.generic_branch: branch,
        ComponentType.source: source,
        ComponentType.sym_load: sym_load,
        ComponentType.sym_gen: sym_gen,
    }
    if len(model.shunts):
        sh = model.shunts
        shunt = appliance(ComponentType.shunt, layout.shunt_ids, sh.bus, sh.in_service)
        shunt["g1"], shunt["b1"] = sh.g_s, sh.b_s
        shunt["g0"], shunt["b0"] = sh.g_s, sh.b_s
        data[ComponentType.shunt] = shunt
    return data
