"""Two weeks of reminders for a practice with 1,000 visits, on a simulated clock, against a run without them.

The real parts: the Open Dental sandbox over HTTP (seeded with the practice's patients and visits), the book
cache and patient directory in a redis-server of our own, the ledger, the scheduler, the write queue for the
"Sent" statuses and the booking guard for the confirmations. Only the clock is simulated: it moves in 5-minute
steps; each step the book is synced (one incremental read), the scheduler ticks, the queued writes drain, and
the simulated patients answer what they were sent (confirm 60%, change 8%, cancel 4%, ignore the rest, within
0-120 minutes); 5% of patients confirm on their own in both runs. Halfway the scheduler is replaced by a new
one (a restart) over the same ledger. The requests of the sync are the background's and are counted apart.

A slice at the real throttle (1 request/s): a morning batch due at once, timed until every reminder is queued
and until the queued "Sent" statuses are written.

    python -m tests.bench.reminders [--appointments 1000] [--days 14] [--runs 3] [--batch 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.conversation import Statuses
from bot.practices import Practice, ReminderSettings, load_practices
from bot.records.crypto import Sealer, new_key
from bot.records.od_writes import OpenDentalWrites, PendingWrite
from bot.records.storage import RedisStorage, SealedStore
from bot.reminders import Ledger, OptOuts, ReminderScheduler, Window
from flows.context import Cue
from od_adapter import (
    AppointmentBook,
    BookCache,
    OpenDentalClient,
    PatientChanges,
    PatientDirectory,
    RedisStore,
)
from od_adapter.config import ApiMode, OpenDentalConnection
from od_adapter.models import AppointmentUpdate
from od_adapter.ratelimit import MemoryRateLimiter
from od_adapter.sandbox import DEVELOPER_KEY, SandboxSettings, create_sandbox_app
from tests.conftest import free_port
from tests.redis_server import start_redis

ROOT = Path(__file__).parents[2]
REFERENCE = ROOT / "tests/fixtures/reference_office.json"
STEP = timedelta(minutes=5)
CONFIRMED, SENT, UNCONFIRMED = 209, 210, 19  # the reference office's definitions
ANSWERS = (("confirm", 0.60), ("change", 0.08), ("cancel", 0.04))
SPONTANEOUS = 0.05


def seed(appointments: int, days: int, start: datetime, rng: random.Random) -> dict[str, Any]:
    """The reference office with one patient per visit (5% TxtMsgOk No, 3% without a mobile) and the visits
    spread over `days` days from tomorrow, 8:00 to 17:00 in both chairs, made a month before."""
    office = json.loads(REFERENCE.read_text())
    per_day = -(-appointments // days)
    made = f"{start - timedelta(days=30):%Y-%m-%d %H:%M:%S}"
    patients, visits = [], []
    for n in range(appointments):
        pat_num, roll = 1000 + n, rng.random()
        phone = "" if roll < 0.03 else f"503-7{n // 10000 % 10}{n // 1000 % 10}-{n % 1000:04d}"
        patients.append({"PatNum": pat_num, "LName": f"Bench{n}", "FName": f"P{n}", "Birthdate": "1980-01-01", "WirelessPhone": phone, "TxtMsgOk": "No" if 0.03 <= roll < 0.08 else "Yes", "Language": "eng", "PatStatus": "Patient", "Guarantor": pat_num})  # fmt: skip
        day, slot = divmod(n, per_day)
        chair, minute = divmod(slot, per_day // 2 + 1)
        when = datetime.combine(start.date() + timedelta(days=1 + day), datetime.min.time()) + timedelta(hours=8, minutes=10 * (minute % 54))  # fmt: skip
        visits.append({"AptNum": 5000 + n, "PatNum": pat_num, "AptStatus": "Scheduled", "Pattern": "//XX//", "Confirmed": UNCONFIRMED, "Op": (3, 6)[chair % 2], "ProvNum": 1, "AptDateTime": f"{when:%Y-%m-%d %H:%M:%S}", "DateTStamp": made, "SecDateTEntry": made, "Priority": "Normal"})  # fmt: skip
    office["patients"] = office["patients"] + patients
    office["appointments"] = visits
    return office


@dataclass
class Run:
    """One simulated fortnight."""

    reminders: bool
    appointments: int
    days: int
    seed: int
    sent: list[tuple[float, Cue]] = field(default_factory=list)
    answers: list[tuple[float, str, Cue]] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    confirmations: int = 0


async def simulate(run: Run, redis_url: str, workdir: Path) -> dict[str, Any]:
    rng = random.Random(run.seed)
    demo = load_practices(ROOT / "od_adapter/sandbox/data/demo_practices.toml").practices[0]
    start = datetime.now(demo.zone).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    seed_path = workdir / f"office-{run.seed}-{run.reminders}.json"
    seed_path.write_text(json.dumps(seed(run.appointments, run.days, start, rng)))
    server = TestServer(create_sandbox_app(SandboxSettings(throttle_seconds=0, readonly_throttle_seconds=0), seed_path=seed_path), host="127.0.0.1")  # fmt: skip
    await server.start_server()
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    try:
        return await _fortnight(run, demo, start, server, redis, rng)
    finally:
        await redis.aclose()
        await server.close()


def _client(server: TestServer, spacing: float = 0.0) -> OpenDentalClient:
    connection = OpenDentalConnection(mode=ApiMode.REMOTE, base_url=str(server.make_url("/api/v1")), developer_key_env="UNUSED", customer_key_env="UNUSED", throttle_seconds=spacing)  # fmt: skip
    return OpenDentalClient.for_practice(connection, MemoryRateLimiter(), keys=(SecretStr(DEVELOPER_KEY), SecretStr("sandbox-customer")))  # fmt: skip


async def _fortnight(
    run: Run, demo: Practice, start: datetime, server: TestServer, redis: Redis, rng: random.Random
) -> dict[str, Any]:
    rules = ReminderSettings(
        enabled=True, sent_status="Sent", recent_booking_hours=2
    )  # the defaults, Sundays closed
    practice = demo.model_copy(update={"reminders": rules})
    zone, sealer = practice.zone, Sealer([new_key()])
    store, storage = SealedStore(RedisStore(redis), sealer), RedisStorage(redis)
    now = start.replace(tzinfo=zone).timestamp()
    async with _client(server) as client:
        cache = BookCache(client, store, practice.od)
        await cache.load_reference()
        for week in range(0, run.days + 2, 7):
            await cache.load_days(
                [start.date() + timedelta(days=d) for d in range(week, min(week + 7, run.days + 2))]
            )
        directory = PatientDirectory(practice.od, store, lambda e164: e164)
        changed, complete = await PatientChanges(practice.od, client, store).poll()
        await directory.update(changed, complete=complete)
        ledger, optouts = (
            Ledger(storage, sealer, practice.phone_number_id),
            OptOuts(storage, sealer, lambda w: w),
        )
        writes = OpenDentalWrites(storage, sealer, clock=lambda: now)
        book = AppointmentBook(practice.od, client, cache, store, option_keys=[b"bench-key-0123456789abcdef"])
        window = Window.of(rules, zone)

        async def deliver(practice_id: str, wa_id: str, cue: Cue) -> None:
            run.sent.append((now, cue))
            if cue.reminder.ask_confirm:
                roll, total = rng.random(), 0.0
                for answer, share in ANSWERS:
                    total += share
                    if roll < total:
                        run.answers.append((now + rng.uniform(0, 7200), answer, cue))
                        break

        def scheduler() -> ReminderScheduler:
            made = ReminderScheduler(practice, cache, directory, ledger, optouts, deliver, statuses=Statuses(frozenset({CONFIRMED}), UNCONFIRMED), window=window, writes=writes, clock=lambda: now)  # fmt: skip
            cache.subscribers[:] = [made.on_changes]
            return made

        async def write_status(pending: PendingWrite) -> int:
            held = await cache.appointment(pending.apt_num)
            if held is None or (pending.note != "None" and held.confirm_def == CONFIRMED):
                return 0
            before = client.stats.requests
            await client.confirm_appointment(pending.apt_num, confirm_val=pending.note)
            run.requests["status"] += client.stats.requests - before
            return 1

        async def confirm(apt_num: int, pat_num: int, key: str) -> None:
            before = client.stats.requests
            try:
                await book.confirm(apt_num, {pat_num}, key, checked=True)
            except Exception:  # a visit that moved or went meanwhile: nothing to confirm
                return
            run.requests["confirm"] += client.stats.requests - before
            run.confirmations += 1

        spontaneous = {5000 + n for n in range(run.appointments) if rng.random() < SPONTANEOUS}
        current = scheduler() if run.reminders else None
        end = now + (run.days + 1) * 86400
        restart_at, swept_at, cpu = now + (run.days * 86400) / 2, 0.0, 0.0
        while now < end:
            before = client.stats.requests
            await cache.refresh(time.time())
            run.requests["sync"] += client.stats.requests - before
            if current is not None:
                began = time.process_time()
                if now >= restart_at:
                    current, restart_at = (
                        scheduler(),
                        float("inf"),
                    )  # a restart: a new scheduler, the same ledger
                if now - swept_at >= 3600:
                    await current.sweep()
                    swept_at = now
                await current.tick()
                cpu += time.process_time() - began
            await writes.drain({practice.phone_number_id: write_status})
            for due_at, answer, cue in [a for a in run.answers if a[0] <= now]:
                run.answers.remove((due_at, answer, cue))
                reminder = cue.reminder
                if answer == "confirm":
                    await confirm(reminder.apt_num, reminder.pat_num, f"bench:{reminder.id}")
                elif (
                    answer == "change"
                ):  # moved a day later (the sync reports it; its reminders are re-planned)
                    later = AppointmentUpdate(apt_date_time=reminder.start + timedelta(days=1))
                    await client.update_appointment(reminder.apt_num, later)
                else:
                    await client.break_appointment(reminder.apt_num)
            for apt_num in [a for a in spontaneous if _first_day(a, run, start) <= now]:
                spontaneous.discard(apt_num)
                await confirm(apt_num, apt_num - 4000, f"self:{apt_num}")
            now += STEP.total_seconds()
        return await _figures(run, ledger, window, rules, cpu, end)


def _first_day(apt_num: int, run: Run, start: datetime) -> float:
    """When a patient who confirms on their own does: the day before their visit, at noon."""
    per_day = -(-run.appointments // run.days)
    day = (apt_num - 5000) // per_day
    return (datetime.combine(start.date() + timedelta(days=day), datetime.min.time()) + timedelta(hours=12)).timestamp()  # fmt: skip


async def _figures(run: Run, ledger: Ledger, window: Window, rules: ReminderSettings, cpu: float, end: float) -> dict[str, Any]:  # fmt: skip
    entries = await ledger.recent(0, float("inf"), count=100_000)
    once = Counter((c.reminder.apt_num, c.reminder.start, c.reminder.step) for _, c in run.sent)
    late = sum(1 for at, c in run.sent if at > c.reminder.start.replace(tzinfo=window.zone).timestamp() - rules.min_lead_minutes * 60)  # fmt: skip
    outside = sum(1 for at, _ in run.sent if not window.is_open(datetime.fromtimestamp(at, window.zone)))
    missed = sum(1 for e in entries if e.state == "planned" and e.due <= end)
    asked = sum(1 for _, c in run.sent if c.reminder.ask_confirm)
    reasons = Counter(e.reason for e in entries if e.state == "skipped")
    return {
        "reminders": run.reminders,
        "appointments": run.appointments,
        "sent": len(run.sent),
        "due": len(once) + missed,
        "sent_exactly_once_share": round(
            sum(1 for n in once.values() if n == 1) / max(1, len(once) + missed), 4
        ),
        "sent_twice": sum(1 for n in once.values() if n > 1),
        "missed": missed,
        "sent_too_late": late,
        "sent_outside_window": outside,
        "skipped": dict(reasons.most_common()),
        "od_requests_per_reminder_sent": round(run.requests["status"] / max(1, len(run.sent)), 3),
        "od_requests_per_confirmation": round(run.requests["confirm"] / max(1, run.confirmations), 3),
        "od_sync_requests": run.requests["sync"],
        "confirm_requests_sent": asked,
        "confirmations_written": run.confirmations,
        "confirmation_rate": round(run.confirmations / run.appointments, 4),
        "scheduler_cpu_ms_per_reminder": round(cpu * 1000 / max(1, len(run.sent)), 3),
    }


async def morning_batch(count: int, redis_url: str, workdir: Path) -> dict[str, float]:
    """At the real throttle (1 request/s): `count` reminders due at once; seconds until all are queued for
    their conversations, and until their "Sent" statuses are written."""
    rng = random.Random(7)
    demo = load_practices(ROOT / "od_adapter/sandbox/data/demo_practices.toml").practices[0]
    start = datetime.now(demo.zone).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    office = seed(count, 1, start, rng)
    for n, patient in enumerate(p for p in office["patients"] if p["PatNum"] >= 1000):  # every one reachable
        patient["WirelessPhone"], patient["TxtMsgOk"] = f"503-798-{n:04d}", "Yes"
    path = workdir / "batch.json"
    path.write_text(json.dumps(office))
    server = TestServer(
        create_sandbox_app(SandboxSettings(throttle_seconds=1.0), seed_path=path), host="127.0.0.1"
    )
    await server.start_server()
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    try:
        rules = ReminderSettings(enabled=True, sent_status="Sent", closed_weekdays=[], window_start=datetime.min.time(), window_end=datetime.max.time().replace(microsecond=0))  # fmt: skip
        practice = demo.model_copy(update={"reminders": rules})
        sealer = Sealer([new_key()])
        store, storage = SealedStore(RedisStore(redis), sealer), RedisStorage(redis)
        async with _client(server, spacing=1.0) as client:
            cache = BookCache(client, store, practice.od)
            await cache.load_reference()
            await cache.load_days([start.date() + timedelta(days=d) for d in range(3)])
            directory = PatientDirectory(practice.od, store, lambda e164: e164)
            changed, complete = await PatientChanges(practice.od, client, store).poll()
            await directory.update(changed, complete=complete)
            writes = OpenDentalWrites(storage, sealer)
            queued: list[Cue] = []

            async def deliver(practice_id: str, wa_id: str, cue: Cue) -> None:
                queued.append(cue)

            now = (
                (start + timedelta(days=1, hours=7)).replace(tzinfo=practice.zone).timestamp()
            )  # 7:00 on the day
            scheduler = ReminderScheduler(practice, cache, directory, Ledger(storage, sealer, practice.phone_number_id), OptOuts(storage, sealer, lambda w: w), deliver, statuses=Statuses(frozenset({CONFIRMED}), UNCONFIRMED), window=Window.of(rules, practice.zone), writes=writes, clock=lambda: now)  # fmt: skip
            await scheduler.sweep()
            began = time.perf_counter()
            while len(queued) < count:
                await scheduler.tick()
            all_queued = time.perf_counter() - began

            async def write_status(pending: PendingWrite) -> int:
                await client.confirm_appointment(pending.apt_num, confirm_val=pending.note)
                return 1

            while await writes.pending():
                await writes.drain({practice.phone_number_id: write_status})
            return {"batch": count, "seconds_to_queue_all": round(all_queued, 2), "seconds_to_write_sent_statuses": round(time.perf_counter() - began, 1)}  # fmt: skip
    finally:
        await redis.aclose()
        await server.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appointments", type=int, default=1000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port = free_port()
        (workdir / "redis").mkdir()
        process = start_redis(port, workdir / "redis")
        url = f"redis://127.0.0.1:{port}/0"
        try:
            figures: dict[str, Any] = {}
            for reminders in (False, True):
                runs, seconds = [], []
                for n in range(args.runs):
                    began = time.perf_counter()
                    runs.append(
                        await simulate(Run(reminders, args.appointments, args.days, seed=n), url, workdir)
                    )
                    seconds.append(time.perf_counter() - began)
                result = runs[len(runs) // 2]
                result["wall_seconds_median"] = round(statistics.median(seconds), 1)
                result["confirmation_rate_median"] = statistics.median(r["confirmation_rate"] for r in runs)
                figures["with_reminders" if reminders else "baseline"] = result
                print(f"{'reminders' if reminders else 'baseline '}: {json.dumps(result)}")
            figures["morning_batch_at_1_request_per_second"] = await morning_batch(args.batch, url, workdir)
            base, with_ = figures["baseline"]["confirmation_rate_median"], figures["with_reminders"]["confirmation_rate_median"]  # fmt: skip
            figures["confirmation_rate_gain"] = round(with_ - base, 4)
        finally:
            process.terminate()
            process.wait(timeout=10)
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
