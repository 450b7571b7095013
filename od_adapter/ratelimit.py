"""Spacing of Open Dental requests per CustomerKey, shared by every coroutine (and, with Redis, every process).

Open Dental throttles each CustomerKey (1 request/s, 5 s for read-only keys). Each caller reserves the next free
start time atomically and sleeps until it, so no two requests for one key start closer than the spacing.

Two classes share a key. A request for a waiting patient reserves the next free start, first come, first
served. Background work (the book sync, commlogs, reminders) takes a start only when no request is queued
for the key, so it never delays a patient by more than the one request already under way; after waiting
`BACKGROUND_STARVATION_SECONDS` for that it queues like a patient request, so it is never starved.
The class comes from a context variable: a background task sets it once with `in_background()`.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal, Protocol

from redis.asyncio import Redis

# Added to every spacing so that scheduling jitter between our clock and Open Dental's arrival time cannot
# make two requests look closer than the throttle allows.
DEFAULT_MARGIN_SECONDS = 0.025
BACKGROUND_STARVATION_SECONDS = 10.0

Priority = Literal["patient", "background"]
PRIORITIES: tuple[Priority, ...] = ("patient", "background")
_priority: ContextVar[Priority] = ContextVar("od_priority", default="patient")


@contextmanager
def in_background() -> Iterator[None]:
    """Open Dental requests made inside this block (and tasks it starts) yield to patients' requests."""
    token = _priority.set("background")
    try:
        yield
    finally:
        _priority.reset(token)


def current_priority() -> Priority:
    return _priority.get()


@dataclass
class ClassStats:
    acquisitions: int = 0
    waited: int = 0
    total_wait_seconds: float = 0.0
    max_wait_seconds: float = 0.0
    queued: int = 0
    """Callers of this class waiting for their turn right now."""


@dataclass
class WaitStats:
    """How long callers waited for their turn, by class, for metrics and benchmarks."""

    acquisitions: int = 0
    waited: int = 0
    total_wait_seconds: float = 0.0
    max_wait_seconds: float = 0.0
    per_key: dict[str, float] = field(default_factory=dict)
    by_class: dict[Priority, ClassStats] = field(
        default_factory=lambda: {p: ClassStats() for p in PRIORITIES}
    )

    def record(self, key_id: str, wait: float, priority: Priority = "patient") -> None:
        cls = self.by_class[priority]
        self.acquisitions += 1
        cls.acquisitions += 1
        if wait > 0:
            self.waited += 1
            cls.waited += 1
            self.total_wait_seconds += wait
            cls.total_wait_seconds += wait
            self.max_wait_seconds = max(self.max_wait_seconds, wait)
            cls.max_wait_seconds = max(cls.max_wait_seconds, wait)
            self.per_key[key_id] = self.per_key.get(key_id, 0.0) + wait

    @contextmanager
    def queued(self, priority: Priority) -> Iterator[None]:
        self.by_class[priority].queued += 1
        try:
            yield
        finally:
            self.by_class[priority].queued -= 1


class RateLimiter(Protocol):
    stats: WaitStats

    async def acquire(self, customer_key: str, spacing: float) -> float:
        """Wait for this key's next turn (in the caller's class); return the seconds waited."""
        ...


def key_id(customer_key: str) -> str:
    """A short non-reversible id for a CustomerKey, so the secret never lands in Redis keys or metrics."""
    return hashlib.sha256(customer_key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Grant:
    wait: float | None
    """Seconds until the reserved start, or None when background work must ask again later."""
    retry_in: float = 0.0


class _SpacedLimiter(ABC):
    """The waiting and the classes; subclasses say how a start is reserved."""

    stats: WaitStats
    margin: float
    starvation: float

    @abstractmethod
    async def _reserve(self, kid: str, spacing: float, *, only_if_idle: bool) -> Grant:
        """Reserve this key's next start (or, `only_if_idle`, refuse while one is queued)."""

    async def acquire(self, customer_key: str, spacing: float) -> float:
        if spacing <= 0:
            return 0.0
        kid, priority = key_id(customer_key), current_priority()
        deferred = 0.0  # background work asked to come back later
        with self.stats.queued(priority):
            while True:
                yielding = priority == "background" and deferred < self.starvation
                grant = await self._reserve(kid, spacing + self.margin, only_if_idle=yielding)
                if grant.wait is not None:
                    break
                pause = min(grant.retry_in, self.starvation - deferred)
                await asyncio.sleep(pause)
                deferred += pause
            if grant.wait > 0:
                await asyncio.sleep(grant.wait)
        wait = deferred + grant.wait
        self.stats.record(kid, wait, priority)
        return wait


class MemoryRateLimiter(_SpacedLimiter):
    """The limiter for one process (the embedded default)."""

    def __init__(
        self, margin: float = DEFAULT_MARGIN_SECONDS, starvation: float = BACKGROUND_STARVATION_SECONDS
    ) -> None:
        self.margin = margin
        self.starvation = starvation
        self.stats = WaitStats()
        self._next_start: dict[str, float] = {}

    async def _reserve(self, kid: str, spacing: float, *, only_if_idle: bool) -> Grant:
        now = time.monotonic()
        following = self._next_start.get(kid, 0.0)
        if only_if_idle and following > now:
            return Grant(None, following - now)
        start = max(now, following)
        self._next_start[kid] = start + spacing
        return Grant(start - now)


# Reserve the next start time using Redis's own clock, so processes on different hosts agree. With ARGV[2] = 1
# (background work) a start is given only when none is queued; otherwise the script answers -1 and the µs until
# the queue empties. Times are integer microseconds; string.format keeps them out of Lua's scientific notation.
_RESERVE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local spacing = tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[2] == '1' and nxt > now then
  return {-1, string.format('%.0f', nxt - now)}
end
local start = math.max(now, nxt)
local following = start + spacing
redis.call('SET', KEYS[1], string.format('%.0f', following), 'PX', math.floor((following - now) / 1000) + 1000)
return {0, string.format('%.0f', start - now)}
"""


class RedisRateLimiter(_SpacedLimiter):
    """The limiter shared by all processes through one Redis."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "od:throttle",
        margin: float = DEFAULT_MARGIN_SECONDS,
        starvation: float = BACKGROUND_STARVATION_SECONDS,
    ):
        self.redis = redis
        self.prefix = prefix
        self.margin = margin
        self.starvation = starvation
        self.stats = WaitStats()
        self._script = redis.register_script(_RESERVE_SCRIPT)
        # asyncio.Lock wakes waiters in order, so reservations follow the order of acquire() calls in this
        # process; it is held for one round trip to Redis, never for the wait itself.
        self._reserving = asyncio.Lock()

    async def _reserve(self, kid: str, spacing: float, *, only_if_idle: bool) -> Grant:
        async with self._reserving:
            granted, micros = await self._script(
                keys=[f"{self.prefix}:{kid}"], args=[int(spacing * 1_000_000), 1 if only_if_idle else 0]
            )
        if int(granted) < 0:
            return Grant(None, int(micros) / 1_000_000)
        return Grant(int(micros) / 1_000_000)
