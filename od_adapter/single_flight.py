"""Coalescing identical concurrent reads into one request.

A caller that must see everything written after some moment (the booking guard reading back after its POST)
passes `not_before` (a `time.time()` value): it joins a read only if that read was sent after it, or is still
waiting for the throttle (it will be sent later still). So bookings made at the same moment share one read-back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from od_adapter.http import ON_SEND, TURN_WAIT

T = TypeVar("T")


@dataclass
class _Flight:
    task: asyncio.Task[Any]
    sent_at: float | None = None
    """When its first request left (None while it waits for the throttle)."""

    def joinable(self, not_before: float | None) -> bool:
        if self.task.done():
            return False
        return not_before is None or self.sent_at is None or self.sent_at >= not_before


class SingleFlight:
    def __init__(self) -> None:
        self._inflight: dict[str, _Flight] = {}

    async def run(self, key: str, fn: Callable[[], Awaitable[T]], *, not_before: float | None = None) -> T:
        current = self._inflight.get(key)
        if current is not None and current.joinable(not_before):
            started = time.perf_counter()
            try:
                # One key always names one read, so the task running under it returns this caller's type.
                return cast(T, await asyncio.shield(current.task))
            finally:
                # Waiting for another turn's read is waiting for Open Dental too; the leader's own requests
                # are counted where they are sent.
                if (wait := TURN_WAIT.get()) is not None:
                    wait.seconds += time.perf_counter() - started
        holder: list[_Flight] = []

        def sent() -> None:
            if holder and holder[0].sent_at is None:
                holder[0].sent_at = time.time()

        async def flight() -> T:
            ON_SEND.set(sent)  # in this task's own context only
            return await fn()

        task = asyncio.ensure_future(flight())
        holder.append(_Flight(task))
        self._inflight[key] = holder[0]
        task.add_done_callback(lambda done: self._forget(key, done))
        # Shielded: one caller giving up must not cancel the read the others are waiting for.
        return await asyncio.shield(task)

    def _forget(self, key: str, task: asyncio.Task[Any]) -> None:
        current = self._inflight.get(key)
        if current is not None and current.task is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved here so an error nobody awaited is not reported as lost
