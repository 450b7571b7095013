"""The scheduler over the real parts: the Open Dental sandbox over HTTP, the book cache and the patient directory
in a real Redis, the ledger in the same Redis, and a clock the test moves (nothing sleeps for hours)."""

from __future__ import annotations

import asyncio
import time as clock
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.conversation import Statuses
from bot.practices import Practice, ReminderSettings, load_practices
from bot.records.conversations import Conversations
from bot.records.crypto import Sealer, new_key
from bot.records.figures import Figures
from bot.records.od_writes import OpenDentalWrites, PendingWrite
from bot.records.storage import RedisStorage, SealedStore
from bot.reminders import Ledger, OptOuts, Reminders, ReminderScheduler, Window
from flows.context import ActionTaken, Cue
from od_adapter import BookCache, OpenDentalClient, PatientChanges, PatientDirectory, RedisStore
from tests.conftest import SandboxFactory, api_url, make_client

ROOT = Path(__file__).resolve().parents[2]
DEMO = load_practices(ROOT / "od_adapter/sandbox/data/demo_practices.toml").practices[0]
OD = {"Authorization": "ODFHIR sandbox-dev/sandbox-customer", "Content-Type": "application/json"}
CONFIRMED = 209  # the reference office's ApptEConfirmStatusAccepted ("Confirmed")
SEED = ROOT / "tests/fixtures/reference_office.json"
"""An office with no book of its own: the only visits are the test's."""
RULES = ReminderSettings(enabled=True, closed_weekdays=[], window_start=time(8, 0), window_end=time(20, 0))


@dataclass
class Office:
    """The practice as the scheduler sees it, and the hands a test moves it with."""

    od: httpx.AsyncClient
    admin: str
    client: OpenDentalClient
    cache: BookCache
    directory: PatientDirectory
    ledger: Ledger
    optouts: OptOuts
    writes: OpenDentalWrites
    practice: Practice
    now: float
    sent: list[tuple[str, Cue]] = field(default_factory=list)

    def scheduler(self, figures: Figures | None = None) -> ReminderScheduler:
        """A scheduler (a worker), as a restart makes a new one over the same ledger."""

        async def deliver(practice_id: str, wa_id: str, cue: Cue) -> None:
            await asyncio.sleep(0.01)  # a round trip to the queue: two workers overlap here
            self.sent.append((wa_id, cue))

        statuses = Statuses(frozenset({CONFIRMED}), 19)
        window = Window.of(self.practice.reminders, self.practice.zone)
        return ReminderScheduler(self.practice, self.cache, self.directory, self.ledger, self.optouts, deliver, statuses=statuses, window=window, writes=self.writes, figures=figures, clock=lambda: self.now)  # fmt: skip

    def local(self, moment: datetime) -> float:
        return moment.replace(tzinfo=self.practice.zone).timestamp()

    async def patient(self, first: str, phone: str, **fields: object) -> int:
        body = {"LName": "Test", "FName": first, "WirelessPhone": phone, "Birthdate": "1980-01-01", **fields}
        response = await self.od.post("patients", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["PatNum"])

    async def visit(self, pat_num: int, when: datetime) -> int:
        body = {"PatNum": pat_num, "Op": 3, "ProvNum": 1, "AptDateTime": f"{when:%Y-%m-%d %H:%M:%S}", "Pattern": "//XX//"}  # fmt: skip
        response = await self.od.post("appointments", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["AptNum"])

    async def sync(self) -> None:
        """What the background loader would do next: the book's changes, then the charts'."""
        await asyncio.sleep(0.01)  # a read that begins after the change
        await self.cache.refresh(clock.time())
        changed, complete = await PatientChanges(self.practice.od, self.client, self.cache.store).poll()
        await self.directory.update(changed, complete=complete)

    async def states(self, apt_num: int) -> dict[str, tuple[str, str]]:
        return {e.step: (e.state, e.reason) for e in await self.ledger.for_visit(apt_num)}


def in_days(days: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(datetime.now(DEMO.zone).date() + timedelta(days=days), time(hour, minute))


@pytest.fixture(name="office")
async def fixture_office(start_sandbox: SandboxFactory, redis: Redis) -> AsyncIterator[Office]:
    server: TestServer = await start_sandbox(SEED)
    practice = DEMO.model_copy(update={"reminders": RULES, "open_dental": DEMO.open_dental.model_copy(update={"base_url": api_url(server), "throttle_seconds": 0.0})})  # fmt: skip
    sealer = Sealer([new_key()])
    store = SealedStore(RedisStore(redis), sealer)
    storage = RedisStorage(redis)
    async with (
        make_client(server) as client,
        httpx.AsyncClient(base_url=f"{api_url(server)}/", headers=OD) as od,
    ):
        cache = BookCache(client, store, practice.od)
        today = datetime.now(practice.zone).date()
        await cache.load_reference()
        await cache.load_days([today + timedelta(days=n) for n in range(8)])
        directory = PatientDirectory(practice.od, store, lambda e164: f"t{e164}")
        office = Office(od, str(server.make_url("")).rstrip("/"), client, cache, directory, Ledger(storage, sealer, practice.phone_number_id), OptOuts(storage, sealer, lambda w: f"t{w}"), OpenDentalWrites(storage, sealer), practice, now=datetime.now(practice.zone).timestamp())  # fmt: skip
        await office.sync()
        yield office


async def test_each_step_goes_once_across_two_workers_and_a_restart(office: Office) -> None:
    pat = await office.patient("Ana", "(503) 555-7001")
    apt = await office.visit(pat, in_days(4, 15))
    await office.sync()
    first, second = office.scheduler(), office.scheduler()
    await first.sweep()
    assert await office.states(apt) == {"confirm": ("planned", ""), "day_of": ("planned", "")}
    office.now = office.local(in_days(2, 10, 1))
    assert sum(await asyncio.gather(first.tick(), second.tick())) == 1, "two workers, one message"
    assert [(w, c.reminder.step, c.reminder.ask_confirm) for w, c in office.sent] == [("15035557001", "confirm", True)]  # fmt: skip
    restarted = office.scheduler()
    await restarted.sweep()  # a replan after a restart never plans what was sent again
    assert await restarted.tick() == 0
    office.now = office.local(in_days(4, 8, 0))
    assert await restarted.tick() + await first.tick() == 1
    assert [c.reminder.step for _, c in office.sent] == ["confirm", "day_of"]
    assert office.sent[0][1].reminder.first_name == "Ana" and office.sent[0][1].reminder.start == in_days(
        4, 15
    )
    assert await office.states(apt) == {"confirm": ("sent", ""), "day_of": ("sent", "")}


async def test_a_restart_after_the_due_time_still_sends_what_is_due(office: Office) -> None:
    apt = await office.visit(await office.patient("Bea", "503-555-7002"), in_days(3, 11))
    await office.sync()
    await office.scheduler().sweep()
    office.now = office.local(in_days(1, 12))  # the workers were down at 10:00
    assert await office.scheduler().tick() == 1
    assert (await office.states(apt))["confirm"][0] == "sent"


@pytest.mark.parametrize(
    ("fields", "phone", "why"),
    [
        ({"TxtMsgOk": "No"}, "503-555-7003", "TxtMsgOk is No"),
        ({}, "", "no mobile number"),
        ({}, "+44 20 7946 0000", "the number is a landline"),
    ],
)
async def test_patients_who_may_not_be_messaged_are_skipped(
    office: Office, fields: dict[str, str], phone: str, why: str
) -> None:
    apt = await office.visit(await office.patient("Cy", phone, **fields), in_days(3, 11))
    await office.sync()
    scheduler = office.scheduler()
    await scheduler.sweep()
    office.now = office.local(in_days(1, 10, 5))
    assert await scheduler.tick() == 0 and office.sent == []
    assert (await office.states(apt))["confirm"] == ("skipped", why)


async def test_unknown_txt_msg_ok_follows_the_practice(office: Office) -> None:
    office.practice = office.practice.model_copy(update={"reminders": RULES.model_copy(update={"txt_msg_unknown": "skip"})})  # fmt: skip
    apt = await office.visit(await office.patient("Di", "503-555-7004", TxtMsgOk="Unknown"), in_days(3, 11))
    await office.sync()
    scheduler = office.scheduler()
    await scheduler.sweep()
    office.now = office.local(in_days(1, 10, 5))
    assert await scheduler.tick() == 0
    assert (await office.states(apt))["confirm"] == ("skipped", "TxtMsgOk is Unknown")


async def test_opted_out_and_undeliverable_numbers_get_nothing(office: Office) -> None:
    stopped = await office.visit(await office.patient("Ed", "503-555-7005"), in_days(3, 11))
    gone = await office.visit(await office.patient("Flo", "503-555-7006"), in_days(3, 12))
    await office.optouts.stop(office.practice.phone_number_id, "15035557005", "conv")
    await office.optouts.undeliverable(office.practice.phone_number_id, "15035557006", "conv")
    await office.sync()
    scheduler = office.scheduler()
    await scheduler.sweep()
    office.now = office.local(in_days(1, 10, 5))
    assert await scheduler.tick() == 0
    assert (await office.states(stopped))["confirm"] == ("skipped", "opted out")
    assert (await office.states(gone))["confirm"] == ("skipped", "undeliverable (131026)")
    assert await office.optouts.start(office.practice.phone_number_id, "15035557005")
    assert await office.optouts.reason(office.practice.phone_number_id, "15035557005") is None


async def test_broken_and_deleted_visits_lose_their_reminders(office: Office) -> None:
    pat = await office.patient("Gus", "503-555-7007")
    broken, deleted = await office.visit(pat, in_days(3, 9)), await office.visit(pat, in_days(3, 14))
    await office.sync()
    scheduler = office.scheduler()
    office.cache.subscribers.append(scheduler.on_changes)
    await scheduler.sweep()
    assert (await office.od.put(f"appointments/{broken}/Break", json={"sendToUnscheduledList": "false", "breakType": "Missed"})).status_code == 200  # fmt: skip
    assert (
        await office.od.delete(f"{office.admin}/_admin/offices/1/appointments/{deleted}")
    ).status_code == 200
    await office.sync()  # the loader's read reports the break
    await office.cache.load_days([in_days(3, 0).date()])  # and its whole-day read the deletion
    office.now = office.local(in_days(1, 10, 5))
    assert await scheduler.tick() == 0
    assert await office.states(broken) == {"confirm": ("cancelled", "the visit is Broken"), "day_of": ("cancelled", "the visit is Broken")}  # fmt: skip
    assert {s for s, _ in (await office.states(deleted)).values()} == {"cancelled"}


async def test_a_visit_confirmed_meanwhile_gets_its_day_of_reminder_only(office: Office) -> None:
    apt = await office.visit(await office.patient("Hal", "503-555-7008"), in_days(3, 10))
    await office.sync()
    scheduler = office.scheduler()
    await scheduler.sweep()
    assert (await office.od.put(f"appointments/{apt}/Confirm", json={"defNum": CONFIRMED})).status_code == 200
    await office.sync()
    office.now = office.local(in_days(1, 10, 5))
    assert await scheduler.tick() == 0
    office.now = office.local(in_days(3, 8, 1))
    assert await scheduler.tick() == 1
    assert await office.states(apt) == {"confirm": ("skipped", "already confirmed"), "day_of": ("sent", "")}


async def test_a_moved_visit_is_planned_again_and_its_confirmation_reset(office: Office) -> None:
    apt = await office.visit(await office.patient("Ivy", "503-555-7009"), in_days(3, 10))
    await office.od.put(f"appointments/{apt}/Confirm", json={"defNum": CONFIRMED})
    await office.sync()
    scheduler = office.scheduler()
    office.cache.subscribers.append(scheduler.on_changes)
    await scheduler.sweep()
    moved = in_days(5, 16)
    assert (await office.od.put(f"appointments/{apt}", json={"AptDateTime": f"{moved:%Y-%m-%d %H:%M:%S}"})).status_code == 200  # fmt: skip
    await office.sync()
    entries = {(e.start, e.step): e.state for e in await office.ledger.for_visit(apt)}
    assert entries[(in_days(3, 10), "confirm")] == entries[(in_days(3, 10), "day_of")] == "cancelled"
    assert entries[(moved, "day_of")] == "planned"
    assert entries[(moved, "confirm")] == "skipped", "confirmed, until the reset is written"
    written: list[tuple[int, str]] = []

    async def write(pending: PendingWrite) -> int:
        written.append((pending.apt_num, pending.note))
        await office.client.confirm_appointment(pending.apt_num, confirm_val=pending.note)
        return 1

    assert await office.writes.drain({office.practice.phone_number_id: write}) == 1
    assert written == [(apt, "None")], "the old time's confirmation is reset through the write queue"
    await office.sync()
    await scheduler.sweep()
    assert (await office.states(apt))["confirm"] == ("planned", ""), "the new time is asked to confirm"


async def test_outside_the_window_a_due_reminder_waits_and_a_late_one_is_dropped(office: Office) -> None:
    apt = await office.visit(await office.patient("Jo", "503-555-7010"), in_days(1, 9))
    await office.sync()
    scheduler = office.scheduler()
    office.now = office.local(in_days(0, 21))  # made in the evening for tomorrow 9:00
    await scheduler.sweep()
    assert await scheduler.tick() == 0
    entry = next(e for e in await office.ledger.for_visit(apt) if e.state == "planned")
    assert entry.step == "confirm" and entry.due == office.local(in_days(1, 8)), "when the window opens"
    office.now = office.local(in_days(1, 8, 30))  # past the lead time (60 min) before 9:00
    assert await scheduler.tick() == 0
    assert (await office.states(apt))["confirm"] == ("skipped", "too late to be useful")


async def test_the_daily_limit_holds_the_rest_for_tomorrow(office: Office) -> None:
    office.practice = office.practice.model_copy(
        update={"reminders": RULES.model_copy(update={"daily_limit": 2})}
    )
    visits = [await office.visit(await office.patient(f"P{n}", f"503-555-71{n:02d}"), in_days(4, 9 + n)) for n in range(3)]  # fmt: skip
    await office.sync()
    scheduler = office.scheduler()
    await scheduler.sweep()
    office.now = office.local(in_days(2, 10, 5))
    assert await scheduler.tick() == 2
    held = [
        e
        for v in visits
        for e in await office.ledger.for_visit(v)
        if e.step == "confirm" and e.state == "planned"
    ]
    assert len(held) == 1 and held[0].due == office.local(in_days(3, 8))
    office.now = office.local(in_days(3, 8, 1))
    assert await scheduler.tick() == 1


async def test_the_dashboard_counts_reminders_sent_and_each_visit_confirmed_once(office: Office) -> None:
    """Both steps go (one a confirm request); the patient confirms, the turn is replayed, another visit is moved:
    one visit confirmed through WhatsApp, on the dashboard's days (the practice's local days of each event)."""
    storage = office.ledger.storage
    figures = Figures(storage)
    pat = await office.patient("Ida", "(503) 555-7011")
    apt = await office.visit(pat, in_days(4, 15))
    other = await office.visit(await office.patient("Lev", "(503) 555-7012"), in_days(4, 16))
    await office.sync()
    scheduler = office.scheduler(figures)
    await scheduler.sweep()
    office.now = office.local(in_days(2, 10, 1))
    assert await scheduler.tick() == 2
    office.now = office.local(in_days(4, 8, 0))
    assert await scheduler.tick() == 2
    conversations = Conversations(storage, office.ledger.sealer)
    reminders = Reminders({DEMO.phone_number_id: scheduler}, office.optouts, conversations, figures=figures)
    for _ in range(2):  # a replayed turn answers nothing new
        await reminders.answered(
            DEMO.phone_number_id, [ActionTaken(action="confirm", apt_num=apt, pat_num=pat)]
        )
    await reminders.answered(DEMO.phone_number_id, [ActionTaken(action="reschedule", apt_num=other)])
    assert {e.outcome for e in await office.ledger.for_visit(apt)} == {"confirmed"}
    today = datetime.now(DEMO.zone).date()
    period = await figures.period(DEMO.phone_number_id, today, today + timedelta(days=4))
    assert (period.total("reminders_sent"), period.total("reminder_confirm_requests")) == (4, 2)
    assert period.total("reminders_confirmed") == 1
    assert period.daily[today + timedelta(days=2)]["reminder_confirm_requests"] == 2
