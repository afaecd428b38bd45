from __future__ import annotations

import json

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.accounts.permissions import IsDsoStaff
from apps.common.figure_cache import figure_blob, figure_response

from .filters import StudyRunFilterSet
from .models import StudyRun
from .registry import study_kind
from .selectors import study_runs_for
from .services import StudyCancelError, study_run_cancel, study_run_create


class NoParametersSerializer(serializers.Serializer):
    """A kind that takes no parameters: any key is an error."""


class StudyRunSerializer(serializers.ModelSerializer):
    duration_s = serializers.FloatField(read_only=True, allow_null=True)
    parameters = serializers.DictField(
        required=False, default=dict,
        help_text="Validated by the kind's own parameters (e.g. none for snapshot; start, steps, step_minutes, "
                  "seed for projection)")

    class Meta:
        model = StudyRun
        fields = ["id", "kind", "network", "parameters", "state", "progress", "stage", "result", "error",
                  "created_at", "started_at", "finished_at", "duration_s"]
        read_only_fields = ["state", "progress", "stage", "result", "error", "created_at", "started_at", "finished_at"]
        # kind: the registered kinds (the model field's choices); network: any network, required.
        extra_kwargs = {"network": {"required": True, "allow_null": False}}

    def validate(self, attrs):
        parameters = attrs.get("parameters") or {}
        if len(json.dumps(parameters, default=str)) > settings.STUDY_PARAMETERS_MAX_BYTES:
            raise serializers.ValidationError({"parameters": "are too large."})
        form = (study_kind(attrs["kind"]).parameters or NoParametersSerializer)(data=parameters)
        if not form.is_valid():
            raise serializers.ValidationError({"parameters": form.errors})
        unknown = sorted(set(parameters) - set(form.fields))
        if unknown:
            raise serializers.ValidationError({"parameters": {key: ["is not a parameter of this kind."] for key in unknown}})
        attrs["parameters"] = form.validated_data
        return attrs


class StudyRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Study runs of your organisation. POST queues one (DSO staff); poll it or follow the live
    stream for its progress; cancel one that has not finished (its requester or DSO staff)."""

    serializer_class = StudyRunSerializer
    filterset_class = StudyRunFilterSet

    def get_queryset(self):
        return study_runs_for(self.request.user)

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), IsDsoStaff()]
        return super().get_permissions()

    def perform_create(self, serializer):
        data = serializer.validated_data
        request = study_kind(data["kind"]).request  # a kind that fills in its own inputs
        if request is not None:
            serializer.instance = request(network=data["network"], requested_by=self.request.user,
                                          parameters=data["parameters"])
            return
        serializer.instance = study_run_create(
            kind=data["kind"], network=data["network"], parameters=data.get("parameters"), requested_by=self.request.user
        )

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Plotly figure JSON"),
                              404: OpenApiTypes.OBJECT})
    @action(detail=True)
    def figure(self, request, pk=None):
        """Plotly figure JSON of a finished study, for a kind that draws one (a snapshot colours
        the network by its voltages and loadings)."""
        run = self.get_object()
        draw = study_kind(run.kind).figure
        if draw is None or run.state != StudyRun.State.SUCCEEDED:
            return Response({"detail": "This study has no figure to show."}, status=404)
        # A finished run's result never changes: its figure is built once and cached.
        return figure_response(request, figure_blob(key=f"study:{run.pk}", build=lambda: draw(run)), immutable=True)

    @extend_schema(request=None, responses={200: StudyRunSerializer, 409: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a queued or running study: it finishes as cancelled; a running attempt's outcome
        is discarded."""
        try:
            run = study_run_cancel(run=self.get_object(), user=request.user)
        except StudyCancelError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(run).data)
