"""The live websocket: pushes a user's organisation stream, replaying what a reconnecting
client missed (``?after=<last seq>``) before live events, without gaps or duplicates.

Client messages (JSON objects):

- ``{"type": "ping"}`` – heartbeat. The server renews its subscription (a restarted Redis has
  forgotten it), sends any events the client has not had, then ``{"type": "pong", "seq": N}``.
- ``{"type": "resume", "after": N}`` – replay everything after sequence number N.

Anything else is answered with ``{"type": "error", "error": "..."}`` and the socket stays open.
A handshake while Redis is down is accepted and closed at once with 4013 (1013, try again later, in the application range), after
an error frame, so the client retries with backoff instead of seeing a server error.
"""
from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .layers import REDIS_DOWN
from .selectors import events_after, streams_for_user
from .services import group_name

log = logging.getLogger(__name__)

TRY_AGAIN_LATER = 4013  # 1013 (try again later) in the range daphne lets applications use
MAX_CLIENT_MESSAGE = 4096


def _sequence(value) -> int | None:
    """A non-negative sequence number from a client, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 2**63 else None
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)  # before accept: the handshake is refused
            return
        self.streams = await database_sync_to_async(streams_for_user)(user)
        if not self.streams:
            await self.close(code=4403)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.last_seq = _sequence(query.get("after", ["0"])[0]) or 0
        if not await self.subscribe():
            await self.accept()
            await self.send_json({"type": "error", "error": "Live updates are unavailable for a moment; reconnecting."})
            await self.close(code=TRY_AGAIN_LATER)
            return
        await self.accept()
        await self.replay()

    async def subscribe(self) -> bool:
        """Join (or rejoin) the stream groups. False when Redis is unreachable."""
        try:
            for stream in self.streams:
                await self.channel_layer.group_add(group_name(stream), self.channel_name)
        except REDIS_DOWN as exc:
            log.warning("live: cannot subscribe (%s)", exc.__class__.__name__)
            return False
        return True

    async def disconnect(self, code) -> None:
        try:
            for stream in getattr(self, "streams", []):
                await self.channel_layer.group_discard(group_name(stream), self.channel_name)
        except REDIS_DOWN:
            pass  # the group entry expires on its own

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        try:
            if text_data is None or len(text_data) > MAX_CLIENT_MESSAGE:
                raise ValueError
            content = json.loads(text_data)
        except ValueError:
            await self.error("Messages must be JSON objects of at most 4 KB.")
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.subscribe()  # events still come from the table while Redis is away
            await self.replay()
            await self.send_json({"type": "pong", "seq": self.last_seq})
        elif kind == "resume":
            after = _sequence(content.get("after"))
            if after is None:
                await self.error('"after" must be a non-negative integer sequence number.')
                return
            self.last_seq = after
            await self.replay()
        else:
            await self.error('Unknown message; expected {"type": "ping"} or {"type": "resume", "after": N}.')

    async def error(self, text: str) -> None:
        await self.send_json({"type": "error", "error": text})

    async def replay(self) -> None:
        # One stream per user today, so a single sequence counter suffices.
        for message in await database_sync_to_async(events_after)(streams=self.streams, after=self.last_seq):
            await self.deliver(message)

    async def live_event(self, event: dict) -> None:
        message = event["event"]
        if message["seq"] > self.last_seq + 1:
            await self.replay()  # a push was lost (Redis blink): fill the gap from the table
        await self.deliver(message)

    async def deliver(self, message: dict) -> None:
        if message["seq"] <= self.last_seq:
            return  # already delivered by replay
        self.last_seq = message["seq"]
        await self.send_json(message)
