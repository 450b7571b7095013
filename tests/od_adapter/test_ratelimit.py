"""The per-CustomerKey limiter: spacing, first-come-first-served order, and sharing across OS processes."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import textwrap
import time

import pytest
from redis.asyncio import Redis

from od_adapter.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter, in_background, key_id

SPACING = 0.2


async def acquire_times(limiter: RateLimiter, key: str, count: int) -> tuple[list[float], list[int]]:
    """Start `count` coroutines at once; return when each was let through, and in which order they started."""
    admitted: list[tuple[int, float]] = []

    async def one(index: int) -> None:
        await limiter.acquire(key, SPACING)
        admitted.append((index, time.time()))

    await asyncio.gather(*(one(i) for i in range(count)))
    return [t for _, t in admitted], [i for i, _ in admitted]


def gaps(times: list[float]) -> list[float]:
    ordered = sorted(times)
    return [b - a for a, b in itertools.pairwise(ordered)]


@pytest.fixture(name="limiters", params=["memory", "redis"])
async def fixture_limiters(request: pytest.FixtureRequest, redis: Redis) -> RateLimiter:
    return MemoryRateLimiter() if request.param == "memory" else RedisRateLimiter(redis)


async def test_requests_for_one_key_are_spaced_and_first_come_first_served(limiters: RateLimiter) -> None:
    times, order = await acquire_times(limiters, "customer-a", 5)
    assert order == [0, 1, 2, 3, 4]
    assert min(gaps(times)) >= SPACING
    assert limiters.stats.acquisitions == 5 and limiters.stats.waited == 4
    assert limiters.stats.total_wait_seconds >= SPACING * (1 + 2 + 3 + 4)


async def test_keys_do_not_wait_for_each_other(limiters: RateLimiter) -> None:
    started = time.monotonic()
    await asyncio.gather(*(limiters.acquire(f"customer-{i}", 5.0) for i in range(10)))
    assert time.monotonic() - started < 1.0


async def test_no_spacing_means_no_wait(limiters: RateLimiter) -> None:
    assert [await limiters.acquire("local-mode", 0) for _ in range(3)] == [0.0, 0.0, 0.0]


async def test_redis_keys_never_contain_the_customer_key(redis: Redis) -> None:
    await RedisRateLimiter(redis).acquire("SECRET-CUSTOMER-KEY", 1.0)
    keys = [k.decode() for k in await redis.keys("*")]
    assert keys == [f"od:throttle:{key_id('SECRET-CUSTOMER-KEY')}"]
    assert "SECRET" not in keys[0]
    assert 0 < await redis.pttl(keys[0]) <= 2100


WORKER = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from redis.asyncio import Redis
    from od_adapter.ratelimit import RedisRateLimiter

    async def main(url: str, count: int, start_at: float) -> None:
        redis = Redis.from_url(url)
        limiter = RedisRateLimiter(redis)
        await asyncio.sleep(max(0.0, start_at - time.time()))
        times = []
        for _ in range(count):
            await limiter.acquire("shared-customer", float(sys.argv[4]))
            times.append(time.time())
        await redis.aclose()
        print(json.dumps(times))

    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
    """
)


def test_two_processes_sharing_redis_never_issue_two_requests_closer_than_the_spacing(
    redis_server: str,
) -> None:
    start_at = time.time() + 1.5  # both processes start acquiring at the same instant
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, redis_server, "6", str(start_at), str(SPACING)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [json.loads(p.communicate(timeout=60)[0]) for p in processes]
    assert all(p.returncode == 0 for p in processes)
    merged = results[0] + results[1]
    assert len(merged) == 12
    assert min(gaps(merged)) >= SPACING, sorted(gaps(merged))[:3]
    # Both processes were served, interleaved rather than one after the other.
    assert max(results[0]) > min(results[1]) and max(results[1]) > min(results[0])


@pytest.fixture(name="quick_limiters", params=["memory", "redis"])
async def fixture_quick_limiters(request: pytest.FixtureRequest, redis: Redis) -> RateLimiter:
    """Limiters whose background work is starved for at most one second, so a test can see it."""
    if request.param == "memory":
        return MemoryRateLimiter(starvation=1.0)
    return RedisRateLimiter(redis, starvation=1.0)


async def test_a_patient_request_goes_before_background_work_queued_earlier(
    quick_limiters: RateLimiter,
) -> None:
    order: list[str] = []

    async def one(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        if name.startswith("sync"):
            with in_background():
                await quick_limiters.acquire("customer-a", SPACING)
        else:
            await quick_limiters.acquire("customer-a", SPACING)
        order.append(name)

    # A patient's request is under way; background work asks, then a second patient asks a little later.
    await asyncio.gather(one("patient-1", 0), one("sync", 0.02), one("patient-2", 0.05))
    assert order == ["patient-1", "patient-2", "sync"]
    background = quick_limiters.stats.by_class["background"]
    assert background.acquisitions == 1 and background.queued == 0
    assert quick_limiters.stats.by_class["patient"].acquisitions == 2


async def test_background_work_is_never_starved(quick_limiters: RateLimiter) -> None:
    """Patients keep the key busy for 3 s; background work still gets a start within its starvation bound."""
    granted: list[float] = []
    started = time.monotonic()

    async def patients() -> None:
        for _ in range(int(3 / SPACING)):
            await quick_limiters.acquire("customer-a", SPACING)

    async def background() -> None:
        await asyncio.sleep(0.05)
        with in_background():
            await quick_limiters.acquire("customer-a", SPACING)
        granted.append(time.monotonic() - started)

    async def more_patients() -> None:  # a queue that never empties
        for _ in range(int(3 / SPACING)):
            await asyncio.gather(quick_limiters.acquire("customer-a", SPACING), asyncio.sleep(0))

    await asyncio.gather(patients(), more_patients(), background())
    assert granted and granted[0] < 1.0 + 3 * SPACING  # its starvation bound, plus the queue ahead of it
