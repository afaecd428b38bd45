"""A real Celery worker runs an ANM projection (fanned out per primary substation) and a
websocket client connected to daphne receives the completion event through Redis."""
from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from apps.anm.models import Alarm, ProjectionRun
from tests.servers import celery_worker, daphne_server, post_and_listen

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real broker and channel layer)"),
]


def test_projection_runs_on_a_worker_and_the_room_hears_it(mv_network, operator):
    from apps.grid.models import Transformer

    # a primary without voltage control, so that the sunny day raises alarms for the room to hear
    for unit in Transformer.objects.filter(network=mv_network):
        unit.oltc_enabled = False
        unit.save()
    start = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC).isoformat()
    with daphne_server() as base, celery_worker():
        response, events = post_and_listen(base, operator, "/api/v1/anm/projection/",
                                           {"network": mv_network.pk, "start": start}, until="projection.finished")
    assert response.status_code == 201, response.text
    run = ProjectionRun.objects.get()
    finished = events[-1]
    assert finished["payload"]["id"] == run.pk and finished["payload"]["network"] == mv_network.pk
    assert run.study.state == "succeeded" and run.partitions_done == run.partitions_total >= 1
    kinds = [e["kind"] for e in events]
    assert "study.progress" in kinds
    assert kinds.count("alarm.raised") == Alarm.objects.filter(network=mv_network).count() > 0
