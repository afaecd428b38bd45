"""Forecast live events (``forecast.issued``) and their one serializer: a forecast run row, as
the forecast runs API lists it and as the event carries it.

Client rule: the row replaces the row with its id, or is added at the top (newest first).
"""
from __future__ import annotations

from rest_framework import serializers

from .models import ForecastRun


class ForecastRunSerializer(serializers.ModelSerializer):
    end = serializers.DateTimeField(read_only=True)

    class Meta:
        model = ForecastRun
        fields = ["id", "network", "issued_at", "start", "end", "steps", "step_minutes", "seed", "weather_source",
                  "scored_through", "fully_scored", "created_at"]


def register() -> None:
    from apps.live.events import UPSERT, event_kind_register

    event_kind_register("forecast.issued", serializer=ForecastRunSerializer, rule=UPSERT)
