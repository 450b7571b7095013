"""Group commit: what concurrent callers submit while one call is in flight goes together in the next call.

The first caller sends at once, so an idle webhook adds no wait; callers that arrive while a call is in flight
queue behind it, and the next call carries all of them. Under load one Redis round trip, and one pass through
redis-py (the largest CPU cost of a webhook acknowledgement), then serves many deliveries.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class BatchFailed(ConnectionError):
    """The call that carried these items failed (or its sender was cancelled): whether they landed is unknown."""


@dataclass
class _Submission(Generic[T, R]):
    items: list[T]
    results: list[R] | None = None
    error: BaseException | None = None


class Coalescer(Generic[T, R]):
    """Send submitted items through `send`, one call at a time, each call carrying all that queued for it."""

    def __init__(self, send: Callable[[list[T]], Awaitable[list[R]]], *, limit: int = 500) -> None:
        self._send = send
        self._limit = limit
        self._queued: deque[_Submission[T, R]] = deque()
        self._turn = asyncio.Lock()  # FIFO: whoever holds it sends everything queued before it

    async def submit(self, items: list[T]) -> list[R]:
        """The results of `send` for these items, in their order."""
        if not items:
            return []
        mine: _Submission[T, R] = _Submission(items)
        self._queued.append(mine)
        async with self._turn:
            while mine.results is None and mine.error is None:
                await self._send_next()
        if mine.error is not None:
            raise BatchFailed("the call carrying these items failed") from mine.error
        assert mine.results is not None
        return mine.results

    async def _send_next(self) -> None:
        """Send the oldest queued submissions, up to `limit` items (always at least one submission)."""
        batch: list[_Submission[T, R]] = []
        count = 0
        while self._queued and (not batch or count + len(self._queued[0].items) <= self._limit):
            batch.append(self._queued.popleft())
            count += len(batch[-1].items)
        try:
            results = await self._send([item for submission in batch for item in submission.items])
        except BaseException as exc:  # CancelledError too: the others in the batch must not wait forever
            for submission in batch:
                submission.error = exc
            raise
        start = 0
        for submission in batch:
            submission.results = results[start : start + len(submission.items)]
            start += len(submission.items)
