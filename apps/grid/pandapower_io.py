"""Translation between the registry and pandapower nets (import and export).

Import reads a pandapower net into registry rows (validate first, then bulk-insert inside the
caller's transaction). Export rebuilds the same net: same element indices and parameters, so
the power flow of an exported network equals the power flow of the net it came from.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable

import numpy as np
import pandapower as pp
import pandas as pd

from .engine import EngineError, from_pandapower
from .engine.elements import unsupported_features
from .engine.taps import tap_defaults
from .engine.topology import connected_branch_mask
from .models import (
    Bus,
    DERAsset,
    ExternalGrid,
    Feeder,
    Line,
    Load,
    Network,
    Shunt,
    Substation,
    Switch,
    Transformer,
)

REQUIRED_COLUMNS = {
    "bus": ["vn_kv"],
    "line": ["from_bus", "to_bus", "length_km", "r_ohm_per_km", "x_ohm_per_km", "max_i_ka"],
    "trafo": ["hv_bus", "lv_bus", "sn_mva", "vn_hv_kv", "vn_lv_kv", "vk_percent", "vkr_percent"],
    "switch": ["bus", "element", "et"],
    "ext_grid": ["bus"],
    "load": ["bus", "p_mw"],
    "sgen": ["bus", "p_mw"],
    "storage": ["bus", "p_mw"],
    "shunt": ["bus", "q_mvar"],
}
BUS_REFERENCES = {
    "line": ["from_bus", "to_bus"],
    "trafo": ["hv_bus", "lv_bus"],
    "switch": ["bus"],
    "ext_grid": ["bus"],
    "load": ["bus"],
    "sgen": ["bus"],
    "storage": ["bus"],
    "shunt": ["bus"],
}


# Physical ranges, checked per element: (table, column) -> (low, high, low inclusive, required).
# Bounds are generous (a 1,000 kV bus, a 10 GW load) but exclude zero/negative voltages and
# lengths and anything not finite; an optional column is checked only where it holds a value.
PHYSICAL_RANGES = {
    ("bus", "vn_kv"): (0.0, 1000.0, False),
    ("line", "length_km"): (0.0, 1000.0, False),
    ("line", "r_ohm_per_km"): (0.0, 1e4, True),
    ("line", "x_ohm_per_km"): (0.0, 1e4, True),
    ("line", "c_nf_per_km"): (0.0, 1e6, True),
    ("line", "max_i_ka"): (0.0, 100.0, False),
    ("trafo", "sn_mva"): (0.0, 1e4, False),
    ("trafo", "vn_hv_kv"): (0.0, 1000.0, False),
    ("trafo", "vn_lv_kv"): (0.0, 1000.0, False),
    ("trafo", "vk_percent"): (0.0, 100.0, False),
    ("trafo", "vkr_percent"): (0.0, 100.0, True),
    ("ext_grid", "vm_pu"): (0.0, 2.0, False),
    ("load", "p_mw"): (-1e4, 1e4, True),
    ("load", "q_mvar"): (-1e4, 1e4, True),
    ("load", "sn_mva"): (0.0, 1e4, True),
    ("load", "scaling"): (0.0, 1e3, True),
    ("sgen", "p_mw"): (-1e4, 1e4, True),
    ("sgen", "q_mvar"): (-1e4, 1e4, True),
    ("sgen", "sn_mva"): (0.0, 1e4, True),
    ("sgen", "scaling"): (0.0, 1e3, True),
    ("storage", "p_mw"): (-1e4, 1e4, True),
    ("storage", "q_mvar"): (-1e4, 1e4, True),
    ("storage", "max_e_mwh"): (0.0, 1e5, True),
    ("storage", "sn_mva"): (0.0, 1e4, True),
    ("shunt", "p_mw"): (-1e4, 1e4, True),
    ("shunt", "q_mvar"): (-1e4, 1e4, True),
    ("shunt", "vn_kv"): (0.0, 1000.0, False),
}
MAX_LISTED_PROBLEMS = 20


class NetworkImportError(ValueError):
    """The net cannot be imported; the message says what is wrong."""


# --- reading values --------------------------------------------------------------------------

def _f(value, default=None):
    if value is None:
        return default
    try:
        value = float(value)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(value) else value


def _s(value, default: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    return str(value)


def _i(value, default=None):
    value = _f(value)
    return default if value is None else int(value)


def _b(value, default=True) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    return bool(value)


def _geo_xy(geo) -> tuple[float | None, float | None]:
    if not isinstance(geo, str) or not geo:
        return None, None
    try:
        x, y = json.loads(geo)["coordinates"][:2]
        return float(x), float(y)
    except (ValueError, KeyError, TypeError, IndexError):
        return None, None


def _kind_of_sgen(type_label: str) -> str:
    label = type_label.lower()
    for needle, kind in (("pv", "pv"), ("wind", "wind"), ("wp", "wind"), ("bio", "biomass"), ("hydro", "hydro")):
        if needle in label:
            return kind
    return DERAsset.Kind.OTHER


# --- validation ------------------------------------------------------------------------------

def validate_net(net) -> None:
    """Raise :class:`NetworkImportError` listing every problem that blocks an import."""
    if not isinstance(net, pp.pandapowerNet):
        raise NetworkImportError("The file is not a pandapower network.")
    # what the engine does not model, the registry does not import (it could not store it either)
    problems: list[str] = unsupported_features(net, out_of_service_too=True)
    if net.bus.empty:
        problems.append("it has no buses")
    if net.ext_grid.empty or not net.ext_grid.in_service.astype(bool).any():
        problems.append("it has no in-service external grid (source)")
    for table, columns in REQUIRED_COLUMNS.items():
        frame = net[table]
        if frame.empty:
            continue
        for column in columns:
            if column not in frame.columns:
                problems.append(f"table '{table}' lacks the column '{column}'")
            elif frame[column].isna().any():
                rows = list(frame.index[frame[column].isna()][:5])
                problems.append(f"table '{table}' has no value for '{column}' in rows {rows}")
    problems += _element_problems(net)
    known = set(net.bus.index)
    for table, columns in BUS_REFERENCES.items():
        frame = net[table]
        for column in columns:
            if frame.empty or column not in frame.columns:
                continue
            numeric = pd.to_numeric(frame[column], errors="coerce")  # non-numbers are reported above
            bad = sorted(set(numeric[numeric.notna() & np.isfinite(numeric)].astype(int)) - known)
            if bad:
                problems.append(f"table '{table}' refers to unknown bus(es) {bad[:5]} in '{column}'")
    if not net.switch.empty and "et" in net.switch.columns:
        odd = sorted(set(net.switch.et) - {"l", "t", "b"})
        if odd:
            problems.append(f"switches of element type {odd} are not supported")
    if problems:
        raise NetworkImportError(_problem_message(problems))


def _problem_message(problems: list[str]) -> str:
    shown = problems[:MAX_LISTED_PROBLEMS]
    more = f"; and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
    return "Cannot import this network: " + "; ".join(shown) + more + "."


def _element_problems(net) -> list[str]:
    """One message per element and column whose value is not a number, not finite or outside
    its physical range, naming the element (table, index, name)."""
    problems: list[str] = []
    columns = {(t, c): None for t, cols in REQUIRED_COLUMNS.items() for c in cols if (t, c) != ("switch", "et")}
    columns.update(dict.fromkeys(PHYSICAL_RANGES))
    for table, column in columns:
        frame = net[table]
        if frame.empty or column not in frame.columns:
            continue
        raw = frame[column]
        given = raw.notna()  # missing values are reported (or defaulted) elsewhere
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        not_number = given & (values.isna() | raw.map(lambda v: isinstance(v, (bool, np.bool_))))
        not_finite = given & ~not_number & ~np.isfinite(values.fillna(0.0))
        out_of_range = pd.Series(False, index=frame.index)
        if (bound := PHYSICAL_RANGES.get((table, column))) is not None:
            low, high, low_inclusive = bound
            finite = given & ~not_number & ~not_finite
            too_low = (values < low) if low_inclusive else (values <= low)
            out_of_range = finite & (too_low | (values > high))
        for idx in frame.index[not_number | not_finite | out_of_range]:
            name = frame.at[idx, "name"] if "name" in frame.columns else None
            label = f"{table} {idx}" + (f" ('{name}')" if isinstance(name, str) and name else "")
            if not_number[idx]:
                problems.append(f"{label}: {column} = {str(raw[idx])[:40]!r} is not a number")
            elif not_finite[idx]:
                problems.append(f"{label}: {column} = {values[idx]} is not finite")
            else:
                relation = ">=" if bound[2] else ">"
                problems.append(f"{label}: {column} = {values[idx]:g} must be {relation} {bound[0]:g} and <= {bound[1]:g}")
    return problems


# --- import ----------------------------------------------------------------------------------

def import_net(network: Network, net) -> dict[str, int]:
    """Insert every element of a validated ``net`` into ``network``. Call inside a transaction."""
    buses = []
    for idx, row in net.bus.iterrows():
        x, y = _geo_xy(row.get("geo"))
        buses.append(Bus(
            network=network, pp_index=int(idx), name=_s(row.get("name")), vn_kv=float(row.vn_kv),
            type=_s(row.get("type"), "b"), zone=_s(row.get("zone")), subnet=_s(row.get("subnet")),
            volt_level=_i(row.get("voltLvl")), in_service=_b(row.get("in_service")),
            min_vm_pu=_f(row.get("min_vm_pu")), max_vm_pu=_f(row.get("max_vm_pu")), x=x, y=y,
        ))
    Bus.objects.bulk_create(buses, batch_size=2000)
    bus_id = dict(Bus.objects.filter(network=network).values_list("pp_index", "id"))

    Line.objects.bulk_create([
        Line(
            network=network, pp_index=int(idx), name=_s(r.get("name")), std_type=_s(r.get("std_type")),
            from_bus_id=bus_id[int(r.from_bus)], to_bus_id=bus_id[int(r.to_bus)], length_km=float(r.length_km),
            r_ohm_per_km=float(r.r_ohm_per_km), x_ohm_per_km=float(r.x_ohm_per_km),
            c_nf_per_km=_f(r.get("c_nf_per_km"), 0.0), g_us_per_km=_f(r.get("g_us_per_km"), 0.0),
            max_i_ka=float(r.max_i_ka), df=_f(r.get("df"), 1.0), parallel=_i(r.get("parallel"), 1),
            type=_s(r.get("type")), in_service=_b(r.get("in_service")),
            max_loading_percent=_f(r.get("max_loading_percent")), subnet=_s(r.get("subnet")),
            volt_level=_i(r.get("voltLvl")),
        )
        for idx, r in net.line.iterrows()
    ], batch_size=2000)
    # taps act (SimBench leaves tap_changer_type empty, so pandapower would skip its tap_pos) and
    # the primaries' on-load tap changers regulate their MV busbar: see docs/engine.md
    taps = tap_defaults(net) if len(net.trafo) else None
    Transformer.objects.bulk_create([
        Transformer(
            network=network, pp_index=int(idx), name=_s(r.get("name")), std_type=_s(r.get("std_type")),
            hv_bus_id=bus_id[int(r.hv_bus)], lv_bus_id=bus_id[int(r.lv_bus)], sn_mva=float(r.sn_mva),
            vn_hv_kv=float(r.vn_hv_kv), vn_lv_kv=float(r.vn_lv_kv), vk_percent=float(r.vk_percent),
            vkr_percent=float(r.vkr_percent), pfe_kw=_f(r.get("pfe_kw"), 0.0), i0_percent=_f(r.get("i0_percent"), 0.0),
            shift_degree=_f(r.get("shift_degree"), 0.0), vector_group=_s(r.get("vector_group")),
            tap_side=_s(r.get("tap_side")), tap_neutral=_f(r.get("tap_neutral")), tap_min=_f(r.get("tap_min")),
            tap_max=_f(r.get("tap_max")), tap_step_percent=_f(r.get("tap_step_percent")),
            tap_step_degree=_f(r.get("tap_step_degree")), tap_pos=_f(r.get("tap_pos")),
            tap_changer_type=_s(taps.at[idx, "tap_changer_type"]), parallel=_i(r.get("parallel"), 1),
            oltc_enabled=bool(taps.at[idx, "oltc_control"]), oltc_vm_set_pu=_f(taps.at[idx, "oltc_vm_set_pu"]),
            oltc_band_pu=_f(taps.at[idx, "oltc_band_pu"]),
            df=_f(r.get("df"), 1.0), in_service=_b(r.get("in_service")),
            max_loading_percent=_f(r.get("max_loading_percent")), subnet=_s(r.get("subnet")),
            volt_level=_i(r.get("voltLvl")),
        )
        for idx, r in net.trafo.iterrows()
    ])
    Switch.objects.bulk_create([
        Switch(
            network=network, pp_index=int(idx), name=_s(r.get("name")), bus_id=bus_id[int(r.bus)],
            element_type=str(r.et), element=int(r.element), type=_s(r.get("type")), closed=_b(r.get("closed")),
            z_ohm=_f(r.get("z_ohm"), 0.0), in_ka=_f(r.get("in_ka")),
        )
        for idx, r in net.switch.iterrows()
    ], batch_size=2000)
    ExternalGrid.objects.bulk_create([
        ExternalGrid(
            network=network, pp_index=int(idx), name=_s(r.get("name")), bus_id=bus_id[int(r.bus)],
            vm_pu=_f(r.get("vm_pu"), 1.0), va_degree=_f(r.get("va_degree"), 0.0), in_service=_b(r.get("in_service")),
        )
        for idx, r in net.ext_grid.iterrows()
    ])
    Load.objects.bulk_create([
        Load(
            network=network, pp_index=int(idx), name=_s(r.get("name")), bus_id=bus_id[int(r.bus)],
            p_mw=float(r.p_mw), q_mvar=_f(r.get("q_mvar"), 0.0), sn_mva=_f(r.get("sn_mva")),
            scaling=_f(r.get("scaling"), 1.0), const_z_p_percent=_f(r.get("const_z_p_percent"), 0.0),
            const_i_p_percent=_f(r.get("const_i_p_percent"), 0.0),
            const_z_q_percent=_f(r.get("const_z_q_percent"), 0.0),
            const_i_q_percent=_f(r.get("const_i_q_percent"), 0.0), type=_s(r.get("type")),
            in_service=_b(r.get("in_service")), profile=_s(r.get("profile")), subnet=_s(r.get("subnet")),
            volt_level=_i(r.get("voltLvl")),
        )
        for idx, r in net.load.iterrows()
    ], batch_size=2000)
    Shunt.objects.bulk_create([
        Shunt(
            network=network, pp_index=int(idx), name=_s(r.get("name")), bus_id=bus_id[int(r.bus)],
            p_mw=_f(r.get("p_mw"), 0.0), q_mvar=float(r.q_mvar), vn_kv=_f(r.get("vn_kv")), step=_i(r.get("step"), 1),
            max_step=_i(r.get("max_step"), 1), in_service=_b(r.get("in_service")),
        )
        for idx, r in net.shunt.iterrows()
    ])
    split_pv = list(_pv_of_pv_storage(network, bus_id, net))
    DERAsset.objects.bulk_create(
        list(_der_rows(network, bus_id, net.sgen, DERAsset.PPElement.SGEN))
        + list(_der_rows(network, bus_id, net.storage, DERAsset.PPElement.STORAGE)) + split_pv,
        batch_size=2000,
    )
    _store_topology(network, net, bus_id)
    return {
        "buses": len(net.bus), "lines": len(net.line), "transformers": len(net.trafo), "switches": len(net.switch),
        "loads": len(net.load), "shunts": len(net.shunt), "der_assets": len(net.sgen) + len(net.storage) + len(split_pv),
    }


# SimBench's "PV_Storage" is a rooftop PV system behind a home battery, modelled as one storage
# row: p_mw = −(PV rating), profile "Storage_PV8_L1-A" = PV8 shifted by the battery. The registry
# holds the two real assets (docs/simbench-mapping.md): a PV sgen forecast from weather, and a
# battery (same pp_index) whose state of charge the forecast simulates.
PV_STORAGE = "pv_storage"
HOME_BATTERY_DEFAULT_MW = 0.005     # domestic 5 kW / 10 kWh where a row gives no power or energy
HOME_BATTERY_DEFAULT_MWH = 0.010


def _is_pv_storage(r) -> bool:
    return _s(r.get("type")).lower() == PV_STORAGE


def _pv_profile_of(storage_profile: str, renewables: set[str]) -> str:
    """The PV profile behind a PV_Storage profile: "Storage_PV8_L1-A" -> "PV8"; SimBench's MV
    networks aggregate a whole LV grid's PV_Storage under the LV grid's name ("lv_rural1"), which
    is also that grid's renewables profile; "" otherwise (the forecast's zone PV profile)."""
    part = next((p for p in storage_profile.split("_") if p.startswith("PV")), "")
    return part or (storage_profile if storage_profile in renewables else "")


def _battery_fields(r) -> dict:
    """Energy, power, efficiency and reserve of a storage row; for PV_Storage the home battery."""
    capacity, floor = _f(r.get("max_e_mwh")), _f(r.get("min_e_mwh"))
    efficiency = _f(r.get("efficiency_percent"))
    if efficiency is not None and efficiency <= 1.0:
        efficiency *= 100.0  # SimBench's "efficiency_percent" holds a fraction (0.95)
    fields = {
        "capacity_mwh": capacity, "min_e_mwh": floor, "efficiency_percent": efficiency,
        "reserve_percent": 100.0 * floor / capacity if capacity and floor is not None else None,
    }
    if _is_pv_storage(r):
        power = max(abs(_f(r.get("min_p_mw"), 0.0)), abs(_f(r.get("max_p_mw"), 0.0))) or _f(r.get("sn_mva"))
        fields.update(
            p_mw=0.0, rated_mw=power or HOME_BATTERY_DEFAULT_MW, sn_mva=power or HOME_BATTERY_DEFAULT_MW,
            capacity_mwh=capacity or HOME_BATTERY_DEFAULT_MWH, profile="",
            operating_mode=DERAsset.OperatingMode.SELF_CONSUMPTION,
        )
    elif _s(r.get("profile")):
        fields["operating_mode"] = DERAsset.OperatingMode.SCHEDULE  # its profile is a schedule
    return fields


def _der_rows(network: Network, bus_id: dict[int, int], frame: pd.DataFrame, element: str) -> Iterable[DERAsset]:
    for idx, r in frame.iterrows():
        type_label = _s(r.get("type"))
        storage = element == DERAsset.PPElement.STORAGE
        kind = DERAsset.Kind.BATTERY if storage else _kind_of_sgen(type_label)
        sn_mva = _f(r.get("sn_mva"))
        fields = dict(
            p_mw=float(r.p_mw), sn_mva=sn_mva, rated_mw=_f(r.get("max_p_mw")) or sn_mva or abs(float(r.p_mw)),
            capacity_mwh=_f(r.get("max_e_mwh")), min_e_mwh=_f(r.get("min_e_mwh")), profile=_s(r.get("profile")),
        )
        if storage:
            fields.update(_battery_fields(r))
        yield DERAsset(
            network=network, pp_element=element, pp_index=int(idx), name=_s(r.get("name")),
            bus_id=bus_id[int(r.bus)], kind=kind,
            status=DERAsset.Status.OPERATIONAL if _b(r.get("in_service")) else DERAsset.Status.OUT_OF_SERVICE,
            q_mvar=_f(r.get("q_mvar"), 0.0), scaling=_f(r.get("scaling"), 1.0), soc_percent=_f(r.get("soc_percent")),
            type=type_label, subnet=_s(r.get("subnet")), volt_level=_i(r.get("voltLvl")), **fields,
        )


def _pv_of_pv_storage(network: Network, bus_id: dict[int, int], net) -> Iterable[DERAsset]:
    """The PV system of every PV_Storage row, as a new sgen after the net's own (its set-point is
    the row's −p_mw, so the static power flow is unchanged)."""
    index = int(net.sgen.index.max()) + 1 if len(net.sgen) else 0
    profiles = getattr(net, "profiles", None) or {}
    renewables = set(profiles["renewables"].columns) if "renewables" in profiles else set()
    for _, r in net.storage.iterrows():
        if not _is_pv_storage(r):
            continue
        kwp = abs(float(r.p_mw))
        yield DERAsset(
            network=network, pp_element=DERAsset.PPElement.SGEN, pp_index=index, name=f"{_s(r.get('name'))} PV",
            bus_id=bus_id[int(r.bus)], kind=DERAsset.Kind.PV,
            status=DERAsset.Status.OPERATIONAL if _b(r.get("in_service")) else DERAsset.Status.OUT_OF_SERVICE,
            p_mw=kwp * _f(r.get("scaling"), 1.0), q_mvar=0.0, sn_mva=kwp, rated_mw=kwp, type="PV",
            connection_type=DERAsset.ConnectionType.G98,  # rooftop PV of a home: never curtailed by the ANM
            profile=_pv_profile_of(_s(r.get("profile")), renewables), subnet=_s(r.get("subnet")), volt_level=_i(r.get("voltLvl")),
        )
        index += 1


def _substations_of(net) -> dict[int, tuple[str, bool, list[int]]]:
    """One substation per transformer LV busbar: busbar -> (name, primary, transformer indices)."""
    substations: dict[int, tuple[str, bool, list[int]]] = {}
    for idx, trafo in net.trafo.iterrows():
        busbar = int(trafo.lv_bus)
        if busbar not in substations:
            label = trafo.get("substation")
            name = (label if isinstance(label, str) else "") or _s(net.bus.at[busbar, "name"]) or f"Substation {busbar}"
            substations[busbar] = (name, float(trafo.vn_hv_kv) >= 30.0, [])
        substations[busbar][2].append(int(idx))
    return dict(sorted(substations.items()))


def _engine_model(net):
    """The engine's model of ``net``: the registry stores the feeders the engine and the ANM
    compute with (apps.grid.engine.topology.derive_feeders), not a second derivation."""
    try:
        return from_pandapower(net)
    except EngineError as exc:  # a net the engine cannot calculate is not imported
        raise NetworkImportError(f"Cannot import this network: {exc}.") from exc


def _innermost_feeder(feeders: list) -> dict[int, int]:
    """Bus -> position of the innermost feeder supplying it. An engine feeder holds every bus
    behind its head line, LV networks behind secondary transformers included, so a bus can be in
    an MV feeder and an LV feeder: the smaller one is where it sits (first on a tie, e.g. a ring)."""
    owner: dict[int, int] = {}
    for position in sorted(range(len(feeders)), key=lambda p: (-len(feeders[p].bus_indices), -p)):
        owner.update(dict.fromkeys(feeders[position].bus_indices, position))
    return owner


def _store_topology(network: Network, net, bus_id: dict[int, int]) -> None:
    line_id = dict(Line.objects.filter(network=network).values_list("pp_index", "id"))
    substation_of_busbar: dict[int, Substation] = {}
    by_name: dict[str, Substation] = {}  # busbars of one named substation (e.g. sectionalised) are one substation
    for busbar, (name, primary, transformers) in _substations_of(net).items():
        substation = by_name.get(name)
        if substation is None:
            substation = by_name[name] = Substation.objects.create(
                network=network, name=name, busbar_id=bus_id[busbar],
                kind=Substation.Kind.PRIMARY if primary else Substation.Kind.SECONDARY,
            )
        substation_of_busbar[busbar] = substation
        Transformer.objects.filter(network=network, pp_index__in=transformers).update(substation=substation)
        Bus.objects.filter(id=bus_id[busbar]).update(substation=substation)

    model = _engine_model(net)
    feeders = model.feeders
    lv_bus_of_trafo = net.trafo.lv_bus.astype(int)

    def busbar_of(f) -> int:  # the busbar may be fused (bus coupler) with the transformers' LV bus
        return f.head_bus if f.head_bus in substation_of_busbar else int(lv_bus_of_trafo.at[f.trafos[0]])

    def far_bus(f) -> int:
        line = net.line.loc[f.head_line]
        return int(line.to_bus if f.head_at_from else line.from_bus)

    # numbered F1, F2, ... per substation in the order of the buses the head lines reach
    numbers: dict[int, int] = {}
    number_of: dict[int, int] = {}
    for position in sorted(range(len(feeders)), key=lambda p: (busbar_of(feeders[p]), far_bus(feeders[p]))):
        substation = substation_of_busbar[busbar_of(feeders[position])]
        number_of[position] = numbers[substation.pk] = numbers.get(substation.pk, 0) + 1
    rows = [
        Feeder(
            network=network, substation=substation_of_busbar[busbar_of(f)],
            name=f"{net.bus.at[busbar_of(f), 'name']} F{number_of[position]}", head_bus_id=bus_id[f.head_bus],
            head_line_id=line_id[f.head_line], vn_kv=f.vn_kv, capacity_mva=f.capacity_mva,
        )
        for position, f in enumerate(feeders)
    ]
    Feeder.objects.bulk_create(rows)
    feeder_ids = [row.pk for row in rows]
    feeder_of_bus = {bus: feeder_ids[position] for bus, position in _innermost_feeder(feeders).items()}
    # a conducting line sits on the feeder it heads, else on the feeder of both its ends (an open
    # loop or tie line on none: drawn as "other lines")
    conducting = connected_branch_mask(model.branches)
    feeder_of_line = {}
    for position in model.line_positions[conducting[model.line_positions]]:
        from_bus, to_bus = model.buses.pp_index[[model.branches.from_bus[position], model.branches.to_bus[position]]]
        feeder = feeder_of_bus.get(int(from_bus))
        if feeder is not None and feeder == feeder_of_bus.get(int(to_bus)):
            feeder_of_line[line_id[int(model.branches.pp_index[position])]] = feeder
    feeder_of_line.update({line_id[f.head_line]: pk for f, pk in zip(feeders, feeder_ids)})
    _bulk_set(Bus, "feeder_id", {bus_id[bus]: pk for bus, pk in feeder_of_bus.items()})
    _bulk_set(Line, "feeder_id", feeder_of_line)


def _bulk_set(model, attribute: str, values: dict[int, int]) -> None:
    rows = [model(id=pk, **{attribute: value}) for pk, value in values.items()]
    model.objects.bulk_update(rows, [attribute], batch_size=2000)


# --- export ----------------------------------------------------------------------------------

def _index(values: list[int]) -> pd.Index:
    return pd.Index(values, dtype="int64")


def export_net(network: Network) -> pp.pandapowerNet:
    """Build the pandapower net of a registry network (same indices and parameters)."""
    net = pp.create_empty_network(name=network.name, f_hz=network.f_hz, sn_mva=network.sn_mva)
    buses = list(Bus.objects.filter(network=network).order_by("pp_index"))
    if not buses:
        return net
    pp.create_buses(
        net, len(buses), vn_kv=[b.vn_kv for b in buses], index=_index([b.pp_index for b in buses]),
        name=[b.name for b in buses], type=[b.type for b in buses], zone=[b.zone or None for b in buses],
        in_service=[b.in_service for b in buses],
        min_vm_pu=[np.nan if b.min_vm_pu is None else b.min_vm_pu for b in buses],
        max_vm_pu=[np.nan if b.max_vm_pu is None else b.max_vm_pu for b in buses],
        geodata=[(b.x, b.y) if b.x is not None else None for b in buses] if all(b.x is not None for b in buses) else None,
    )
    net.bus["subnet"] = [b.subnet for b in buses]
    pp_of = {b.id: b.pp_index for b in buses}

    lines = list(Line.objects.filter(network=network).order_by("pp_index"))
    if lines:
        pp.create_lines_from_parameters(
            net, [pp_of[ln.from_bus_id] for ln in lines], [pp_of[ln.to_bus_id] for ln in lines],
            length_km=[ln.length_km for ln in lines], r_ohm_per_km=[ln.r_ohm_per_km for ln in lines],
            x_ohm_per_km=[ln.x_ohm_per_km for ln in lines], c_nf_per_km=[ln.c_nf_per_km for ln in lines],
            g_us_per_km=[ln.g_us_per_km for ln in lines], max_i_ka=[ln.max_i_ka for ln in lines],
            df=[ln.df for ln in lines], parallel=[ln.parallel for ln in lines], type=[ln.type or None for ln in lines],
            in_service=[ln.in_service for ln in lines], name=[ln.name for ln in lines],
            std_type=[ln.std_type or None for ln in lines], index=_index([ln.pp_index for ln in lines]),
            max_loading_percent=[100.0 if ln.max_loading_percent is None else ln.max_loading_percent for ln in lines],
        )
    trafos = list(Transformer.objects.filter(network=network).order_by("pp_index"))
    if trafos:
        def col(attr):
            return [np.nan if getattr(t, attr) is None else getattr(t, attr) for t in trafos]

        pp.create_transformers_from_parameters(
            net, [pp_of[t.hv_bus_id] for t in trafos], [pp_of[t.lv_bus_id] for t in trafos],
            sn_mva=col("sn_mva"), vn_hv_kv=col("vn_hv_kv"), vn_lv_kv=col("vn_lv_kv"), vk_percent=col("vk_percent"),
            vkr_percent=col("vkr_percent"), pfe_kw=col("pfe_kw"), i0_percent=col("i0_percent"),
            shift_degree=col("shift_degree"), tap_side=[t.tap_side or None for t in trafos],
            tap_neutral=col("tap_neutral"), tap_min=col("tap_min"), tap_max=col("tap_max"),
            tap_step_percent=col("tap_step_percent"), tap_step_degree=col("tap_step_degree"), tap_pos=col("tap_pos"),
            tap_changer_type=np.array([t.tap_changer_type or None for t in trafos], dtype=object), parallel=col("parallel"), df=col("df"),
            in_service=[t.in_service for t in trafos], name=[t.name for t in trafos],
            std_type=[t.std_type or None for t in trafos], vector_group=np.array([t.vector_group or None for t in trafos], dtype=object),
            index=_index([t.pp_index for t in trafos]),
            max_loading_percent=[100.0 if t.max_loading_percent is None else t.max_loading_percent for t in trafos],
        )
        # the engine reads these columns (apps.grid.engine.taps); pandapower ignores them
        net.trafo["oltc_control"] = [t.oltc_enabled for t in trafos]
        net.trafo["oltc_vm_set_pu"] = col("oltc_vm_set_pu")
        net.trafo["oltc_band_pu"] = col("oltc_band_pu")
    switches = list(Switch.objects.filter(network=network).order_by("pp_index"))
    if switches:
        pp.create_switches(
            net, [pp_of[s.bus_id] for s in switches], [s.element for s in switches], [s.element_type for s in switches],
            closed=[s.closed for s in switches], type=[s.type or None for s in switches],
            name=[s.name for s in switches], z_ohm=[s.z_ohm for s in switches],
            in_ka=[np.nan if s.in_ka is None else s.in_ka for s in switches],
            index=_index([s.pp_index for s in switches]),
        )
    for grid in ExternalGrid.objects.filter(network=network).order_by("pp_index"):
        pp.create_ext_grid(net, pp_of[grid.bus_id], vm_pu=grid.vm_pu, va_degree=grid.va_degree,
                           in_service=grid.in_service, name=grid.name, index=grid.pp_index)

    for shunt in Shunt.objects.filter(network=network).order_by("pp_index"):
        pp.create_shunt(net, pp_of[shunt.bus_id], q_mvar=shunt.q_mvar, p_mw=shunt.p_mw, vn_kv=shunt.vn_kv,
                        step=shunt.step, max_step=shunt.max_step, in_service=shunt.in_service, name=shunt.name,
                        index=shunt.pp_index)
    loads = list(Load.objects.filter(network=network).order_by("pp_index"))
    ev_chargers = list(DERAsset.objects.filter(network=network, pp_element=DERAsset.PPElement.LOAD).order_by("pp_index"))
    if loads or ev_chargers:
        rows = [
            (ld.pp_index, ld.name, pp_of[ld.bus_id], ld.p_mw, ld.q_mvar, ld.scaling, ld.in_service, ld.type or None,
             ld.profile, ld.const_z_p_percent, ld.const_i_p_percent, ld.const_z_q_percent, ld.const_i_q_percent,
             ld.sn_mva)
            for ld in loads
        ] + [
            (ev.pp_index, ev.name, pp_of[ev.bus_id], ev.p_mw, ev.q_mvar, ev.scaling, ev.in_service, "ev_charger",
             ev.profile, 0.0, 0.0, 0.0, 0.0, ev.sn_mva)
            for ev in ev_chargers
        ]
        rows.sort(key=lambda r: r[0])
        cols = list(zip(*rows))
        pp.create_loads(
            net, list(cols[2]), p_mw=list(cols[3]), q_mvar=list(cols[4]), scaling=list(cols[5]),
            in_service=list(cols[6]), type=list(cols[7]), name=list(cols[1]), index=_index(list(cols[0])),
            const_z_p_percent=list(cols[9]), const_i_p_percent=list(cols[10]),
            const_z_q_percent=list(cols[11]), const_i_q_percent=list(cols[12]),
            sn_mva=[np.nan if v is None else v for v in cols[13]],
        )
        net.load["profile"] = list(cols[8])
    for element, creator in ((DERAsset.PPElement.SGEN, pp.create_sgens), (DERAsset.PPElement.STORAGE, pp.create_storages)):
        ders = list(DERAsset.objects.filter(network=network, pp_element=element).order_by("pp_index"))
        if not ders:
            continue
        kwargs = dict(
            p_mw=[d.p_mw for d in ders], q_mvar=[d.q_mvar for d in ders],
            sn_mva=[np.nan if d.sn_mva is None else d.sn_mva for d in ders], scaling=[d.scaling for d in ders],
            in_service=[d.in_service for d in ders], type=[d.type or d.kind for d in ders],
            name=[d.name for d in ders], index=_index([d.pp_index for d in ders]),
        )
        if element == DERAsset.PPElement.STORAGE:
            kwargs["max_e_mwh"] = [np.nan if d.capacity_mwh is None else d.capacity_mwh for d in ders]
            kwargs["min_e_mwh"] = [0.0 if d.min_e_mwh is None else d.min_e_mwh for d in ders]
            kwargs["soc_percent"] = [np.nan if d.soc_percent is None else d.soc_percent for d in ders]
        creator(net, [pp_of[d.bus_id] for d in ders], **kwargs)
        net[element]["profile"] = [d.profile for d in ders]
        net[element]["registry_id"] = [d.id for d in ders]
    return net
