"""Reads of the network registry."""
from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet, Sum

from apps.accounts.tenancy import scope_to_user
from apps.common.caches import process_cache
from apps.common.figure_cache import FigureBlob, figure_blob

from .engine.model import line_rating_mva
from .engine.ratings import Reading, branch_reading, bus_reading, worst
from .models import Bus, DERAsset, Feeder, Line, Load, Network, Premise, Substation


def next_pp_index(*, network: Network, element: str) -> int:
    """The next free pandapower index for a new element of that table (loads: registry loads and
    load-type DER such as EV chargers share the table)."""
    top = DERAsset.objects.filter(network=network, pp_element=element).aggregate(m=Max("pp_index"))["m"] or 0
    if element == DERAsset.PPElement.LOAD:
        top = max(top, Load.objects.filter(network=network).aggregate(m=Max("pp_index"))["m"] or 0)
    return top + 1


def premises_for(user) -> QuerySet[Premise]:
    return scope_to_user(Premise.objects.select_related("bus", "owner", "network"), user)


def der_assets_for(user) -> QuerySet[DERAsset]:
    return scope_to_user(DERAsset.objects.select_related("bus", "owner", "premise", "network"), user)


def networks_for(user) -> QuerySet[Network]:
    """Every authenticated user may see which networks exist; their contents are scoped."""
    if not user.is_authenticated:
        return Network.objects.none()
    return Network.objects.all()


def network_default() -> Network | None:
    """The network a page or command opens on when none is chosen: the first registered."""
    return Network.objects.order_by("id").first()


def network_summary(network: Network) -> dict:
    """The figures that matter on the control-room home page."""
    live = DERAsset.LIVE_STATUSES
    der = DERAsset.objects.filter(network=network, status__in=live)
    by_kind = {
        row["kind"]: {"count": row["n"], "mw": round(row["mw"] or 0.0, 3)}
        for row in der.values("kind").annotate(n=Count("id"), mw=Sum("rated_mw"))
    }
    loads = Load.objects.filter(network=network, in_service=True).aggregate(n=Count("id"), mw=Sum("p_mw"))
    return {
        "buses": Bus.objects.filter(network=network).count(),
        "lines": Line.objects.filter(network=network).count(),
        "substations": Substation.objects.filter(network=network).aggregate(
            primary=Count("id", filter=Q(kind=Substation.Kind.PRIMARY)),
            secondary=Count("id", filter=Q(kind=Substation.Kind.SECONDARY)),
        ),
        "feeders": Feeder.objects.filter(network=network).count(),
        "loads": loads["n"],
        "load_mw": round(loads["mw"] or 0.0, 3),
        "der": by_kind,
        "pv_mw": by_kind.get("pv", {}).get("mw", 0.0),
        "wind_mw": by_kind.get("wind", {}).get("mw", 0.0),
        "battery_mw": by_kind.get("battery", {}).get("mw", 0.0),
        "battery_mwh": round(der.filter(kind=DERAsset.Kind.BATTERY).aggregate(e=Sum("capacity_mwh"))["e"] or 0.0, 3),
        "ev_chargers": by_kind.get("ev_charger", {}).get("count", 0),
    }


# a few networks at most per process; one entry per network (its current revision)
_nets = process_cache(maxsize=4)


def network_net(network: Network):
    """The network's pandapower net, exported once per revision and process (exporting the
    5,500-bus demo takes about a second; studies rerun every few minutes). Callers must not
    modify it: copy it first."""
    from .pandapower_io import export_net

    cached = _nets.get(network.pk)
    if cached is None or cached[0] != network.revision:
        cached = _nets[network.pk] = (network.revision, export_net(network))
    return cached[1]


def network_operating_limits(network: Network, *, substation: Substation | None = None) -> dict:
    """The network's limits as plain data (the contract of ``apps.anm.calc.limits``): voltage
    limits per level, thermal ratings per branch class, line classes, site voltage overrides,
    explicit feeder-head limits and, for ``substation`` (a primary), its firm / reverse capability."""
    from .models import ThermalRating, Transformer, VoltageLimit

    voltage = list(VoltageLimit.objects.filter(network=network).values("vn_kv_min", "vn_kv_max", "vmin_pu", "vmax_pu"))
    thermal = {
        r.branch_class: {"winter": r.winter_factor, "spring_autumn": r.spring_autumn_factor,
                         "cyclic_percent": r.cyclic_percent, "cyclic_minutes": r.cyclic_minutes}
        for r in ThermalRating.objects.filter(network=network)
    }
    for cls in ThermalRating.BranchClass.values:
        thermal.setdefault(cls, {"winter": 1.0, "spring_autumn": 1.0, "cyclic_percent": 100.0, "cyclic_minutes": 0})
    overhead = Line.objects.filter(network=network, type__in=("ol", "overhead", "ohl")).values_list("pp_index", flat=True)
    site = {
        str(idx): [lo, hi] for idx, lo, hi in Bus.objects.filter(network=network).filter(
            Q(site_vmin_pu__isnull=False) | Q(site_vmax_pu__isnull=False)).values_list("pp_index", "site_vmin_pu", "site_vmax_pu")
    }
    feeders = {
        str(line): [exp, imp] for line, exp, imp in Feeder.objects.filter(network=network, head_line__isnull=False).filter(
            Q(export_limit_mw__isnull=False) | Q(import_limit_mw__isnull=False)).values_list(
            "head_line__pp_index", "export_limit_mw", "import_limit_mw")
    }
    primary = {"firm_mva": None, "reverse_mw": None}
    if substation is not None:
        units = sorted(t.sn_mva * t.parallel for t in Transformer.objects.filter(substation=substation, in_service=True))
        firm = substation.firm_capacity_mva
        if firm is None and units:
            firm = sum(units[:-1]) if len(units) > 1 else units[0]
        primary = {"firm_mva": firm, "reverse_mw": substation.reverse_power_mw if substation.reverse_power_mw is not None else firm}
    return {"voltage": voltage, "thermal": thermal, "line_class": {str(i): "overhead" for i in overhead},
            "site_voltage": site, "primary": primary, "feeders": feeders,
            "prealarm_fraction": 0.9, "voltage_prealarm_margin_pu": 0.01}


def _voltage_band(vn_kv: float, levels: list[tuple[float, float, float, float]]) -> tuple[float, float]:
    for lo_kv, hi_kv, vmin, vmax in levels:
        if lo_kv <= vn_kv < hi_kv:
            return vmin, vmax
    return 0.94, 1.06


def snapshot_readings(network: Network, result: dict | None) -> list[Reading]:
    """Every line, transformer and bus of a snapshot result, named, with its feeder, value and limit
    (the hover text of the snapshot figure and the list of worst elements). Four queries."""
    from .limits import UK_VOLTAGE_LIMITS
    from .models import Transformer, VoltageLimit

    if not result:
        return []
    levels = list(VoltageLimit.objects.filter(network=network).values_list("vn_kv_min", "vn_kv_max", "vmin_pu", "vmax_pu"))
    levels = levels or [(lo, hi, vmin, vmax) for _, lo, hi, vmin, vmax in UK_VOLTAGE_LIMITS]
    buses = {pk: row for pk, *row in Bus.objects.filter(network=network).values_list(
        "id", "pp_index", "name", "vn_kv", "x", "y", "feeder__name", "site_vmin_pu", "site_vmax_pu")}
    readings: list[Reading] = []
    loading = result.get("line_loading_percent", {})
    for idx, name, f, t, feeder, max_i_ka, df, parallel in Line.objects.filter(network=network).values_list(
            "pp_index", "name", "from_bus_id", "to_bus_id", "feeder__name", "max_i_ka", "df", "parallel"):
        value = loading.get(str(idx))
        a, b = buses.get(f), buses.get(t)
        if value is None or a is None:
            continue
        mid = ((a[3] + b[3]) / 2, (a[4] + b[4]) / 2) if b and None not in (a[3], a[4], b[3], b[4]) else (None, None)
        readings.append(branch_reading(
            kind="line", index=idx, name=name or f"#{idx}", feeder=feeder or a[5] or "", loading_percent=value,
            rating_mva=line_rating_mva(vn_kv=a[2], max_i_ka=max_i_ka, df=df, parallel=parallel), x=mid[0], y=mid[1]))
    loading = result.get("trafo_loading_percent", {})
    for idx, name, lv, sn_mva, parallel, substation in Transformer.objects.filter(network=network).values_list(
            "pp_index", "name", "lv_bus_id", "sn_mva", "parallel", "substation__name"):
        value, bus = loading.get(str(idx)), buses.get(lv)
        if value is None or bus is None:
            continue
        readings.append(branch_reading(
            kind="transformer", index=idx, name=name or substation or f"#{idx}", feeder=bus[5] or "",
            loading_percent=value, rating_mva=sn_mva * parallel, x=bus[3], y=bus[4]))
    vm = result.get("bus_vm_pu", {})
    for idx, name, vn_kv, x, y, feeder, site_lo, site_hi in buses.values():
        value = vm.get(str(idx))
        if value is None:
            continue
        vmin, vmax = _voltage_band(vn_kv, levels)
        readings.append(bus_reading(index=idx, name=name or f"#{idx}", feeder=feeder or "", vm_pu=value,
                                    vmin_pu=site_lo if site_lo is not None else vmin,
                                    vmax_pu=site_hi if site_hi is not None else vmax, x=x, y=y))
    return readings


def snapshot_worst(network: Network, result: dict | None, *, feeder: Feeder | None = None,
                   count: int = 10) -> list[Reading]:
    """The ``count`` elements of a snapshot using most of their limit, worst first (on ``feeder``
    only, when given)."""
    readings = snapshot_readings(network, result)
    if feeder is not None:
        readings = [r for r in readings if r.feeder == feeder.name]
    return worst(readings, count=count)


def feeder_bounds(network: Network) -> dict[int, dict]:
    """Each feeder's name and the box around its buses' coordinates, ``{id: {"name", "x", "y"}}``
    with ``x`` / ``y`` as [low, high] padded by 5 % of the larger side: the figure's zoom to it."""
    boxes: dict[int, list] = {}
    for feeder_id, x, y in Bus.objects.filter(network=network, feeder__isnull=False, x__isnull=False).values_list(
            "feeder_id", "x", "y"):
        box = boxes.setdefault(feeder_id, [x, x, y, y])
        box[0], box[1], box[2], box[3] = min(box[0], x), max(box[1], x), min(box[2], y), max(box[3], y)
    names = dict(Feeder.objects.filter(network=network).values_list("id", "name"))
    out = {}
    for feeder_id, (x0, x1, y0, y1) in boxes.items():
        px = py = max(x1 - x0, y1 - y0, 1e-3) * 0.05
        out[feeder_id] = {"name": names.get(feeder_id, ""), "x": [x0 - px, x1 + px], "y": [y0 - py, y1 + py]}
    return out


def element_labels(network: Network, keys: list[tuple[str, int]]) -> dict[tuple[str, int], dict]:
    """Feeder and limit of elements named by (kind, pandapower index), kind 'line', 'trafo' or
    'bus': ``{"feeder": "F3", "limit": "rated 0.29 MVA"}`` (the ANM heatmap's hover). Three queries."""
    from .limits import UK_VOLTAGE_LIMITS
    from .models import Transformer, VoltageLimit

    wanted: dict[str, set[int]] = {}
    for kind, index in keys:
        wanted.setdefault(kind, set()).add(index)
    out: dict[tuple[str, int], dict] = {}
    if wanted.get("line"):
        for idx, feeder, vn_kv, max_i_ka, df, parallel in Line.objects.filter(
                network=network, pp_index__in=wanted["line"]).values_list(
                "pp_index", "feeder__name", "from_bus__vn_kv", "max_i_ka", "df", "parallel"):
            rating = line_rating_mva(vn_kv=vn_kv, max_i_ka=max_i_ka, df=df, parallel=parallel)
            out[("line", idx)] = {"feeder": feeder or "", "limit": f"rated {rating:.2f} MVA"}
    if wanted.get("trafo"):
        for idx, feeder, sn_mva, parallel in Transformer.objects.filter(
                network=network, pp_index__in=wanted["trafo"]).values_list(
                "pp_index", "lv_bus__feeder__name", "sn_mva", "parallel"):
            out[("trafo", idx)] = {"feeder": feeder or "", "limit": f"rated {sn_mva * parallel:.2f} MVA"}
    if wanted.get("bus"):
        levels = list(VoltageLimit.objects.filter(network=network).values_list("vn_kv_min", "vn_kv_max", "vmin_pu", "vmax_pu"))
        levels = levels or [(lo, hi, vmin, vmax) for _, lo, hi, vmin, vmax in UK_VOLTAGE_LIMITS]
        for idx, feeder, vn_kv, site_lo, site_hi in Bus.objects.filter(
                network=network, pp_index__in=wanted["bus"]).values_list(
                "pp_index", "feeder__name", "vn_kv", "site_vmin_pu", "site_vmax_pu"):
            vmin, vmax = _voltage_band(vn_kv, levels)
            vmin, vmax = site_lo if site_lo is not None else vmin, site_hi if site_hi is not None else vmax
            out[("bus", idx)] = {"feeder": feeder or "", "limit": f"band {vmin:.2f}–{vmax:.2f} pu"}
    return out


def network_figure_blob(*, network: Network) -> FigureBlob:
    """The network's topology figure JSON, built once per network revision (Django cache)."""
    from .figures import network_figure

    return figure_blob(key=f"network:{network.pk}:r{network.revision}", build=lambda: network_figure(network))
