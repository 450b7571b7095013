"""Load: simulated patients hold whole conversations against real processes, with 1, 2 and 4 workers.

Each run starts a fresh deployment (tests/simulator.py: Redis, the Open Dental sandbox at its real 1 request/s
throttle per practice, `serve --no-worker`, N `worker` processes) and lets `--patients` patients per practice
book, book as new patients, reschedule, cancel, confirm and ask, in all seven languages, all at once. It
reports conversations completed per minute; the time from a patient's message to the first reply (p50/p95/p99,
debounce included); each turn split into our own processing and waiting for Open Dental (from the workers'
per-turn log lines); Open Dental requests per completed booking; the throttle's wait; Redis memory per
conversation; and each worker count's throughput as a ratio to one worker's. Prints a table, then one line of
JSON.

    python -m tests.bench.load          # the full run: 4 practices x 10 patients, 1/2/4 workers, throttle 1 s and 0
    python -m tests.bench.load --practices 2 --patients 4 --workers 1 2 --throttle 0.2   # a short one
    python -m tests.bench.load --practices 1 --patients 8 --workers 1 --throttle 1 --goals book   # busy hour

Patients write once every practice's book is loaded (the background loader's cold load is timed apart, as
`book_load_s`): a busy hour happens at a practice whose assistant has been running.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from tests.simulator import MIX, Outcome, Stack, cast, percentile

BOOKING_GOALS = ("book", "new", "reschedule")


async def memory_by_owner(url: str) -> dict[str, Any]:
    """Bytes held in Redis: by the practices' Open Dental caches (`od:`), and by everything conversations keep,
    with the conversations' bytes by kind of key (ids and numbers replaced by `*`)."""
    redis = Redis.from_url(url)
    owners: dict[str, Any] = {"book_cache": 0, "conversations": 0, "kinds": {}}
    async for key in redis.scan_iter(count=500):
        size = int(await redis.memory_usage(key) or 0)
        owner = "book_cache" if key.startswith(b"od:") else "conversations"
        owners[owner] += size
        if owner == "conversations":
            kind = re.sub(r"[0-9a-f]{8,}|[0-9]+", "*", key.decode(errors="replace"))
            owners["kinds"][kind] = owners["kinds"].get(kind, 0) + size
    await redis.aclose()
    return owners


def spread(values: list[float]) -> dict[str, float]:
    return {f"p{p}": round(percentile(values, p / 100), 1) for p in (50, 95, 99)}


async def one_run(workers: int, throttle: float, args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"load-{workers}w-"))
    stack = Stack(
        workdir, practices=args.practices, workers=workers, od_throttle=throttle, debounce=args.debounce
    )
    try:
        async with stack:
            loading = 0.0 if args.no_book_wait else await stack.books_loaded()
            patients = cast(stack, args.patients, mix=dict.fromkeys(args.goals, 1) if args.goals else MIX)
            started = time.perf_counter()
            async with httpx.AsyncClient(timeout=30) as client:
                outcomes: list[Outcome] = await asyncio.gather(*(p.run(client) for p in patients))
            elapsed = time.perf_counter() - started
            memory = await memory_by_owner(stack.redis_url)
            turns = stack.turn_figures()
            async with httpx.AsyncClient(timeout=30) as admin:
                counters = (await admin.get(f"{stack.od_admin}/counters")).json()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "od_throttle_s": throttle,
        "book_load_s": round(loading, 1),
        **figures(workers, outcomes, turns, elapsed, memory),
        "commlogs_written": commlogs(counters),
    }


def commlogs(counters: dict[str, Any]) -> int:
    """Commlogs Open Dental received (written after the replies, by the durable write queue)."""
    by_endpoint = counters.get("by_endpoint", counters)
    return sum(int(v) for k, v in by_endpoint.items() if "POST" in k and "commlogs" in k)


def figures(
    workers: int,
    outcomes: list[Outcome],
    turns: list[dict[str, Any]],
    elapsed: float,
    memory: dict[str, int],
) -> dict[str, Any]:
    completed = [o for o in outcomes if o.completed]
    bookings = {o.conversation for o in completed if o.goal in BOOKING_GOALS}
    booking_requests = sum(t["od_requests"] for t in turns if t["conversation"] in bookings)
    first_turns: dict[str, int] = {}
    for t in turns:  # in log order: a conversation's first turn is the one that offers times
        first_turns.setdefault(t["conversation"], t["od_requests"])
    latencies = [s * 1000 for o in outcomes for s in o.latencies]
    return {
        "workers": workers,
        "conversations": len(outcomes),
        "completed": len(completed),
        "failed": sorted(f"{o.goal}:{o.last_key}" for o in outcomes if not o.completed),
        "seconds": round(elapsed, 1),
        "conversations_per_minute": round(len(completed) / elapsed * 60, 1),
        "reply_ms": spread(latencies),
        "turn_ms": spread([t["turn_ms"] for t in turns]),
        "ours_ms": spread([t["turn_ms"] - t["od_ms"] for t in turns]),
        "od_wait_ms": spread([t["od_ms"] for t in turns]),
        "throttle_wait_ms": spread([t["od_throttle_ms"] for t in turns]),
        "od_requests_per_booking": round(booking_requests / len(bookings), 1) if bookings else None,
        "od_requests_to_first_options": spread_counts([first_turns[c] for c in bookings if c in first_turns]),
        "redis_bytes_per_conversation": round(memory["conversations"] / len(outcomes)),
        "redis_bytes_per_conversation_by_kind": {
            kind: round(size / len(outcomes))
            for kind, size in sorted(memory["kinds"].items(), key=lambda kv: -kv[1])
        },
        "redis_book_cache_bytes_per_practice": round(
            memory["book_cache"] / len({o.practice for o in outcomes})
        ),
        "webhook_retries": sum(o.webhook_retries for o in outcomes),
    }


def spread_counts(values: list[int]) -> dict[str, float]:
    return {"mean": round(sum(values) / len(values), 2) if values else 0.0, "max": max(values, default=0)}


def report(runs: list[dict[str, Any]]) -> None:
    print("| OD throttle | workers | completed | conv/min | reply p50/p95/p99 ms | turn: ours p50/p95/p99 ms | turn: Open Dental p50/p95/p99 ms | OD req/booking | Redis B/conv |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        triple = lambda d: "/".join(f"{d[k]:.0f}" for k in ("p50", "p95", "p99"))  # noqa: E731
        print(
            f"| {run['od_throttle_s']} s | {run['workers']} | {run['completed']}/{run['conversations']} | {run['conversations_per_minute']} "
            f"| {triple(run['reply_ms'])} | {triple(run['ours_ms'])} | {triple(run['od_wait_ms'])} "
            f"| {run['od_requests_per_booking']} | {run['redis_bytes_per_conversation']} |"
        )
    ratios = {}
    for run in runs:  # each worker count against the first one at the same throttle
        base = next(r for r in runs if r["od_throttle_s"] == run["od_throttle_s"])
        name = f"throughput_{run['workers']}w_over_{base['workers']}w_at_{run['od_throttle_s']}s"
        ratios[name] = round(run["conversations_per_minute"] / (base["conversations_per_minute"] or 1), 2)
    print(json.dumps({"runs": runs, **ratios}))


async def main(args: argparse.Namespace) -> None:
    runs = [await one_run(workers, throttle, args) for throttle in args.throttle for workers in args.workers]
    report(runs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--practices", type=int, default=4)
    parser.add_argument("--patients", type=int, default=10, help="patients per practice, all writing at once")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument(
        "--throttle",
        type=float,
        nargs="+",
        default=[1.0, 0.0],
        help="Open Dental's spacing per practice, s (1: the Remote API; 0: the API Service on site)",
    )
    parser.add_argument("--debounce", type=float, default=0.3, help="INBOUND_DEBOUNCE_SECONDS for the run")
    parser.add_argument(
        "--no-book-wait",
        action="store_true",
        help="let patients write at once (for code without the background loader: the baseline)",
    )
    parser.add_argument(
        "--goals", nargs="+", choices=sorted(MIX), help="only these goals (default: the usual mix of all)"
    )
    asyncio.run(main(parser.parse_args()))
