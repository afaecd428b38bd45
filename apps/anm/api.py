"""ANM API for DSO staff: the latest projection, running one, alarms and their acknowledgement."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import IsDsoStaff
from apps.common.fields import WindowedDateTimeField
from apps.grid.models import Network

from .events import AlarmSerializer, ProjectionRunSerializer
from .filters import AlarmFilterSet
from .models import Alarm
from .selectors import alarm_rows, projection_payload
from .services import ProjectionInputError, alarm_acknowledge, projection_request

STAFF = [IsAuthenticated, IsDsoStaff]


SEED_MAX = 2**63 - 1  # stored in a BigIntegerField


class ProjectionParametersSerializer(serializers.Serializer):
    """What a caller may choose about a projection (also the ``parameters`` of a projection study)."""

    start = WindowedDateTimeField(
        required=False, past=dt.timedelta(days=settings.INPUT_TIME_PAST_DAYS),
        future=dt.timedelta(days=settings.PROJECTION_START_FUTURE_DAYS),
        help_text="First valid time with a UTC offset (default: now); within the configured window of now")
    steps = serializers.IntegerField(required=False, default=192, min_value=1, max_value=192)
    step_minutes = serializers.ChoiceField(choices=[15, 30, 60], required=False, default=15)
    seed = serializers.IntegerField(required=False, min_value=0, max_value=SEED_MAX)

    def validate(self, attrs):
        # 48 h at most, whatever the step (the service enforces the same).
        if attrs["steps"] * int(attrs["step_minutes"]) > 48 * 60:
            raise serializers.ValidationError({"steps": "steps × step_minutes must not exceed 48 hours."})
        return attrs


class ProjectionRequestSerializer(ProjectionParametersSerializer):
    network = serializers.PrimaryKeyRelatedField(queryset=Network.objects.all())


class NetworkQuerySerializer(serializers.Serializer):
    """Which network's projection (one object, not a list to filter: a serializer, not a FilterSet)."""

    network = serializers.PrimaryKeyRelatedField(queryset=Network.objects.all())


class ProjectionPayloadSerializer(serializers.Serializer):
    """The projection view's data (figures are Plotly JSON objects)."""

    network = serializers.IntegerField()
    run = ProjectionRunSerializer(allow_null=True)
    alarms = AlarmSerializer(many=True)
    episodes = serializers.ListField(child=serializers.DictField())
    lv_episodes = serializers.ListField(child=serializers.DictField())
    heatmap = serializers.DictField(allow_null=True)
    timeline = serializers.DictField(allow_null=True)
    curtailment = serializers.ListField(child=serializers.DictField())


class ProjectionCreatedSerializer(serializers.Serializer):
    study = serializers.IntegerField()
    state = serializers.CharField()


class ProjectionView(APIView):
    """GET the latest projection of a network (``?network=<id>``); POST to run one now."""

    permission_classes = STAFF

    @extend_schema(parameters=[NetworkQuerySerializer], responses={200: ProjectionPayloadSerializer})
    def get(self, request):
        query = NetworkQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(projection_payload(query.validated_data["network"]))

    @extend_schema(request=ProjectionRequestSerializer, responses={201: ProjectionCreatedSerializer})
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


class AlarmListView(ListAPIView):
    """Alarms of a network (``?network=<id>``, ``&state=active|acknowledged|cleared``)."""

    permission_classes = STAFF
    serializer_class = AlarmSerializer
    filterset_class = AlarmFilterSet
    pagination_class = None  # at most 500, worst first

    def get_queryset(self):
        return Alarm.objects.select_related("acknowledged_by")

    def list(self, request, *args, **kwargs):
        return Response(alarm_rows(self.filter_queryset(self.get_queryset())[:500]))


class AlarmAcknowledgeView(APIView):
    """Acknowledge an alarm: who and when are recorded and shown to the whole control room."""

    permission_classes = STAFF

    @extend_schema(request=None, responses={200: AlarmSerializer, 409: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        alarm = get_object_or_404(Alarm, pk=pk)
        try:
            alarm = alarm_acknowledge(alarm=alarm, user=request.user)
        except ProjectionInputError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(AlarmSerializer(alarm).data)
