from __future__ import annotations

from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from apps.accounts.permissions import IsDsoStaff
from apps.grid.models import Network

from .models import StudyRun
from .selectors import study_runs_for
from .services import study_run_create


class StudyRunSerializer(serializers.ModelSerializer):
    network = serializers.PrimaryKeyRelatedField(queryset=Network.objects.all())
    duration_s = serializers.FloatField(read_only=True)

    class Meta:
        model = StudyRun
        fields = ["id", "kind", "network", "parameters", "state", "progress", "stage", "result", "error",
                  "created_at", "started_at", "finished_at", "duration_s"]
        read_only_fields = ["state", "progress", "stage", "result", "error", "created_at", "started_at", "finished_at"]


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

            serializer.instance = projection_request(network=data["network"], requested_by=self.request.user)
            return
        serializer.instance = study_run_create(
            kind=data["kind"], network=data["network"], parameters=data.get("parameters"), requested_by=self.request.user
        )
