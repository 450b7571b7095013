"""The sandbox's `/tasks` as Open Dental documents it: required fields, a patient's KeyNum checked, the GET
filters and paging, the permission a key needs; and `/_admin/book`, the phone simulator's unthrottled view."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp.test_utils import TestServer

from od_adapter.models import NewTask
from tests.conftest import make_client
from tests.sandbox.test_conformance import READ_ONLY, client_for


@pytest.fixture(name="api")
async def fixture_api(sandbox: TestServer) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sandbox) as client:
        yield client


async def test_a_task_needs_its_list_and_text_and_a_real_patient(api: httpx.AsyncClient) -> None:
    assert (await api.post("tasks", json={"Descript": "x"})).status_code == 400
    assert (await api.post("tasks", json={"TaskListNum": 99, "Descript": "x"})).status_code == 400
    assert (await api.post("tasks", json={"TaskListNum": 1})).status_code == 400
    missing = {"TaskListNum": 1, "Descript": "x", "ObjectType": "Patient"}
    assert (await api.post("tasks", json=missing)).status_code == 400
    assert (await api.post("tasks", json={**missing, "KeyNum": 99999})).status_code == 400
    created = await api.post("tasks", json={**missing, "KeyNum": 1, "UserNum": 3})
    assert created.status_code == 201 and created.headers["Location"].endswith(f"/tasks/{created.json()['TaskNum']}")  # fmt: skip
    task = created.json()
    assert (task["TaskStatus"], task["ObjectType"], task["KeyNum"], task["IsRepeating"]) == ("New", "Patient", 1, "false")  # fmt: skip
    assert task["DateTimeFinished"] == "0001-01-01 00:00:00" and task["DateTask"] == "0001-01-01"
    assert (await api.get(f"tasks/{task['TaskNum']}")).json() == task
    assert (await api.get("tasks/999")).status_code == 404


async def test_the_list_filters_and_pages(api: httpx.AsyncClient) -> None:
    await api.post("tasks", json={"TaskListNum": 1, "Descript": "plain"})
    for _ in range(3):
        await api.post("tasks", json={"TaskListNum": 2, "Descript": "about Jane", "ObjectType": "Patient", "KeyNum": 1})  # fmt: skip
    assert len((await api.get("tasks")).json()) == 4
    assert len((await api.get("tasks", params={"TaskListNum": 2})).json()) == 3
    assert len((await api.get("tasks", params={"ObjectType": "None"})).json()) == 1
    assert (
        len((await api.get("tasks", params={"ObjectType": "Patient", "KeyNum": 1, "Limit": 2})).json()) == 2
    )
    assert (await api.get("tasks", params={"TaskStatus": "Done"})).json() == []


async def test_a_read_only_key_cannot_add_tasks_and_the_client_reads_them(sandbox: TestServer) -> None:
    async with client_for(sandbox, READ_ONLY) as readonly:
        assert (await readonly.post("tasks", json={"TaskListNum": 1, "Descript": "x"})).status_code == 401
    od = make_client(sandbox)
    task = await od.create_task(
        NewTask(task_list_num=1, descript="call back", key_num=1, object_type="Patient")
    )
    assert [t.task_num for t in await od.patient_tasks(1)] == [task.task_num]
    await od.aclose()


async def test_the_admin_book_names_patients_without_touching_the_api(sandbox: TestServer) -> None:
    async with client_for(sandbox) as api:
        visit = (await api.get("appointments", params={"Limit": 1})).json()[0]
        async with httpx.AsyncClient(base_url=str(sandbox.make_url(""))) as admin:
            before = (await admin.get("/_admin/counters")).json()["total"]
            day = visit["AptDateTime"][:10]
            book = (await admin.get("/_admin/book", params={"date": day})).json()
            assert (await admin.get("/_admin/counters")).json()["total"] == before
            assert (await admin.get("/_admin/book", params={"date": "nonsense"})).status_code == 200
    row = next(a for a in book["appointments"] if a["apt_num"] == visit["AptNum"])
    assert row["patient"] and row["time"] == visit["AptDateTime"][11:16] and book["date"] == day


async def test_the_admin_book_shows_the_confirmation_a_confirm_changes(sandbox: TestServer) -> None:
    """The phone page's Confirmation column: each visit's ApptConfirmed label, as the API's `confirmed`."""
    async with client_for(sandbox) as api, httpx.AsyncClient(base_url=str(sandbox.make_url(""))) as admin:
        visit = (await api.get("appointments", params={"Limit": 1, "AptStatus": "Scheduled"})).json()[0]
        day = visit["AptDateTime"][:10]

        async def shown() -> str:
            book = (await admin.get("/_admin/book", params={"date": day})).json()
            return str(next(a for a in book["appointments"] if a["apt_num"] == visit["AptNum"])["confirmed"])

        assert await shown() == visit["confirmed"] != ""
        for value, label in (("Sent", "eConfirmSent"), ("Confirmed", "Confirmed")):
            confirmed = await api.put(f"appointments/{visit['AptNum']}/Confirm", json={"confirmVal": value})
            assert confirmed.status_code == 200, confirmed.text
            assert (
                await shown()
                == label
                == (await api.get(f"appointments/{visit['AptNum']}")).json()["confirmed"]
            )
