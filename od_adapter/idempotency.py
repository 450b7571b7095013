"""One outcome per idempotency key, across every process that shares the store.

The first caller for a key takes a lock, records the attempt as pending (with a marker the write carries into
Open Dental), does the work and records the outcome. Concurrent callers wait for that outcome; later ones
replay it. A caller that finds a pending record knows an earlier attempt stopped midway (a crash, a lost
response) and must look for its marker before writing anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from pydantic import BaseModel

from od_adapter.errors import StillRunning
from od_adapter.models import Appointment
from od_adapter.store import KeyValueStore

T = TypeVar("T")
RECORD_TTL = 7 * 24 * 3600  # as long as Meta may redeliver a message
LOCK_TTL = 10.0
"""How long a dead attempt holds its key; a live one renews its lock while it works."""
LOCK_WAIT = 45.0
FINAL = ("done", "conflict")


class Attempt(BaseModel):
    state: Literal["new", "pending", "done", "conflict"]
    marker: str
    appointment: Appointment | None = None
    commlog_num: int | None = None

    @property
    def resumed(self) -> bool:
        """An earlier attempt with this key stopped midway; its write may or may not have happened."""
        return self.state == "pending"


class Idempotency:
    def __init__(self, store: KeyValueStore, namespace: str, *, lock_ttl: float = LOCK_TTL) -> None:
        self.store = store
        self.namespace = namespace
        self.lock_ttl = lock_ttl

    def key(self, idempotency_key: str) -> str:
        return f"{self.namespace}:{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}"

    async def run(
        self,
        idempotency_key: str,
        work: Callable[[Attempt], Awaitable[T]],
        replay: Callable[[Attempt], T | None],
    ) -> T | None:
        """Do `work` once for this key (it sets the final state), or return `replay` of the recorded outcome."""
        key = self.key(idempotency_key)
        await self._lock(key)
        keeper = asyncio.create_task(self._keep(f"{key}:lock"))
        try:
            raw = await self.store.get(key)
            attempt = (
                Attempt.model_validate_json(raw) if raw else Attempt(state="new", marker=secrets.token_hex(4))
            )
            if attempt.state in FINAL:
                return replay(attempt)
            await self._save(key, attempt.model_copy(update={"state": "pending"}))
            result = await work(attempt)
            await self._save(key, attempt)
            return result
        finally:
            keeper.cancel()
            await self.store.delete(f"{key}:lock")

    async def _keep(self, lock: str) -> None:
        """Renew the lock while the work runs (a booking waits on Open Dental's throttle), so only a dead
        attempt's lock lapses, and soon (a replay after a crash or a Redis restart is not kept waiting)."""
        while True:
            await asyncio.sleep(self.lock_ttl / 3)
            with contextlib.suppress(Exception):  # a missed renewal only shortens the lock
                await self.store.set(lock, b"1", self.lock_ttl)

    async def _lock(self, key: str) -> None:
        deadline = time.monotonic() + LOCK_WAIT
        while not await self.store.claim(f"{key}:lock", b"1", self.lock_ttl):
            if time.monotonic() > deadline:
                raise StillRunning("another attempt with the same key is still running")
            await asyncio.sleep(0.05)

    async def _save(self, key: str, attempt: Attempt) -> None:
        await self.store.set(key, attempt.model_dump_json().encode(), RECORD_TTL)
