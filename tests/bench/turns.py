"""Our own CPU per conversation turn and per warm slot search, at the demo practice's size and scaled up.

For each `--scale` (the Open Dental sandbox's scaled demo practice, on loopback, no throttle), the book is
loaded first (as the background loader does), then scripted conversations (book, info, menu, Spanish) run
through the real `ConversationHandler`. Only the time spent in Open Dental HTTP requests (and the throttle) is
subtracted, read from the client's own per-task figures (`TURN_WAIT`), so the book's decoding and the slot
search count as ours. The warm search is `AppointmentBook.find_options` on the loaded book, two weeks, timed
alone. The echo handler on the same turns is the baseline. Each figure is the median of `--runs` runs. Prints a
table, then the figures as one JSON line.

    python -m tests.bench.turns [--conversations 40] [--scale 1 50] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer

from bot.conversation.handler import build_conversation_handler
from bot.practices import PracticesFile, load_practices
from bot.queue.turns import Turn, TurnHandler
from bot.records.conversations import Conversations
from bot.records.crypto import Sealer, new_key
from bot.records.storage import MemoryStorage
from bot.sandbox.demo import scale_demo_practices
from bot.settings import Settings
from bot.whatsapp.events import InboundMessage
from flows.session import Session
from od_adapter import AppointmentBook, PartOfDay, Preferences
from od_adapter.http import TURN_WAIT, TurnWait
from od_adapter.ratelimit import MemoryRateLimiter
from od_adapter.sandbox import DEVELOPER_KEY, SandboxSettings, create_sandbox_app
from tests.fakes.echo import EchoHandler

ROOT = Path(__file__).parents[2]
PRACTICE_ID = "100000000000001"
SCRIPTS = [
    ["Hi, I'd like a check-up next week please", "the first one", "yes"],
    ["what are your hours?", "thanks"],
    ["hello", "I want a cleaning next week in the afternoon", "other times", "the second one", "no"],
    ["Hola, quiero una revisión la semana que viene por la mañana", "la primera", "sí"],
]


def practices_for(url: str, scale: int) -> PracticesFile:
    demo = scale_demo_practices(load_practices(ROOT / "od_adapter/sandbox/data/demo_practices.toml"), scale)
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


async def run(handler: TurnHandler, conversations: int) -> tuple[list[float], list[Session]]:
    """Per-turn milliseconds of our own processing (Open Dental HTTP and throttle subtracted), and the states."""
    timings: list[float] = []
    states: list[Session] = []
    for c in range(conversations):
        phone = "15035551234" if c % 2 == 0 else "15035553000"
        state = Session()
        for n, words in enumerate(SCRIPTS[c % len(SCRIPTS)]):
            turn = Turn(
                conversation=f"c{c}",
                practice_id=PRACTICE_ID,
                user_key=phone,
                messages=[message(phone, n, words)],
                session=state,
            )
            waited = TurnWait()
            token = TURN_WAIT.set(waited)
            started = time.perf_counter()
            try:
                result = await handler(turn)
            finally:
                TURN_WAIT.reset(token)
            timings.append((time.perf_counter() - started - waited.seconds) * 1000)
            state = result.session
        states.append(state)
    return timings, states


async def warm_searches(book: AppointmentBook, count: int) -> list[float]:
    """Milliseconds per two-week search on the loaded book (no Open Dental request: it is fresh)."""
    start = date.today() + timedelta(days=1)
    prefs = [
        Preferences(start=start, end=start + timedelta(days=13)),
        Preferences(start=start, end=start + timedelta(days=13), part_of_day=PartOfDay.AFTERNOON),
        Preferences(start=start + timedelta(days=7), end=start + timedelta(days=13), weekdays=frozenset({1})),
    ]
    times = []
    for n in range(count):
        started = time.perf_counter()
        await book.find_options("cleaning", prefs[n % len(prefs)])
        times.append((time.perf_counter() - started) * 1000)
    return times


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 2),
    }


async def measure(conversations: int, scale: int) -> dict[str, Any]:
    sandbox = SandboxSettings(throttle_seconds=0, readonly_throttle_seconds=0, scale=scale)
    server = TestServer(create_sandbox_app(sandbox), host="127.0.0.1")
    await server.start_server()
    try:
        practices = practices_for(str(server.make_url("/api/v1")), scale)
        os.environ.setdefault("DEMO_OD_DEVELOPER_KEY", DEVELOPER_KEY)
        os.environ.setdefault("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
        settings = Settings(_env_file=None).with_demo_defaults("http://127.0.0.1")
        handler = build_conversation_handler(
            practices,
            MemoryRateLimiter(),
            None,
            Conversations(MemoryStorage(), Sealer([new_key()])),
            settings.model_copy(update={"book_fresh_seconds": 3600.0}),
        )
        runtime = handler.practices[PRACTICE_ID]
        client = runtime.client
        loader = handler.loaders(sync_every=3600)[PRACTICE_ID]
        assert await loader._hold_lease()
        load_started, requests_before = time.perf_counter(), client.stats.requests
        steps = 0  # the cold load, as the background loader does it before any patient
        while await loader.step():
            steps += 1
            assert steps < 10_000, "the loader never ran out of work"
        cold = {
            "requests": client.stats.requests - requests_before,
            "seconds": time.perf_counter() - load_started,
        }
        await run(handler, 4)  # warm the graph and the patients' families
        before = client.stats.requests
        search_ms = await warm_searches(runtime.office.appointments, 30)
        search_requests = client.stats.requests - before
        turn_ms, _ = await run(handler, conversations)
        echo_ms, _ = await run(EchoHandler(), conversations)
        await handler.aclose()
    finally:
        await server.close()
    return {
        "scale": scale,
        "cold_load_requests": cold["requests"],
        "cold_load_seconds_unthrottled": round(cold["seconds"], 1),
        "warm_search": percentiles(search_ms),
        "warm_search_requests": search_requests,
        "conversation_turn": percentiles(turn_ms),
        "echo_turn_baseline": percentiles(echo_ms),
        "turns": len(turn_ms),
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each timing figure's median over the runs (the counts are the same in every run)."""
    merged = dict(runs[0])
    for name in ("warm_search", "conversation_turn", "echo_turn_baseline"):
        merged[name] = {k: round(statistics.median(r[name][k] for r in runs), 2) for k in runs[0][name]}
    merged["runs"] = len(runs)
    return merged


def main(conversations: int, scales: list[int], runs: int) -> None:
    figures = [
        median_run([asyncio.run(measure(conversations, scale)) for _ in range(runs)]) for scale in scales
    ]
    print("| scale | warm search p50 / p99 | our turn p50 / p99 | echo turn p50 / p99 | cold load requests |")
    print("|---|---|---|---|---|")
    for f in figures:
        search, turn, echo = f["warm_search"], f["conversation_turn"], f["echo_turn_baseline"]
        print(
            f"| {f['scale']} | {search['p50_ms']} / {search['p99_ms']} ms | {turn['p50_ms']} / {turn['p99_ms']} ms "
            f"| {echo['p50_ms']} / {echo['p99_ms']} ms | {f['cold_load_requests']} |"
        )
    print(json.dumps({"scales": figures}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    main(args.conversations, args.scale, args.runs)
