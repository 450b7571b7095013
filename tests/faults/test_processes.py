"""Faults of the deployment itself, in real processes under a load of simulated patients: workers SIGKILLed at
random moments, Redis restarted (append-only file on), and every delivery arriving three times at once. Each run
asserts that every conversation reached its goal (no message lost), that no slot and no patient was booked twice,
that no reply was sent twice, and that no phone number reached the INFO logs of any process."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from od_adapter.models import pattern_minutes
from od_adapter.sandbox.seed import build_office, load_seed
from tests.simulator import Outcome, SimPatient, Stack, cast, practice_id, text_of

BOOKINGS = ("book", "new", "reschedule")


async def converse(stack: Stack, patients: list[SimPatient]) -> list[Outcome]:
    async with httpx.AsyncClient(timeout=30) as client:
        return list(await asyncio.gather(*(p.run(client) for p in patients)))


async def book_of(stack: Stack, practice: int) -> list[dict[str, Any]]:
    """Every appointment of the office from today on, through its (unthrottled) read-only key."""
    rows: list[dict[str, Any]] = []
    params = {"DateStart": f"{date.today()}", "DateEnd": f"{date.today() + timedelta(days=70)}", "Limit": 100}
    async with stack.od(practice) as od:
        while True:
            page = (await od.get("appointments", params={**params, "Offset": len(rows)})).json()
            rows += page
            if len(page) < 100:
                return rows


def overlapping(book: list[dict[str, Any]], seeded_up_to: int) -> list[tuple[int, int]]:
    """Pairs of scheduled appointments in one chair at once where at least one was made during the run."""
    by_chair: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    for a in book:
        if a["AptStatus"] == "Scheduled":
            start = datetime.fromisoformat(a["AptDateTime"])
            by_chair[a["Op"]].append((start, start + timedelta(minutes=pattern_minutes(a["Pattern"])), a["AptNum"]))  # fmt: skip
    clashes = []
    for visits in by_chair.values():
        visits.sort()
        for (_, end, first), (start, _, second) in itertools.pairwise(visits):
            if start < end and max(first, second) > seeded_up_to:
                clashes.append((first, second))
    return clashes


async def assert_nothing_lost_or_doubled(stack: Stack, outcomes: list[Outcome]) -> None:
    unfinished = {
        f"{o.goal}:{o.last_key}": [text_of(m.body)[:80] for m in stack.sink.sent_to(o.practice, o.wa_id)]
        for o in outcomes
        if not o.completed
    }
    assert not unfinished, unfinished
    for o in outcomes:
        records = [m.body.get("biz_opaque_callback_data") for m in stack.sink.sent_to(o.practice, o.wa_id)]
        assert all(records) and len(set(records)) == len(records), f"{o.goal}: a reply was sent twice"
    seeded_up_to = max(build_office(load_seed()).appointments)
    for practice in range(1, stack.practices + 1):
        book = await book_of(stack, practice)
        assert not overlapping(book, seeded_up_to), "a slot was booked twice"
        made = defaultdict(int)
        for a in book:
            if a["AptNum"] > seeded_up_to and a["AptStatus"] == "Scheduled":
                made[a["PatNum"]] += 1
        assert all(count == 1 for count in made.values()), "a patient was booked twice"
        booked_here = [
            o for o in outcomes if o.goal in ("book", "new") and o.practice == practice_id(practice)
        ]
        assert len(made) >= len(booked_here)
    logs = "\n".join(stack.log_lines("INFO"))
    assert not [o.wa_id for o in outcomes if o.wa_id[1:] in logs], "a phone number in the INFO logs"


async def test_workers_killed_mid_turn_lose_nothing_and_book_once(tmp_path: Path) -> None:
    stack = Stack(tmp_path, practices=2, workers=2, od_throttle=0.0, recovery_seconds=3.0)
    async with stack:
        patients = cast(stack, 8, seed=11)
        rng = random.Random(5)
        kills = 0

        async def kill_now_and_then() -> None:
            nonlocal kills
            while kills < 8:
                await asyncio.sleep(rng.uniform(0.8, 2.0))
                stack.kill_worker(rng.choice(stack.worker_names))
                stack.start_worker()
                kills += 1

        killer = asyncio.create_task(kill_now_and_then())
        outcomes = await converse(stack, patients)
        killer.cancel()
        assert kills >= 4, "the run ended before enough workers were killed"
        await assert_nothing_lost_or_doubled(stack, outcomes)


async def test_a_redis_restart_is_recovered_from_and_metas_retries_absorbed(tmp_path: Path) -> None:
    stack = Stack(tmp_path, practices=2, workers=2, od_throttle=0.0, aof=True, recovery_seconds=3.0)
    async with stack:
        patients = cast(stack, 6, seed=12)

        async def restart_twice() -> None:
            # Soon after the conversations start, and again while they run: turns are quick, and a restart that
            # comes after the last delivery proves nothing.
            for pause in (0.5, 1.0, 1.0):
                await asyncio.sleep(pause)
                await asyncio.to_thread(stack.restart_redis, 1.5)

        restarts = asyncio.create_task(restart_twice())
        outcomes = await converse(stack, patients)
        await restarts
        assert sum(o.webhook_retries for o in outcomes) > 0, (
            "no delivery met Redis down: the test proved nothing"
        )
        await assert_nothing_lost_or_doubled(stack, outcomes)


async def test_every_delivery_three_times_at_once_is_one_turn_and_one_reply(tmp_path: Path) -> None:
    stack = Stack(tmp_path, practices=1, workers=2, od_throttle=0.0)
    async with stack:
        patients = cast(stack, 10, seed=13)
        for patient in patients:
            patient.copies = 3
        outcomes = await converse(stack, patients)
        await assert_nothing_lost_or_doubled(stack, outcomes)
        for o in outcomes:
            replies = [m for m in stack.sink.sent_to(o.practice, o.wa_id)]
            assert len(replies) <= 2 * o.messages  # a text and an interactive at most per message
