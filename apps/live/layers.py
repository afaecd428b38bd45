"""The Redis channel layer, made to ride out a Redis outage.

channels_redis's receive loop raises on a lost connection, which ends the consumer and closes
the browser's socket with 1011. Here the blocking read waits and retries with backoff instead:
the socket stays open, the client's heartbeat keeps being answered from the database (see
consumers.py), and pushes resume when Redis is back."""
from __future__ import annotations

import asyncio
import logging

from channels_redis.core import RedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


class ResilientRedisChannelLayer(RedisChannelLayer):
    retry_max_seconds = 10.0

    async def receive_single(self, channel):
        delay = 0.5
        while True:
            try:
                return await super().receive_single(channel)
            except REDIS_DOWN as exc:
                log.warning("channel layer: Redis unavailable (%s); retrying in %.1f s", exc.__class__.__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max_seconds)
