"""REST API of forecasting: weather ingest, forecast runs, accuracy. DSO staff only.

Aggregators and the TSO get 403 from every endpoint here (the permission is role-based and is
checked before any lookup, so nothing about zones or runs is revealed).
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import IsDsoStaff
from apps.common.fields import WindowedDateTimeField
from apps.common.filters import bound_filterset
from apps.grid.models import Network

from .calc.weather_rows import FIELDS, MAX_ROWS, ROW_FIELDS, on_step, parse_datetime, valid_window
from .events import ForecastRunSerializer  # the forecast.issued event row, listed here too
from .filters import AccuracyFilterSet, ForecastRunFilterSet, WeatherZoneFilterSet
from .models import WeatherZone
from .selectors import (
    accuracy_rows,
    forecast_run_series,
    forecast_scores_for,
    forecast_runs_for,
    weather_forecasts_for,
    weather_zones_for,
)
from .services import ForecastInputError, WeatherIngestError, forecast_run_issue, weather_forecast_ingest

DSO_ONLY = [IsAuthenticated, IsDsoStaff]
ZONES_LISTED = 10  # zones named in the error for an unknown zone


# --- weather -------------------------------------------------------------------------------

class WeatherZoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = WeatherZone
        fields = ["id", "network", "name", "latitude", "longitude", "created_at"]


class WeatherZoneViewSet(viewsets.ReadOnlyModelViewSet):
    """Weather zones (the demo has one per network). Ingest forecasts by zone id."""

    serializer_class = WeatherZoneSerializer
    permission_classes = DSO_ONLY
    filterset_class = WeatherZoneFilterSet

    def get_queryset(self):
        return weather_zones_for(self.request.user).order_by("id")


class WeatherValueField(serializers.FloatField):
    """A finite number within the range of one weather variable (``calc.weather_rows.FIELDS``)."""

    default_error_messages = {"invalid": "must be a finite number.", "required": "is required.",
                              "null": "is required.", "range": "must be between {low:g} and {high:g} {unit} (got {value:g})."}

    def __init__(self, variable: str, **kwargs):
        self.low, self.high, self.unit = FIELDS[variable]
        super().__init__(min_value=self.low, max_value=self.high, **kwargs)  # documented in the schema
        self.validators = []  # the range is checked below, with the value in the message

    def to_internal_value(self, data) -> float:
        value = super().to_internal_value(data)
        if not self.low <= value <= self.high:
            self.fail("range", low=self.low, high=self.high, unit=self.unit, value=value)
        return value


class WeatherRowListSerializer(serializers.ListSerializer):
    """Numbers the rows as they are checked, so that a row can name the row it repeats."""

    def to_internal_value(self, data):
        self.child.row_number, self.child.seen = 0, {}
        return super().to_internal_value(data)

    def run_child_validation(self, data):
        self.child.row_number += 1
        return super().run_child_validation(data)


class WeatherRowSerializer(serializers.Serializer):
    """One quarter-hour of an issued weather forecast. Rows are checked against the envelope's
    ``issued_at`` (the 48 h after it) and each other (each ``valid_at`` once)."""

    valid_at = serializers.DateTimeField(
        help_text="Start of the quarter-hour, ISO 8601 with offset",
        error_messages={"required": "is required.", "null": "is required.",
                        "invalid": "must be an ISO 8601 time with a UTC offset, e.g. 2026-03-02T10:15:00Z."})
    ghi_w_m2 = WeatherValueField("ghi_w_m2")
    wind_speed_m_s = WeatherValueField("wind_speed_m_s")
    temperature_c = WeatherValueField("temperature_c")

    class Meta:
        list_serializer_class = WeatherRowListSerializer

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise ValidationError({"": ["must be an object with " + ", ".join(ROW_FIELDS) + "."]})
        errors = {field: ["is not a known field."] for field in sorted(set(data) - set(ROW_FIELDS))}
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            errors.update(exc.detail)
        if errors:
            raise ValidationError(errors)
        return value

    def run_validation(self, data=serializers.empty):
        self._given = data if isinstance(data, dict) else {}  # the row as sent, for the offset check
        return super().run_validation(data)

    def validate_valid_at(self, value: dt.datetime) -> dt.datetime:
        given = self._given.get("valid_at")
        if parse_datetime(given) is None:  # DRF would read a time without offset as UTC
            raise serializers.ValidationError(
                f"must be an ISO 8601 time with a UTC offset, e.g. 2026-03-02T10:15:00Z (got {given!r}).")
        if not on_step(value):
            raise serializers.ValidationError(f"must be on the quarter-hour (got {value.isoformat()}).")
        envelope = getattr(self.root, "initial_data", None)
        issued_at = parse_datetime(envelope.get("issued_at")) if isinstance(envelope, dict) else None
        if issued_at is not None:
            first, last = valid_window(issued_at)
            if not first <= value <= last:
                raise serializers.ValidationError(
                    f"must be between {first.isoformat()} and {last.isoformat()} (the 48 h after issue).")
        seen = getattr(self, "seen", {})
        if value in seen:
            raise serializers.ValidationError(f"repeats row {seen[value]} ({value.isoformat()}).")
        seen[value] = getattr(self, "row_number", 0)
        return value


def zone_choices_text(zones: list[WeatherZone], *, total: int) -> str:
    """The zones a caller may upload to (the first ``ZONES_LISTED`` of ``total``), as one
    sentence for an error message."""
    if not zones:
        return "you have no weather zones yet (load_demo or the admin makes one per network)."
    listed = "; ".join(f'{z.pk} "{z.name}" (network {z.network_id} "{z.network.name}")' for z in zones[:ZONES_LISTED])
    more = f" and {total - ZONES_LISTED} more" if total > ZONES_LISTED else ""
    return f"your zones are: {listed}{more} (GET /api/v1/forecasting/zones/)."


class WeatherIngestSerializer(serializers.Serializer):
    zone = serializers.IntegerField(min_value=1, max_value=2**63 - 1,
                                    help_text="Weather zone id (GET /api/v1/forecasting/zones/)")
    issued_at = WindowedDateTimeField(
        past=dt.timedelta(days=settings.INPUT_TIME_PAST_DAYS), future=dt.timedelta(hours=settings.WEATHER_ISSUED_FUTURE_HOURS),
        help_text="Issue time, ISO 8601 with offset, within the configured window of now")
    source = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    replace = serializers.BooleanField(default=False, help_text="Replace a stored issue with the same issued_at")
    rows = WeatherRowSerializer(many=True, allow_empty=False, max_length=MAX_ROWS)

    def validate_zone(self, value: int) -> WeatherZone:
        """One of the caller's zones (``context["zones"]``); an unknown id is answered with the
        zones that do exist for the caller, so that a provider can correct it."""
        zones = self.context["zones"]
        zone = zones.filter(pk=value).first()
        if zone is None:
            known = zone_choices_text(list(zones.order_by("id")[:ZONES_LISTED + 1]), total=zones.count())
            raise serializers.ValidationError(f"there is no weather zone {value}; {known}")
        return zone

    def validate_issued_at(self, value: dt.datetime) -> dt.datetime:
        # DRF would read a time without offset as UTC; a forecast's clock must be explicit.
        if parse_datetime(self.initial_data.get("issued_at")) is None:
            raise serializers.ValidationError("must be an ISO 8601 time with a UTC offset, e.g. 2026-03-02T06:00:00Z.")
        return value


class WeatherLatestSerializer(serializers.Serializer):
    zone = serializers.IntegerField()
    issued_at = serializers.DateTimeField(allow_null=True)
    rows = WeatherRowSerializer(many=True)


class WeatherQuerySerializer(serializers.Serializer):
    """Which zone's latest issue (one object, not a list to filter: a serializer, not a FilterSet)."""

    zone = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class WeatherIngestResultSerializer(serializers.Serializer):
    zone = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    stored = serializers.IntegerField()


def _flat_errors(detail) -> list[dict]:
    """DRF errors as one ``{row, field, message}`` list: ``row`` is 1-based for a row's
    problems, 0 for the envelope's."""
    out = []
    for field, messages in detail.items():
        if field == "rows" and isinstance(messages, dict) and all(isinstance(k, int) for k in messages):
            for index, row_errors in sorted(messages.items()):  # bad rows only, by 0-based index
                for row_field, row_messages in row_errors.items():
                    out.extend({"row": index + 1, "field": row_field, "message": str(m)} for m in row_messages)
            continue
        if isinstance(messages, dict):  # a problem of the list itself (empty, too long)
            messages = [m for ms in messages.values() for m in ms]
        for message in messages if isinstance(messages, list) else [messages]:
            out.append({"row": 0, "field": field, "message": str(message)})
    return out


class WeatherForecastView(APIView):
    """POST: ingest one issued weather forecast for a zone (all rows stored, or none).
    GET ``?zone=<id>``: the zone's latest issue."""

    permission_classes = DSO_ONLY

    @extend_schema(request=WeatherIngestSerializer, responses={201: WeatherIngestResultSerializer})
    def post(self, request):
        form = WeatherIngestSerializer(data=request.data, context={"zones": weather_zones_for(request.user)})
        try:
            form.is_valid(raise_exception=True)
        except ValidationError as exc:
            errors = _flat_errors(exc.detail) if isinstance(exc.detail, dict) else [{"row": 0, "field": "", "message": str(exc.detail)}]
            return Response({"detail": f"The weather forecast was rejected ({len(errors)} problem(s)); nothing was stored.",
                             "errors": errors},
                            status=status.HTTP_400_BAD_REQUEST)
        data = form.validated_data
        zone = data["zone"]
        try:
            stored = weather_forecast_ingest(zone=zone, issued_at=data["issued_at"], rows=data["rows"],
                                             source=data["source"], replace=data["replace"], actor=request.user)
        except WeatherIngestError as exc:
            return Response({"detail": str(exc), "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"zone": zone.pk, "issued_at": data["issued_at"], "stored": stored},
                        status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[WeatherQuerySerializer], responses={200: WeatherLatestSerializer})
    def get(self, request):
        query = WeatherQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        zone_id = query.validated_data["zone"]
        rows = weather_forecasts_for(request.user).filter(zone_id=zone_id)
        latest = rows.order_by("-issued_at").values_list("issued_at", flat=True).first()
        if latest is None:
            return Response({"zone": zone_id, "issued_at": None, "rows": []})
        data = list(rows.filter(issued_at=latest).order_by("valid_at").values(
            "valid_at", "ghi_w_m2", "wind_speed_m_s", "temperature_c"))
        return Response({"zone": zone_id, "issued_at": latest, "rows": data})


# --- forecast runs -------------------------------------------------------------------------

class ForecastRunDetailSerializer(ForecastRunSerializer):
    series = serializers.SerializerMethodField()

    class Meta(ForecastRunSerializer.Meta):
        fields = ForecastRunSerializer.Meta.fields + ["inputs", "series"]

    def get_series(self, run) -> dict:
        return forecast_run_series(run=run)


class ForecastRunCreateSerializer(serializers.Serializer):
    network = serializers.PrimaryKeyRelatedField(queryset=Network.objects.all())
    steps = serializers.IntegerField(min_value=1, max_value=672, default=192)
    step_minutes = serializers.ChoiceField(choices=[15, 30, 60], default=15)
    seed = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False, allow_null=True, default=None)


class ForecastRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Issued network forecasts with their totals per quantile. POST issues one now."""

    permission_classes = DSO_ONLY
    filterset_class = ForecastRunFilterSet

    def get_queryset(self):
        return forecast_runs_for(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return ForecastRunCreateSerializer
        return ForecastRunDetailSerializer if self.action == "retrieve" else ForecastRunSerializer

    @extend_schema(request=ForecastRunCreateSerializer, responses={201: ForecastRunDetailSerializer})
    def create(self, request, *args, **kwargs):
        form = ForecastRunCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            run = forecast_run_issue(network=data["network"], steps=data["steps"], step_minutes=data["step_minutes"],
                                     seed=data["seed"], actor=request.user)
        except ForecastInputError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(ForecastRunDetailSerializer(run).data, status=status.HTTP_201_CREATED)


# --- accuracy ------------------------------------------------------------------------------

class AccuracyRowSerializer(serializers.Serializer):
    quantity = serializers.CharField()
    label = serializers.CharField()
    band = serializers.CharField()
    runs = serializers.IntegerField()
    n = serializers.IntegerField()
    mae = serializers.FloatField()
    pinball = serializers.FloatField()
    coverage = serializers.FloatField(allow_null=True)


class AccuracySerializer(serializers.Serializer):
    network = serializers.IntegerField()
    bands = AccuracyRowSerializer(many=True)


class ForecastAccuracyView(GenericAPIView):
    """Forecast accuracy of a network per quantity and lead-time band (0–6 h, 6–24 h, 24–48 h):
    MAE of the P50, mean pinball loss over P10/P50/P90, and P10–P90 coverage."""

    permission_classes = DSO_ONLY
    filterset_class = AccuracyFilterSet
    serializer_class = AccuracySerializer
    pagination_class = None

    def get_queryset(self):
        return forecast_scores_for(self.request.user)

    @extend_schema(filters=True, responses={200: AccuracySerializer})
    def get(self, request):
        filterset = bound_filterset(self, self.get_queryset())
        rows = accuracy_rows(filterset.qs)
        network = filterset.form.cleaned_data["network"]
        return Response({"network": network.pk, "bands": AccuracyRowSerializer(rows, many=True).data})
