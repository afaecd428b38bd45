"""The production shape end to end: PostgreSQL, Redis, a real Celery worker and daphne.

An operator's API call queues a snapshot study; a Celery worker process runs it; its progress
reaches a websocket client connected to daphne through the Redis channel layer."""
from __future__ import annotations

import asyncio
import json

import pytest
import requests
import websockets
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from apps.studies.models import StudyRun
from tests.servers import celery_worker, daphne_server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real broker and channel layer)"),
]


async def _collect_until_finished(url: str, cookie: str, origin: str, timeout: float = 120) -> list[dict]:
    events = []
    async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": origin}) as socket:
        async with asyncio.timeout(timeout):
            while True:
                event = json.loads(await socket.recv())
                events.append(event)
                if event["kind"] == "study.finished":
                    return events


def test_snapshot_study_runs_on_a_real_worker_and_streams_progress(mv_network, operator):
    client = Client()
    client.force_login(operator)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    token = Token.objects.create(user=operator).key
    with daphne_server() as base, celery_worker():
        ws_url = base.replace("http", "ws") + "/ws/live/?after=0"

        async def scenario():
            listener = asyncio.create_task(_collect_until_finished(ws_url, cookie, base))
            await asyncio.sleep(1.0)  # the socket is subscribed before the study starts
            response = await asyncio.to_thread(
                requests.post, f"{base}/api/v1/studies/", json={"kind": "snapshot", "network": mv_network.pk},
                headers={"Authorization": f"Token {token}"}, timeout=30,
            )
            assert response.status_code == 201, response.text
            return response.json()["id"], await listener

        run_id, events = asyncio.run(scenario())

    run = StudyRun.objects.get(pk=run_id)
    assert run.state == "succeeded", run.error
    mine = [e for e in events if e["payload"].get("id") == run_id]
    kinds = [e["kind"] for e in mine]
    assert kinds[0] == "study.queued" and kinds[-1] == "study.finished" and kinds.count("study.progress") >= 3
    assert [e["seq"] for e in events] == sorted({e["seq"] for e in events}), "in order, no duplicates"
    assert mine[-1]["payload"]["state"] == "succeeded" and mine[-1]["payload"]["progress"] == 100
    assert len(run.result["bus_vm_pu"]) == 99
