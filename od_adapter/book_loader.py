"""The background loader that keeps one practice's book cache full and fresh, off every patient's turn.

One loader per practice works at a time across all processes (a lease in the store; the others stand by). Each
step does the most useful thing first: a nudge (`book_nudge`: an API Event or our own change said the book
changed; its days are read whole and what changed is read at once), the days a waiting patient asked for, then days of the horizon not yet
held (a week per step, the first week first, the charts read right after it), then an incremental `DateTStamp` read when the book is older than
`sync_every`, then (every minute) the charts changed in Open Dental (all of them the first time), for the patient
directory and caches, then the
oldest day due to be read whole again. Its requests go in the limiter's background class,
so a patient's request never waits behind them. A failed step is logged and retried after a pause; the searches
go on answering from the cache within its staleness limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

from od_adapter.book_cache import BookCache
from od_adapter.errors import AdapterError
from od_adapter.models import Patient
from od_adapter.patients import PatientChanges
from od_adapter.ratelimit import in_background

logger = logging.getLogger(__name__)

CHUNK_DAYS = 7
LEASE_SECONDS = 30.0


class BookLoader:
    def __init__(
        self,
        cache: BookCache,
        *,
        horizon_days: int,
        sync_every: float = 5.0,
        idle_pause: float = 0.5,
        error_pause: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        patients: PatientChanges | None = None,
        on_patients: Callable[[list[Patient], bool], Awaitable[None]] | None = None,
        patients_every: float = 60.0,
    ) -> None:
        self.cache = cache
        self.horizon_days = horizon_days
        self.sync_every = sync_every
        self.idle_pause = idle_pause
        self.error_pause = error_pause
        self.clock = clock
        self.owner = uuid.uuid4().hex.encode()
        self.steps = 0
        self._began = time.monotonic()
        self.patients = patients
        self.on_patients = on_patients
        self.patients_every = patients_every
        self._patients_at = 0.0
        self.nudged = 0
        """Nudges taken: each one cost an incremental read (and its days' reads) right away."""
        self._woken = asyncio.Event()

    async def run(self) -> None:
        """Work while holding the lease, stand by while another process does; until cancelled."""
        with in_background():
            while True:
                pause = self.idle_pause
                try:
                    if await self._hold_lease():
                        pause = 0.0 if await self.step() else self.idle_pause
                    else:
                        pause = LEASE_SECONDS / 3
                except (AdapterError, OSError) as exc:
                    logger.warning("the book loader could not read Open Dental: %s", type(exc).__name__)
                    pause = self.error_pause
                except Exception:  # a bug must not stop the practice's sync for good
                    logger.exception("the book loader failed; retrying")
                    pause = self.error_pause
                await self._rest(pause)

    def wake(self) -> None:
        """End the current pause now (a nudge given in this process need not wait for the next step)."""
        self._woken.set()

    async def _rest(self, pause: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(pause):
                await self._woken.wait()
        self._woken.clear()

    async def step(self) -> bool:
        """One unit of work; False when there was nothing to do."""
        self.steps += 1
        if not await self.cache.has_reference():
            await self.cache.load_reference()
            return True
        if (nudge := await self.cache.nudges.take()) is not None:
            self.nudged += 1
            within = set(self._horizon())
            if days := [d for d in nudge.days if d in within]:
                await self.cache.want(days)  # read whole next: a deletion shows no other way
            await self.cache.refresh(nudge.at)
            return True
        if wanted := await self.cache.take_wanted():
            await self.cache.load_days(sorted(wanted)[:CHUNK_DAYS])
            if len(wanted) > CHUNK_DAYS:
                await self.cache.want(sorted(wanted)[CHUNK_DAYS:])
            return True
        index = await self.cache.index()
        horizon = self._horizon()
        held = index.versions if index is not None else {}
        if held and self.patients is not None and not self._patients_at:
            await self._poll_patients()  # a patient is identified before offered times: right after week one
            return True
        if missing := [d for d in horizon if d not in held]:
            chunk = _first_run(missing, CHUNK_DAYS)
            await self.cache.load_days(chunk)
            if len(chunk) == len(missing):
                logger.info(
                    "the book is loaded: %d days in %.1f s", len(horizon), time.monotonic() - self._began
                )
            return True
        assert index is not None
        now = time.time()
        if not 0 <= now - index.read_started_at < self.sync_every:  # due, or the clock jumped back
            await self.cache.refresh(now)
            return True
        if self.patients is not None and now - self._patients_at >= self.patients_every:
            await self._poll_patients()
            return True
        due = sorted((index.loaded_at.get(d, 0.0), d) for d in horizon)
        if due and now - due[0][0] > self.cache.settings.reload_every:
            await self.cache.load_days(
                _first_run([d for t, d in due if now - t > self.cache.settings.reload_every], CHUNK_DAYS)
            )
            return True
        return False

    async def _poll_patients(self) -> None:
        assert self.patients is not None
        self._patients_at = time.time()
        changed, complete = await self.patients.poll()
        if (changed or complete) and self.on_patients is not None:
            await self.on_patients(changed, complete)

    def _horizon(self) -> list[date]:
        today = self.clock().astimezone(self.cache.zone).date()
        return [today + timedelta(days=n) for n in range(self.horizon_days + 1)]

    async def _hold_lease(self) -> bool:
        store, key = self.cache.store, self.cache.loader_key
        if await store.get(key) == self.owner:
            await store.set(key, self.owner, LEASE_SECONDS)
            return True
        return await store.claim(key, self.owner, LEASE_SECONDS)

    async def release(self) -> None:
        with contextlib.suppress(Exception):
            if await self.cache.store.get(self.cache.loader_key) == self.owner:
                await self.cache.store.delete(self.cache.loader_key)


def _first_run(days: list[date], most: int) -> list[date]:
    """The first consecutive days of a sorted list, at most `most` of them: one range to read."""
    run = days[:1]
    for day in days[1:most]:
        if day != run[-1] + timedelta(days=1):
            break
        run.append(day)
    return run
