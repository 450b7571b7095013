"""The fault run: simulated patients book, move, cancel and confirm while workers, the web process and Redis are
killed again and again; then every count that matters is read from what the patients got and what Open Dental
holds. `python -m tests.faults.run` (about 3 minutes) or `--short` (what CI runs, about a minute); the figures
print last as one JSON line. `--no-aof` runs Redis without its append-only file (what the start-up check now
refuses) and SIGKILLs it, to show what that loses."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import signal
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from od_adapter.sandbox.seed import build_office, load_seed
from tests.faults.test_processes import book_of, converse, overlapping
from tests.simulator import Outcome, Stack, cast, practice_id


async def chaos(stack: Stack, rng: random.Random, done: dict[str, int], *, rounds: int, aof: bool) -> None:
    """Kill a worker, restart Redis, kill the web process and a worker, in turn, until `rounds` faults have
    happened. Redis goes second, so it happens while conversations are under way even in a short run (replies
    now come within a second or two, and the short run's conversations are over in about ten)."""
    for n in range(rounds):
        await asyncio.sleep(rng.uniform(0.8, 2.0))
        kind = ("worker", "redis", "web", "worker")[n % 4]
        if kind == "worker" and stack.worker_names:
            stack.kill_worker(rng.choice(stack.worker_names))
            stack.start_worker()
            done["worker_kills"] += 1
        elif kind == "web":
            web = stack.processes["web"]
            web.send_signal(signal.SIGKILL)
            web.wait()
            stack.processes["web"] = stack._spawn("web", ["-m", "bot", "serve", "--no-worker", "--port", str(stack.web_port)])  # fmt: skip
            done["web_kills"] += 1
        else:
            if aof:
                await asyncio.to_thread(stack.restart_redis, 1.0)
            else:  # the host dies: nothing flushed survives
                queued, records = await at_risk(stack)
                done["deliveries_lost"] += queued
                done["conversation_records_lost"] += records
                redis = stack.processes["redis"]
                redis.send_signal(signal.SIGKILL)
                redis.wait()
                for leftover in stack.workdir.glob("*.rdb"):
                    leftover.unlink()
                await asyncio.sleep(1.0)
                stack._start_redis()
            done["redis_restarts"] += 1


async def at_risk(stack: Stack) -> tuple[int, int]:
    """What a Redis without AOF loses when its host dies now: deliveries the webhook answered 200 for that are
    still queued, and conversation records (each one a patient's place in a booking)."""
    from redis.asyncio import Redis

    client = Redis.from_url(stack.redis_url)
    try:
        return int(await client.xlen("wa:inbound")), len([k async for k in client.scan_iter("conv:*")])
    finally:
        await client.aclose()


async def commlogs_of(stack: Stack, practice: int, pat_num: int) -> list[dict[str, Any]]:
    async with stack.od(practice) as od:
        return list((await od.get("commlogs", params={"PatNum": pat_num})).json())


async def figures(stack: Stack, outcomes: list[Outcome]) -> dict[str, Any]:
    seeded_up_to = max(build_office(load_seed()).appointments)
    stuck = [o for o in outcomes if not o.completed]
    duplicates = 0
    for o in outcomes:
        records = [m.body.get("biz_opaque_callback_data") for m in stack.sink.sent_to(o.practice, o.wa_id)]
        duplicates += len(records) - len(set(records))
    double_bookings = false_replies = without_commlog = 0
    await asyncio.sleep(3.0)  # the write queue drains after the replies
    for practice in range(1, stack.practices + 1):
        book = await book_of(stack, practice)
        double_bookings += len(overlapping(book, seeded_up_to))
        made: dict[int, list[int]] = defaultdict(list)
        for a in book:
            if a["AptNum"] > seeded_up_to and a["AptStatus"] == "Scheduled":
                made[a["PatNum"]].append(a["AptNum"])
        double_bookings += sum(len(apts) - 1 for apts in made.values() if len(apts) > 1)
        booked_here = [o for o in outcomes if o.goal in ("book", "new") and o.completed and o.practice == practice_id(practice)]  # fmt: skip
        false_replies += max(0, len(booked_here) - len(made))  # told "Booked!" with no appointment to show
        for pat_num, apts in made.items():
            notes = " ".join(c["Note"] for c in await commlogs_of(stack, practice, pat_num))
            without_commlog += sum(f"AptNum {apt}" not in notes for apt in apts)
    latencies = sorted(latency for o in outcomes for latency in o.latencies)
    return {
        "conversations": len(outcomes),
        "messages_lost_or_stuck": len(stuck),
        "stuck": [f"{o.goal}:{o.last_key}" for o in stuck][:10],
        "duplicates_sent": duplicates,
        "double_bookings": double_bookings,
        "false_replies": false_replies,
        "bookings_without_commlog": without_commlog,
        "reply_p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "reply_max_s": round(latencies[-1], 2) if latencies else None,
    }


async def run(
    *, per_practice: int, faults: int, aof: bool, seed: int, keep: Path | None = None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        workdir = keep or scratch
        stack = Stack(Path(workdir), practices=2, workers=2, od_throttle=0.0, aof=aof, recovery_seconds=3.0)
        async with stack:
            patients = cast(stack, per_practice, seed=seed)
            for patient in patients:
                patient.reply_timeout = 45.0
            rng = random.Random(seed)
            started = time.monotonic()
            done = {
                "worker_kills": 0,
                "web_kills": 0,
                "redis_restarts": 0,
                "deliveries_lost": 0,
                "conversation_records_lost": 0,
            }
            chaos_task = asyncio.create_task(chaos(stack, rng, done, rounds=faults, aof=aof))
            outcomes = await converse(stack, patients)
            chaos_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await chaos_task
            report = await figures(stack, outcomes)
            return {"aof": aof, "seconds": round(time.monotonic() - started, 1), **done, **report}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.run")
    parser.add_argument("--short", action="store_true", help="the CI sample: 6 patients a practice, 4 faults")
    parser.add_argument("--no-aof", action="store_true", help="Redis without its append-only file, SIGKILLed")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--keep", type=Path, help="keep the processes' logs in this folder")
    args = parser.parse_args()
    per_practice, faults = (6, 4) if args.short else (16, 12)
    report = asyncio.run(
        run(per_practice=per_practice, faults=faults, aof=not args.no_aof, seed=args.seed, keep=args.keep)
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
