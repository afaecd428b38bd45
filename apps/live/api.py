from __future__ import annotations

from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from .filters import EventFilterSet
from .models import Event
from .selectors import REPLAY_LIMIT, events_of, streams_for_user


class EventSerializer(serializers.ModelSerializer):
    """The shape of :meth:`~apps.live.models.Event.as_message` (what the websocket sends too)."""

    stream = serializers.CharField(source="stream.name")
    at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Event
        fields = ["stream", "seq", "kind", "payload", "at"]


class EventListView(ListAPIView):
    """Events of your organisation's stream after a sequence number (the same replay the
    websocket performs on reconnect)."""

    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    pagination_class = None  # bounded by REPLAY_LIMIT instead

    def get_queryset(self):
        return events_of(streams=streams_for_user(self.request.user))

    def list(self, request, *args, **kwargs):
        events = self.filter_queryset(self.get_queryset())[:REPLAY_LIMIT]
        return Response([event.as_message() for event in events])
