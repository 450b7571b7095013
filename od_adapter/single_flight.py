"""Coalescing identical concurrent reads into one request.

A caller that must see everything written after some moment (the booking guard reading back after its POST)
passes `not_before` (a `time.time()` value): it joins a read under way only if that read began after it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from od_adapter.http import TURN_WAIT

T = TypeVar("T")


class SingleFlight:
    def __init__(self) -> None:
        self._inflight: dict[str, tuple[asyncio.Task[Any], float]] = {}

    async def run(self, key: str, fn: Callable[[], Awaitable[T]], *, not_before: float | None = None) -> T:
        current = self._inflight.get(key)
        if current is not None and not current[0].done() and (not_before is None or current[1] >= not_before):
            started = time.perf_counter()
            try:
                # One key always names one read, so the task running under it returns this caller's type.
                return cast(T, await asyncio.shield(current[0]))
            finally:
                # Waiting for another turn's read is waiting for Open Dental too; the leader's own requests
                # are counted where they are sent.
                if (wait := TURN_WAIT.get()) is not None:
                    wait.seconds += time.perf_counter() - started
        task = asyncio.ensure_future(fn())
        self._inflight[key] = (task, time.time())
        task.add_done_callback(lambda done: self._forget(key, done))
        # Shielded: one caller giving up must not cancel the read the others are waiting for.
        return await asyncio.shield(task)

    def _forget(self, key: str, task: asyncio.Task[Any]) -> None:
        current = self._inflight.get(key)
        if current is not None and current[0] is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved here so an error nobody awaited is not reported as lost
