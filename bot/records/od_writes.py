"""The durable queue of Open Dental writes that need not block the reply: the booking guard's commlogs, the
commlogs of what staff did in the console, and the handoff tasks for the front desk.

A write is recorded in Redis (sealed: notes name visits) before the turn answers, and a drainer in every worker
writes it after the reply, retried with backoff until Open Dental takes it. One write per key, across every
process: a lease stops two drainers writing it at once, and a retry first looks on the chart for the commlog a
lost answer may have written (`AppointmentBook.note_once`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

from pydantic import BaseModel

from bot.monitoring.metrics import Metrics
from bot.records.crypto import Sealer
from bot.records.storage import Storage
from od_adapter import AdapterError, reference

logger = logging.getLogger(__name__)

DUE = "od-writes:due"
RECORD_TTL = 14 * 24 * 3600
LEASE_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 300.0
STUCK_AFTER = 5
"""Attempts after which a write counts as stuck (metrics and the log say so; it is still retried)."""


WriteKind = Literal["commlog", "task", "status", "txt_msg_ok"]


class PendingWrite(BaseModel):
    key: str
    practice_id: str
    pat_num: int
    note: str
    kind: WriteKind = "commlog"
    """A commlog on the chart, a task on the practice's task list (a commlog where the key may not), a visit's
    confirmation status (`note` is the confirmVal or DefNum, on `apt_num`), or the chart's TxtMsgOk (`note`)."""
    apt_num: int = 0
    sent: bool = False
    """A commlog of what the practice sent (staff's replies), not of what the patient asked."""
    comm_type: str | None = None
    attempts: int = 0
    last_error: str = ""
    created_at: float = 0.0


Writer = Callable[[PendingWrite], Awaitable[int]]
"""Writes one commlog (it must look for an earlier copy when `attempts` > 0); its CommlogNum."""


class OpenDentalWrites:
    def __init__(
        self,
        storage: Storage,
        sealer: Sealer,
        *,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self.sealer = sealer
        self.metrics = metrics
        self.clock = clock
        self.wake = asyncio.Event()

    def journal(self, practice_id: str) -> QueuedJournal:
        return QueuedJournal(self, practice_id)

    async def put(
        self,
        practice_id: str,
        pat_num: int,
        note: str,
        *,
        kind: WriteKind = "commlog",
        sent: bool = False,
        comm_type: str | None = None,
        once: str | None = None,
        apt_num: int = 0,
    ) -> None:
        """Queue one write; the same note (or `once` key) for the same patient is one write however often it
        is queued."""
        ref = reference(practice_id, pat_num, once or note)
        key = f"{practice_id}:{ref}" if kind == "commlog" else f"{practice_id}:{kind}:{ref}"
        write = PendingWrite(
            key=key,
            practice_id=practice_id,
            pat_num=pat_num,
            note=note,
            kind=kind,
            apt_num=apt_num,
            sent=sent,
            comm_type=comm_type,
            created_at=self.clock(),
        )
        if await self.storage.claim(
            f"od-write:{key}", self._seal(write), RECORD_TTL
        ) or await self.storage.get(f"od-write:{key}"):
            # Indexed again when it existed (a crash between the two writes); a written one is gone, so never.
            await self.storage.index_add(DUE, key, write.created_at)
        self.wake.set()

    async def drain(self, writers: Mapping[str, Writer], *, count: int = 50) -> int:
        """Write what is due; each failure is retried later with backoff. How many were written."""
        done = 0
        for key in await self.storage.index_due(DUE, self.clock(), count):
            if not await self.storage.claim(f"od-write-lease:{key}", b"1", LEASE_SECONDS):
                continue  # another drainer has it
            try:
                done += await self._write(key, writers)
            finally:
                await self.storage.delete(f"od-write-lease:{key}")
        return done

    async def pending(self) -> int:
        return len(await self.storage.index_due(DUE, float("inf"), 10_000))

    async def backlog(self, practices: set[str]) -> tuple[int, int]:
        """For these practices: writes waiting, and those of them failing for a while (stuck)."""
        waiting = stuck = 0
        for key in await self.storage.index_due(DUE, float("inf"), 1_000):
            raw = await self.storage.get(f"od-write:{key}")
            if raw is None:
                continue
            write = PendingWrite.model_validate_json(self.sealer.open(raw))
            if write.practice_id in practices:
                waiting += 1
                stuck += write.attempts >= STUCK_AFTER
        return waiting, stuck

    async def waiting(self, practices: set[str], count: int = 200) -> list[PendingWrite]:
        """The writes waiting for these practices, most tried first (the console's list of stuck writes)."""
        found = []
        for key in await self.storage.index_due(DUE, float("inf"), 1_000):
            raw = await self.storage.get(f"od-write:{key}")
            if raw is not None:
                write = PendingWrite.model_validate_json(self.sealer.open(raw))
                if write.practice_id in practices:
                    found.append(write)
        found.sort(key=lambda w: (-w.attempts, w.created_at))
        return found[:count]

    async def retry_now(self, key: str, practices: set[str]) -> bool:
        """Make a waiting write due at once (staff fixed the cause); False if it is gone or not theirs."""
        raw = await self.storage.get(f"od-write:{key}")
        if (
            raw is None
            or PendingWrite.model_validate_json(self.sealer.open(raw)).practice_id not in practices
        ):
            return False
        await self.storage.index_add(DUE, key, self.clock())
        self.wake.set()
        return True

    async def run(self, writers: Mapping[str, Writer], *, interval: float = 1.0) -> None:
        """Drain until cancelled: at once when a write is queued in this process, else every `interval`."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), interval)
            self.wake.clear()
            try:
                await self.drain(writers)
                if self.metrics is not None:
                    self.metrics.od_writes_pending.set(await self.pending())
            except Exception as exc:  # Redis away, a bug: the queue keeps the writes; try again shortly
                logger.warning("Open Dental write queue could not drain: %s", type(exc).__name__)

    async def _write(self, key: str, writers: Mapping[str, Writer]) -> int:
        raw = await self.storage.get(f"od-write:{key}")
        if raw is None:
            await self.storage.index_remove(DUE, key)
            return 0
        write = PendingWrite.model_validate_json(self.sealer.open(raw))
        writer = writers.get(write.practice_id)
        if writer is None:  # a practice removed from the file: nothing left to write it to
            logger.error("dropping an Open Dental write for a practice no longer configured")
            await self._forget(key)
            return 0
        try:
            await writer(write)
        except AdapterError as exc:
            await self._retry_later(key, write, exc)
            return 0
        await self._forget(key)
        self._count("written")
        return 1

    async def _retry_later(self, key: str, write: PendingWrite, exc: Exception) -> None:
        write.attempts += 1
        write.last_error = type(exc).__name__
        delay = min(2.0**write.attempts, MAX_BACKOFF_SECONDS)
        await self.storage.set(f"od-write:{key}", self._seal(write), RECORD_TTL)
        await self.storage.index_add(DUE, key, self.clock() + delay)
        self._count("retried")
        level = logging.ERROR if write.attempts >= STUCK_AFTER else logging.WARNING
        logger.log(level, "Open Dental write failed (%s), attempt %d; retrying in %.0f s", write.last_error, write.attempts, delay)  # fmt: skip

    async def _forget(self, key: str) -> None:
        await self.storage.index_remove(DUE, key)
        await self.storage.delete(f"od-write:{key}")

    def _seal(self, write: PendingWrite) -> bytes:
        return self.sealer.seal(write.model_dump_json().encode())

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.od_writes.labels(outcome).inc()


class QueuedJournal:
    """The booking guard's `Journal` for one practice: commlogs go to the durable queue, not on the reply path."""

    def __init__(self, writes: OpenDentalWrites, practice_id: str) -> None:
        self.writes = writes
        self.practice_id = practice_id

    async def commlog(self, pat_num: int, note: str) -> int | None:
        await self.writes.put(self.practice_id, pat_num, note)
        return None
