"""Rules that turn SimBench's scenario-2 LV data into a world a UK operator recognises.

Pure and deterministic (no Django): every choice is a function of an element's pandapower index,
so the demo builder gives the same world every time it runs. ``docs/demo.md`` explains each rule.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from apps.forecasting.calc.ev import unit_hash

# The demo day: a sunny August day after a windy night (SimBench 2016-08-12 has the year's best
# combination of night-time wind, midday wind and midday sun in May-September).
DEMO_DAY = dt.date(2026, 8, 12)
DEMO_PROJECTION_START = dt.datetime(2026, 8, 12, 10, 0, tzinfo=dt.timezone.utc)  # 11:00 BST, late morning

# Where Northvale is: the wind farms' fells and moors stand for the Yorkshire Dales, so the demo's
# weather zone is upper Wensleydale, centred on Hawes (North Yorkshire), where a met provider's
# forecasts for the network would be taken. One zone covers the whole network (a 20 kV rural grid
# spans a few tens of km, within one forecast's grid cell at the resolution providers sell).
DEMO_WEATHER_ZONE_NAME = "Northvale (upper Wensleydale)"
DEMO_WEATHER_ZONE_LAT_LON = (54.304, -2.196)  # Hawes, WGS84 degrees

# UK ground-mounted secondary transformer sizes (kVA), smallest first.
UK_SECONDARY_KVA = (200, 315, 500, 800, 1000)
# Domestic PV (kWp) and its share of homes with PV: mostly 2.5-6 kWp, a few larger roofs.
DOMESTIC_PV_KWP = ((2.5, 0.10), (3.0, 0.12), (3.5, 0.16), (4.0, 0.22), (4.5, 0.14), (5.0, 0.12), (6.0, 0.10), (8.0, 0.04))
# Home batteries: (kW, kWh) and shares (5 kW / 10-13.5 kWh as sold in the UK).
DOMESTIC_BATTERY = (((5.0, 10.0), 0.45), ((5.0, 13.5), 0.40), ((3.0, 5.2), 0.15))
# Farms and businesses: roof PV and batteries capped at what a G99 small-scale connection gets.
NON_DOMESTIC_PV_CAP_KWP = {"farm": 50.0, "business": 30.0}
NON_DOMESTIC_BATTERY_CAP_KW = 20.0
NON_DOMESTIC_BATTERY_HOURS = 2.0
# Home EV chargers: share of homes, and the rating mix (mostly 7.4 kW single-phase).
EV_HOME_SHARE = 0.30
EV_RATINGS_KW = ((7.4, 0.80), (3.6, 0.07), (11.0, 0.10), (22.0, 0.03))
G98_LIMIT_KW = 3.68  # 16 A per phase at 230 V

_SALT_PV, _SALT_BATTERY, _SALT_EV, _SALT_EV_RATING = 101, 211, 307, 401

STREET_STEMS = (
    "Orchard", "Mill", "Church", "Station", "Meadow", "Willow", "Chapel", "Manor", "Oak", "Beech", "Ash", "Elm",
    "Hawthorn", "Rowan", "Holly", "Cedar", "Birch", "Larch", "Hazel", "Maple", "Brook", "River", "Bridge", "Ford",
    "Well", "Spring", "Forge", "Smithy", "Granary", "Barley", "Wheatfield", "Clover", "Foxglove", "Bluebell",
    "Primrose", "Heather", "Bracken", "Kingfisher", "Heron", "Swallow", "Skylark", "Wren", "Badger", "Otter",
    "Fox", "Hare", "Windmill", "Watermill", "Quarry", "Pound", "Green", "Common", "Moor", "Fell", "Dale", "Vale",
    "Combe", "Priory", "Abbey", "Vicarage", "Rectory", "School", "Market", "Castle", "Tower", "Beacon", "Sandy",
    "Stony", "Long", "Broad", "North", "South", "East", "West", "High", "Low", "Upper", "Nether", "Coppice",
    "Spinney", "Paddock", "Croft", "Glebe", "Parsonage", "Lime", "Poplar", "Alder", "Sycamore", "Chestnut",
    "Walnut", "Cherry", "Plum", "Damson", "Pear", "Apple",
)
STREET_KINDS = ("Lane", "Road", "Close", "Way", "Street", "Drive", "Row", "Gardens", "View", "Rise")


def street_names(count: int, first: str = "Orchard Lane") -> list[str]:
    """``count`` distinct street names, ``first`` first (one street per LV network).

    Parameters:
        count: how many.
        first: the street of the DESIGN.md household's LV network.

    Returns:
        Distinct names such as "Mill Road", "Church Close".
    """
    names = [first]
    k = 0
    while len(names) < count:
        stem = STREET_STEMS[k % len(STREET_STEMS)]
        kind = STREET_KINDS[(k * 7 + k // len(STREET_STEMS)) % len(STREET_KINDS)]
        name = f"{stem} {kind}"
        if name not in names:
            names.append(name)
        k += 1
    return names


def premise_kind(profiles: list[str]) -> str:
    """What a SimBench LV connection is, from its load profiles: SimBench's H0 are households,
    L agricultural, G commercial; heat pumps (HLS/Air/Soil) and the rest go with the premise."""
    if any(p.startswith("H0") for p in profiles):
        return "home"
    if any(p.startswith("L") and p[1:2].isdigit() for p in profiles):
        return "farm"
    if any(p.startswith("G") and p[1:2].isdigit() for p in profiles):
        return "business"
    return "home"


def _pick(table, u: float):
    values, shares = zip(*table)
    cumulative = np.cumsum(shares) / sum(shares)
    return values[int(min(np.searchsorted(cumulative, u, side="right"), len(values) - 1))]


def domestic_pv_kwp(pp_index: int) -> float:
    """Rooftop PV of a home (kWp), from the domestic size mix."""
    return float(_pick(DOMESTIC_PV_KWP, float(unit_hash(pp_index, 1, _SALT_PV))))


def domestic_battery(pp_index: int) -> tuple[float, float]:
    """A home battery (kW, kWh), from the domestic size mix."""
    return _pick(DOMESTIC_BATTERY, float(unit_hash(pp_index, 1, _SALT_BATTERY)))


def pv_kwp(kind: str, pp_index: int, simbench_kwp: float) -> float:
    """Resized PV of a premise: domestic sizes for homes; SimBench's size capped for farms and
    businesses."""
    if kind == "home":
        return domestic_pv_kwp(pp_index)
    return float(min(simbench_kwp, NON_DOMESTIC_PV_CAP_KWP[kind]))


def battery_size(kind: str, pp_index: int, simbench_kw: float) -> tuple[float, float]:
    """Resized battery (kW, kWh) of a premise."""
    if kind == "home":
        return domestic_battery(pp_index)
    kw = float(min(simbench_kw, NON_DOMESTIC_BATTERY_CAP_KW))
    return kw, kw * NON_DOMESTIC_BATTERY_HOURS


def has_ev_charger(pp_index: int) -> bool:
    """Whether a home has an EV charger (EV_HOME_SHARE of homes)."""
    return bool(unit_hash(pp_index, 1, _SALT_EV) < EV_HOME_SHARE)


def ev_rating_kw(pp_index: int) -> float:
    """Charger rating (kW): mostly 7.4 kW single-phase, some 3.6, 11 and 22 kW."""
    return float(_pick(EV_RATINGS_KW, float(unit_hash(pp_index, 1, _SALT_EV_RATING))))


def uprated_kva(current_kva: float, pv_export_kw: float) -> float:
    """The secondary transformer size planning would have left: unchanged when it carries the PV
    export, else the smallest UK ground-mounted size that does (the largest if none does).

    Parameters:
        current_kva: the transformer's rating.
        pv_export_kw: the planning check's PV export through it (kW).

    Returns:
        kVA.
    """
    if pv_export_kw <= current_kva:
        return current_kva
    for size in UK_SECONDARY_KVA:
        if size >= pv_export_kw and size > current_kva:
            return float(size)
    return float(UK_SECONDARY_KVA[-1])
