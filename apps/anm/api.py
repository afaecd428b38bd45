"""ANM API for DSO staff: the latest projection, running one, alarms and their acknowledgement."""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import IsDsoStaff
from apps.grid.models import Network

from .models import Alarm
from .selectors import alarm_rows, projection_payload
from .services import ProjectionInputError, alarm_acknowledge, projection_request

STAFF = [IsAuthenticated, IsDsoStaff]


class ProjectionRequestSerializer(serializers.Serializer):
    network = serializers.PrimaryKeyRelatedField(queryset=Network.objects.all())
    start = serializers.DateTimeField(required=False, help_text="First valid time (default: now)")
    steps = serializers.IntegerField(required=False, default=192, min_value=1, max_value=192)
    step_minutes = serializers.ChoiceField(choices=[15, 30, 60], required=False, default=15)
    seed = serializers.IntegerField(required=False)


class ProjectionView(APIView):
    """GET the latest projection of a network (``?network=<id>``); POST to run one now."""

    permission_classes = STAFF

    @extend_schema(parameters=[OpenApiParameter("network", int, required=True)])
    def get(self, request):
        network = get_object_or_404(Network, pk=request.query_params.get("network") or 0)
        return Response(projection_payload(network))

    @extend_schema(request=ProjectionRequestSerializer)
    def post(self, request):
        form = ProjectionRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            study = projection_request(network=data["network"], requested_by=request.user, start=data.get("start"),
                                       steps=data["steps"], step_minutes=int(data["step_minutes"]), seed=data.get("seed"))
        except ProjectionInputError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"study": study.pk, "state": study.state}, status=status.HTTP_201_CREATED)


class AlarmListView(APIView):
    """Alarms of a network (``?network=<id>``, ``&state=active|acknowledged|cleared``)."""

    permission_classes = STAFF

    def get(self, request):
        alarms = Alarm.objects.select_related("acknowledged_by").filter(network_id=request.query_params.get("network") or 0)
        if state := request.query_params.get("state"):
            alarms = alarms.filter(state=state)
        return Response(alarm_rows(alarms[:500]))


class AlarmAcknowledgeView(APIView):
    """Acknowledge an alarm: who and when are recorded and shown to the whole control room."""

    permission_classes = STAFF

    def post(self, request, pk: int):
        alarm = get_object_or_404(Alarm, pk=pk)
        try:
            alarm = alarm_acknowledge(alarm=alarm, user=request.user)
        except ProjectionInputError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(alarm.as_event())
