"""Bring the imported SimBench grid to where UK planning would have left it (docs/demo.md).

Runs after import (so it does not depend on how import reads SimBench's rows) and once per
network: the rules in :mod:`.world` are deterministic, and the world is marked as shaped by its
premises (HH-0002 onwards), so a second ``load_demo`` skips this step.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection

from apps.grid.models import Bus, DERAsset, Load, Network, Premise, Substation, Transformer
from apps.grid.selectors import next_pp_index
from apps.grid.services import network_revision_bump

from . import world

HOUSEHOLD_REFERENCE, HOUSEHOLD_STREET, HOUSEHOLD_NUMBER = "HH-0001", "Orchard Lane", 14
HOUSEHOLD_LV_NETWORK = "LV2.101"  # a village network: 93 connections on a 250 kVA transformer
AGGREGATOR_EVERY = 17  # one home with PV or a battery in this many acts through an aggregator
AGGREGATOR_HOMES = 48
PV_AC_PER_KWP = 1.0 / 1.1  # the forecast's PV model: AC output is capped at kWp / DC-AC ratio
HEAT_PUMP_PREFIXES = ("HLS", "Air", "Soil", "APLS")

# MV generators: SimBench name -> (name, connection type, offer accepted on). The oldest wind farm
# and the small firm generators connected before the ANM scheme; the later wind and solar parks
# accepted flexible (ANM) offers, on these dates (the LIFO order).
MV_CONNECTIONS = {
    "MV1.101 SGen 1": ("Hollins Moor Wind Farm", "firm", dt.date(2008, 5, 14)),
    "MV1.101 MV SGen 3": ("Cold Fell Wind Farm", "flexible", dt.date(2013, 3, 11)),
    "MV1.101 MV SGen 7": ("High Rigg Wind Farm", "flexible", dt.date(2014, 9, 2)),
    "MV1.101 MV SGen 2": ("Whinny Hill Wind Farm", "flexible", dt.date(2016, 1, 19)),
    "MV1.101 MV SGen 9": ("Long Acre Solar Park", "flexible", dt.date(2017, 6, 6)),
    "MV1.101 MV SGen 4": ("Scar Top Wind Farm", "flexible", dt.date(2019, 4, 23)),
    "MV1.101 MV SGen 10": ("Brook Farm Solar Park", "flexible", dt.date(2021, 10, 12)),
    "MV1.101 MV SGen 8": ("Greystones Wind Farm", "flexible", dt.date(2023, 2, 27)),
    "MV1.101 MV SGen 5": ("Manor Farm Biomass CHP", "firm", dt.date(2011, 8, 30)),
    "MV1.101 MV SGen 6": ("Northvale Anaerobic Digestion", "firm", dt.date(2012, 2, 7)),
    "MV1.101 MV SGen 11": ("Mill Weir Hydro", "firm", dt.date(2010, 11, 22)),
    "MV1.101 MV SGen 12": ("Dale End Biomass", "firm", dt.date(2014, 5, 19)),
}


def _update_rows(model, rows: list, fields: list[str]) -> None:
    """UPDATE each row's ``fields`` by primary key in one ``executemany``: Django's bulk_update
    builds a CASE per field over the batch, which costs ~35 s for these 9,000 rows."""
    if not rows:
        return
    qn = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    sql = (f"UPDATE {qn(model._meta.db_table)} SET {', '.join(f'{qn(c.column)} = %s' for c in columns)} "
           f"WHERE {qn(model._meta.pk.column)} = %s")
    params = [[c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns] + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _lv_network(subnet: str) -> str:
    return subnet.split("_")[-1] if subnet else ""


def _is_shaped(network: Network) -> bool:
    return Premise.objects.filter(network=network, reference="HH-0002").exists()


def _forget_old_demo(network: Network) -> None:
    """Worlds made by the earlier demo builder: drop its premises and its two hand-made rows."""
    Premise.objects.filter(network=network).exclude(reference="CE-0001").delete()
    DERAsset.objects.filter(network=network, name__in=["14 Orchard Lane PV", "14 Orchard Lane EV charger"]).delete()


def shape_world(network: Network, *, owners: dict, say=None) -> None:
    """Premises with addresses, domestic sizes, EV chargers, uprated secondary transformers and
    connection types, on an imported ``1-MVLV-rural-all-2-sw`` network. Call inside a transaction.

    Parameters:
        network: the demo network.
        owners: ``{"primary": org, "others": (org, org)}``: the DESIGN.md household's aggregator
            and the aggregators that the other aggregator-run homes alternate between.
        say: progress callback.
    """
    if _is_shaped(network):
        return
    if say:
        say("Shaping the LV side to UK planning (premises, domestic sizes, EV chargers, transformers) …")
    _forget_old_demo(network)
    buses = {b["id"]: b for b in Bus.objects.filter(network=network, vn_kv__lt=1.0).values("id", "pp_index", "subnet")}
    loads_at: dict[int, list[Load]] = defaultdict(list)
    for load in Load.objects.filter(network=network, bus_id__in=buses.keys()).order_by("pp_index"):
        loads_at[load.bus_id].append(load)
    ders_at: dict[int, list[DERAsset]] = defaultdict(list)
    for der in DERAsset.objects.filter(network=network, bus_id__in=buses.keys()).order_by("pp_element", "pp_index"):
        ders_at[der.bus_id].append(der)

    # One street per LV network; premises numbered along it in bus order.
    by_network: dict[str, list[int]] = defaultdict(list)
    for bus_id in sorted(loads_at, key=lambda b: buses[b]["pp_index"]):
        by_network[_lv_network(buses[bus_id]["subnet"])].append(bus_id)
    order = sorted(by_network, key=lambda name: (name != HOUSEHOLD_LV_NETWORK, name))
    streets = dict(zip(order, world.street_names(len(order), first=HOUSEHOLD_STREET)))
    household_bus = by_network[HOUSEHOLD_LV_NETWORK][HOUSEHOLD_NUMBER - 1]

    premises, counters = [], defaultdict(int)
    prefix = {"home": "HH", "farm": "FM", "business": "BZ"}
    counters["home"] = 1  # HH-0001 is the household of DESIGN.md
    kind_of: dict[int, str] = {}
    aggregator_homes = []
    for lv_name in order:
        for number, bus_id in enumerate(by_network[lv_name], start=1):
            kind = "home" if bus_id == household_bus else world.premise_kind([ld.profile for ld in loads_at[bus_id]])
            kind_of[bus_id] = kind
            if bus_id == household_bus:
                reference = HOUSEHOLD_REFERENCE
            else:
                counters[kind] += 1
                reference = f"{prefix[kind]}-{counters[kind]:04d}"
            name = f"{number} {streets[lv_name]}"
            premises.append(Premise(network=network, bus_id=bus_id, reference=reference, name=name,
                                    address=f"{name}, Northvale"))
            if kind == "home" and bus_id != household_bus and ders_at[bus_id]:
                aggregator_homes.append(reference)
    Premise.objects.bulk_create(premises, batch_size=2000)
    premise_of = {p.bus_id: p for p in Premise.objects.filter(network=network, bus_id__in=loads_at.keys())}
    owner_of = {HOUSEHOLD_REFERENCE: owners["primary"]}
    for k, reference in enumerate(aggregator_homes[AGGREGATOR_EVERY // 3::AGGREGATOR_EVERY][:AGGREGATOR_HOMES]):
        owner_of[reference] = owners["others"][k % len(owners["others"])]
    owned = []
    for premise in premise_of.values():
        if premise.reference in owner_of:
            premise.owner = owner_of[premise.reference]
            owned.append(premise)
    _update_rows(Premise, owned, ["owner"])

    _name_loads(loads_at, premise_of)
    pv_kwp_by_network = _size_ders(network, buses, ders_at, premise_of, kind_of, household_bus)
    _add_ev_chargers(network, buses, premise_of, kind_of, household_bus)
    _uprate_transformers(network, pv_kwp_by_network, streets)
    _mv_connections(network)
    network_revision_bump(network=network)  # the rows above were written in bulk, past any service
    network.refresh_from_db(fields=["revision"])


def _name_loads(loads_at: dict[int, list[Load]], premise_of: dict[int, Premise]) -> None:
    rows = []
    for bus_id, loads in loads_at.items():
        premise = premise_of[bus_id]
        households = 0
        for load in loads:
            profile = load.profile or ""
            if profile.startswith("H0"):
                households += 1
                role = "household" if households == 1 else f"household {households}"
            elif profile.startswith(HEAT_PUMP_PREFIXES):
                role = "heat pump"
            elif profile[:1] == "L":
                role = "farm"
            elif profile[:1] == "G":
                role = "business"
            else:
                role = "load"
            load.name, load.premise_id = f"{premise.name} {role}", premise.id
            rows.append(load)
    _update_rows(Load, rows, ["name", "premise"])


def _size_ders(network, buses, ders_at, premise_of, kind_of, household_bus) -> dict[str, float]:
    """Domestic PV and batteries, capped non-domestic ones; returns kWp of PV per LV network."""
    pv_kwp_by_network: dict[str, float] = defaultdict(float)
    rows = []
    for bus_id, ders in ders_at.items():
        premise = premise_of.get(bus_id)
        if premise is None:
            continue
        kind, key = kind_of[bus_id], buses[bus_id]["pp_index"]
        has_pv_sgen = any(d.kind == DERAsset.Kind.PV and d.pp_element == DERAsset.PPElement.SGEN for d in ders)
        g98 = kind == "home"
        for der in ders:
            der.premise_id, der.owner_id = premise.id, premise.owner_id
            if der.kind == DERAsset.Kind.PV:
                kwp = world.pv_kwp(kind, key, (der.rated_mw or abs(der.p_mw)) * 1000.0)
                der.p_mw = der.rated_mw = der.sn_mva = kwp / 1000.0
                der.name = f"{premise.name} PV"
                der.connection_type = DERAsset.ConnectionType.G98 if g98 else DERAsset.ConnectionType.FIRM
                pv_kwp_by_network[_lv_network(buses[bus_id]["subnet"])] += kwp
            elif der.kind == DERAsset.Kind.BATTERY:
                old_kw = (der.rated_mw or abs(der.p_mw) or 0.001) * 1000.0
                kw, kwh = world.battery_size(kind, key, old_kw)
                if der.type == "PV_Storage" and not has_pv_sgen:
                    # Read as one row (rooftop PV behind the battery): the row's power is the PV's.
                    kwp = world.pv_kwp(kind, key, abs(der.p_mw) * 1000.0)
                    der.p_mw, der.sn_mva = -kwp / 1000.0, kwp / 1000.0
                    pv_kwp_by_network[_lv_network(buses[bus_id]["subnet"])] += kwp
                else:
                    der.p_mw, der.sn_mva = der.p_mw * kw / old_kw, kw / 1000.0
                der.rated_mw, der.capacity_mwh = kw / 1000.0, kwh / 1000.0
                der.min_e_mwh = min(der.min_e_mwh or 0.0, der.capacity_mwh)
                der.name = f"{premise.name} battery"
                der.connection_type = DERAsset.ConnectionType.G98 if g98 else DERAsset.ConnectionType.FIRM
            rows.append(der)
    _update_rows(DERAsset, rows,
                 ["premise", "owner", "p_mw", "rated_mw", "sn_mva", "capacity_mwh", "min_e_mwh", "name", "connection_type"])
    _household_kit(network, premise_of[household_bus], buses[household_bus]["pp_index"], pv_kwp_by_network,
                   _lv_network(buses[household_bus]["subnet"]))
    return pv_kwp_by_network


def _household_kit(network, premise: Premise, key: int, pv_kwp_by_network, lv_name: str) -> None:
    """14 Orchard Lane has rooftop PV and a home battery (its EV charger comes with the others)."""
    have = set(premise.der_assets.values_list("kind", flat=True))
    common = dict(network=network, premise=premise, owner=premise.owner, bus_id=premise.bus_id,
                  status=DERAsset.Status.OPERATIONAL, connection_type=DERAsset.ConnectionType.G98)
    if DERAsset.Kind.PV not in have:
        kwp = 4.0
        DERAsset.objects.create(
            **common, name=f"{premise.name} PV", kind=DERAsset.Kind.PV, pp_element=DERAsset.PPElement.SGEN,
            pp_index=next_pp_index(network=network, element=DERAsset.PPElement.SGEN), p_mw=kwp / 1000, rated_mw=kwp / 1000, sn_mva=kwp / 1000,
            type="PV", profile="PV3", connected_on=dt.date(2021, 6, 1))
        pv_kwp_by_network[lv_name] += kwp
    if DERAsset.Kind.BATTERY not in have:
        DERAsset.objects.create(
            **common, name=f"{premise.name} battery", kind=DERAsset.Kind.BATTERY,
            pp_element=DERAsset.PPElement.STORAGE, pp_index=next_pp_index(network=network, element=DERAsset.PPElement.STORAGE),
            p_mw=0.0, rated_mw=0.005, sn_mva=0.005, capacity_mwh=0.0135, min_e_mwh=0.0, soc_percent=50.0,
            type="home_battery", efficiency_percent=95.0, reserve_percent=20.0,
            operating_mode=DERAsset.OperatingMode.SELF_CONSUMPTION, connected_on=dt.date(2023, 4, 18))



def _add_ev_chargers(network, buses, premise_of, kind_of, household_bus) -> None:
    index = next_pp_index(network=network, element=DERAsset.PPElement.LOAD)
    rows = []
    for bus_id in sorted(premise_of, key=lambda b: buses[b]["pp_index"]):
        key = buses[bus_id]["pp_index"]
        if kind_of[bus_id] != "home" or not (bus_id == household_bus or world.has_ev_charger(key)):
            continue
        premise = premise_of[bus_id]
        kw = 7.4 if bus_id == household_bus else world.ev_rating_kw(key)
        rows.append(DERAsset(
            network=network, premise=premise, owner_id=premise.owner_id, bus_id=bus_id, name=f"{premise.name} EV charger",
            kind=DERAsset.Kind.EV_CHARGER, pp_element=DERAsset.PPElement.LOAD, pp_index=index, p_mw=0.0,
            rated_mw=kw / 1000.0, sn_mva=kw / 1000.0, status=DERAsset.Status.OPERATIONAL, type="ev_charger",
            connected_on=dt.date(2020, 1, 1) + dt.timedelta(days=key % 2200),
        ))
        index += 1
    DERAsset.objects.bulk_create(rows, batch_size=2000)


def _uprate_transformers(network, pv_kwp_by_network: dict[str, float], streets: dict[str, str]) -> None:
    """Secondary transformers: the smallest UK size that carries the PV export (planning check:
    every PV system at its AC peak, no demand credit); substations named after their street."""
    rows = []
    for trafo in Transformer.objects.filter(network=network, vn_lv_kv__lt=1.0).select_related("lv_bus"):
        lv_name = _lv_network(trafo.lv_bus.subnet)
        export_kw = pv_kwp_by_network.get(lv_name, 0.0) * PV_AC_PER_KWP
        kva = world.uprated_kva(trafo.sn_mva * 1000.0, export_kw)
        if kva > trafo.sn_mva * 1000.0 + 1e-6:
            ratio = kva / (trafo.sn_mva * 1000.0)
            trafo.std_type = f"{kva:.0f} kVA 11/0.4 kV ground-mounted (uprated from {trafo.sn_mva * 1000:.0f} kVA)"
            trafo.pfe_kw = trafo.pfe_kw * ratio**0.75  # no-load loss grows slower than the rating
            trafo.sn_mva = kva / 1000.0
        if lv_name in streets:
            trafo.name = f"{streets[lv_name]} substation T1"
        rows.append(trafo)
    _update_rows(Transformer, rows, ["sn_mva", "std_type", "pfe_kw", "name"])
    subs = []
    for sub in Substation.objects.filter(network=network, kind=Substation.Kind.SECONDARY).select_related("busbar"):
        lv_name = _lv_network(sub.busbar.subnet) if sub.busbar else ""
        if lv_name in streets:
            sub.name = f"{streets[lv_name]} substation"
            subs.append(sub)
    _update_rows(Substation, subs, ["name"])


def _mv_connections(network: Network) -> None:
    rows = []
    for der in DERAsset.objects.filter(network=network, name__in=MV_CONNECTIONS.keys()):
        name, kind, accepted = MV_CONNECTIONS[der.name]
        der.name, der.connection_type, der.offer_accepted_on = name, kind, accepted
        der.connected_on = accepted + dt.timedelta(days=540)  # ~18 months from offer to energisation
        rows.append(der)
    _update_rows(DERAsset, rows, ["name", "connection_type", "offer_accepted_on", "connected_on"])
