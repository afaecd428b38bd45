"""ANM reads: what a projection computes from (partitions, limits, live DER, the cached engine
model and forecast), the latest projection of a network and what the control room sees of it."""
from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from pandapower.toolbox import select_subnet

from apps.common.caches import process_cache
from apps.common.figure_cache import figure_cached
from apps.forecasting.selectors import forecast_injections
from apps.grid.engine import from_pandapower
from apps.grid.engine.locations import LocationMap
from apps.grid.models import Bus, DERAsset, Feeder, Network, Substation, Transformer
from apps.grid.selectors import element_labels, network_net, network_operating_limits

from .calc.projection import DerFacts, PartitionProjection, project_partition
from .calc.severity import ORDER
from .calc.titles import location_title
from .events import AlarmSerializer, ProjectionRunSerializer, alarm_sort_key
from .figures import heatmap_figure, timeline_figure
from .models import Alarm, ConstraintEpisode, CurtailmentInstruction, ProjectionRun



# --- what a projection computes from -----------------------------------------------------------

def partitions(network: Network) -> list[dict]:
    """One partition per primary substation: its busbars (plus the whole net if it has none).
    A partition is one primary substation and everything it feeds, so several workers can share
    a big network."""
    primaries = Substation.objects.filter(network=network, kind=Substation.Kind.PRIMARY).order_by("name")
    parts = []
    for sub in primaries:
        busbars = list(Bus.objects.filter(substation=sub).values_list("pp_index", flat=True))
        parts.append({"substation": sub.name, "busbars": busbars})
    return parts or [{"substation": network.name, "busbars": []}]


def projection_limits(network: Network) -> dict:
    """The limits a projection stores in its inputs (so a rerun uses the same): the network's
    operating limits plus, per primary substation, its firm / reverse capability and whether its
    transformers regulate with an on-load tap changer."""
    limits = network_operating_limits(network)
    limits["primaries"] = {}
    for sub in Substation.objects.filter(network=network, kind=Substation.Kind.PRIMARY):
        primary = network_operating_limits(network, substation=sub)["primary"]
        primary["oltc"] = Transformer.objects.filter(substation=sub, oltc_enabled=True).exists()
        limits["primaries"][sub.name] = primary
    return limits


PARTITION_MODELS = process_cache(maxsize=4)


def partition_model(network: Network, busbars: list[int]) -> tuple:
    """The engine model of one partition and its location map, cached per network revision
    (rebuilt after any electrical change, which bumps the revision)."""
    key = (network.pk, network.revision, tuple(busbars))
    if key in PARTITION_MODELS:
        return PARTITION_MODELS[key]
    net = network_net(network)
    model = from_pandapower(net)
    if busbars:
        fed = set(busbars)
        for feeder in model.feeders:
            if feeder.head_bus in busbars:
                fed.update(int(b) for b in feeder.bus_indices)
        trafo = net.trafo[net.trafo.lv_bus.isin(busbars)]
        fed.update(int(b) for b in trafo.hv_bus)
        fed.update(int(b) for b in net.ext_grid.bus)
        # Bus couplers between the HV buses stay inside (select_subnet keeps switches between kept buses).
        coupled = net.switch[(net.switch.et == "b") & net.switch.bus.isin(fed)].element
        fed.update(int(b) for b in coupled)
        if len(fed) < len(net.bus):
            model = from_pandapower(select_subnet(net, sorted(fed), include_results=False))
    PARTITION_MODELS[key] = (model, LocationMap(model))
    return PARTITION_MODELS[key]


PROJECTION_FORECASTS = process_cache(maxsize=2)


def projection_forecast(network: Network, inputs: dict):
    """The run's forecast (deterministic from its stored inputs; cached for the partitions of a
    run that land on the same worker)."""
    key = (network.pk, network.revision, inputs["start"], inputs["steps"], inputs["step_minutes"], inputs["seed"],
           inputs["issued_at"])
    if key not in PROJECTION_FORECASTS:
        PROJECTION_FORECASTS[key] = forecast_injections(
            network=network, start=dt.datetime.fromisoformat(inputs["start"]), steps=inputs["steps"],
            step_minutes=inputs["step_minutes"], seed=inputs["seed"],
            issued_at=dt.datetime.fromisoformat(inputs["issued_at"]),
        )
    return PROJECTION_FORECASTS[key]


def live_der(network: Network) -> dict[tuple[str, int], DerFacts]:
    """Registry facts about the network's live DER, keyed (pp_element, pp_index)."""
    rows = DERAsset.objects.filter(network=network, status__in=DERAsset.LIVE_STATUSES).values_list(
        "pp_element", "pp_index", "id", "name", "kind", "connection_type", "offer_accepted_on", "connected_on")
    return {(el, idx): DerFacts(id=pk, name=name, kind=kind, flexible=conn == DERAsset.ConnectionType.FLEXIBLE,
                                accepted_on=(accepted or connected).isoformat() if (accepted or connected) else "")
            for el, idx, pk, name, kind, conn, accepted, connected in rows}


def feeder_names(network: Network) -> dict[int, str]:
    """Registry feeder names by the pandapower index of their head line."""
    return dict(Feeder.objects.filter(network=network, head_line__isnull=False)
                .values_list("head_line__pp_index", "name"))


def partition_projection(*, network: Network, inputs: dict, part: dict) -> PartitionProjection:
    """One partition's projection from a run's stored inputs: the registry and the cached model
    and forecast read here, the calculation in ``calc.projection`` (no writes)."""
    model, locations = partition_model(network, part["busbars"])
    stored = inputs["limits"]
    return project_partition(
        model=model, locations=locations, bundle=projection_forecast(network, inputs), der=live_der(network),
        feeder_names=feeder_names(network), stored_limits=stored,
        primary=(stored.get("primaries") or {}).get(part["substation"], {}),
        issued_at=dt.datetime.fromisoformat(inputs["issued_at"]), step_minutes=inputs["step_minutes"],
        curtailment_rule=inputs["curtailment_rule"],
    )


# --- what the control room sees ----------------------------------------------------------------


def latest_projection(network) -> ProjectionRun | None:
    """The live projection the control room acts on (what-ifs are kept apart)."""
    return (ProjectionRun.objects.filter(network=network, live=True, finished_at__isnull=False)
            .select_related("study").order_by("-finished_at", "-id").first())


def open_alarms(network) -> QuerySet[Alarm]:
    return (Alarm.objects.filter(network=network).exclude(state=Alarm.State.CLEARED)
            .select_related("acknowledged_by").order_by("breach_at", "id"))


def alarm_rows(alarms) -> list[dict]:
    """Alarms as the room lists them (the same rows as the ``alarm.*`` events carry)."""
    return sorted((dict(row) for row in AlarmSerializer(alarms, many=True).data), key=alarm_sort_key)


def _episode_card(e: ConstraintEpisode) -> dict:
    relief_peak = max(e.relief_mw or [0.0])
    at = e.relief_mw.index(relief_peak) if e.relief_mw else 0
    return {
        "id": e.pk, "element": e.element, "name": e.name, "kind": e.kind, "severity": e.severity,
        "title": location_title(kind=e.kind, element=e.element, name=e.name, direction=e.direction),
        "direction": e.direction, "voltage_level": e.voltage_level,
        "start": e.start.isoformat(), "end": e.end.isoformat(), "peak_at": e.peak_at.isoformat(),
        "peak_value": e.peak_value, "limit": e.limit, "unit": e.unit, "case": e.case, "cases": e.cases,
        "worst": e.worst, "members": [m["name"] for m in e.members[:12]], "members_count": e.members_count,
        "relief_peak_mw": relief_peak, "headroom_at_peak_mw": e.headroom_mw[at] if e.headroom_mw else 0.0,
        "coverable": e.coverable, "flex_assets": e.flex_assets[:3], "voltage_support": e.voltage_support,
        "curtailment": [{k: c[k] for k in ("asset_id", "name", "peak_mw", "mwh", "connected_on") if k in c}
                        for c in e.curtailment],
        "uncleared_mw": e.uncleared_mw, "confirmed": e.confirmed, "alarm": e.alarm_id,
    }


def _location_cards(episodes) -> list[dict]:
    """One card per constraint location: the most severe episode's figures (episodes come
    sorted by severity, then time), with every window the location is foreseen in."""
    groups: dict[tuple, list[ConstraintEpisode]] = {}
    for e in episodes:
        groups.setdefault((e.kind, e.element, e.name, e.direction), []).append(e)
    cards = []
    for group in groups.values():
        card = _episode_card(group[0])
        card["windows"] = [{"start": e.start.isoformat(), "end": e.end.isoformat(), "peak_value": e.peak_value,
                            "severity": e.severity} for e in sorted(group, key=lambda e: e.start)]
        cards.append(card)
    return cards


def curtailment_totals(network, *, limit: int = 10) -> list[dict]:
    """Cumulative curtailment instructed per generator (MWh), largest first."""
    from django.db.models import ExpressionWrapper, F, FloatField, Sum

    energy = ExpressionWrapper(F("mw") * F("interval_minutes") / 60.0, output_field=FloatField())
    rows = (CurtailmentInstruction.objects.filter(network=network).values("der_id", "der__name")
            .annotate(mwh=Sum(energy)).order_by("-mwh")[:limit])
    return [{"asset_id": r["der_id"], "name": r["der__name"], "mwh": round(r["mwh"], 4)} for r in rows]


def projection_cards(run: ProjectionRun | None) -> dict:
    """The MV/primary constraint locations the ANM manages (one card each) and the LV planning
    list (one row per location), all of them: the page's tiles count these lists, so a count and
    what is listed never disagree."""
    if run is None:
        return {"episodes": [], "lv_episodes": []}
    violations = list(run.episodes.filter(level="violation"))
    violations.sort(key=lambda e: (ORDER.get(e.severity, 9), e.start))
    mv = [e for e in violations if e.voltage_level != "lv"]
    lv = [e for e in violations if e.voltage_level == "lv"]
    return {"episodes": _location_cards(mv), "lv_episodes": _location_cards(lv)}


def projection_figures(run: ProjectionRun | None) -> dict:
    """The heatmap and timeline as Plotly figure JSON (None without a run)."""
    if run is None:
        return {"heatmap": None, "timeline": None}
    def build() -> dict:
        keys = [(r["element"], r.get("pp_index")) for r in (run.heatmap or {}).get("rows", [])]
        labels = element_labels(run.network, keys) if keys else {}
        return {"heatmap": heatmap_figure(run.heatmap, labels), "timeline": timeline_figure(run.timeline)}

    if run.finished_at is None:
        return build()
    # A finished run never changes: its figures are built once and cached (apps.common.figure_cache);
    # the network's revision is in the key because the heatmap names its elements.
    return figure_cached(key=f"projection:{run.pk}:{run.finished_at.timestamp()}:r{run.network.revision}",
                         build=build)


def projection_run_header(run: ProjectionRun | None) -> dict | None:
    """The run's header, as ``projection.finished`` carries it."""
    return None if run is None else dict(ProjectionRunSerializer(run).data)


def projection_payload(network) -> dict:
    """Everything the projections view draws: run facts, figures, the MV/primary constraint
    locations the ANM manages, the LV planning list, alarms."""
    run = latest_projection(network)
    return {
        "network": network.pk, "run": projection_run_header(run), "alarms": alarm_rows(open_alarms(network)),
        **projection_cards(run), **projection_figures(run), "curtailment": curtailment_totals(network),
    }
