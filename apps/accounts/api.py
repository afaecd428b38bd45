from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import User


class MeSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name", default=None)
    organisation_kind = serializers.CharField(source="organisation.kind", default=None)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "role", "organisation", "organisation_kind"]


class MeView(APIView):
    """Who the caller is: role and organisation."""

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(request.user).data)
