"""Where the booking guard's commlogs go: written at once, or handed to a durable queue that writes them after
the reply (`bot.records.od_writes`). Either way each one is written once: its note carries a reference that a
retry looks for before it writes again."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Protocol


class Journal(Protocol):
    async def commlog(self, pat_num: int, note: str) -> int | None:
        """Record `note` on the chart; the CommlogNum when written now, None when queued."""
        ...


def reference(practice_id: str, pat_num: int, note: str) -> str:
    """A short reference naming one commlog: the same note for the same patient is the same write."""
    return hashlib.sha256(f"{practice_id}:{pat_num}:{note}".encode()).hexdigest()[:10]


class Inline:
    """Commlogs written during the turn (tests, and any deployment without a queue)."""

    def __init__(self, write: Callable[[int, str], Awaitable[int]]) -> None:
        self.write = write

    async def commlog(self, pat_num: int, note: str) -> int | None:
        return await self.write(pat_num, note)
