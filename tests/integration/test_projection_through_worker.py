"""A real Celery worker runs an ANM projection (fanned out per primary substation) and a
websocket client connected to daphne receives the completion event through Redis."""
from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from apps.anm.models import Alarm, ProjectionRun
from tests.servers import celery_worker, daphne_server, do_and_listen, post_and_listen

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real broker and channel layer)"),
]


@pytest.fixture
def mv_network_without_oltc(mv_network):
    """A primary without voltage control, so that the sunny day raises alarms (with its OLTC on,
    the MV network's sunny June day has none)."""
    from apps.grid.models import Transformer
    from apps.grid.services import registry_elements_update

    registry_elements_update(queryset=Transformer.objects.filter(network=mv_network), oltc_enabled=False)
    return mv_network


def test_projection_runs_on_a_worker_and_the_room_hears_it(mv_network_without_oltc, operator):
    from apps.anm.services import projection_request

    mv_network = mv_network_without_oltc
    start = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
    with daphne_server() as base, celery_worker():
        # A sunny June interval replayed as the live projection, so that it raises alarms.
        study, events = do_and_listen(base, operator, lambda: projection_request(
            network=mv_network, requested_by=operator, start=start, live=True), until="projection.finished")
    run = ProjectionRun.objects.get(study=study)
    finished = events[-1]
    assert finished["payload"]["id"] == run.pk and finished["payload"]["network"] == mv_network.pk
    assert finished["payload"]["live"] is True
    assert run.study.state == "succeeded" and run.partitions_done == run.partitions_total >= 1
    kinds = [e["kind"] for e in events]
    assert "study.progress" in kinds
    assert kinds.count("alarm.raised") == Alarm.objects.filter(network=mv_network).count() > 0


def test_a_what_if_projection_through_the_api_leaves_the_live_one_and_its_alarms_alone(mv_network_without_oltc, operator):
    mv_network = mv_network_without_oltc
    start = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC).isoformat()  # not now: a replay, so a what-if
    with daphne_server() as base, celery_worker():
        response, events = post_and_listen(base, operator, "/api/v1/anm/projection/",
                                           {"network": mv_network.pk, "start": start}, until="projection.finished")
    assert response.status_code == 201, response.text
    run = ProjectionRun.objects.get()
    assert not run.live and run.study.state == "succeeded" and run.summary["violations"] > 0
    assert events[-1]["payload"]["live"] is False
    assert not Alarm.objects.exists() and "alarm.raised" not in [e["kind"] for e in events]
