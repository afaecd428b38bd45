"""Event streams: per-stream sequence numbers, publish on commit, HTTP replay."""
from __future__ import annotations

import pytest
from django.db import transaction

from apps.live import services
from apps.live.models import Event
from apps.live.services import event_publish
from apps.live.streams import org_stream


def test_sequence_numbers_are_per_stream(orgs):
    a = [event_publish(stream="org-a", kind="k", payload={}).seq for _ in range(3)]
    b = [event_publish(stream="org-b", kind="k", payload={}).seq for _ in range(2)]
    assert a == [1, 2, 3] and b == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_push_happens_only_after_commit_and_not_on_rollback(monkeypatch):
    pushed = []
    monkeypatch.setattr(services, "_push", pushed.append)
    with transaction.atomic():
        event_publish(stream="s", kind="k", payload={"n": 1})
        assert pushed == []
    assert [m["payload"]["n"] for m in pushed] == [1]
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            event_publish(stream="s", kind="k", payload={"n": 2})
            raise RuntimeError("rolled back")
    assert len(pushed) == 1 and Event.objects.count() == 1


def test_http_replay_returns_only_your_stream_after_seq(orgs, operator, aggregator_a, client_for):
    for n in range(3):
        event_publish(stream=org_stream(orgs["dso"].pk), kind="k", payload={"n": n})
    event_publish(stream=org_stream(orgs["agg_a"].pk), kind="k", payload={"n": 99})
    events = client_for(operator).get("/api/v1/events/?after=1").json()
    assert [e["payload"]["n"] for e in events] == [1, 2]
    assert client_for(operator).get("/api/v1/events/?after=x").status_code == 400
