"""REST API of the network registry."""
from __future__ import annotations

import json
import math

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.accounts.permissions import IsDsoStaff, IsEngineer
from apps.common.figure_cache import figure_response

from apps.studies.selectors import study_run_latest_succeeded

from .figures import figure_zoomed
from .filters import DERAssetFilterSet, PremiseFilterSet
from .models import DERAsset, Feeder, Network, Premise
from .pandapower_io import NetworkImportError
from .selectors import (
    der_assets_for,
    feeder_bounds,
    network_figure_blob,
    network_summary,
    networks_for,
    premises_for,
    snapshot_worst,
)
from .services import network_export_json, network_import


class NetworkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Network
        fields = ["id", "name", "source", "description", "curtailment_rule", "created_at"]


class NetworkImportSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    simbench_code = serializers.CharField(max_length=100, required=False, allow_blank=True)
    file = serializers.FileField(required=False, help_text="pandapower JSON")
    replace = serializers.BooleanField(default=False)

    def validate(self, attrs):
        if bool(attrs.get("simbench_code")) == bool(attrs.get("file")):
            raise serializers.ValidationError("Give exactly one of 'simbench_code' or 'file'.")
        if attrs.get("file") and not attrs.get("name"):
            raise serializers.ValidationError({"name": "A name is required when uploading a file."})
        return attrs


@extend_schema_field(OpenApiTypes.DOUBLE)
class FiniteFloatField(serializers.FloatField):
    """A float that is written as null when it is not finite (JSON has no Infinity or NaN)."""

    def to_representation(self, value):
        value = super().to_representation(value)
        return value if math.isfinite(value) else None


class DERKindTotalSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    mw = FiniteFloatField(allow_null=True)


class NetworkSummarySerializer(serializers.Serializer):
    buses = serializers.IntegerField()
    lines = serializers.IntegerField()
    substations = serializers.DictField(child=serializers.IntegerField())
    feeders = serializers.IntegerField()
    loads = serializers.IntegerField()
    load_mw = FiniteFloatField(allow_null=True)
    der = serializers.DictField(child=DERKindTotalSerializer())
    pv_mw = FiniteFloatField(allow_null=True)
    wind_mw = FiniteFloatField(allow_null=True)
    battery_mw = FiniteFloatField(allow_null=True)
    battery_mwh = FiniteFloatField(allow_null=True)
    ev_chargers = serializers.IntegerField()


class PremiseSerializer(serializers.ModelSerializer):
    bus = serializers.CharField(source="bus.name")
    owner = serializers.CharField(source="owner.name", default=None, allow_null=True)

    class Meta:
        model = Premise
        fields = ["id", "network", "name", "reference", "address", "bus", "owner"]


class DERAssetSerializer(serializers.ModelSerializer):
    bus = serializers.CharField(source="bus.name")
    owner = serializers.CharField(source="owner.name", default=None, allow_null=True)
    rated_mw = FiniteFloatField(allow_null=True)
    sn_mva = FiniteFloatField(allow_null=True)
    p_mw = FiniteFloatField(allow_null=True)
    q_mvar = FiniteFloatField(allow_null=True)
    capacity_mwh = FiniteFloatField(allow_null=True)

    class Meta:
        model = DERAsset
        fields = ["id", "network", "name", "kind", "status", "premise", "owner", "bus", "rated_mw", "sn_mva",
                  "p_mw", "q_mvar", "capacity_mwh", "profile", "connected_on"]


FEEDER_PARAM = OpenApiParameter("feeder", int, description="A feeder of the network: zoom / restrict to it")


class ReadingSerializer(serializers.Serializer):
    kind = serializers.CharField()
    key = serializers.CharField(help_text="'<kind>:<pandapower index>'")
    name = serializers.CharField()
    feeder = serializers.CharField()
    value = serializers.FloatField(help_text="% loading (lines, transformers) or pu (buses)")
    limit = serializers.CharField(help_text="rating in MVA, or the voltage band")
    share = serializers.FloatField(help_text="fraction of the limit used; 1.0 = at the limit")
    text = serializers.CharField(help_text="the hover text, e.g. Line 'L12' · feeder F3 · 87 % of 0.29 MVA")


class WorstSerializer(serializers.Serializer):
    study = serializers.IntegerField(allow_null=True)
    solved_at = serializers.DateTimeField(allow_null=True)
    inputs = serializers.DictField(allow_null=True)
    elements = ReadingSerializer(many=True)


class NetworkViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NetworkSerializer

    def get_queryset(self):
        return networks_for(self.request.user)

    def get_permissions(self):
        if self.action == "import_network":
            return [IsAuthenticated(), IsEngineer()]
        if self.action in {"export", "figure", "summary", "worst"}:
            return [IsAuthenticated(), IsDsoStaff()]
        return super().get_permissions()

    @extend_schema(responses={200: NetworkSummarySerializer})
    @action(detail=True)
    def summary(self, request, pk=None):
        return Response(NetworkSummarySerializer(network_summary(self.get_object())).data)

    def _feeder(self, network) -> Feeder | None:
        raw = self.request.query_params.get("feeder") or ""
        if not raw:
            return None
        feeder = Feeder.objects.filter(network=network, pk=raw).first() if raw.isdigit() else None
        if feeder is None:
            raise serializers.ValidationError({"feeder": f"No feeder {raw!r} in this network."})
        return feeder

    @extend_schema(parameters=[FEEDER_PARAM],
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Plotly figure JSON")})
    @action(detail=True)
    def figure(self, request, pk=None):
        """Plotly figure JSON of the network (coloured by a snapshot study: /api/v1/studies/<id>/figure/);
        with ``?feeder=<id>`` its axes are zoomed to that feeder's buses.

        Built once per network revision and cached (gzipped for a client that accepts it); with
        ``?revision=`` equal to the current one the browser may keep it."""
        network = self.get_object()
        feeder = self._feeder(network)
        box = feeder_bounds(network).get(feeder.pk) if feeder else None
        blob = network_figure_blob(network=network)
        if box is not None:
            return Response(figure_zoomed(json.loads(blob.plain), box))
        immutable = request.query_params.get("revision") == str(network.revision)
        return figure_response(request, blob, immutable=immutable)

    @extend_schema(parameters=[FEEDER_PARAM], responses={200: WorstSerializer})
    @action(detail=True)
    def worst(self, request, pk=None):
        """The elements of the latest snapshot power flow using most of their limit, worst first
        (lines and transformers by loading, buses by voltage against their band); ``?feeder=<id>``
        keeps one feeder's. ``share`` is the fraction of the limit used (1.0 = at the limit)."""
        network = self.get_object()
        feeder = self._feeder(network)
        run = study_run_latest_succeeded(network=network, kind="snapshot")
        readings = snapshot_worst(network, run.result, feeder=feeder) if run else []
        return Response(WorstSerializer({"study": run.pk if run else None,
                                         "solved_at": run.finished_at if run else None,
                                         "inputs": (run.result or {}).get("inputs") if run else None,
                                         "elements": readings}).data)

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="pandapower JSON network")})
    @action(detail=True)
    def export(self, request, pk=None):
        """The network as a pandapower JSON file."""
        network = self.get_object()
        response = HttpResponse(network_export_json(network=network), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="network-{network.pk}.json"'
        return response

    @extend_schema(request=NetworkImportSerializer, responses={201: NetworkSerializer, 400: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser, JSONParser])
    def import_network(self, request):
        """Import a network from a SimBench code or a pandapower JSON upload (engineers only)."""
        form = NetworkImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            network = network_import(name=data.get("name", ""), simbench_code=data.get("simbench_code", ""),
                                     file=data.get("file"), actor=request.user, replace=data["replace"])
        except NetworkImportError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(NetworkSerializer(network).data, status=status.HTTP_201_CREATED)


class PremiseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PremiseSerializer
    filterset_class = PremiseFilterSet

    def get_queryset(self):
        return premises_for(self.request.user).order_by("id")


class DERAssetViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = DERAssetSerializer
    filterset_class = DERAssetFilterSet

    def get_queryset(self):
        return der_assets_for(self.request.user).order_by("id")
