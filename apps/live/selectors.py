from __future__ import annotations

from django.db.models import Max, QuerySet

from .models import Event, EventStream
from .streams import org_stream


def streams_for_user(user) -> list[str]:
    """The streams a user may follow: their organisation's."""
    if not user.is_authenticated or user.organisation_id is None:
        return []
    return [org_stream(user.organisation_id)]


REPLAY_LIMIT = 1000


def events_of(*, streams: list[str]) -> QuerySet[Event]:
    """Events of these streams in sequence order."""
    return Event.objects.filter(stream__name__in=streams).select_related("stream").order_by("seq")


def events_after(*, streams: list[str], after: int, limit: int = REPLAY_LIMIT) -> list[dict]:
    return [event.as_message() for event in events_of(streams=streams).filter(seq__gt=after)[:limit]]


def last_seq_for_user(user) -> int:
    streams = streams_for_user(user)
    return EventStream.objects.filter(name__in=streams).aggregate(m=Max("last_seq"))["m"] or 0
