from __future__ import annotations

import json

from django.conf import settings
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from apps.accounts.permissions import IsDsoStaff
from apps.grid.models import Network

from .models import StudyRun
from .selectors import study_runs_for
from .services import study_run_create


class NoParametersSerializer(serializers.Serializer):
    """A kind that takes no parameters: any key is an error."""


def _parameter_serializers() -> dict:
    from apps.anm.api import ProjectionParametersSerializer

    return {StudyRun.Kind.SNAPSHOT: NoParametersSerializer, StudyRun.Kind.PROJECTION: ProjectionParametersSerializer}


class StudyRunSerializer(serializers.ModelSerializer):
    network = serializers.PrimaryKeyRelatedField(queryset=Network.objects.all())
    duration_s = serializers.FloatField(read_only=True, allow_null=True)
    parameters = serializers.DictField(
        required=False, default=dict,
        help_text="Per kind: none for snapshot; start, steps, step_minutes, seed for projection")

    class Meta:
        model = StudyRun
        fields = ["id", "kind", "network", "parameters", "state", "progress", "stage", "result", "error",
                  "created_at", "started_at", "finished_at", "duration_s"]
        read_only_fields = ["state", "progress", "stage", "result", "error", "created_at", "started_at", "finished_at"]

    def validate(self, attrs):
        parameters = attrs.get("parameters") or {}
        if len(json.dumps(parameters, default=str)) > settings.STUDY_PARAMETERS_MAX_BYTES:
            raise serializers.ValidationError({"parameters": "are too large."})
        form = _parameter_serializers()[attrs["kind"]](data=parameters)
        if not form.is_valid():
            raise serializers.ValidationError({"parameters": form.errors})
        unknown = sorted(set(parameters) - set(form.fields))
        if unknown:
            raise serializers.ValidationError({"parameters": {key: ["is not a parameter of this kind."] for key in unknown}})
        attrs["parameters"] = form.validated_data
        return attrs


class StudyRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Study runs of your organisation. POST queues one (DSO staff); poll it or follow the live
    stream for its progress."""

    serializer_class = StudyRunSerializer
    filterset_fields = ["kind", "state", "network"]

    def get_queryset(self):
        return study_runs_for(self.request.user)

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), IsDsoStaff()]
        return super().get_permissions()

    def perform_create(self, serializer):
        data = serializer.validated_data
        if data["kind"] == StudyRun.Kind.PROJECTION:
            from apps.anm.services import projection_request  # fills in and validates its inputs

            params = data["parameters"]
            serializer.instance = projection_request(
                network=data["network"], requested_by=self.request.user, start=params.get("start"),
                steps=params["steps"], step_minutes=int(params["step_minutes"]), seed=params.get("seed"))
            return
        serializer.instance = study_run_create(
            kind=data["kind"], network=data["network"], parameters=data.get("parameters"), requested_by=self.request.user
        )
