"""Helpers shared by the engine unit tests (imported by name: keep the module name unique)."""

from __future__ import annotations

import numpy as np


def build_small_net():
    """110/20 kV substation, two 20 kV feeders joined by an open ring switch, DER and storage.

    Buses: 0 HV, 1 MV busbar, 2 busbar section (bus-bus switch), feeder A 3-4-5, feeder B 6-7,
    ring line 5-7 open at bus 7.
    """
    import pandapower as pp

    net = pp.create_empty_network(name="small", sn_mva=1.0)
    hv = pp.create_bus(net, 110.0, name="HV")
    bb = pp.create_bus(net, 20.0, name="busbar")
    bb2 = pp.create_bus(net, 20.0, name="busbar section")
    a1, a2, a3 = (pp.create_bus(net, 20.0, name=f"A{i}") for i in (1, 2, 3))
    b1, b2 = (pp.create_bus(net, 20.0, name=f"B{i}") for i in (1, 2))
    pp.create_ext_grid(net, hv, vm_pu=1.02, va_degree=0.0, name="grid")
    pp.create_transformer(net, hv, bb, std_type="25 MVA 110/20 kV", name="T1")
    pp.create_switch(net, bb, bb2, et="b", closed=True, name="coupler")
    std = "NA2XS2Y 1x95 RM/25 12/20 kV"
    pp.create_line(net, bb, a1, 2.0, std, name="A head")
    pp.create_line(net, a1, a2, 1.5, std, name="A mid")
    pp.create_line(net, a2, a3, 1.0, std, name="A tail")
    pp.create_line(net, bb2, b1, 3.0, std, name="B head")
    pp.create_line(net, b1, b2, 2.0, std, name="B tail")
    ring = pp.create_line(net, a3, b2, 1.0, std, name="ring")
    pp.create_switch(net, b2, ring, et="l", closed=False, name="ring open point")
    for bus, p in ((a1, 1.0), (a2, 0.8), (a3, 0.6), (b1, 1.2), (b2, 0.9)):
        pp.create_load(net, bus, p_mw=p, q_mvar=p * 0.3, name=f"load {bus}")
    pp.create_sgen(net, a3, p_mw=2.0, q_mvar=0.0, type="PV", name="pv A3")
    pp.create_sgen(net, b2, p_mw=1.5, q_mvar=0.1, type="Wind_MV", name="wind B2")
    pp.create_storage(net, a2, p_mw=0.5, max_e_mwh=2.0, q_mvar=0.0, name="battery A2")
    pp.create_shunt(net, b1, q_mvar=0.2, p_mw=0.0, name="reactor")
    return net


def constant_injections(model, n_steps, **overrides):
    """Set-point injections for ``n_steps`` with some arrays replaced."""
    from apps.grid.engine import Injections

    base = dict(
        load_p_mw=np.tile(model.loads.p_mw, (n_steps, 1)),
        load_q_mvar=np.tile(model.loads.q_mvar, (n_steps, 1)),
        sgen_p_mw=np.tile(model.sgens.p_mw, (n_steps, 1)),
        sgen_q_mvar=np.tile(model.sgens.q_mvar, (n_steps, 1)),
        storage_p_mw=np.tile(model.storages.p_mw, (n_steps, 1)),
        storage_q_mvar=np.tile(model.storages.q_mvar, (n_steps, 1)),
    )
    base.update(overrides)
    return Injections(**base)
