"""Who asked for no reminders (STOP), and numbers WhatsApp cannot reach (131026): per practice, by phone token."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel

from bot.records.crypto import Sealer
from bot.records.storage import Storage

KEEP = 10 * 365 * 24 * 3600
UNDELIVERABLE_DAYS = 30


class OptOut(BaseModel):
    conversation: str
    at: float
    why: Literal["stop", "undeliverable"] = "stop"


class OptOuts:
    """Phones are keyed by `token` (a keyed hash), never stored plain; the records are sealed."""

    def __init__(self, storage: Storage, sealer: Sealer, token: Callable[[str], str], clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.storage = storage
        self.sealer = sealer
        self.token = token
        self.clock = clock

    async def stop(self, practice_id: str, wa_id: str, conversation: str) -> bool:
        """True when this stopped them (False: they had already)."""
        return await self._set(practice_id, wa_id, OptOut(conversation=conversation, at=self.clock()), KEEP)

    async def start(self, practice_id: str, wa_id: str) -> bool:
        """True when this lifted an opt-out."""
        key = self._key(practice_id, wa_id, "stop")
        had = await self.storage.get(key) is not None
        await self.storage.delete(key)
        await self.storage.index_remove(f"reminders:optouts:{practice_id}", self.token(wa_id))
        return had

    async def undeliverable(self, practice_id: str, wa_id: str, conversation: str) -> None:
        """Meta said 131026: no more reminders to this number for a while (staff call instead)."""
        record = OptOut(conversation=conversation, at=self.clock(), why="undeliverable")
        await self._set(practice_id, wa_id, record, UNDELIVERABLE_DAYS * 24 * 3600)

    async def reason(self, practice_id: str, wa_id: str) -> str | None:
        """Why this number gets no reminders, or None."""
        for why in ("stop", "undeliverable"):
            if await self.storage.get(self._key(practice_id, wa_id, why)) is not None:
                return "opted out" if why == "stop" else "undeliverable (131026)"
        return None

    async def listed(self, practice_id: str, count: int = 500) -> list[OptOut]:
        """The practice's opt-outs, newest first (for the console)."""
        found = []
        for token, _ in await self.storage.index_newest(f"reminders:optouts:{practice_id}", count):
            raw = await self.storage.get(f"reminders:optout:{practice_id}:stop:{token}")
            if raw is not None:
                found.append(OptOut.model_validate_json(self.sealer.open(raw)))
        return found

    async def _set(self, practice_id: str, wa_id: str, record: OptOut, ttl: float) -> bool:
        sealed = self.sealer.seal(record.model_dump_json().encode())
        fresh = await self.storage.claim(self._key(practice_id, wa_id, record.why), sealed, ttl)
        if record.why == "stop":
            await self.storage.index_add(f"reminders:optouts:{practice_id}", self.token(wa_id), record.at)
        return fresh

    def _key(self, practice_id: str, wa_id: str, why: str) -> str:
        return f"reminders:optout:{practice_id}:{why}:{self.token(wa_id)}"
