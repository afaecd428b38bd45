"""The production-shape web server: several uvicorn worker processes behind one port. HTTP and the
live websocket both work, and a study queued through one process streams its progress to a
socket that any process holds (the Redis channel layer joins them)."""
from __future__ import annotations

import pytest
import requests
from django.conf import settings

from apps.studies.models import StudyRun
from tests.servers import celery_worker, post_and_listen, session_cookie, uvicorn_server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real broker and channel layer)"),
]


def test_study_streams_through_uvicorn_workers(mv_network, operator):
    with uvicorn_server(workers=2) as base, celery_worker():
        cookie = session_cookie(operator)
        for _ in range(12):  # the kernel spreads connections over both processes
            me = requests.get(f"{base}/api/v1/me/", headers={"Cookie": cookie}, timeout=30)
            assert me.status_code == 200 and me.json()["username"] == operator.username
        figure = requests.get(f"{base}/api/v1/networks/{mv_network.pk}/figure/", headers={"Cookie": cookie},
                              timeout=60)
        assert figure.status_code == 200 and figure.headers["Content-Encoding"] == "gzip"
        assert figure.json()["data"]
        response, events = post_and_listen(base, operator, "/api/v1/studies/",
                                           {"kind": "snapshot", "network": mv_network.pk}, until="study.finished")
    assert response.status_code == 201, response.text
    run = StudyRun.objects.get(pk=response.json()["id"])
    assert run.state == "succeeded", run.error
    mine = [e for e in events if e["payload"].get("id") == run.pk]
    assert mine[0]["kind"] == "study.queued" and mine[-1]["kind"] == "study.finished"
