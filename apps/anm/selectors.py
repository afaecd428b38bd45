"""ANM reads: the latest projection of a network and what the control room sees of it."""
from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from .calc.severity import ORDER
from .figures import heatmap_figure, timeline_figure
from .models import Alarm, ConstraintEpisode, CurtailmentInstruction, ProjectionRun
from .services import location_title

CARDS = 24


def latest_projection(network) -> ProjectionRun | None:
    """The live projection the control room acts on (what-ifs are kept apart)."""
    return (ProjectionRun.objects.filter(network=network, live=True, finished_at__isnull=False)
            .select_related("study").order_by("-finished_at", "-id").first())


def open_alarms(network) -> QuerySet[Alarm]:
    return (Alarm.objects.filter(network=network).exclude(state=Alarm.State.CLEARED)
            .select_related("acknowledged_by").order_by("breach_at", "id"))


def alarm_rows(alarms) -> list[dict]:
    rows = [alarm.as_event() | {"peak_value": alarm.peak_value, "unit": alarm.unit} for alarm in alarms]
    return sorted(rows, key=lambda a: (ORDER.get(a["severity"], 9), a["breach_at"]))


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


def projection_payload(network) -> dict:
    """Everything the projections view draws: run facts, figures, the MV/primary constraint
    locations the ANM manages, the LV planning list, alarms."""
    run = latest_projection(network)
    alarms = alarm_rows(open_alarms(network))
    base = {"network": network.pk, "alarms": alarms, "episodes": [], "lv_episodes": [], "heatmap": None,
            "timeline": None, "curtailment": curtailment_totals(network)}
    if run is None:
        return {**base, "run": None}
    violations = list(run.episodes.filter(level="violation"))
    violations.sort(key=lambda e: (ORDER.get(e.severity, 9), e.start))
    mv = [e for e in violations if e.voltage_level != "lv"]
    lv = [e for e in violations if e.voltage_level == "lv"]
    return {
        **base,
        "run": {
            "id": run.pk, "study": run.study_id, "start": run.start.isoformat(), "issued_at": run.issued_at.isoformat(),
            "finished_at": run.finished_at.isoformat(), "steps": run.steps, "step_minutes": run.step_minutes,
            "age_s": (timezone.now() - run.finished_at).total_seconds(), "summary": run.summary,
            "prealarms": run.episodes.filter(level="prealarm", voltage_level="mv").count(),
        },
        "episodes": _location_cards(mv)[:CARDS],
        "lv_episodes": [_episode_card(e) for e in lv[:CARDS]],
        "heatmap": heatmap_figure(run.heatmap),
        "timeline": timeline_figure(run.timeline),
    }
