"""ANM reads: the latest projection of a network and what the control room sees of it."""
from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from .calc.severity import ORDER
from .figures import heatmap_figure, timeline_figure
from .models import Alarm, ConstraintEpisode, ProjectionRun

CARDS = 24


def latest_projection(network) -> ProjectionRun | None:
    return (ProjectionRun.objects.filter(network=network, finished_at__isnull=False)
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
        "start": e.start.isoformat(), "end": e.end.isoformat(), "peak_at": e.peak_at.isoformat(),
        "peak_value": e.peak_value, "limit": e.limit, "unit": e.unit, "quantiles": e.quantiles,
        "relief_peak_mw": relief_peak, "headroom_at_peak_mw": e.headroom_mw[at] if e.headroom_mw else 0.0,
        "coverable": e.coverable, "flex_assets": e.flex_assets[:3], "curtailment": e.curtailment,
        "alarm": e.alarm_id,
    }


def projection_payload(network) -> dict:
    """Everything the projections view draws: run facts, figures, episode cards, alarms."""
    run = latest_projection(network)
    alarms = alarm_rows(open_alarms(network))
    if run is None:
        return {"network": network.pk, "run": None, "alarms": alarms, "episodes": [], "heatmap": None, "timeline": None}
    violations = list(run.episodes.filter(level="violation"))
    violations.sort(key=lambda e: (ORDER.get(e.severity, 9), e.start))
    return {
        "network": network.pk,
        "run": {
            "id": run.pk, "study": run.study_id, "start": run.start.isoformat(), "issued_at": run.issued_at.isoformat(),
            "finished_at": run.finished_at.isoformat(), "steps": run.steps, "step_minutes": run.step_minutes,
            "age_s": (timezone.now() - run.finished_at).total_seconds(), "summary": run.summary,
            "prealarms": run.episodes.filter(level="prealarm").count(),
        },
        "episodes": [_episode_card(e) for e in violations[:CARDS]],
        "alarms": alarms,
        "heatmap": heatmap_figure(run.heatmap),
        "timeline": timeline_figure(run.timeline),
    }
