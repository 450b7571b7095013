"""Refill over the real parts: the Open Dental sandbox over HTTP (the demo office, its ASAP list cleared so the
only waiting patients are the test's), the book cache and the patient directory in a real Redis, the ledger in
the same Redis, the booking guard, and a clock the test moves (nothing sleeps for minutes).

Staff break, delete or move a visit through the sandbox's API; the sync's change reports find the opening; the
scheduler offers it in batches; the desk takes the first yes through the guard and tells the others it is taken.
"""

from __future__ import annotations

import asyncio
import time as clock
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NoReturn

import httpx
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.practices import Practice, RefillSettings, ReminderSettings
from bot.records.crypto import Sealer, new_key
from bot.records.storage import RedisStorage, SealedStore
from bot.refill import RefillDesk, RefillLedger, RefillScheduler
from bot.reminders import OptOuts
from flows.context import Cue
from od_adapter import (
    AppointmentBook,
    BookCache,
    OdUnavailable,
    OpenDentalClient,
    Option,
    PatientChanges,
    PatientDirectory,
    Preferences,
    RedisStore,
)
from tests.conftest import SandboxFactory, api_url, make_client
from tests.reminders.test_scheduler import DEMO, OD

OPEN_ALL_DAY = ReminderSettings(closed_weekdays=[], window_start=time(0, 0), window_end=time(23, 59))
RULES = RefillSettings(enabled=True, batch_size=2, batch_every_minutes=15)


@dataclass
class Office:
    od: httpx.AsyncClient
    admin: str
    client: OpenDentalClient
    cache: BookCache
    directory: PatientDirectory
    ledger: RefillLedger
    optouts: OptOuts
    book: AppointmentBook
    practice: Practice
    now: float
    cleaning_type: int
    sent: list[tuple[str, Cue]] = field(default_factory=list)

    def scheduler(self) -> RefillScheduler:
        async def deliver(practice_id: str, wa_id: str, cue: Cue) -> None:
            self.sent.append((wa_id, cue))

        scheduler = RefillScheduler(self.practice, self.client, self.cache, self.directory, self.ledger, self.optouts, deliver, clock=lambda: self.now)  # fmt: skip
        self.cache.subscribers.append(scheduler.on_changes)
        return scheduler

    def desk(self) -> RefillDesk:
        return RefillDesk(self.practice, self.ledger, self.book, clock=lambda: self.now)

    def at(self, moment: datetime) -> None:
        self.now = moment.replace(tzinfo=self.practice.zone).timestamp()

    async def patient(self, first: str, phone: str) -> int:
        body = {"LName": "Waiting", "FName": first, "WirelessPhone": phone, "Birthdate": "1980-01-01"}
        response = await self.od.post("patients", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["PatNum"])

    async def cleanings(self, day: date) -> list[Option]:
        return await self.book.find_options("cleaning", Preferences(start=day, end=day))

    async def cleaning(self, pat_num: int, option: Option, *, asap: bool = False) -> int:
        body = {"PatNum": pat_num, "Op": option.op, "ProvNum": 1, "ProvHyg": option.prov_num, "IsHygiene": "true", "AptDateTime": f"{option.start:%Y-%m-%d %H:%M:%S}", "Pattern": "/" * 0 + "X" * (option.minutes // 5), "AppointmentTypeNum": self.cleaning_type, "Priority": "ASAP" if asap else "Normal"}  # fmt: skip
        response = await self.od.post("appointments", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["AptNum"])

    async def visit(self, apt_num: int) -> dict[str, object]:
        response = await self.od.get(f"appointments/{apt_num}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def sync(self) -> None:
        """What the background loader does next: the book's changes (to the subscribers), then the charts'."""
        await asyncio.sleep(0.01)
        await self.cache.refresh(clock.time())
        changed, complete = await PatientChanges(self.practice.od, self.client, self.cache.store).poll()
        await self.directory.update(changed, complete=complete)


@pytest.fixture(name="office")
async def fixture_office(start_sandbox: SandboxFactory, redis: Redis) -> AsyncIterator[Office]:
    server: TestServer = await start_sandbox()
    connection = DEMO.open_dental.model_copy(update={"base_url": api_url(server), "throttle_seconds": 0.0})
    practice = DEMO.model_copy(update={"reminders": OPEN_ALL_DAY, "refill": RULES, "open_dental": connection})
    sealer = Sealer([new_key()])
    store = SealedStore(RedisStore(redis), sealer)
    storage = RedisStorage(redis)
    async with (
        make_client(server) as client,
        httpx.AsyncClient(base_url=f"{api_url(server)}/", headers=OD) as od,
    ):
        for waiting in (await od.get("appointments/ASAP")).json():  # only the test's patients wait
            await od.put(f"appointments/{waiting['AptNum']}", json={"Priority": "Normal"})
        cache = BookCache(client, store, practice.od)
        today = datetime.now(practice.zone).date()
        reference = await cache.load_reference()
        await cache.load_days([today + timedelta(days=n) for n in range(45)])
        cleaning = next(t.appointment_type_num for t in reference.appointment_types if t.appointment_type_name == "Cleaning")  # fmt: skip
        directory = PatientDirectory(practice.od, store, lambda e164: f"t{e164}")
        book = AppointmentBook(practice.od, client, cache, store, option_keys=[b"refill-test-key"])
        ledger = RefillLedger(storage, sealer, practice.phone_number_id)
        optouts = OptOuts(storage, sealer, lambda w: f"t{w}")
        office = Office(
            od,
            str(server.make_url("")).rstrip("/"),
            client,
            cache,
            directory,
            ledger,
            optouts,
            book,
            practice,
            0.0,
            cleaning,
        )
        office.at(datetime.combine(today + timedelta(days=1), time(8, 0)))
        await office.sync()
        yield office


@dataclass
class Scene:
    freed: int
    """The visit staff free (an afternoon in the coming days)."""
    freed_at: Option
    waiting: dict[str, tuple[int, int]]
    """First name -> (PatNum, the ASAP visit's AptNum)."""


async def scene(office: Office, *names: str) -> Scene:
    """A cleaning in the coming days (an afternoon), and ASAP patients with cleanings 20, 30, 40 days out (same hygienist)."""
    today = datetime.now(office.practice.zone).date()
    soon = [
        o
        for n in range(1, 8)
        for o in await office.cleanings(today + timedelta(days=n))
        if o.start.hour >= 12
    ]
    freed_at = soon[0]
    freed = await office.cleaning(await office.patient("Freed", "503-555-8100"), freed_at)
    waiting = {}
    for n, name in enumerate(names):
        first = today + timedelta(days=20 + 10 * n)
        later = [o for d in range(7) for o in await office.cleanings(first + timedelta(days=d)) if o.prov_num == freed_at.prov_num]  # fmt: skip
        pat = await office.patient(name, f"503-555-81{n + 1:02d}")
        waiting[name] = (pat, await office.cleaning(pat, later[0], asap=True))
    await office.sync()
    return Scene(freed, freed_at, waiting)


async def break_visit(office: Office, apt_num: int, *, unscheduled: bool = True) -> None:
    """Staff break the visit; by default to the Unscheduled List, which frees the chair (a Broken visit left on
    the schedule still holds it, as Open Dental counts it)."""
    body = {"sendToUnscheduledList": "true"} if unscheduled else {"sendToUnscheduledList": "false", "breakType": "Missed"}  # fmt: skip
    response = await office.od.put(f"appointments/{apt_num}/Break", json=body)
    assert response.status_code == 200, response.text
    await office.sync()


def offered_to(office: Office) -> list[str]:
    return [cue.offer.first_name for _, cue in office.sent if cue.offer is not None]


@pytest.mark.parametrize("how", ["broken", "unscheduled", "deleted", "moved"])
async def test_staff_freeing_a_visit_is_an_opening_offered_to_the_asap_patient(
    office: Office, how: str
) -> None:
    scheduler = office.scheduler()
    s = await scene(office, "Ana")
    if how == "broken":
        await break_visit(office, s.freed, unscheduled=False)
        assert await scheduler.tick() == 0, "a broken visit left on the schedule still holds the chair"
        (waiting,) = await office.ledger.recent()
        assert (waiting.state, waiting.reason) == ("open", "the broken visit still holds the chair")
        assert (
            await office.od.put(f"appointments/{s.freed}", json={"AptStatus": "UnschedList"})
        ).status_code == 200
        await office.sync()  # staff send it to the Unscheduled List: the chair is free
        office.now += RULES.batch_every_minutes * 60
    elif how == "unscheduled":
        await break_visit(office, s.freed)
    elif how == "deleted":
        assert (
            await office.od.delete(f"{office.admin}/_admin/offices/1/appointments/{s.freed}")
        ).status_code == 200
        await office.cache.load_days([s.freed_at.start.date()])  # the loader's whole-day read sees a deletion
    else:
        later = s.freed_at.start + timedelta(days=2)
        assert (await office.od.put(f"appointments/{s.freed}", json={"AptDateTime": f"{later:%Y-%m-%d %H:%M:%S}"})).status_code == 200  # fmt: skip
        await office.sync()
    openings = await office.ledger.recent()
    assert [(o.start, o.op, o.cause, o.state) for o in openings] == [
        (s.freed_at.start, s.freed_at.op, how, "open")
    ]
    assert await scheduler.tick() == 1
    wa_id, cue = office.sent[0]
    assert wa_id == "15035558101" and cue.offer is not None
    assert (cue.offer.first_name, cue.offer.start, cue.offer.apt_num) == (
        "Ana",
        s.freed_at.start,
        s.waiting["Ana"][1],
    )


async def test_the_first_yes_books_the_next_hears_just_taken_no_double_booking(office: Office) -> None:
    scheduler = office.scheduler()
    s = await scene(office, "Ana", "Ben")
    await break_visit(office, s.freed)
    assert await scheduler.tick() == 2
    offers = {cue.offer.first_name: cue.offer for _, cue in office.sent if cue.offer is not None}
    assert list(offers) == ["Ben", "Ana"], "the most time gained first: Ben waits longest"
    ana, ben = offers["Ana"], offers["Ben"]
    desks = office.desk(), office.desk()
    first, second = await asyncio.gather(
        desks[0].take(ana.id, {ana.pat_num}, f"conv-a:refill:{ana.id}"),
        desks[1].take(ben.id, {ben.pat_num}, f"conv-b:refill:{ben.id}"),
    )
    outcomes = sorted([first.outcome, second.outcome])
    assert outcomes == ["booked", "taken"]
    winner, loser = (ana, ben) if first.outcome == "booked" else (ben, ana)
    moved = await office.visit(winner.apt_num)
    assert moved["AptDateTime"] == f"{s.freed_at.start:%Y-%m-%d %H:%M:%S}" and moved["Op"] == s.freed_at.op
    kept = await office.visit(loser.apt_num)
    assert kept["AptDateTime"] == f"{loser.current:%Y-%m-%d %H:%M:%S}", "the second yes moved nothing"
    at_time = (await office.od.get("appointments", params={"date": f"{s.freed_at.start:%Y-%m-%d}", "Op": s.freed_at.op})).json()  # fmt: skip
    holding = [a for a in at_time if a["AptDateTime"] == f"{s.freed_at.start:%Y-%m-%d %H:%M:%S}" and a["AptStatus"] == "Scheduled"]  # fmt: skip
    assert len(holding) == 1, "one visit in the chair"
    key = f"conv-a:refill:{ana.id}" if winner is ana else f"conv-b:refill:{ben.id}"
    again = await desks[1].take(winner.id, {winner.pat_num}, key)
    assert again.outcome == "booked", "a second tap of the winner replays the same move"
    late = await office.desk().take(loser.id, {loser.pat_num}, f"conv:refill:{loser.id}")
    assert late.outcome == "taken" and all(o.start < loser.current for o in late.alternatives)
    await office.sync()
    opening, *_ = [o for o in await office.ledger.recent() if o.start == s.freed_at.start]
    assert (opening.state, opening.filled_by) == ("filled", winner.pat_num)
    (freed_in_turn,) = [o for o in await office.ledger.recent() if o.start != s.freed_at.start]
    assert (freed_in_turn.start, freed_in_turn.cause, freed_in_turn.depth) == (winner.current, "moved", 1)
    assert freed_in_turn.freed_by == winner.pat_num, "the winner's old time is offered in turn, never to them"


async def test_batches_are_paced_and_stop_when_filled(office: Office) -> None:
    scheduler = office.scheduler()
    s = await scene(office, "Ana", "Ben", "Cy")
    await break_visit(office, s.freed)
    assert await scheduler.tick() == 2 and offered_to(office) == ["Cy", "Ben"]
    office.now += 14 * 60
    assert await scheduler.tick() == 0, "the next batch waits batch_every_minutes"
    office.now += 2 * 60
    assert await scheduler.tick() == 1 and offered_to(office)[-1] == "Ana"
    ana = office.sent[-1][1].offer
    assert ana is not None
    assert (await office.desk().take(ana.id, {ana.pat_num}, "k")).outcome == "booked"
    office.now += 60 * 60
    sent = len(office.sent)
    assert await scheduler.tick() == 2, "the filled opening sends no more; Ana's old time goes to Cy and Ben"
    assert {c.offer.start for _, c in office.sent[sent:] if c.offer} == {ana.current}
    ben = next(c.offer for _, c in office.sent[sent:] if c.offer and c.offer.first_name == "Ben")
    assert (await office.desk().take(ben.id, {ben.pat_num}, "k2")).outcome == "booked"
    await office.sync()
    assert ben.current not in {o.start for o in await office.ledger.recent()}, "one level deep only"


async def test_forged_other_patients_and_declined_offers_write_nothing(office: Office) -> None:
    scheduler = office.scheduler()
    s = await scene(office, "Ana")
    await break_visit(office, s.freed)
    await scheduler.tick()
    ana = office.sent[0][1].offer
    assert ana is not None
    desk = office.desk()
    requests = office.client.stats.requests
    assert (await desk.take("made-up-offer-id", {ana.pat_num}, "k")).outcome == "unknown"
    assert (await desk.take(ana.id + "x", {ana.pat_num}, "k")).outcome == "unknown"
    assert (await desk.take(ana.id, {ana.pat_num + 999}, "k")).outcome == "unknown", "another phone's family"
    assert office.client.stats.requests == requests, "nothing read, nothing written"
    assert await desk.decline(ana.id, {ana.pat_num})
    offer = await office.ledger.offer(ana.id)
    assert offer is not None and offer.state == "declined"
    assert (await office.visit(ana.apt_num))["AptDateTime"] == f"{ana.current:%Y-%m-%d %H:%M:%S}"


async def test_an_opening_expires_within_the_lead_time(office: Office) -> None:
    scheduler = office.scheduler()
    s = await scene(office, "Ana")
    await break_visit(office, s.freed)
    await scheduler.tick()
    ana = office.sent[0][1].offer
    assert ana is not None
    office.at(s.freed_at.start - timedelta(minutes=RULES.lead_minutes - 1))
    taken = await office.desk().take(ana.id, {ana.pat_num}, "k")
    assert taken.outcome == "expired"
    assert (await office.visit(ana.apt_num))["AptDateTime"] == f"{ana.current:%Y-%m-%d %H:%M:%S}"
    await scheduler.tick()
    (opening,) = await office.ledger.recent()
    assert (opening.state, opening.reason) == ("expired", "within the lead time")


async def test_a_visit_freed_too_late_is_no_opening(office: Office) -> None:
    office.scheduler()
    s = await scene(office, "Ana")
    office.at(s.freed_at.start - timedelta(minutes=RULES.lead_minutes - 10))
    await break_visit(office, s.freed)
    assert await office.ledger.recent() == []


async def test_opted_out_patients_and_the_one_who_freed_it_are_never_offered(office: Office) -> None:
    scheduler = office.scheduler()
    s = await scene(office, "Ana", "Ben")
    await office.optouts.stop(office.practice.phone_number_id, "15035558102", "conv-ben")
    await break_visit(office, s.freed)
    assert await scheduler.tick() == 1
    assert offered_to(office) == ["Ana"]


async def test_outside_the_send_window_the_batch_waits_for_it(office: Office) -> None:
    practice = office.practice.model_copy(update={"reminders": ReminderSettings(closed_weekdays=[], window_start=time(9, 0), window_end=time(17, 0))})  # fmt: skip
    office.practice = practice
    scheduler = office.scheduler()
    s = await scene(office, "Ana")
    await break_visit(office, s.freed)
    assert await scheduler.tick() == 0, "08:00 is before the window"
    office.at(datetime.combine(s.freed_at.start.date(), time(9, 0)))
    assert await scheduler.tick() == 1


async def test_a_patient_gets_at_most_the_daily_number_of_offers(office: Office) -> None:
    office.practice = office.practice.model_copy(update={"refill": RULES.model_copy(update={"max_offers_per_patient_per_day": 1})})  # fmt: skip
    scheduler = office.scheduler()
    s = await scene(office, "Ana")
    other = next(o for o in await office.cleanings(s.freed_at.start.date()) if o.start != s.freed_at.start)
    second = await office.cleaning(await office.patient("Also", "503-555-8199"), other)
    await office.sync()
    await break_visit(office, s.freed)
    await break_visit(office, second)
    assert len(await office.ledger.recent()) == 2
    assert await scheduler.tick() == 1, "two openings, one offer to Ana today"


async def test_open_dental_failing_the_first_yes_leaves_the_opening_to_the_next(office: Office) -> None:
    scheduler = office.scheduler()
    s = await scene(office, "Ana", "Ben")
    await break_visit(office, s.freed)
    await scheduler.tick()
    ben, ana = (c.offer for _, c in office.sent)
    assert ben is not None and ana is not None

    class Away(AppointmentBook):
        async def reschedule(self, *args: object, **kwargs: object) -> NoReturn:
            raise OdUnavailable("Open Dental is away")

    away = Away(
        office.practice.od, office.client, office.cache, office.book.store, option_keys=[b"refill-test-key"]
    )
    with pytest.raises(OdUnavailable):
        await RefillDesk(office.practice, office.ledger, away, clock=lambda: office.now).take(ben.id, {ben.pat_num}, "k")  # fmt: skip
    assert (await office.desk().take(ana.id, {ana.pat_num}, "k2")).outcome == "booked"
