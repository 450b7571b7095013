"""Per-turn processing time of the conversation (offline understanding), its state size and its Redis bytes.

Runs scripted conversations (book, info, menu) through the real `ConversationHandler` against the Open Dental
sandbox on loopback, timing every Open Dental call and subtracting it, so the figure is our own processing.
The echo handler, timed on the same turns, is the baseline. Conversation records and transcripts are then
stored, sealed, in a private redis-server and measured with MEMORY USAGE. Prints a table, then one JSON line.

    python -m tests.bench.turns [--conversations 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.conversation.handler import build_conversation_handler
from bot.practices import PracticesFile, load_practices
from bot.queue.turns import Turn, TurnHandler
from bot.records.conversations import ConversationRecord, Conversations, TranscriptEntry
from bot.records.crypto import Sealer, new_key
from bot.records.storage import MemoryStorage, RedisStorage
from bot.settings import Settings
from bot.whatsapp.events import InboundMessage
from flows.session import Session
from od_adapter.ratelimit import MemoryRateLimiter
from od_adapter.sandbox import DEVELOPER_KEY, SandboxSettings, create_sandbox_app
from tests.conftest import free_port
from tests.fakes.echo import EchoHandler
from tests.redis_server import start_redis

ROOT = Path(__file__).parents[2]
PRACTICE_ID = "100000000000001"
SCRIPTS = [
    ["Hi, I'd like a check-up next week please", "the first one", "yes"],
    ["what are your hours?", "thanks"],
    ["hello", "I want a cleaning next week in the afternoon", "other times", "the second one", "no"],
    ["Hola, quiero una revisión la semana que viene por la mañana", "la primera", "sí"],
]


class TimedOffice:
    """Wraps the office port and adds up the time spent waiting for Open Dental."""

    def __init__(self, office: Any) -> None:
        self.office = office
        self.waited = 0.0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.office, name)
        if not callable(target):
            return target

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await target(*args, **kwargs)
            finally:
                self.waited += time.perf_counter() - started

        return timed


def practices_for(url: str) -> PracticesFile:
    demo = load_practices(ROOT / "od_adapter/sandbox/data/demo_practices.toml")
    practice = demo.practices[0]
    connection = practice.open_dental.model_copy(update={"base_url": url, "throttle_seconds": 0.0})
    return PracticesFile(practices=[practice.model_copy(update={"open_dental": connection})])


def message(phone: str, n: int, text: str) -> InboundMessage:
    return InboundMessage(
        practice_id=PRACTICE_ID,
        wamid=f"wamid.T{phone}{n}",
        user_key=phone,
        type="text",
        text=text,
        timestamp=int(time.time()),
    )


async def run(
    handler: TurnHandler, conversations: int, office: TimedOffice | None
) -> tuple[list[float], list[Session]]:
    """Per-turn milliseconds (minus Open Dental waits) and the final state of every conversation."""
    timings: list[float] = []
    states: list[Session] = []
    for c in range(conversations):
        phone = "15035551234" if c % 2 == 0 else "15035553000"
        state = Session()
        for n, words in enumerate(SCRIPTS[c % len(SCRIPTS)]):
            waited_before = office.waited if office else 0.0
            started = time.perf_counter()
            result = await handler(
                Turn(
                    conversation=f"c{c}",
                    practice_id=PRACTICE_ID,
                    user_key=phone,
                    messages=[message(phone, n, words)],
                    session=state,
                )
            )
            elapsed = time.perf_counter() - started - ((office.waited - waited_before) if office else 0.0)
            timings.append(elapsed * 1000)
            state = result.session
        states.append(state)
    return timings, states


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 2),
    }


async def redis_bytes(states: list[Session], redis_url: str) -> float:
    """Store each conversation's record and a transcript of its turns, sealed, and ask Redis what they cost."""
    redis = Redis.from_url(redis_url)
    conversations = Conversations(RedisStorage(redis), Sealer([new_key()]))
    sizes = []
    for n, state in enumerate(states):
        record = ConversationRecord(
            conversation=f"bench{n}", practice_id=PRACTICE_ID, user_key="15035551234", session=state
        )
        record.remember([f"wamid.T{n}{i}" for i in range(5)])
        await conversations.save(record)
        entries = [
            TranscriptEntry(
                at=time.time(),
                direction=d,
                text="I found I found. Pick one.",
                wamid=f"wamid.{n}.{i}",
            )
            for i, d in enumerate(("in", "out") * 3)
        ]
        await conversations.add(f"bench{n}", entries)
        keys = [f"wa:conv:bench{n}", f"wa:transcript:bench{n}"]
        sizes.append(sum([await redis.memory_usage(k) or 0 for k in keys]))
    await redis.aclose()
    return statistics.mean(sizes)


async def measure(conversations: int, redis_url: str) -> dict[str, Any]:
    server = TestServer(create_sandbox_app(SandboxSettings(throttle_seconds=0)), host="127.0.0.1")
    await server.start_server()
    try:
        practices = practices_for(str(server.make_url("/api/v1")))
        os.environ.setdefault("DEMO_OD_DEVELOPER_KEY", DEVELOPER_KEY)
        os.environ.setdefault("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
        handler = build_conversation_handler(
            practices,
            MemoryRateLimiter(),
            None,
            Conversations(MemoryStorage(), Sealer([new_key()])),
            Settings(_env_file=None).with_demo_defaults("http://127.0.0.1"),
        )
        runtime = handler.practices[PRACTICE_ID]
        office = TimedOffice(runtime.office)
        runtime.office = office  # type: ignore[assignment]
        await run(handler, 4, office)  # warm the book cache and the graph
        turn_ms, states = await run(handler, conversations, office)
        echo_ms, _ = await run(EchoHandler(), conversations, None)
        await handler.aclose()
    finally:
        await server.close()
    state_bytes = [len(s.conversation.model_dump_json().encode()) for s in states]
    return {
        "conversation_turn": percentiles(turn_ms),
        "echo_turn_baseline": percentiles(echo_ms),
        "turns": len(turn_ms),
        "state_bytes_max": max(state_bytes),
        "state_bytes_mean": round(statistics.mean(state_bytes)),
        "redis_bytes_per_conversation": round(await redis_bytes(states, redis_url)),
    }


def main(conversations: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        redis = start_redis(port, Path(workdir))
        try:
            figures = asyncio.run(measure(conversations, f"redis://127.0.0.1:{port}/0"))
        finally:
            redis.terminate()
            redis.wait(timeout=10)
    turn, echo = figures["conversation_turn"], figures["echo_turn_baseline"]
    print("| figure | value |")
    print("|---|---|")
    print(f"| conversation turn, our processing (p50 / p99) | {turn['p50_ms']} ms / {turn['p99_ms']} ms |")
    print(f"| echo handler baseline (p50 / p99) | {echo['p50_ms']} ms / {echo['p99_ms']} ms |")
    print(f"| turns measured | {figures['turns']} |")
    print(
        f"| conversation state (max / mean) | {figures['state_bytes_max']} B / {figures['state_bytes_mean']} B |"
    )
    print(
        f"| Redis bytes per conversation (record + transcript) | {figures['redis_bytes_per_conversation']} B |"
    )
    figures["turn_over_echo_p50"] = round(turn["p50_ms"] / max(echo["p50_ms"], 0.001), 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=40)
    main(parser.parse_args().conversations)
