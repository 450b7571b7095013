"""Spacing of Open Dental requests per CustomerKey, shared by every coroutine (and, with Redis, every process).

Open Dental throttles each CustomerKey (1 request/s, 5 s for read-only keys). Each caller reserves the next free
start time atomically and sleeps until it: reservations are handed out in arrival order, so waiting coroutines
are served first come, first served, and no two requests for one key start closer than the spacing.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from typing import Protocol

from redis.asyncio import Redis

# Added to every spacing so that scheduling jitter between our clock and Open Dental's arrival time cannot
# make two requests look closer than the throttle allows.
DEFAULT_MARGIN_SECONDS = 0.025


@dataclass
class WaitStats:
    """How long callers waited for their turn, for metrics and benchmarks."""

    acquisitions: int = 0
    waited: int = 0
    total_wait_seconds: float = 0.0
    max_wait_seconds: float = 0.0
    per_key: dict[str, float] = field(default_factory=dict)

    def record(self, key_id: str, wait: float) -> None:
        self.acquisitions += 1
        if wait > 0:
            self.waited += 1
            self.total_wait_seconds += wait
            self.max_wait_seconds = max(self.max_wait_seconds, wait)
            self.per_key[key_id] = self.per_key.get(key_id, 0.0) + wait


class RateLimiter(Protocol):
    stats: WaitStats

    async def acquire(self, customer_key: str, spacing: float) -> float:
        """Wait for this key's next turn; return the seconds waited."""
        ...


def key_id(customer_key: str) -> str:
    """A short non-reversible id for a CustomerKey, so the secret never lands in Redis keys or metrics."""
    return hashlib.sha256(customer_key.encode()).hexdigest()[:16]


class MemoryRateLimiter:
    """The limiter for one process (the embedded default)."""

    def __init__(self, margin: float = DEFAULT_MARGIN_SECONDS) -> None:
        self.margin = margin
        self.stats = WaitStats()
        self._next_start: dict[str, float] = {}

    async def acquire(self, customer_key: str, spacing: float) -> float:
        if spacing <= 0:
            return 0.0
        kid = key_id(customer_key)
        now = time.monotonic()
        start = max(now, self._next_start.get(kid, 0.0))
        self._next_start[kid] = start + spacing + self.margin
        wait = start - now
        if wait > 0:
            await asyncio.sleep(wait)
        self.stats.record(kid, wait)
        return wait


# Reserve the next start time using Redis's own clock, so processes on different hosts agree.
# Times are integer microseconds; string.format keeps them out of Lua's scientific notation.
_RESERVE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local spacing = tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now, nxt)
local following = start + spacing
redis.call('SET', KEYS[1], string.format('%.0f', following), 'PX', math.floor((following - now) / 1000) + 1000)
return string.format('%.0f', start - now)
"""


class RedisRateLimiter:
    """The limiter shared by all processes through one Redis."""

    def __init__(self, redis: Redis, *, prefix: str = "od:throttle", margin: float = DEFAULT_MARGIN_SECONDS):
        self.redis = redis
        self.prefix = prefix
        self.margin = margin
        self.stats = WaitStats()
        self._script = redis.register_script(_RESERVE_SCRIPT)
        # asyncio.Lock wakes waiters in order, so reservations follow the order of acquire() calls in this
        # process; it is held for one round trip to Redis, never for the wait itself.
        self._reserving = asyncio.Lock()

    async def acquire(self, customer_key: str, spacing: float) -> float:
        if spacing <= 0:
            return 0.0
        kid = key_id(customer_key)
        spacing_us = int((spacing + self.margin) * 1_000_000)
        async with self._reserving:
            wait_us = int(await self._script(keys=[f"{self.prefix}:{kid}"], args=[spacing_us]))
        wait = wait_us / 1_000_000
        if wait > 0:
            await asyncio.sleep(wait)
        self.stats.record(kid, wait)
        return wait
