"""The book cache by day and its background loader, against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest
from aiohttp.test_utils import TestServer

from od_adapter.book_cache import BookCache, BookChange, CacheSettings
from od_adapter.book_loader import BookLoader
from od_adapter.client import OpenDentalClient
from od_adapter.errors import OdUnavailable
from od_adapter.models import Patient
from od_adapter.patients import PatientChanges, PatientDirectory, Patients
from od_adapter.phones import normalise_stored
from od_adapter.store import MemoryStore
from tests.conftest import api_url
from tests.od_adapter.test_booking import HEADERS, demo_practice, two_weeks

HORIZON = 20


@pytest.fixture(name="raw")
async def fixture_raw(sandbox: TestServer) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=api_url(sandbox) + "/", headers=HEADERS)
    yield client
    await client.aclose()


def make_cache(sandbox: TestServer, od: OpenDentalClient, store: MemoryStore, **settings: float) -> BookCache:
    return BookCache(od, store, demo_practice(sandbox, horizon_days=HORIZON), CacheSettings(**settings))


async def fill(loader: BookLoader) -> None:
    """Run the loader's steps until it holds the whole horizon."""
    for _ in range(50):
        index = await loader.cache.index()
        if index is not None and len(index.versions) == HORIZON + 1:
            return
        await loader.step()
    raise AssertionError("the loader never finished")


async def test_the_loader_fills_the_horizon_and_a_search_then_reads_nothing(
    sandbox: TestServer, od: OpenDentalClient
) -> None:
    store = MemoryStore()
    cache = make_cache(sandbox, od, store)
    loader = BookLoader(cache, horizon_days=HORIZON)
    assert await loader._hold_lease()
    await fill(loader)
    index = await cache.index()
    assert index is not None and len(index.versions) == HORIZON + 1
    before = od.stats.requests
    prefs = two_weeks()
    assert prefs.start and prefs.end
    book = await cache.book(prefs.start, prefs.end)
    assert book.appointments and book.schedules
    assert od.stats.requests == before, "a search on a loaded, fresh book costs no request"


async def test_a_search_asks_the_running_loader_for_missing_days_instead_of_reading(
    sandbox: TestServer, od: OpenDentalClient
) -> None:
    store = MemoryStore()
    searcher = make_cache(sandbox, od, store, wait_for_days=5)
    loader = BookLoader(make_cache(sandbox, od, store), horizon_days=HORIZON, idle_pause=0.05)
    running = asyncio.create_task(loader.run())
    try:
        day = date.today() + timedelta(days=3)
        book = await searcher.book(day, day)
        assert book.by_day.get(day) is not None
        assert searcher.od.stats.by_endpoint.get("GET /appointments", 0) >= 1  # the loader's, same client
    finally:
        running.cancel()
        await loader.release()


async def test_a_loader_that_died_holding_its_lease_never_makes_a_search_say_nothing_is_free(
    sandbox: TestServer, od: OpenDentalClient
) -> None:
    store = MemoryStore()
    searcher = make_cache(sandbox, od, store, wait_for_days=0.3)
    await store.set(searcher.loader_key, b"a worker that was killed", 30)  # its lease outlives it
    day = date.today() + timedelta(days=3)
    day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday: the practice works
    book = await searcher.book(day, day)
    assert book.by_day.get(day) is not None and book.schedules, "the days were read on the turn instead"


async def test_only_one_loader_works_at_a_time(sandbox: TestServer, od: OpenDentalClient) -> None:
    store = MemoryStore()
    first = BookLoader(make_cache(sandbox, od, store), horizon_days=HORIZON)
    second = BookLoader(make_cache(sandbox, od, store), horizon_days=HORIZON)
    assert await first._hold_lease() and not await second._hold_lease()
    await first.release()
    assert await second._hold_lease()


async def test_staff_changes_reach_the_subscribers_and_the_next_search(
    sandbox: TestServer, od: OpenDentalClient, raw: httpx.AsyncClient
) -> None:
    store = MemoryStore()
    cache = make_cache(sandbox, od, store)
    seen: list[BookChange] = []

    async def subscriber(changes: list[BookChange]) -> None:
        seen.extend(changes)

    cache.subscribers.append(subscriber)
    loader = BookLoader(cache, horizon_days=HORIZON, sync_every=0)
    await fill(loader)
    day = date.today() + timedelta(days=2)
    before = (await cache.book(day, day)).appointments
    target = next(a for a in before if a.apt_status.occupies_chair)
    moved_to = f"{day + timedelta(days=1)} 07:00:00"
    assert (
        await raw.put(f"appointments/{target.apt_num}", json={"AptDateTime": moved_to})
    ).status_code == 200
    await loader.step()  # the incremental read
    moved = [c for c in seen if c.appointment.apt_num == target.apt_num]
    assert [c.kind for c in moved] == ["moved"] and moved[0].previous is not None
    assert target.apt_num not in {a.apt_num for a in (await cache.book(day, day)).appointments}
    next_day = (await cache.book(day + timedelta(days=1), day + timedelta(days=1))).appointments
    assert target.apt_num in {a.apt_num for a in next_day}, "a moved visit is on its new day only"


async def test_a_corrupt_day_is_reloaded_never_served(sandbox: TestServer, od: OpenDentalClient) -> None:
    store = MemoryStore()
    cache = make_cache(sandbox, od, store)
    await fill(BookLoader(cache, horizon_days=HORIZON))
    day = date.today() + timedelta(days=4)
    expected = {a.apt_num for a in (await cache.book(day, day)).appointments}
    fresh = make_cache(sandbox, od, store)  # another process: nothing decoded yet
    await store.set(f"book:{cache._prefix.split(':', 1)[1]}:day:{day.isoformat()}", b"{not json", 60)
    assert {a.apt_num for a in (await fresh.book(day, day)).appointments} == expected


async def test_an_open_dental_outage_is_retried_and_searches_answer_from_the_cache_meanwhile(
    sandbox: TestServer, od: OpenDentalClient, raw: httpx.AsyncClient
) -> None:
    store = MemoryStore()
    cache = make_cache(sandbox, od, store, fresh_for=0.2)
    loader = BookLoader(cache, horizon_days=HORIZON, sync_every=0.1, error_pause=0.05, idle_pause=0.05)
    await fill(loader)
    admin = str(sandbox.make_url("/_admin/settings"))
    assert (await raw.patch(admin, json={"share_5xx": 1.0})).status_code == 200
    running = asyncio.create_task(loader.run())
    try:
        await asyncio.sleep(0.5)  # several failed syncs: logged and retried, the task still runs
        assert not running.done()
        prefs = two_weeks()
        assert prefs.start and prefs.end
        assert (await cache.book(prefs.start, prefs.end)).appointments, "stale but within its limit"
        age = await cache.age()
        assert age is not None and age > 0.2
        assert (await raw.patch(admin, json={"share_5xx": 0.0})).status_code == 200
        await asyncio.sleep(0.5)
        age = await cache.age()
        assert age is not None and age < 0.5, "the sync caught up once Open Dental answered again"
    finally:
        running.cancel()
        await loader.release()


async def test_patient_changes_seen_by_the_loader_reach_the_patient_caches(
    sandbox: TestServer, od: OpenDentalClient, raw: httpx.AsyncClient
) -> None:
    store = MemoryStore()
    cache = make_cache(sandbox, od, store)
    looks: list[tuple[list[int], bool]] = []

    async def forget(patients: list[Patient], complete: bool) -> None:
        looks.append(([p.pat_num for p in patients], complete))

    practice = demo_practice(sandbox)
    loader = BookLoader(
        cache, horizon_days=HORIZON, patients=PatientChanges(practice, od, store), on_patients=forget
    )
    await fill(loader)  # the first look, right after the first week, reads every chart
    assert looks[0][1] and 1 in looks[0][0]
    await asyncio.sleep(1.1)  # DateTStamp has whole seconds
    assert (await raw.put("patients/1", json={"WirelessPhone": "(503) 555-0199"})).status_code == 200
    loader._patients_at = 0.0
    assert await loader.step()
    assert looks[1] == ([1], False)


async def test_the_directory_finds_the_same_family_as_open_dental_without_a_request(
    sandbox: TestServer, od: OpenDentalClient
) -> None:
    practice = demo_practice(sandbox)
    store = MemoryStore()
    directory = PatientDirectory(practice, store, lambda e164: f"t{e164[::-1]}")
    changed, complete = await PatientChanges(practice, od, store).poll()
    await directory.update(changed, complete=complete)
    assert await directory.ready()
    live = Patients(practice, od)
    phones = sorted({p.wireless_phone for p in changed if p.wireless_phone})
    assert len(phones) > 10
    for stored in phones:
        wa_id = normalise_stored(stored, practice.region)
        assert wa_id is not None
        expected = [p.pat_num for p in await live.on_phone(wa_id.lstrip("+"))]
        before = od.stats.requests
        assert [p.pat_num for p in await directory.family(wa_id.lstrip("+"))] == expected, stored
        assert od.stats.requests == before


async def test_a_clock_jump_back_makes_the_book_stale_not_fresh(
    sandbox: TestServer, od: OpenDentalClient
) -> None:
    store = MemoryStore()
    cache = make_cache(sandbox, od, store)
    loader = BookLoader(cache, horizon_days=HORIZON)
    await fill(loader)
    index = await cache.index()
    assert index is not None
    index.read_started_at += 3600  # as if read an hour "from now": the clock has since jumped back
    await store.set(f"{cache._prefix}:index", index.model_dump_json().encode(), 3600)
    assert await loader.step(), "the loader reads what changed at once"
    age = await cache.age()
    assert age is not None and 0 <= age < 5


async def test_open_dental_down_at_start_up_is_a_clear_error_not_a_hang(
    sandbox: TestServer, od: OpenDentalClient, raw: httpx.AsyncClient
) -> None:
    store = MemoryStore()
    cache = make_cache(sandbox, od, store, wait_for_days=0.5)
    admin = str(sandbox.make_url("/_admin/settings"))
    assert (await raw.patch(admin, json={"share_5xx": 1.0})).status_code == 200
    loader = BookLoader(cache, horizon_days=HORIZON, error_pause=0.05)
    running = asyncio.create_task(loader.run())
    try:
        await asyncio.sleep(0.2)
        assert not running.done(), "the loader keeps retrying"
        day = date.today() + timedelta(days=2)
        with pytest.raises(OdUnavailable):
            await cache.book(day, day)
    finally:
        running.cancel()
        await loader.release()


class FlakyStore(MemoryStore):
    """A store whose next claim fails, as Redis does while it restarts."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_next_claim = False

    async def claim(self, key: str, value: bytes, ttl_seconds: float) -> bool:
        if self.fail_next_claim:
            self.fail_next_claim = False
            raise ConnectionError("Redis is restarting")
        return await super().claim(key, value, ttl_seconds)


async def test_a_store_failure_while_taking_the_merge_lock_does_not_block_later_merges(
    sandbox: TestServer, od: OpenDentalClient
) -> None:
    store = FlakyStore()
    cache = make_cache(sandbox, od, store)
    day = date.today() + timedelta(days=2)
    store.fail_next_claim = True
    with pytest.raises(ConnectionError):
        await cache.load_days([day])
    await asyncio.wait_for(cache.load_days([day]), timeout=5)  # blocked for ever before the fix
    assert (await cache.book(day, day)).by_day.get(day) is not None
