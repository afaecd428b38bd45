"""REST API of the network registry."""
from __future__ import annotations

import math

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.accounts.permissions import IsDsoStaff, IsEngineer

from .figures import network_figure
from .filters import DERAssetFilterSet, PremiseFilterSet
from .models import DERAsset, Network, Premise
from .pandapower_io import NetworkImportError
from .selectors import der_assets_for, network_summary, networks_for, premises_for
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


class NetworkViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NetworkSerializer

    def get_queryset(self):
        return networks_for(self.request.user)

    def get_permissions(self):
        if self.action == "import_network":
            return [IsAuthenticated(), IsEngineer()]
        if self.action in {"export", "figure", "summary"}:
            return [IsAuthenticated(), IsDsoStaff()]
        return super().get_permissions()

    @extend_schema(responses={200: NetworkSummarySerializer})
    @action(detail=True)
    def summary(self, request, pk=None):
        return Response(NetworkSummarySerializer(network_summary(self.get_object())).data)

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Plotly figure JSON")})
    @action(detail=True)
    def figure(self, request, pk=None):
        """Plotly figure JSON of the network (coloured by a snapshot study: /api/v1/studies/<id>/figure/)."""
        return Response(network_figure(self.get_object()))

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
