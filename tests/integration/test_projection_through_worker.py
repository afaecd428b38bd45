"""A real Celery worker runs an ANM projection (fanned out per primary substation) and a
websocket client connected to daphne receives the completion event through Redis."""
from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
import requests
import websockets
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from apps.anm.models import Alarm, ProjectionRun
from tests.servers import celery_worker, daphne_server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real broker and channel layer)"),
]


async def _wait_for(url: str, cookie: str, origin: str, kind: str, timeout: float = 180) -> list[dict]:
    seen = []
    async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": origin}) as socket:
        async with asyncio.timeout(timeout):
            while True:
                event = json.loads(await socket.recv())
                seen.append(event)
                if event["kind"] == kind:
                    return seen


def test_projection_runs_on_a_worker_and_the_room_hears_it(mv_network, operator):
    client = Client()
    client.force_login(operator)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    token = Token.objects.create(user=operator).key
    start = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC).isoformat()
    with daphne_server() as base, celery_worker():
        async def scenario():
            listener = asyncio.create_task(
                _wait_for(base.replace("http", "ws") + "/ws/live/?after=0", cookie, base, "projection.finished"))
            await asyncio.sleep(1.0)
            response = await asyncio.to_thread(
                requests.post, f"{base}/api/v1/anm/projection/", json={"network": mv_network.pk, "start": start},
                headers={"Authorization": f"Token {token}"}, timeout=30)
            assert response.status_code == 201, response.text
            return await listener

        events = asyncio.run(scenario())
    run = ProjectionRun.objects.get()
    finished = events[-1]
    assert finished["payload"]["id"] == run.pk and finished["payload"]["network"] == mv_network.pk
    assert run.study.state == "succeeded" and run.partitions_done == run.partitions_total >= 1
    kinds = [e["kind"] for e in events]
    assert "study.progress" in kinds
    assert kinds.count("alarm.raised") == Alarm.objects.filter(network=mv_network).count() > 0
