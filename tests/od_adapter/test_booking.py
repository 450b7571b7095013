"""The appointment-book cache and the booking guard against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
import tomllib
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from od_adapter.availability import Preferences
from od_adapter.book_cache import BookCache, CacheSettings
from od_adapter.booking import AppointmentBook, Booked, Conflict, Lapsed, NotAllowed, NotYours, PatientRef
from od_adapter.client import OpenDentalClient
from od_adapter.config import OdPractice
from od_adapter.errors import OpenDentalError
from od_adapter.models import AptStatus
from od_adapter.options import Option
from od_adapter.store import KeyValueStore, MemoryStore, RedisStore
from tests.conftest import SandboxFactory, api_url, make_client

ROOT = Path(__file__).parents[2]
DEMO_PRACTICES = ROOT / "od_adapter/sandbox/data/demo_practices.toml"
JANE = PatientRef(pat_num=1, dentist=1)
OPTION_KEYS = [b"test-option-key"]
HEADERS = {"Authorization": "ODFHIR sandbox-dev/sandbox-customer", "Content-Type": "application/json"}


def demo_practice(server: TestServer, **booking: object) -> OdPractice:
    entry = tomllib.loads(DEMO_PRACTICES.read_text(encoding="utf-8"))["practices"][0]
    fields = {name: entry[name] for name in OdPractice.model_fields if name in entry}
    practice = OdPractice.model_validate({"id": entry["phone_number_id"], **fields})
    connection = practice.open_dental.model_copy(
        update={"base_url": api_url(server), "throttle_seconds": 0.0}
    )
    rules = practice.booking.model_copy(update=booking)
    return practice.model_copy(update={"open_dental": connection, "booking": rules})


def make_book(
    server: TestServer,
    od: OpenDentalClient,
    store: KeyValueStore,
    cache_settings: CacheSettings | None = None,
    **booking: object,
) -> AppointmentBook:
    practice = demo_practice(server, **booking)
    cache = BookCache(od, store, practice, cache_settings)
    return AppointmentBook(practice, od, cache, store, option_keys=OPTION_KEYS)


@pytest.fixture(name="store", params=["memory", "redis"])
async def fixture_store(request: pytest.FixtureRequest, redis: Redis) -> KeyValueStore:
    return MemoryStore() if request.param == "memory" else RedisStore(redis)


@pytest.fixture(name="book")
async def fixture_book(sandbox: TestServer, od: OpenDentalClient, store: KeyValueStore) -> AppointmentBook:
    return make_book(sandbox, od, store)


@pytest.fixture(name="raw")
async def fixture_raw(sandbox: TestServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api_url(sandbox) + "/", headers=HEADERS) as client:
        yield client


def two_weeks() -> Preferences:
    start = date.today() + timedelta(days=1)
    return Preferences(start=start, end=start + timedelta(days=13))


async def appointments_at(raw: httpx.AsyncClient, when: datetime, op: int) -> list[dict]:
    rows = (await raw.get("appointments", params={"date": when.date().isoformat(), "Op": op})).json()
    return [r for r in rows if r["AptDateTime"] == when.strftime("%Y-%m-%d %H:%M:%S")]


async def staff_books(raw: httpx.AsyncClient, option: Option, *, pat_num: int) -> None:
    """Front-desk staff put another patient in the option's chair, straight into Open Dental."""
    staff = {
        "PatNum": pat_num,
        "Op": option.op,
        "AptDateTime": f"{option.start:%Y-%m-%d %H:%M:%S}",
        "ProvNum": option.prov_num,
    }
    assert (await raw.post("appointments", json=staff)).status_code == 201


# -- the cache --------------------------------------------------------------------------------------------------


async def test_a_warm_search_costs_one_request_and_a_fresh_one_none(
    sandbox: TestServer, od: OpenDentalClient, store: KeyValueStore
) -> None:
    book = make_book(sandbox, od, store, CacheSettings(fresh_for=60))
    cold = await book.find_options("cleaning", two_weeks())
    cold_requests = od.stats.requests
    assert cold and cold_requests >= 5  # set-up, schedules, every page of the book
    assert await book.find_options("cleaning", two_weeks()) == cold
    assert od.stats.requests == cold_requests, "within fresh_for a search reads nothing"
    window = two_weeks()
    assert window.start is not None and window.end is not None
    await book.cache.book(window.start, window.end, max_age=0)
    assert od.stats.requests == cold_requests + 1, "a forced refresh is one incremental read"
    assert od.stats.by_endpoint["GET /appointments"] >= 3


async def test_incremental_refresh_sees_what_staff_changed(
    sandbox: TestServer, od: OpenDentalClient, store: KeyValueStore, raw: httpx.AsyncClient
) -> None:
    book = make_book(sandbox, od, store, CacheSettings(fresh_for=0))
    options = await book.find_options("cleaning", two_weeks())
    first = options[0]
    staff = {
        "PatNum": 50,
        "Op": first.op,
        "AptDateTime": f"{first.start:%Y-%m-%d %H:%M:%S}",
        "Pattern": "/XXXX/",
    }
    assert (
        await raw.post("appointments", json={**staff, "ProvHyg": 3, "IsHygiene": "true"})
    ).status_code == 201
    before = od.stats.requests
    again = await book.find_options("cleaning", two_weeks())
    assert od.stats.requests == before + 1
    assert first.start not in {o.start for o in again}


async def test_concurrent_identical_searches_share_one_read(
    sandbox: TestServer, od: OpenDentalClient, store: KeyValueStore
) -> None:
    book = make_book(sandbox, od, store, CacheSettings(fresh_for=0.5))
    await book.find_options("cleaning", two_weeks())
    await asyncio.sleep(0.6)  # the cached book is now too old for a search
    before = od.stats.requests
    results = await asyncio.gather(*(book.find_options("cleaning", two_weeks()) for _ in range(5)))
    assert all(r == results[0] for r in results)
    assert od.stats.requests == before + 1


# -- booking ----------------------------------------------------------------------------------------------------


async def test_book_a_cleaning(book: AppointmentBook, raw: httpx.AsyncClient) -> None:
    option = (await book.find_options("cleaning", two_weeks()))[0]
    result = await book.book(book.option_id(option), JANE, "wamid.one")
    assert isinstance(result, Booked) and not result.replayed
    created = result.appointment
    assert (created.pat_num, created.op, created.apt_date_time) == (1, option.op, option.start)
    assert (created.is_hygiene, created.prov_hyg, created.prov_num) == (True, 3, 1)
    assert created.pattern == "/XXXXXXXXXX/" and created.appointment_type_num == 2
    commlog = (await raw.get(f"commlogs/{result.commlog_num}")).json()
    assert (commlog["Mode_"], commlog["commType"], commlog["PatNum"]) == ("Text", "ApptRelated", 1)
    assert f"AptNum {created.apt_num}" in commlog["Note"]
    later = await book.find_options(
        "cleaning", Preferences(start=option.start.date(), end=option.start.date())
    )
    assert option.start not in {o.start for o in later}


async def test_the_same_yes_replayed_five_times_books_once(
    book: AppointmentBook, raw: httpx.AsyncClient
) -> None:
    option = (await book.find_options("consultation", two_weeks()))[0]
    option_id = book.option_id(option)
    results = [await book.book(option_id, JANE, "wamid.same") for _ in range(3)]
    results += await asyncio.gather(*(book.book(option_id, JANE, "wamid.same") for _ in range(2)))
    assert {r.appointment.apt_num for r in results if isinstance(r, Booked)} == {
        results[0].appointment.apt_num
    }
    assert [r.replayed for r in results] == [False, True, True, True, True]
    assert len(await appointments_at(raw, option.start, option.op)) == 1
    assert len((await raw.get("commlogs", params={"PatNum": 1})).json()) == 1


@pytest.mark.parametrize("change", ["break", "move"])
async def test_a_replayed_yes_is_told_only_while_open_dental_still_shows_it(
    book: AppointmentBook, raw: httpx.AsyncClient, change: str
) -> None:
    option = (await book.find_options("consultation", two_weeks()))[0]
    first = await book.book(book.option_id(option), JANE, "nonce-1")
    assert isinstance(first, Booked)
    apt = first.appointment.apt_num
    again = await book.book(book.option_id(option), JANE, "nonce-1")
    assert isinstance(again, Booked) and again.replayed, "still there: the replay is told"
    if change == "break":
        await raw.put(f"appointments/{apt}/Break", json={"sendToUnscheduledList": True})
    else:
        later = option.start + timedelta(days=1)
        await raw.put(f"appointments/{apt}", json={"AptDateTime": f"{later:%Y-%m-%d %H:%M:%S}"})
    lapsed = await book.book(book.option_id(option), JANE, "nonce-1")
    assert isinstance(lapsed, Lapsed), "a stale outcome is never replayed as done"
    assert lapsed.appointment is not None and lapsed.appointment.apt_num == apt


async def test_staff_booking_between_offer_and_yes_is_respected(
    book: AppointmentBook, raw: httpx.AsyncClient
) -> None:
    option = (await book.find_options("consultation", two_weeks()))[0]
    await staff_books(raw, option, pat_num=60)
    result = await book.book(book.option_id(option), JANE, "wamid.late")
    assert isinstance(result, Conflict)
    assert result.alternatives and option.start not in {a.start for a in result.alternatives}
    assert [a["PatNum"] for a in await appointments_at(raw, option.start, option.op)] == [60]


async def test_a_lost_response_is_looked_up_not_posted_again(
    start_sandbox: SandboxFactory, store: KeyValueStore
) -> None:
    server = await start_sandbox()
    async with (
        make_client(server) as od,
        httpx.AsyncClient(base_url=api_url(server) + "/", headers=HEADERS) as raw,
    ):
        book = make_book(server, od, store)
        option = (await book.find_options("consultation", two_weeks()))[0]
        async with httpx.AsyncClient() as admin:
            await admin.patch(str(server.make_url("/_admin/settings")), json={"share_lost_response": 1.0})
            result = await book.book(book.option_id(option), JANE, "wamid.lost")
            await admin.patch(str(server.make_url("/_admin/settings")), json={"share_lost_response": 0.0})
        assert isinstance(result, Booked)
        assert od.stats.by_endpoint["POST /appointments"] == 1
        assert [a["PatNum"] for a in await appointments_at(raw, option.start, option.op)] == [1]


async def test_a_booking_interrupted_after_the_post_and_retried_books_once(
    start_sandbox: SandboxFactory, store: KeyValueStore
) -> None:
    server = await start_sandbox(latency_ms=150)
    async with (
        make_client(server) as od,
        httpx.AsyncClient(base_url=api_url(server) + "/", headers=HEADERS) as raw,
    ):
        book = make_book(server, od, store)
        option = (await book.find_options("consultation", two_weeks()))[0]
        attempt = asyncio.create_task(book.book(book.option_id(option), JANE, "wamid.crash"))
        async with httpx.AsyncClient() as admin:
            # Polling another server's request log: there is no event to wait on.
            while not any(  # noqa: ASYNC110
                r["endpoint"] == "POST /appointments" and r["status"] == 201
                for r in (await admin.get(str(server.make_url("/_admin/requests")))).json()
            ):
                await asyncio.sleep(0.02)
        attempt.cancel()  # the worker dies after Open Dental created the appointment, before anything is recorded
        with pytest.raises(asyncio.CancelledError):
            await attempt
        await store.delete(
            book.idempotency.key("wamid.crash") + ":lock"
        )  # a dead process's lock would expire by itself
        retried = await book.book(book.option_id(option), JANE, "wamid.crash")
        assert isinstance(retried, Booked)
        rows = await appointments_at(raw, option.start, option.op)
        assert [(r["PatNum"], r["AptStatus"]) for r in rows] == [(1, "Scheduled")]
        assert retried.appointment.apt_num == rows[0]["AptNum"]


@pytest.mark.parametrize("holds", ["shared", "separate"])
@pytest.mark.parametrize("overlap", ["allowed", "refused by Open Dental"])
async def test_twenty_patients_racing_for_one_option_get_one_appointment(
    start_sandbox: SandboxFactory, redis: Redis, overlap: str, holds: str
) -> None:
    """With one store the first booking's hold turns the others away before they write; with a store each
    (no shared hold) the guard's re-check and read-back leave one."""
    server = await start_sandbox(allow_overlap=overlap == "allowed")
    async with (
        make_client(server) as od,
        httpx.AsyncClient(base_url=api_url(server) + "/", headers=HEADERS) as raw,
    ):
        shared = RedisStore(redis)
        books = [make_book(server, od, shared if holds == "shared" else MemoryStore()) for _ in range(20)]
        option = (await books[0].find_options("consultation", two_weeks()))[0]
        posts_before = od.stats.by_endpoint["POST /appointments"]
        results = await asyncio.gather(
            *(
                b.book(b.option_id(option), PatientRef(pat_num=20 + i), f"race-{i}")
                for i, b in enumerate(books)
            )
        )
        posts = od.stats.by_endpoint["POST /appointments"] - posts_before
        if holds == "shared":
            assert posts == 1, "the hold turned the others away before they wrote"
        booked = [r for r in results if isinstance(r, Booked)]
        assert len(booked) == 1
        assert all(isinstance(r, Conflict) and r.alternatives for r in results if not isinstance(r, Booked))
        scheduled = [
            r for r in await appointments_at(raw, option.start, option.op) if r["AptStatus"] == "Scheduled"
        ]
        assert [r["AptNum"] for r in scheduled] == [booked[0].appointment.apt_num]


RACER = textwrap.dedent(
    """
    import asyncio, json, sys
    from pydantic import SecretStr
    from redis.asyncio import Redis
    from od_adapter.book_cache import BookCache
    from od_adapter.booking import AppointmentBook, Booked, PatientRef
    from od_adapter.client import OpenDentalClient
    from od_adapter.config import OdPractice
    from od_adapter.ratelimit import MemoryRateLimiter
    from od_adapter.store import RedisStore

    async def main(practice_json, redis_url, option_id, first, count):
        practice = OdPractice.model_validate_json(practice_json)
        redis = Redis.from_url(redis_url)
        store = RedisStore(redis)
        keys = (SecretStr("sandbox-dev"), SecretStr("sandbox-customer"))
        async with OpenDentalClient.for_practice(practice.open_dental, MemoryRateLimiter(), keys=keys) as od:
            cache = BookCache(od, store, practice)
            book = AppointmentBook(practice, od, cache, store, option_keys=[b"test-option-key"])
            results = await asyncio.gather(*(
                book.book(option_id, PatientRef(pat_num=n), f"proc-{n}") for n in range(first, first + count)
            ))
        await redis.aclose()
        print(json.dumps([r.appointment.apt_num if isinstance(r, Booked) else None for r in results]))

    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    """
)


async def test_twenty_attempts_from_two_processes_produce_one_appointment(
    start_sandbox: SandboxFactory, redis_server: str, redis: Redis
) -> None:
    assert await redis.dbsize() == 0  # the fixture flushed what earlier tests cached
    server = await start_sandbox()
    practice = demo_practice(server)
    async with (
        make_client(server) as od,
        httpx.AsyncClient(base_url=api_url(server) + "/", headers=HEADERS) as raw,
    ):
        option = (await make_book(server, od, MemoryStore()).find_options("consultation", two_weeks()))[0]
        option_id = option.id_for(practice.id, OPTION_KEYS[0])
        practice_json = practice.model_dump_json()
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                RACER,
                practice_json,
                redis_server,
                option_id,
                str(first),
                "10",
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
            )
            for first in (20, 30)
        ]
        outputs = [json.loads((await p.communicate())[0]) for p in processes]
        assert [p.returncode for p in processes] == [0, 0]
        winners = [n for output in outputs for n in output if n is not None]
        assert len(winners) == 1
        scheduled = [
            r for r in await appointments_at(raw, option.start, option.op) if r["AptStatus"] == "Scheduled"
        ]
        assert [r["AptNum"] for r in scheduled] == winners


# -- reschedule, cancel, confirm --------------------------------------------------------------------------------


async def test_reschedule_moves_only_the_patients_own_appointment(
    book: AppointmentBook, raw: httpx.AsyncClient
) -> None:
    options = await book.find_options("consultation", two_weeks())
    booked = await book.book(book.option_id(options[0]), JANE, "wamid.first")
    assert isinstance(booked, Booked)
    with pytest.raises(NotYours):
        await book.reschedule(
            booked.appointment.apt_num, book.option_id(options[1]), {2, 3}, "wamid.stranger"
        )
    moved = await book.reschedule(booked.appointment.apt_num, book.option_id(options[1]), {1}, "wamid.move")
    assert isinstance(moved, Booked)
    current = (await raw.get(f"appointments/{booked.appointment.apt_num}")).json()
    assert (current["AptDateTime"], current["Op"]) == (f"{options[1].start:%Y-%m-%d %H:%M:%S}", options[1].op)
    notes = [c["Note"] for c in (await raw.get("commlogs", params={"PatNum": 1})).json()]
    assert any("rescheduled from" in n for n in notes)


async def test_cancel_sends_to_the_unscheduled_list_without_a_fee(
    sandbox: TestServer, book: AppointmentBook, raw: httpx.AsyncClient
) -> None:
    [upcoming, *_] = await book.upcoming({1})
    cancelled = await book.cancel(upcoming.apt_num, {1}, "wamid.cancel")
    again = await book.cancel(upcoming.apt_num, {1}, "wamid.cancel")
    assert cancelled.appointment.apt_status is AptStatus.UNSCHED_LIST
    assert (
        again.appointment.apt_num == cancelled.appointment.apt_num
        and again.commlog_num == cancelled.commlog_num
    )
    assert (await raw.get(f"appointments/{upcoming.apt_num}")).json()["AptStatus"] == "UnschedList"
    async with httpx.AsyncClient() as admin:
        assert (await admin.get(str(sandbox.make_url("/_admin/offices/1/broken-procedures")))).json() == []
    assert len((await raw.get("commlogs", params={"PatNum": 1})).json()) == 1
    with pytest.raises(NotYours):
        await book.cancel(upcoming.apt_num, {2}, "wamid.other")


async def test_cancel_with_the_cancelled_break_type_where_configured(
    sandbox: TestServer, od: OpenDentalClient, store: KeyValueStore
) -> None:
    book = make_book(sandbox, od, store, cancel_break_type="Cancelled")
    [upcoming, *_] = await book.upcoming({2, 3, 4})
    await book.cancel(upcoming.apt_num, {2, 3, 4}, "wamid.c")
    async with httpx.AsyncClient() as admin:
        procedures = (await admin.get(str(sandbox.make_url("/_admin/offices/1/broken-procedures")))).json()
    assert [(p["AptNum"], p["ProcCode"]) for p in procedures] == [(upcoming.apt_num, "D9987")]


@pytest.mark.parametrize(("def_num", "label"), [(None, "Confirmed"), (25, "Texted")])
async def test_confirm(
    sandbox: TestServer,
    od: OpenDentalClient,
    store: KeyValueStore,
    raw: httpx.AsyncClient,
    def_num: int | None,
    label: str,
) -> None:
    book = make_book(sandbox, od, store, confirm_def_num=def_num)
    [upcoming, *_] = await book.upcoming({1})
    await book.confirm(upcoming.apt_num, {1}, "wamid.yes")
    assert (await raw.get(f"appointments/{upcoming.apt_num}")).json()["confirmed"] == label
    with pytest.raises(NotYours):
        await book.confirm(upcoming.apt_num, {5}, "wamid.no")


async def test_rules_the_practice_sets(book: AppointmentBook) -> None:
    with pytest.raises(NotAllowed):
        await book.find_options("cleaning", two_weeks(), new_patient=True)
    assert await book.find_options("new_patient", two_weeks(), new_patient=True)
    far = date.today() + timedelta(days=200)
    assert await book.find_options("consultation", Preferences(start=far, end=far)) == []


async def test_single_provider_offices_can_use_slots(
    sandbox: TestServer, od: OpenDentalClient, store: KeyValueStore
) -> None:
    book = make_book(sandbox, od, store, openings_source="slots")
    options = await book.find_options("consultation", two_weeks())
    assert options and all(o.prov_num == 1 for o in options)
    assert od.stats.by_endpoint["GET /appointments/Slots"] == 1


async def test_a_reschedule_into_a_taken_time_changes_nothing(
    book: AppointmentBook, raw: httpx.AsyncClient
) -> None:
    options = await book.find_options("consultation", two_weeks())
    booked = await book.book(book.option_id(options[0]), JANE, "wamid.orig")
    assert isinstance(booked, Booked)
    target = options[1]
    await staff_books(raw, target, pat_num=70)
    result = await book.reschedule(booked.appointment.apt_num, book.option_id(target), {1}, "wamid.move2")
    assert isinstance(result, Conflict) and target.start not in {a.start for a in result.alternatives}
    current = (await raw.get(f"appointments/{booked.appointment.apt_num}")).json()
    assert current["AptDateTime"] == f"{options[0].start:%Y-%m-%d %H:%M:%S}"


async def test_practices_using_web_sched_get_its_slots(
    sandbox: TestServer, od: OpenDentalClient, store: KeyValueStore
) -> None:
    practice = demo_practice(sandbox, openings_source="web_sched")
    rules = [
        r.model_copy(update={"web_sched_def_num": {"Cleaning": 70, "Consultation": 71}.get(r.name)})
        for r in practice.booking.appointment_types
    ]
    practice = practice.model_copy(
        update={"booking": practice.booking.model_copy(update={"appointment_types": rules})}
    )
    cache = BookCache(od, store, practice)
    book = AppointmentBook(practice, od, cache, store, option_keys=OPTION_KEYS)
    options = await book.find_options("cleaning", two_weeks())
    assert options and all(o.prov_num == 3 and o.op == 3 and o.minutes == 60 for o in options)
    assert od.stats.by_endpoint["GET /appointments/SlotsWebSched"] == 1
    booked = await book.book(book.option_id(options[0]), JANE, "wamid.websched")
    assert isinstance(booked, Booked) and booked.appointment.is_hygiene


async def test_a_commlog_whose_answer_was_lost_is_found_on_retry_not_written_twice(
    start_sandbox: SandboxFactory, store: KeyValueStore
) -> None:
    server = await start_sandbox()
    async with make_client(server) as od, httpx.AsyncClient() as admin:
        book = make_book(server, od, store)
        await admin.patch(str(server.make_url("/_admin/settings")), json={"share_lost_response": 1.0, "timeout_seconds": 0.05})  # fmt: skip
        with pytest.raises(OpenDentalError):
            await book.note_once(1, "WhatsApp assistant booked a test visit", retried=False)
        await admin.patch(str(server.make_url("/_admin/settings")), json={"share_lost_response": 0.0})
        written = await book.note_once(1, "WhatsApp assistant booked a test visit", retried=True)
        mine = [c for c in await od.commlogs(1) if "booked a test visit" in c.note]
        assert [c.commlog_num for c in mine] == [written], "the lost write is found, not made again"
