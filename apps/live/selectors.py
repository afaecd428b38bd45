from __future__ import annotations

from django.db.models import Max

from .models import Event, EventStream
from .streams import org_stream


def streams_for_user(user) -> list[str]:
    """The streams a user may follow: their organisation's."""
    if not user.is_authenticated or user.organisation_id is None:
        return []
    return [org_stream(user.organisation_id)]


def events_after(*, streams: list[str], after: int, limit: int = 1000) -> list[dict]:
    qs = (
        Event.objects.filter(stream__name__in=streams, seq__gt=after)
        .select_related("stream")
        .order_by("seq")[:limit]
    )
    return [event.as_message() for event in qs]


def last_seq_for_user(user) -> int:
    streams = streams_for_user(user)
    return EventStream.objects.filter(name__in=streams).aggregate(m=Max("last_seq"))["m"] or 0
