from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import User, validate_time_zone
from .services import user_time_zone_set


class MeSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name", default=None)
    organisation_kind = serializers.CharField(source="organisation.kind", default=None)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "role", "organisation", "organisation_kind",
                  "time_zone"]


class MeUpdateSerializer(serializers.Serializer):
    time_zone = serializers.CharField(max_length=64, help_text="IANA time zone, e.g. Europe/London")

    def validate_time_zone(self, value: str) -> str:
        try:
            validate_time_zone(value.strip())
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value.strip()


class MeView(APIView):
    """Who the caller is (role and organisation) and their settings; PATCH changes the time zone."""

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses={200: MeSerializer})
    def patch(self, request):
        update = MeUpdateSerializer(data=request.data)
        update.is_valid(raise_exception=True)
        user = user_time_zone_set(user=request.user, time_zone=update.validated_data["time_zone"])
        return Response(MeSerializer(user).data)
