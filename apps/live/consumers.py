"""The live websocket: pushes a user's organisation stream, replaying what a reconnecting
client missed (``?after=<last seq>``) before live events, without gaps or duplicates."""
from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .selectors import events_after, streams_for_user
from .services import group_name


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
        try:
            self.last_seq = max(int(query.get("after", ["0"])[0]), 0)
        except ValueError:
            self.last_seq = 0
        for stream in self.streams:
            await self.channel_layer.group_add(group_name(stream), self.channel_name)
        await self.accept()
        await self.replay()

    async def disconnect(self, code) -> None:
        for stream in getattr(self, "streams", []):
            await self.channel_layer.group_discard(group_name(stream), self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if content.get("type") == "resume":
            self.last_seq = max(int(content.get("after", self.last_seq)), 0)
            await self.replay()

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
