"""The production shape end to end: PostgreSQL, Redis, a real Celery worker and daphne.

An operator's API call queues a snapshot study; a Celery worker process runs it; its progress
reaches a websocket client connected to daphne through the Redis channel layer."""
from __future__ import annotations

import pytest
from django.conf import settings

from apps.studies.models import StudyRun
from tests.servers import celery_worker, daphne_server, post_and_listen

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real broker and channel layer)"),
]


def test_snapshot_study_runs_on_a_real_worker_and_streams_progress(mv_network, operator):
    with daphne_server() as base, celery_worker():
        response, events = post_and_listen(base, operator, "/api/v1/studies/",
                                           {"kind": "snapshot", "network": mv_network.pk}, until="study.finished")
    assert response.status_code == 201, response.text
    run_id = response.json()["id"]
    run = StudyRun.objects.get(pk=run_id)
    assert run.state == "succeeded", run.error
    mine = [e for e in events if e["payload"].get("id") == run_id]
    kinds = [e["kind"] for e in mine]
    assert kinds[0] == "study.queued" and kinds[-1] == "study.finished" and kinds.count("study.progress") >= 3
    assert [e["seq"] for e in events] == sorted({e["seq"] for e in events}), "in order, no duplicates"
    assert mine[-1]["payload"]["state"] == "succeeded" and mine[-1]["payload"]["progress"] == 100
    assert len(run.result["bus_vm_pu"]) == 99
