"""The inbound queue's enqueue: one Redis call per delivery, shared by the deliveries that arrive meanwhile,
with the dedupe per key and the failure of a shared call reaching every delivery it carried."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.queue.broker import Broker, MemoryBroker, RedisBroker
from bot.queue.coalescing import BatchFailed, Coalescer


class Recorder:
    """A `send` that records each call and holds it open until told to answer."""

    def __init__(self, fail: BaseException | None = None) -> None:
        self.calls: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail = fail

    async def __call__(self, items: list[str]) -> list[str]:
        self.calls.append(items)
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return [item.upper() for item in items]


async def test_the_first_submission_is_sent_at_once_and_those_behind_it_share_the_next_call() -> None:
    send = Recorder()
    coalescer: Coalescer[str, str] = Coalescer(send)
    first = asyncio.create_task(coalescer.submit(["a"]))
    await asyncio.sleep(0)
    assert send.calls == [["a"]]
    later = [asyncio.create_task(coalescer.submit(items)) for items in (["b", "c"], [], ["d"])]
    await asyncio.sleep(0)
    send.release.set()
    assert await first == ["A"]
    assert [await task for task in later] == [["B", "C"], [], ["D"]]
    assert send.calls == [["a"], ["b", "c", "d"]]


async def test_a_call_never_carries_more_than_the_limit_but_always_one_submission() -> None:
    send = Recorder()
    coalescer: Coalescer[str, str] = Coalescer(send, limit=2)
    submissions = (["a"], ["b", "c", "d"], ["e"], ["f"])
    tasks = [asyncio.create_task(coalescer.submit(items)) for items in submissions]
    await asyncio.sleep(0)
    send.release.set()
    results = [await task for task in tasks]
    assert results == [["A"], ["B", "C", "D"], ["E"], ["F"]]
    assert send.calls == [["a"], ["b", "c", "d"], ["e", "f"]]


@pytest.mark.parametrize("error", [RedisConnectionError("down"), asyncio.CancelledError()])
async def test_a_failed_call_fails_every_submission_it_carried(error: BaseException) -> None:
    send = Recorder(fail=error)
    coalescer: Coalescer[str, str] = Coalescer(send)
    first = asyncio.create_task(coalescer.submit(["a"]))
    await asyncio.sleep(0)
    second = asyncio.create_task(coalescer.submit(["b"]))
    third = asyncio.create_task(coalescer.submit(["c"]))
    await asyncio.sleep(0)
    send.release.set()
    for sender in (first, second):  # each sent a call: `second` the one that also carried `third`
        with pytest.raises(type(error)):
            await sender
    with pytest.raises(BatchFailed):
        await third
    assert isinstance(BatchFailed(), OSError), "the webhook answers 503 to an OSError"


@pytest.fixture(name="broker", params=["redis", "memory"])
async def fixture_broker(request: pytest.FixtureRequest, redis: Redis) -> Broker:
    if request.param == "memory":
        return MemoryBroker()
    broker = RedisBroker(redis)
    await broker.setup()
    return broker


async def test_each_key_is_queued_once_within_a_call_across_calls_and_across_concurrent_deliveries(
    broker: Broker,
) -> None:
    assert await broker.enqueue_all([("a", b"1"), ("b", b"2"), ("a", b"3")]) == [True, True, False]
    assert await broker.enqueue_all([("b", b"4"), ("c", b"5")]) == [False, True]
    assert await broker.enqueue("c", b"6") is False
    concurrent = await asyncio.gather(*(broker.enqueue_all([("d", b"7"), (f"e{n}", b"8")]) for n in range(5)))
    assert sorted(concurrent) == [[False, True]] * 4 + [[True, True]]
    entries = await broker.read("reader", count=100, block_ms=0)
    assert [e.payload for e in entries][:4] == [b"1", b"2", b"5", b"7"]
    assert len(entries) == 9


async def test_redis_down_fails_the_enqueue_so_the_webhook_can_answer_503() -> None:
    down = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        with pytest.raises((RedisConnectionError, OSError)):
            await RedisBroker(down).enqueue_all([("a", b"1")])
    finally:
        await down.aclose()
