"""The schema of every event kind on the live stream, filled by the apps that publish them.

One serializer per kind (Zulip's event_schema, as DRF serializers): the app that owns a kind
registers it from its ``AppConfig.ready()`` (``event_kind_register``), builds the payload with
``event_payload`` and uses the same serializer for the page's data and its API, so a client that
applies events to what it fetched ends where a fresh fetch would. This module imports no feature
app: they fill it.

Each kind also names the rule a client applies it with (``upsert``: replace the row with this id
or add it; ``remove``: drop the row with this id; ``replace``: replace the one object).
"""
from __future__ import annotations

from dataclasses import dataclass

from rest_framework import serializers

UPSERT, REMOVE, REPLACE = "upsert", "remove", "replace"


@dataclass(frozen=True)
class EventKind:
    kind: str
    serializer: type[serializers.Serializer]
    rule: str  # how a client applies it (see the module docstring)
    doc: str = ""


_kinds: dict[str, EventKind] = {}


def event_kind_register(kind: str, *, serializer: type[serializers.Serializer], rule: str, doc: str = "") -> None:
    """Declare an event kind (from the owning app's ``AppConfig.ready()``)."""
    if rule not in (UPSERT, REMOVE, REPLACE):
        raise ValueError(f"unknown client rule {rule!r}")
    _kinds[kind] = EventKind(kind=kind, serializer=serializer, rule=rule, doc=doc)


def event_kinds() -> dict[str, EventKind]:
    """Every registered kind (read-only view)."""
    return dict(_kinds)


def event_payload(kind: str, instance) -> dict:
    """The payload of ``kind`` for ``instance``, by the kind's one serializer."""
    return dict(_kinds[kind].serializer(instance).data)
