"""Password hashing off the event loop: argon2 runs in one worker thread behind a bounded queue.

argon2 is slow on purpose (tens of milliseconds and 64 MiB per check), and a check on the event loop stalls
every webhook the process is answering. The thread releases the GIL while libargon2 works (cffi does), and it
runs at a lower CPU priority where the system allows it, so under a flood of sign-ins the loop keeps its share
of a small machine. At most `queue` checks wait or run at once; beyond that `HashQueueFull` is raised, which the
sign-in page answers with 429 instead of letting the queue (and everyone's wait) grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")
LOWER_PRIORITY = 10


class HashQueueFull(Exception):
    """Too many password checks are waiting; the caller should be told to try again shortly."""


def _lower_priority() -> None:
    # On Linux the nice value is per thread, and threads libargon2 starts for its lanes inherit it.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWER_PRIORITY)


class PasswordHashing:
    def __init__(self, hasher: PasswordHasher | None = None, *, queue: int = 8) -> None:
        self.hasher = hasher or PasswordHasher()
        self._slots = threading.BoundedSemaphore(queue)
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="argon2", initializer=_lower_priority
        )

    @property
    def full(self) -> bool:
        """No room for another check now (a hint: the next call may still find room, or not)."""
        if not self._slots.acquire(blocking=False):
            return True
        self._slots.release()
        return False

    async def hash(self, password: str) -> str:
        return await self._run(self.hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches the hash; False for a wrong password or a malformed hash."""
        return await self._run(self._matches, password_hash, password)

    def _matches(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        if not self._slots.acquire(blocking=False):
            raise HashQueueFull
        try:
            future: Future[T] = self._executor.submit(work, *args)
        except RuntimeError:  # shut down
            self._slots.release()
            raise
        # The slot is freed when the work is done (or cancelled before it ran), not when the caller stops
        # waiting: a client that hangs up must not let more work pile up behind the thread than the bound.
        future.add_done_callback(lambda _: self._slots.release())
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
