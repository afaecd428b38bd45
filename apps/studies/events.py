"""Study live events (``study.queued``, ``study.progress``, ``study.finished``) and their one
serializer: the study row a page lists (id, kind, state, progress, stage, error); the studies
API row carries the same fields and more.

Client rule: the row replaces the row with its id, or is added at the top (newest first).
"""
from __future__ import annotations

from rest_framework import serializers

from .models import StudyRun

STUDY_KINDS = ("study.queued", "study.progress", "study.finished")


class StudyRunEventSerializer(serializers.ModelSerializer):
    network = serializers.IntegerField(source="network_id", allow_null=True)

    class Meta:
        model = StudyRun
        fields = ["id", "kind", "network", "state", "progress", "stage", "error"]


def register() -> None:
    from apps.live.events import UPSERT, event_kind_register

    for kind in STUDY_KINDS:
        event_kind_register(kind, serializer=StudyRunEventSerializer, rule=UPSERT)
