"""Publishing live events: the row is written in the caller's transaction; the push to
websockets happens only once that transaction commits."""
from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction

from .models import Event, EventStream
from .streams import org_stream

log = logging.getLogger(__name__)


def group_name(stream: str) -> str:
    return f"live.{stream}"


def _push(message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(message["stream"]), {"type": "live.event", "event": message})
    except Exception as exc:  # noqa: BLE001 - a Redis blink must not fail the write; clients replay.
        log.warning("live push failed for %s#%s (%s: %s); clients will replay it", message["stream"], message["seq"],
                    exc.__class__.__name__, exc)


def _locked_stream(name: str) -> EventStream:
    try:
        with transaction.atomic():
            EventStream.objects.get_or_create(name=name)
    except IntegrityError:
        pass  # created concurrently: fine
    return EventStream.objects.select_for_update().get(name=name)


@transaction.atomic
def event_publish(*, stream: str, kind: str, payload: dict) -> Event:
    """Append an event to ``stream`` and push it to subscribers on commit.

    Parameters
    ----------
    stream: the stream name, e.g. an organisation's ``org-<id>``.
    kind: a dotted event type such as ``study.progress``.
    payload: JSON-serialisable data for the client.
    """
    locked = _locked_stream(stream)
    locked.last_seq += 1
    locked.save(update_fields=["last_seq"])
    event = Event.objects.create(stream=locked, seq=locked.last_seq, kind=kind, payload=payload)
    message = event.as_message()
    transaction.on_commit(lambda: _push(message))
    return event


def event_publish_to_dso(*, kind: str, payload: dict) -> None:
    """Publish to the control room: every DSO organisation's stream."""
    from apps.accounts.models import Organisation

    for organisation in Organisation.objects.filter(kind=Organisation.Kind.DSO):
        event_publish(stream=org_stream(organisation.pk), kind=kind, payload=payload)
