"""ANM live events and the one serializer of each: an alarm row (the page's alarm list, the
alarms API and every ``alarm.*`` event) and a projection run (the page's run header, the
projection API's ``run`` and ``projection.finished``).

Client rules: an ``alarm.raised`` / ``alarm.escalated`` / ``alarm.acknowledged`` row replaces
the row with its id or is added (the list is ordered by severity, then breach time); an
``alarm.cleared`` row is removed. A live ``projection.finished`` replaces the run header, and
the page fetches its cards, lists and figures again (what-ifs, ``live`` false, are ignored).
"""
from __future__ import annotations

from rest_framework import serializers

from .calc.severity import ORDER
from .models import Alarm, ProjectionRun

ALARM_KINDS = ("alarm.raised", "alarm.escalated", "alarm.acknowledged", "alarm.cleared")


class AlarmSerializer(serializers.ModelSerializer):
    """An alarm as the control room sees it (page row, API row, event payload)."""

    network = serializers.IntegerField(source="network_id")
    acknowledged_by = serializers.SerializerMethodField()

    class Meta:
        model = Alarm
        fields = ["id", "network", "key", "title", "voltage_level", "state", "severity", "breach_at", "peak_value",
                  "unit", "acknowledged_by", "acknowledged_at"]

    def get_acknowledged_by(self, alarm: Alarm) -> str | None:
        user = alarm.acknowledged_by
        return (user.get_full_name() or user.username) if user else None


def alarm_sort_key(row: dict) -> tuple:
    """How the room's alarm list is ordered: most severe first, then the soonest breach."""
    return ORDER.get(row["severity"], 9), row["breach_at"], row["id"]


class ProjectionRunSerializer(serializers.ModelSerializer):
    """A finished projection run's header: when it runs, what it found (``summary``)."""

    network = serializers.IntegerField(source="network_id")
    study = serializers.IntegerField(source="study_id")
    prealarms = serializers.SerializerMethodField(help_text="MV pre-alarm episodes")

    class Meta:
        model = ProjectionRun
        fields = ["id", "study", "network", "live", "start", "issued_at", "finished_at", "steps", "step_minutes",
                  "summary", "prealarms"]

    def get_prealarms(self, run: ProjectionRun) -> int:
        return run.episodes.filter(level="prealarm", voltage_level="mv").count()


def register() -> None:
    from apps.live.events import REMOVE, REPLACE, UPSERT, event_kind_register

    for kind in ALARM_KINDS:
        event_kind_register(kind, serializer=AlarmSerializer, rule=REMOVE if kind == "alarm.cleared" else UPSERT)
    event_kind_register("projection.finished", serializer=ProjectionRunSerializer, rule=REPLACE,
                        doc="live runs replace the page's run header; the page refetches its partials")
