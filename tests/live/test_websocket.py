"""The live websocket: authentication, Origin check, organisation scoping, replay on reconnect."""
from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from apps.live import services
from apps.live.services import event_publish
from apps.live.streams import org_stream
from dso_portal.asgi import application

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """A channel layer per test: each async test has its own event loop, and channels_redis's
    receive locks belong to the loop that made them."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@database_sync_to_async
def cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@database_sync_to_async
def publish(org, kind: str = "test.ping", **payload):
    return event_publish(stream=org_stream(org.pk), kind=kind, payload=payload).seq


async def assert_nothing_else_queued(communicator, org) -> None:
    """A marker published now is the very next message: a duplicate or a leaked event, queued
    before it, would arrive first (waiting a while for silence proves nothing)."""
    marker = await publish(org, kind="test.marker")
    assert (await communicator.receive_json_from(timeout=3))["seq"] == marker


async def connect(user=None, after: int | None = None, origin=ORIGIN):
    headers = [origin] if origin else []
    if user is not None:
        headers.append((b"cookie", await cookie_for(user)))
    path = "/ws/live/" + (f"?after={after}" if after is not None else "")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_unauthenticated_connection_is_refused(orgs):
    communicator, connected = await connect(None)
    assert not connected


async def test_foreign_origin_is_refused(operator):
    communicator, connected = await connect(operator, origin=(b"origin", b"https://evil.example"))
    assert not connected


async def test_missing_origin_is_refused(operator):
    communicator, connected = await connect(operator, origin=None)
    assert not connected


async def test_reconnecting_client_gets_what_it_missed_in_order_without_duplicates(operator, orgs):
    first = await publish(orgs["dso"], n=1)
    communicator, connected = await connect(operator, after=first)
    assert connected
    await communicator.disconnect()
    # While the client is away, three events happen.
    missed = [await publish(orgs["dso"], n=n) for n in (2, 3, 4)]
    communicator, connected = await connect(operator, after=first)
    assert connected
    received = [await communicator.receive_json_from(timeout=3) for _ in missed]
    assert [m["seq"] for m in received] == missed
    assert [m["payload"]["n"] for m in received] == [2, 3, 4]
    # Then live events follow, once each.
    live = await publish(orgs["dso"], n=5)
    assert (await communicator.receive_json_from(timeout=3))["seq"] == live
    await assert_nothing_else_queued(communicator, orgs["dso"])
    await communicator.disconnect()


async def test_a_lost_push_is_filled_from_the_stream(operator, orgs, monkeypatch):
    communicator, connected = await connect(operator, after=0)
    assert connected
    real_push = services._push
    monkeypatch.setattr(services, "_push", lambda message: None)  # Redis blinked: the push is lost
    lost = await publish(orgs["dso"], n=1)
    monkeypatch.setattr(services, "_push", real_push)
    after = await publish(orgs["dso"], n=2)
    received = [await communicator.receive_json_from(timeout=3) for _ in range(2)]
    assert [m["seq"] for m in received] == [lost, after]
    await assert_nothing_else_queued(communicator, orgs["dso"])
    await communicator.disconnect()


async def test_other_organisations_events_are_not_delivered(aggregator_a, orgs):
    communicator, connected = await connect(aggregator_a, after=0)
    assert connected
    await publish(orgs["agg_b"], secret=True)
    own = await publish(orgs["agg_a"], mine=True)
    message = await communicator.receive_json_from(timeout=3)
    assert message["seq"] == own and message["payload"] == {"mine": True}
    await assert_nothing_else_queued(communicator, orgs["agg_a"])
    await communicator.disconnect()


async def test_resume_message_replays_after_a_given_seq(operator, orgs):
    seqs = [await publish(orgs["dso"], n=n) for n in range(3)]
    communicator, connected = await connect(operator, after=seqs[-1])
    assert connected
    # Nothing is replayed on connect: the first messages are the resumed ones.
    await communicator.send_json_to({"type": "resume", "after": seqs[0]})
    assert [(await communicator.receive_json_from(timeout=3))["seq"] for _ in range(2)] == seqs[1:]
    await assert_nothing_else_queued(communicator, orgs["dso"])
    await communicator.disconnect()


# --- heartbeat, bad client messages, Redis outage (issue 9) ------------------------------------

async def test_ping_is_answered_with_missed_events_then_a_pong(operator, orgs, monkeypatch):
    communicator, connected = await connect(operator, after=0)
    assert connected
    monkeypatch.setattr(services, "_push", lambda message: None)  # pushes lost, nothing newer comes
    lost = await publish(orgs["dso"], n=1)
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from(timeout=3))["seq"] == lost
    assert await communicator.receive_json_from(timeout=3) == {"type": "pong", "seq": lost}
    await communicator.disconnect()


@pytest.mark.parametrize("sent, error", [
    ('{"type": "resume", "after": "abc"}', '"after" must be a non-negative integer'),
    ('{"type": "resume", "after": -3}', '"after" must be a non-negative integer'),
    ('{"type": "resume", "after": 99999999999999999999999}', '"after" must be a non-negative integer'),
    ('{"type": "resume"}', '"after" must be a non-negative integer'),
    ("not json", "Messages must be JSON objects"),
    ("[1, 2]", "Unknown message"),
    ('{"type": "subscribe", "stream": "org-1"}', "Unknown message"),
    ('"x"' + " " * 5000, "Messages must be JSON objects"),
])
async def test_malformed_messages_get_an_error_frame_and_the_socket_stays_open(operator, orgs, sent, error):
    communicator, connected = await connect(operator, after=0)
    assert connected
    await communicator.send_to(text_data=sent)
    reply = await communicator.receive_json_from(timeout=3)
    assert reply["type"] == "error" and reply["error"].startswith(error)
    # Still open and working.
    seq = await publish(orgs["dso"], n=1)
    assert (await communicator.receive_json_from(timeout=3))["seq"] == seq
    await communicator.disconnect()


async def test_a_handshake_while_redis_is_down_is_closed_with_try_again_later(operator, monkeypatch):
    from channels.layers import get_channel_layer
    from redis.exceptions import ConnectionError as RedisConnectionError

    async def redis_down(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(get_channel_layer(), "group_add", redis_down)
    communicator, connected = await connect(operator, after=0)
    assert connected  # accepted only to say why, then closed: not a 500 or 1011
    assert (await communicator.receive_json_from(timeout=3))["type"] == "error"
    assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 4013}
    await communicator.disconnect()
