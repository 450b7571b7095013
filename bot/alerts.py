"""Handoff alerts from the worker that handed off to every console tab that is open, in any process.

A worker publishes an `Alert` (practice, conversation id, reason, time: no name, number or words) on a Redis
channel, or in memory when the demo runs everything in one process; each web process listens and streams the
alerts to its signed-in operators as server-sent events. Publishing is best effort: a handoff is already on
the chart, in the list and (where configured) a task, so an alert lost while Redis is away costs only the
ping. A practice may also have its own webhook told of each handoff, with the same PHI-free fields: the turn
only queues the call (`AlertWebhooks.tell`), and a few senders in the background make it, with retries, so a
slow or dead webhook never delays a patient's reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx
from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
CHANNEL = "wa:console-alerts"
WEBHOOK_TIMEOUT = 3.0
RECONNECT_SECONDS = 1.0
WEBHOOK_QUEUE = 200
"""Calls waiting for a sender; beyond them a new alert's call is dropped (and logged): the console has it."""
WEBHOOK_SENDERS = 4
WEBHOOK_ATTEMPTS = 3
WEBHOOK_BACKOFF_SECONDS = 1.0
"""Before the second try; four times that before the third (jittered): a call that gets no answer gives up
within about 17 s (a `Retry-After` may stretch each pause to RETRY_AFTER_CAP_SECONDS)."""
RETRY_AFTER_CAP_SECONDS = 30.0


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


class AlertWebhooks:
    """The practices' own handoff webhooks, called off the turn path: `tell` only queues the call (bounded),
    and `run` (owned by the conversation's cleanup context) sends the calls, a few at a time, each within
    `WEBHOOK_TIMEOUT`, retrying timeouts, network errors, 429 and 5xx up to `WEBHOOK_ATTEMPTS` times."""

    def __init__(
        self,
        *,
        queue_size: int = WEBHOOK_QUEUE,
        senders: int = WEBHOOK_SENDERS,
        attempts: int = WEBHOOK_ATTEMPTS,
        backoff: float = WEBHOOK_BACKOFF_SECONDS,
        timeout: float = WEBHOOK_TIMEOUT,
    ) -> None:
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(maxsize=queue_size)
        self.senders = senders
        self.attempts = attempts
        self.backoff = backoff
        self.delivered = 0
        self.failed = 0
        self.dropped = 0

    def tell(self, url: str, alert: Alert, practice_name: str) -> bool:
        """Queue the call; False (logged) when the queue is full. Never waits, never raises."""
        body = {"event": "handoff", "practice": practice_name, **alert.model_dump()}
        try:
            self.queue.put_nowait((url, body))
        except asyncio.QueueFull:
            self.dropped += 1
            logger.warning("practice alert webhook: %d calls waiting, this one dropped", self.queue.qsize())
            return False
        return True

    async def run(self) -> None:
        """Send the queued calls until cancelled."""
        try:
            async with asyncio.TaskGroup() as group:
                for n in range(self.senders):
                    group.create_task(self._send_loop(), name=f"alert-webhook-{n}")
        finally:
            if waiting := self.queue.qsize():
                logger.warning("practice alert webhook: %d calls not made before shutdown", waiting)

    async def _send_loop(self) -> None:
        while True:
            url, body = await self.queue.get()
            try:
                delivered = await self.deliver(url, body)
            except Exception:  # a bug (or a URL httpx will not take) must not stop the other calls
                logger.exception("practice alert webhook: the call failed")
                delivered = False
            finally:
                self.queue.task_done()
            if delivered:
                self.delivered += 1
            else:
                self.failed += 1

    async def deliver(self, url: str, body: dict[str, Any]) -> bool:
        """One call with its retries; True once the webhook answered 2xx or 3xx. Failures are logged only."""
        for attempt in range(1, self.attempts + 1):
            retry_after = None
            try:
                response = await self.client.post(url, json=body)
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            else:
                if response.status_code < 400:
                    return True
                problem = f"HTTP {response.status_code}"
                if response.status_code != 429 and response.status_code < 500:
                    break  # the webhook refuses the call: another try would be refused too
                retry_after = _seconds(response.headers.get("Retry-After"))
            if attempt < self.attempts:
                pause = self.backoff * 4 ** (attempt - 1) * (0.5 + random.random())
                await asyncio.sleep(
                    min(RETRY_AFTER_CAP_SECONDS, pause if retry_after is None else retry_after)
                )
        logger.warning("practice alert webhook failed after %d tries: %s", attempt, problem)
        return False

    async def aclose(self) -> None:
        await self.client.aclose()


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: our own backoff will do
