"""The reminders' durable ledger in Redis: one entry per visit, visit time and step, so nothing goes twice or not at all.

An entry is planned (in the due index), then sent, skipped (with why), cancelled (the visit moved or went) or
answered. Sending takes a short claim first: two workers never send one entry, and an entry whose sender died
is due again once the claim lapses (the conversation's queue drops the second copy, see `Cue`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, TypeAdapter

from bot.records.crypto import Sealer
from bot.records.storage import Storage

State = Literal["planned", "sent", "skipped", "cancelled", "answered"]
FINAL: frozenset[State] = frozenset({"sent", "answered"})
"""States a new plan never overwrites: the patient has the message."""
ENTRY_TTL = 21 * 24 * 3600
CLAIM_SECONDS = 120.0
_RIDS = TypeAdapter(list[str])


def reminder_id(practice_id: str, apt_num: int, start: datetime, step: str) -> str:
    """Names the visit, its time and the step: a moved visit gets new reminders, a replan the same ones."""
    seed = f"{practice_id}:{apt_num}:{start.replace(tzinfo=None).isoformat()}:{step}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


class Entry(BaseModel):
    id: str
    practice_id: str
    apt_num: int
    pat_num: int
    start: datetime
    """The visit's local start, naive (as Open Dental keeps it)."""
    step: str
    due: float
    state: State = "planned"
    reason: str = ""
    sent_at: float = 0.0
    outcome: str = ""
    """What the patient answered: confirmed, change, cancel."""
    outcome_at: float = 0.0
    template: bool = False


class Ledger:
    def __init__(self, storage: Storage, sealer: Sealer, practice_id: str) -> None:
        self.storage = storage
        self.sealer = sealer
        self.practice_id = practice_id
        self._due = f"reminders:due:{practice_id}"
        self._log = f"reminders:log:{practice_id}"

    async def get(self, rid: str) -> Entry | None:
        raw = await self.storage.get(f"reminder:{self.practice_id}:{rid}")
        return Entry.model_validate_json(self.sealer.open(raw)) if raw else None

    async def save(self, entry: Entry) -> None:
        await self.storage.set(f"reminder:{self.practice_id}:{entry.id}", self.sealer.seal(entry.model_dump_json().encode()), ENTRY_TTL)  # fmt: skip
        if entry.state == "planned":
            await self.storage.index_add(self._due, entry.id, entry.due)
        else:
            await self.storage.index_remove(self._due, entry.id)
        await self.storage.index_add(self._log, entry.id, entry.start.timestamp())

    async def upsert(self, entries: list[Entry]) -> None:
        """A visit's fresh plan: entries the patient already has are kept as they are."""
        for entry in entries:
            held = await self.get(entry.id)
            if held is not None and (
                held.state in FINAL
                or held.model_dump(exclude={"reason"}) == entry.model_dump(exclude={"reason"})
            ):
                continue
            await self.save(entry)
        if entries:
            await self._remember(entries[0].apt_num, [e.id for e in entries])

    async def for_visit(self, apt_num: int) -> list[Entry]:
        raw = await self.storage.get(f"reminders:apt:{self.practice_id}:{apt_num}")
        found = [await self.get(rid) for rid in (_RIDS.validate_json(raw) if raw else [])]
        return [e for e in found if e is not None]

    async def cancel_visit(self, apt_num: int, why: str, *, keep: frozenset[str] = frozenset()) -> None:
        """The visit moved or went: its reminders not yet sent are cancelled (those of its new time kept)."""
        for entry in await self.for_visit(apt_num):
            if entry.id not in keep and entry.state in ("planned", "skipped"):
                await self.save(entry.model_copy(update={"state": "cancelled", "reason": why}))

    async def due(self, now: float, count: int = 100) -> list[Entry]:
        found = [await self.get(rid) for rid in await self.storage.index_due(self._due, now, count)]
        return [e for e in found if e is not None]

    async def claim(self, rid: str) -> bool:
        return await self.storage.claim(f"reminder-claim:{self.practice_id}:{rid}", b"1", CLAIM_SECONDS)

    async def release(self, rid: str) -> None:
        await self.storage.delete(f"reminder-claim:{self.practice_id}:{rid}")

    async def recent(self, since: float, until: float, count: int = 2000) -> list[Entry]:
        """Entries of visits starting in [since, until] (the console's view), soonest first."""
        newest = await self.storage.index_newest(self._log, count)
        found = [await self.get(rid) for rid, at in newest if since <= at <= until]
        return sorted((e for e in found if e is not None), key=lambda e: (e.start, e.due))

    async def forget_before(self, moment: float) -> None:
        await self.storage.index_trim(self._log, moment)

    async def _remember(self, apt_num: int, rids: list[str]) -> None:
        key = f"reminders:apt:{self.practice_id}:{apt_num}"
        raw = await self.storage.get(key)
        held = _RIDS.validate_json(raw) if raw else []
        merged = held + [r for r in rids if r not in held]
        await self.storage.set(key, _RIDS.dump_json(merged[-20:]), ENTRY_TTL)
