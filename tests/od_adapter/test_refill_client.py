"""The client's refill-side methods against the sandbox over real HTTP: the ASAP list, recalls, the Recall
List and recall status, histappointments since a time, and API Events subscriptions; and the book nudge that
makes the loader read at once (the only way a deletion shows before a day is read whole again)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import httpx
import pytest
from aiohttp.test_utils import TestServer

from od_adapter.book_cache import BookCache, BookChange, CacheSettings
from od_adapter.book_loader import BookLoader
from od_adapter.book_nudge import BookNudge
from od_adapter.client import OpenDentalClient
from od_adapter.errors import OdNotFound
from od_adapter.models import AptStatus, HistApptAction, NewSubscription, Recall, RecallListItem
from od_adapter.store import MemoryStore
from tests.od_adapter.test_booking import demo_practice

HORIZON = 20


@pytest.fixture(name="admin")
async def fixture_admin(sandbox: TestServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=str(sandbox.make_url("/_admin")) + "/", timeout=30) as client:
        yield client


async def test_asap_appointments_are_typed_and_filtered(od: OpenDentalClient) -> None:
    asap = await od.asap_appointments()
    assert asap and all(a.priority == "ASAP" and a.server_date_time for a in asap)
    hygienist = (
        next(a.prov_hyg for a in asap if a.prov_hyg) if any(a.prov_hyg for a in asap) else asap[0].prov_num
    )
    assert all(hygienist in (a.prov_num, a.prov_hyg) for a in await od.asap_appointments(prov_num=hygienist))
    assert await od.asap_appointments(clinic_num=0) == asap


async def test_recalls_and_the_recall_list(od: OpenDentalClient) -> None:
    recalls = await od.recalls()
    assert len(recalls) > 100 and all(isinstance(r, Recall) for r in recalls)
    listed = await od.recall_list()
    assert listed and all(isinstance(i, RecallListItem) and isinstance(i.due_date, date) for i in listed)
    assert all(i.num_remind == 0 and i.last_remind is None for i in listed)
    unscheduled = {r.pat_num for r in recalls if r.date_scheduled is None}
    assert {i.pat_num for i in listed} <= unscheduled
    item = listed[0]
    assert item.due_date is not None
    narrow = await od.recall_list(start=item.due_date, end=item.due_date, recall_type=item.recall_type)
    assert item.pat_num in {i.pat_num for i in narrow}
    assert [r.pat_num for r in await od.recalls(item.pat_num)] == [item.pat_num]


async def test_recall_status_is_recorded_and_counts_as_a_reminder(od: OpenDentalClient) -> None:
    item = (await od.recall_list())[0]
    await od.set_recall_status(item.pat_num, item.recall_type, status_def_num=141, commlog_mode="Text")
    recall = (await od.recalls(item.pat_num))[0]
    assert recall.recall_status == 141 and recall.recall_status_name == "Texted"
    assert item.pat_num not in {i.pat_num for i in await od.recall_list()}
    reminded = next(i for i in await od.recall_list(include_reminded=True) if i.pat_num == item.pat_num)
    assert reminded.num_remind == 1 and reminded.last_remind is not None
    commlog = (await od.commlogs(item.pat_num))[-1]
    assert commlog.comm_type_name == "Recall"
    with pytest.raises(ValueError, match="commlogMode"):
        await od.set_recall_status(item.pat_num, item.recall_type, commlog_mode="In Person")


async def test_hist_appointments_since_a_time(od: OpenDentalClient, admin: httpx.AsyncClient) -> None:
    asap = await od.asap_appointments()
    before = (await od.get_appointment(asap[0].apt_num)).server_date_time
    assert before is not None
    await od.break_appointment(asap[0].apt_num, send_to_unscheduled_list=False, break_type="Cancelled")
    assert (await admin.delete(f"offices/1/appointments/{asap[1].apt_num}")).status_code == 200
    changes = await od.hist_appointments(since=before)
    assert [(h.hist_appt_action, h.apt_num) for h in changes] == [
        (HistApptAction.CANCELLED, asap[0].apt_num),
        (HistApptAction.DELETED, asap[1].apt_num),
    ]
    assert changes[0].apt_status is AptStatus.BROKEN
    deleted = await od.hist_appointments(since=before, action=HistApptAction.DELETED)
    assert [h.apt_num for h in deleted] == [asap[1].apt_num]
    assert await od.hist_appointments(since=before + timedelta(days=1)) == []


async def test_subscriptions_create_list_delete(od: OpenDentalClient) -> None:
    created = await od.create_subscription(
        NewSubscription(
            end_point_url="https://bot.example/od/events/abc",
            watch_table="AppointmentDeleted",
            polling_seconds=5,
            workstation="ODSERVER",
        )
    )
    assert created.subscription_num and created.customer_key == "sandbox-customer"
    assert "sandbox-customer" not in repr(created), "the key stays out of logs"
    listed = await od.subscriptions()
    assert [(s.subscription_num, s.watch_table, s.workstation) for s in listed] == [
        (created.subscription_num, "AppointmentDeleted", "ODSERVER")
    ]
    await od.delete_subscription(created.subscription_num)
    assert await od.subscriptions() == []
    with pytest.raises(OdNotFound):
        await od.delete_subscription(created.subscription_num)


async def test_a_nudge_makes_the_loader_read_at_once_and_see_a_deletion(
    sandbox: TestServer, od: OpenDentalClient, admin: httpx.AsyncClient
) -> None:
    store = MemoryStore()
    practice = demo_practice(sandbox, horizon_days=HORIZON)
    cache = BookCache(od, store, practice, CacheSettings(reload_every=3600))
    loader = BookLoader(cache, horizon_days=HORIZON, sync_every=3600)
    seen: list[BookChange] = []

    async def subscriber(changes: list[BookChange]) -> None:
        seen.extend(changes)

    cache.subscribers.append(subscriber)
    assert await loader._hold_lease()
    for _ in range(20):
        if not await loader.step():
            break
    assert not await loader.step(), "loaded, and nothing is due for an hour"
    day = date.today() + timedelta(days=5)
    victim = next(a for a in await od.appointments(start=day, end=day) if a.apt_status is AptStatus.SCHEDULED)
    assert victim.apt_date_time is not None
    assert (await admin.delete(f"offices/1/appointments/{victim.apt_num}")).status_code == 200
    assert not await loader.step(), "without a nudge the deletion waits for the day's next whole read"
    reads = od.stats.by_endpoint["GET /appointments"]
    await BookNudge(store, practice.id).nudge([victim.apt_date_time.date(), date(2000, 1, 1)])
    assert await loader.step() and loader.nudged == 1
    assert od.stats.by_endpoint["GET /appointments"] == reads + 1, "the DateTStamp read, at once"
    assert await loader.step(), "then the nudged day, read whole (a day outside the horizon is not)"
    assert [(c.kind, c.appointment.apt_num) for c in seen] == [("deleted", victim.apt_num)]
    assert not await loader.step()


async def test_nudges_merge_until_taken_and_wake_a_resting_loader(
    sandbox: TestServer, od: OpenDentalClient
) -> None:
    store = MemoryStore()
    nudges = BookNudge(store, "p1")
    await nudges.nudge([date(2030, 1, 2)])
    await nudges.nudge([date(2030, 1, 1), date(2030, 1, 2)])
    first = await nudges.take()
    assert first is not None and first.days == [date(2030, 1, 1), date(2030, 1, 2)]
    assert await nudges.take() is None
    cache = BookCache(od, store, demo_practice(sandbox, horizon_days=HORIZON))
    loader = BookLoader(cache, horizon_days=HORIZON, idle_pause=60)
    started = datetime.now()
    resting = asyncio.create_task(loader._rest(60))
    await asyncio.sleep(0.05)
    loader.wake()
    await asyncio.wait_for(resting, 5)
    assert (datetime.now() - started).total_seconds() < 5
