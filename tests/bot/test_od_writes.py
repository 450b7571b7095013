"""The durable queue of Open Dental writes: once per note, retried with backoff until written, one drainer per
write across processes, and kept in Redis through a restart of the process that queued it."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from bot.records.crypto import Sealer, new_key
from bot.records.od_writes import OpenDentalWrites, PendingWrite
from bot.records.storage import MemoryStorage, RedisStorage, Storage
from od_adapter import OdUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class FlakyWriter:
    """Open Dental failing `failures` times, then writing; remembers what it wrote and the retry flag."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.written: list[tuple[int, str]] = []
        self.retried: list[bool] = []

    async def __call__(self, write: PendingWrite) -> int:
        self.retried.append(write.attempts > 0)
        if self.failures:
            self.failures -= 1
            raise OdUnavailable("Open Dental answered 500")
        self.written.append((write.pat_num, write.note))
        return len(self.written)


@pytest.fixture(name="storage", params=["memory", "redis"])
async def fixture_storage(request: pytest.FixtureRequest, redis: Redis) -> Storage:
    return MemoryStorage() if request.param == "memory" else RedisStorage(redis)


async def test_the_same_note_queued_twice_is_written_once(storage: Storage) -> None:
    writes = OpenDentalWrites(storage, Sealer([new_key()]))
    await writes.put("p1", 7, "WhatsApp assistant booked AptNum 3")
    await writes.put("p1", 7, "WhatsApp assistant booked AptNum 3")
    writer = FlakyWriter()
    assert await writes.drain({"p1": writer}) == 1
    assert writer.written == [(7, "WhatsApp assistant booked AptNum 3")] and await writes.pending() == 0


async def test_a_failing_write_is_retried_with_backoff_until_open_dental_takes_it(storage: Storage) -> None:
    clock = Clock()
    writes = OpenDentalWrites(storage, Sealer([new_key()]), clock=clock)
    await writes.put("p1", 7, "note")
    writer = FlakyWriter(failures=2)
    assert await writes.drain({"p1": writer}) == 0
    assert await writes.drain({"p1": writer}) == 0, "not due again before its backoff"
    clock.now += 2.5
    assert await writes.drain({"p1": writer}) == 0
    clock.now += 4.5
    assert await writes.drain({"p1": writer}) == 1
    assert writer.retried == [False, True, True] and len(writer.written) == 1


async def test_two_drainers_write_a_note_once(redis: Redis) -> None:
    sealer = Sealer([new_key()])
    first, second = (OpenDentalWrites(RedisStorage(redis), sealer) for _ in range(2))
    for n in range(20):
        await first.put("p1", n, f"note {n}")
    writer = FlakyWriter()
    await asyncio.gather(first.drain({"p1": writer}), second.drain({"p1": writer}))
    assert sorted(writer.written) == [(n, f"note {n}") for n in range(20)]


async def test_queued_writes_survive_the_process_that_queued_them(redis: Redis) -> None:
    sealer = Sealer([new_key()])
    await OpenDentalWrites(RedisStorage(redis), sealer).put("p1", 7, "note")
    writer = FlakyWriter()
    assert await OpenDentalWrites(RedisStorage(redis), sealer).drain({"p1": writer}) == 1
    assert writer.written == [(7, "note")]
