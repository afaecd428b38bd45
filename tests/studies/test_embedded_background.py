"""Embedded mode (no broker, tasks in-process): a study queued by a request runs off the request
thread. The request answers at once with the study still queued, and the study's progress and
finish arrive over the live socket from the same server process (in-memory channel layer)."""
from __future__ import annotations

import pytest

from apps.studies.models import StudyRun
from tests.servers import daphne_server, post_and_listen

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EMBEDDED = {"DSO_EMBEDDED": "1", "STUDY_EMBEDDED_BACKGROUND": "1"}


def test_embedded_study_runs_off_the_request_thread_and_streams_progress(mv_network, operator):
    with daphne_server(env=EMBEDDED, name="daphne-embedded") as base:
        response, events = post_and_listen(base, operator, "/api/v1/studies/",
                                           {"kind": "snapshot", "network": mv_network.pk}, until="study.finished")
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "queued"  # answered before the study ran
    run = StudyRun.objects.get(pk=response.json()["id"])
    assert run.state == "succeeded" and run.progress == 100, run.error
    assert run.started_at and run.finished_at and run.started_at <= run.finished_at
    mine = [e for e in events if e["payload"].get("id") == run.pk]
    kinds = [e["kind"] for e in mine]
    assert kinds[0] == "study.queued" and kinds[-1] == "study.finished"
    assert "study.started" in kinds or kinds.count("study.progress") >= 3
    states = [e["payload"]["state"] for e in mine]
    assert states[0] == "queued" and states[-1] == "succeeded" and "running" in states


def test_a_second_run_while_the_first_runs_is_queued_not_lost(mv_network, operator):
    """Two studies at once: both are claimed once and finish (the pool has two threads)."""
    with daphne_server(env=EMBEDDED, name="daphne-embedded") as base:
        import requests
        from rest_framework.authtoken.models import Token

        token = Token.objects.get_or_create(user=operator)[0].key
        first = requests.post(f"{base}/api/v1/studies/", json={"kind": "snapshot", "network": mv_network.pk},
                              headers={"Authorization": f"Token {token}"}, timeout=30)
        response, events = post_and_listen(base, operator, "/api/v1/studies/",
                                           {"kind": "snapshot", "network": mv_network.pk}, until="study.finished")
        assert any(e["kind"] == "study.finished" for e in events)
        import time

        deadline = time.monotonic() + 60
        while StudyRun.objects.filter(state__in=["queued", "running"]).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
    assert first.status_code == response.status_code == 201
    runs = StudyRun.objects.filter(pk__in=[first.json()["id"], response.json()["id"]])
    assert sorted(runs.values_list("state", flat=True)) == ["succeeded", "succeeded"]
