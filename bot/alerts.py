"""Handoff alerts from the worker that handed off to every console tab that is open, in any process.

A worker publishes an `Alert` (practice, conversation id, reason, time: no name, number or words) on a Redis
channel, or in memory when the demo runs everything in one process; each web process listens and streams the
alerts to its signed-in operators as server-sent events. Publishing is best effort: a handoff is already on
the chart, in the list and (where configured) a task, so an alert lost while Redis is away costs only the
ping. A practice may also have its own webhook told of each handoff, with the same PHI-free fields.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

import httpx
from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
CHANNEL = "wa:console-alerts"
WEBHOOK_TIMEOUT = 3.0
RECONNECT_SECONDS = 1.0


class Alert(BaseModel):
    practice_id: str
    conversation: str
    reason: str
    at: float


class Alerts(Protocol):
    async def publish(self, alert: Alert) -> None: ...

    def listen(self) -> AsyncIterator[Alert]:
        """Every alert published from now on, until the caller stops iterating."""
        ...


class MemoryAlerts:
    """One process: each listener has its own queue."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Alert]] = set()

    async def publish(self, alert: Alert) -> None:
        for queue in self._queues:
            queue.put_nowait(alert)

    async def listen(self) -> AsyncIterator[Alert]:
        queue: asyncio.Queue[Alert] = asyncio.Queue()
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)


class RedisAlerts:
    """Across processes, through Redis pub/sub; a listener outlives Redis restarts by subscribing again."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def publish(self, alert: Alert) -> None:
        try:
            await self.redis.publish(CHANNEL, alert.model_dump_json())
        except (OSError, RedisError) as exc:
            logger.warning("handoff alert not published: %s", type(exc).__name__)

    async def listen(self) -> AsyncIterator[Alert]:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            with contextlib.suppress(ValueError):  # not ours: nothing to show
                                yield Alert.model_validate_json(message["data"])
            except (OSError, RedisError) as exc:
                logger.warning("handoff alerts: Redis away (%s), listening again", type(exc).__name__)
                await asyncio.sleep(RECONNECT_SECONDS)


async def tell_webhook(client: httpx.AsyncClient, url: str, alert: Alert, practice_name: str) -> None:
    """POST the handoff to the practice's own webhook; a failure is logged, never fails the turn."""
    body = {"event": "handoff", "practice": practice_name, **alert.model_dump()}
    try:
        response = await client.post(url, json=body, timeout=WEBHOOK_TIMEOUT)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        logger.warning("practice alert webhook failed: %s", type(exc).__name__)
