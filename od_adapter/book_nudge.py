"""A nudge: the hint that a practice's book changed in Open Dental, so its loader syncs now, not at its next turn.

Anything may nudge (an API Event, the refill logic after it freed a time, a test): `BookNudge.nudge()` writes
one key in the shared store, so it reaches the loader whichever process holds the practice's lease. The loader
takes the nudge at its next step (it steps every `idle_pause` when idle, half a second by default): it reads
again whole the days the nudge names (the only way a deletion shows) and makes an incremental `DateTStamp`
read unless one began after the nudge. A nudge carries no appointment data: whatever prompted it, the loader
reads Open Dental itself. Nudges before the loader takes them merge (the days add up, the earliest time wins).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, Field, ValidationError

from od_adapter.store import KeyValueStore

NUDGE_TTL = 600.0
"""A nudge nobody takes (no loader runs) is forgotten: the loader's own schedule catches up anyway."""
MAX_DAYS = 62


class Nudge(BaseModel):
    at: float
    """When the first nudge not yet taken was given (`time.time()`)."""
    days: list[date] = Field(default_factory=list)


class BookNudge:
    def __init__(self, store: KeyValueStore, practice_id: str) -> None:
        self.store = store
        self.key = f"book:{practice_id}:nudge"

    async def nudge(self, days: Iterable[date] = ()) -> None:
        """Ask the loader to sync at once, reading these days whole (at most `MAX_DAYS` of them)."""
        held = await self.peek()
        wanted = sorted({*(held.days if held else []), *days})[:MAX_DAYS]
        at = min(held.at, time.time()) if held else time.time()
        await self.store.set(self.key, Nudge(at=at, days=wanted).model_dump_json().encode(), NUDGE_TTL)

    async def peek(self) -> Nudge | None:
        raw = await self.store.get(self.key)
        if raw is None:
            return None
        try:
            return Nudge.model_validate_json(raw)
        except ValidationError:
            return Nudge(at=time.time())  # a value we cannot read still means "sync now"

    async def take(self) -> Nudge | None:
        """The pending nudge, removed (the loader's side)."""
        nudge = await self.peek()
        if nudge is not None:
            await self.store.delete(self.key)
        return nudge
