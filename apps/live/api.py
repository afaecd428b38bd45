from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import events_after, streams_for_user


class EventSerializer(serializers.Serializer):
    stream = serializers.CharField()
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    payload = serializers.DictField()
    at = serializers.DateTimeField()


class EventListView(APIView):
    """Events of your organisation's stream after a sequence number (the same replay the
    websocket performs on reconnect)."""

    @extend_schema(parameters=[OpenApiParameter("after", int, description="Last sequence number seen")],
                   responses={200: EventSerializer(many=True)})
    def get(self, request):
        try:
            after = max(int(request.query_params.get("after", 0)), 0)
        except ValueError:
            return Response({"detail": "'after' must be a whole number."}, status=400)
        return Response(events_after(streams=streams_for_user(request.user), after=after))
