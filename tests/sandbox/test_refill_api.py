"""Conformance of the sandbox's refill-side resources to the Open Dental reference: the ASAP list and
`Priority`, recalls and the Recall List, recall status, histappointments, subscriptions and API Event
delivery. Raw HTTP, as in `test_conformance.py`, so nothing of our client hides a mistake."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import SandboxFactory
from tests.sandbox.test_conformance import READ_ONLY, client_for

SHORT_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")


@pytest.fixture(name="api")
async def fixture_api(sandbox: TestServer) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sandbox) as client:
        yield client


@pytest.fixture(name="admin")
async def fixture_admin(sandbox: TestServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=str(sandbox.make_url("/_admin")) + "/", timeout=30) as client:
        yield client


async def a_future_appointment(api: httpx.AsyncClient, *, status: str = "Scheduled") -> dict[str, Any]:
    day = date.today() + timedelta(days=3)
    rows = (
        await api.get("appointments", params={"dateStart": str(day), "dateEnd": str(day + timedelta(days=7))})
    ).json()
    return next(a for a in rows if a["AptStatus"] == status and a["Priority"] == "Normal")


# -- the ASAP list and Priority ---------------------------------------------------------------------------------


async def test_asap_lists_the_priority_asap_appointments_with_server_time(api: httpx.AsyncClient) -> None:
    response = await api.get("appointments/ASAP")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) >= 5, "the demo seed puts a few visits on the ASAP list"
    assert {r["Priority"] for r in rows} == {"ASAP"}
    assert all(r["serverDateTime"] for r in rows)
    assert [(r["AptDateTime"], r["AptNum"]) for r in rows] == sorted(
        (r["AptDateTime"], r["AptNum"]) for r in rows
    )
    prov = rows[0]["ProvHyg"] or rows[0]["ProvNum"]
    by_provider = (await api.get("appointments/ASAP", params={"ProvNum": prov})).json()
    assert by_provider and all(prov in (r["ProvNum"], r["ProvHyg"]) for r in by_provider)
    assert (await api.get("appointments/ASAP", params={"ClinicNum": 0})).json() == rows
    assert (await api.get("appointments/ASAP", params={"Limit": 2, "Offset": 1})).json() == rows[1:3]


async def test_priority_is_returned_and_set_by_put_and_post(api: httpx.AsyncClient) -> None:
    appointment = await a_future_appointment(api)
    assert appointment["Priority"] == "Normal"  # every appointment row carries it
    put = await api.put(f"appointments/{appointment['AptNum']}", json={"Priority": "ASAP"})
    assert (put.status_code, put.json()["Priority"]) == (200, "ASAP")
    listed = {r["AptNum"] for r in (await api.get("appointments/ASAP")).json()}
    assert appointment["AptNum"] in listed
    await api.put(f"appointments/{appointment['AptNum']}", json={"Priority": "Normal"})
    assert appointment["AptNum"] not in {r["AptNum"] for r in (await api.get("appointments/ASAP")).json()}
    assert (
        await api.put(f"appointments/{appointment['AptNum']}", json={"Priority": "Soon"})
    ).status_code == 400
    created = await api.post(
        "appointments", json={"PatNum": 1, "Op": 1, "AptDateTime": "2030-01-07 09:00:00", "Priority": "ASAP"}
    )
    assert (created.status_code, created.json()["Priority"]) == (201, "ASAP")
    # AptStatus "ASAP" is still accepted as a filter; since 17.4.1 no appointment has that status.
    assert (await api.get("appointments", params={"AptStatus": "ASAP"})).json() == []


async def test_asap_needs_a_clinic_when_clinics_are_on(start_sandbox: SandboxFactory, tmp_path: Any) -> None:
    from od_adapter.sandbox.seed import load_seed

    seed = load_seed()
    seed["clinics"] = [{"ClinicNum": 1, "Description": "Main", "Abbr": "Main", "Phone": "5035550100"}]
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    server = await start_sandbox(path)
    async with client_for(server) as api:
        refused = await api.get("appointments/ASAP")
        assert refused.status_code == 400 and "ClinicNum" in refused.json()
        assert (await api.get("appointments/ASAP", params={"ClinicNum": 0})).status_code == 200


# -- recalls ----------------------------------------------------------------------------------------------------


async def test_recalls_have_the_documented_fields_and_filter_by_patient(api: httpx.AsyncClient) -> None:
    rows = (await api.get("recalls", params={"Limit": 100})).json()
    assert len(rows) == 100, "the seed gives most patients a recall (and paging applies)"
    recall = rows[0]
    assert set(recall) >= {
        "RecallNum", "PatNum", "DateDue", "DatePrevious", "RecallInterval", "RecallStatus", "recallStatus", "Note",
        "IsDisabled", "DateTStamp", "RecallTypeNum", "DisableUntilBalance", "DisableUntilDate", "DateScheduled",
        "Priority", "TimePatternOverride",
    }  # fmt: skip
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", recall["DateDue"]) and recall["IsDisabled"] == "false"
    assert any(r["DateScheduled"] != "0001-01-01" for r in rows), "some recalls are already scheduled"
    mine = (await api.get("recalls", params={"PatNum": recall["PatNum"]})).json()
    assert mine and {r["PatNum"] for r in mine} == {recall["PatNum"]}


async def test_recall_list_shows_due_unscheduled_recalls_in_its_own_formats(api: httpx.AsyncClient) -> None:
    rows = (await api.get("recalls/List")).json()
    assert rows, "the seed has due and overdue recalls"
    item = rows[0]
    assert set(item) == {
        "DueDate", "PatNum", "Patient", "Age", "Type", "Interval", "NumRemind", "LastRemind", "Contact", "Status",
        "ClinicNum", "Note",
    }  # fmt: skip
    assert SHORT_DATE.fullmatch(item["DueDate"]) and ", " in item["Patient"]
    assert isinstance(item["Age"], str) and item["NumRemind"] == "" and item["LastRemind"] == ""
    assert item["Type"] in ("Prophy", "Perio")
    scheduled = {
        r["PatNum"]
        for r in (await api.get("recalls", params={"Limit": 100})).json()
        if r["DateScheduled"] != "0001-01-01"
    }
    assert not scheduled & {r["PatNum"] for r in rows}, "a scheduled recall is not on the list"
    dues = [datetime.strptime(r["DueDate"], "%m/%d/%Y").date() for r in rows]
    assert dues == sorted(dues)
    today = date.today()
    window = (
        await api.get(
            "recalls/List", params={"DateStart": str(today - timedelta(days=30)), "DateEnd": str(today)}
        )
    ).json()
    assert all(
        today - timedelta(days=31)
        <= datetime.strptime(r["DueDate"], "%m/%d/%Y").date()
        <= today + timedelta(days=1)
        for r in window
    )
    assert len(window) < len(rows)
    perio = (await api.get("recalls/List", params={"RecallType": "perio"})).json()
    assert {r["Type"] for r in perio} <= {"Perio"}
    assert (await api.get("recalls/List", params={"RecallType": "Pano"})).status_code == 400


async def test_recall_status_sets_the_status_writes_a_commlog_and_counts_as_a_reminder(
    api: httpx.AsyncClient,
) -> None:
    item = (await api.get("recalls/List")).json()[0]
    pat = item["PatNum"]
    body = {"PatNum": pat, "recallType": item["Type"], "RecallStatus": 141, "commlogMode": "Text"}
    response = await api.put("recalls/Status", json=body)
    assert (response.status_code, response.content) == (200, b"")
    recall = (await api.get("recalls", params={"PatNum": pat})).json()[0]
    assert (recall["RecallStatus"], recall["recallStatus"]) == (141, "Texted")
    commlog = (await api.get("commlogs", params={"PatNum": pat})).json()[-1]
    assert (commlog["commType"], commlog["Mode_"]) == ("Recall", "Text")
    assert "Recall reminder" in commlog["Note"]
    assert pat not in {r["PatNum"] for r in (await api.get("recalls/List")).json()}, (
        "reminded: off the default list"
    )
    reminded = next(
        r
        for r in (await api.get("recalls/List", params={"IncludeReminded": "true"})).json()
        if r["PatNum"] == pat
    )
    assert reminded["NumRemind"] == "1" and SHORT_DATE.fullmatch(reminded["LastRemind"])
    assert reminded["Status"] == "Texted"
    noted = await api.put(
        "recalls/Status", json={"PatNum": pat, "recallType": item["Type"], "commlogNote": "Out of town."}
    )
    assert noted.status_code == 200
    assert (await api.get("commlogs", params={"PatNum": pat})).json()[-1]["Note"] == "Out of town."


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"recallType": "Prophy"}, 400),
        ({"PatNum": 1}, 400),
        ({"PatNum": 99999, "recallType": "Prophy"}, 404),
        ({"PatNum": 1, "recallType": "Pano"}, 400),
        ({"PatNum": 1, "recallType": "Prophy", "RecallStatus": 19}, 400),
        ({"PatNum": 1, "recallType": "Prophy", "commlogMode": "In Person"}, 400),
    ],
)
async def test_recall_status_refuses_what_the_reference_refuses(
    api: httpx.AsyncClient, body: dict[str, Any], status: int
) -> None:
    assert (await api.put("recalls/Status", json=body)).status_code == status


async def test_recall_status_needs_the_comm_permission(sandbox: TestServer) -> None:
    async with client_for(sandbox, auth=READ_ONLY) as api:
        assert (await api.get("recalls/List")).status_code == 200
        assert (
            await api.put("recalls/Status", json={"PatNum": 1, "recallType": "Prophy"})
        ).status_code == 401


# -- histappointments -------------------------------------------------------------------------------------------


async def test_histappointments_keep_each_change_with_its_action(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    created = (
        await api.post("appointments", json={"PatNum": 1, "Op": 1, "AptDateTime": "2030-01-07 09:00:00"})
    ).json()
    num = created["AptNum"]
    await api.put(f"appointments/{num}", json={"Note": "moved"})
    await api.put(f"appointments/{num}/Break", json={"sendToUnscheduledList": "false", "breakType": "Missed"})
    assert (await admin.delete(f"offices/1/appointments/{num}")).status_code == 200
    rows = (await api.get("histappointments", params={"AptNum": num})).json()
    assert [r["HistApptAction"] for r in rows] == ["Created", "Changed", "Missed", "Deleted"]
    assert [r["ApptSource"] for r in rows] == ["EConnector", "EConnector", "EConnector", "None"]
    assert rows[2]["AptStatus"] == "Broken" and rows[0]["PatNum"] == 1
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", r["HistDateTStamp"]) for r in rows)
    assert [r["HistApptNum"] for r in rows] == sorted(r["HistApptNum"] for r in rows)
    deleted = (await api.get("histappointments", params={"HistApptAction": "Deleted"})).json()
    assert [r["AptNum"] for r in deleted] == [num]
    today = (
        await api.get("histappointments", params={"date": rows[0]["HistDateTStamp"][:10], "PatNum": 1})
    ).json()
    assert len(today) >= 4
    assert (await api.get("histappointments", params={"dateEnd": "2000-01-01"})).json() == []
    assert (await api.get("histappointments", params={"HistApptAction": "Moved"})).status_code == 400
    assert (await api.get(f"appointments/{num}")).status_code == 404


# -- subscriptions ----------------------------------------------------------------------------------------------


async def test_subscriptions_post_get_put_delete(api: httpx.AsyncClient) -> None:
    body = {
        "EndPointUrl": "https://example.test/ev",
        "Workstation": "ODSERVER",
        "WatchTable": "Appointment",
        "PollingSeconds": 5,
    }
    created = await api.post("subscriptions", json=body)
    assert created.status_code == 201 and created.headers["Location"].endswith(
        f"/subscriptions/{created.json()['SubscriptionNum']}"
    )
    row = created.json()
    assert (row["CustomerKey"], row["UiEventType"], row["DateTimeStop"], row["Note"]) == (
        "sandbox-customer",
        "",
        "0001-01-01 00:00:00",
        "",
    )
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", row["DateTimeStart"])
    ui = (
        await api.post(
            "subscriptions", json={"EndPointUrl": "http://localhost:2097/", "UiEventType": "PatientSelected"}
        )
    ).json()
    assert (ui["WatchTable"], ui["PollingSeconds"]) == ("", 0)
    assert [s["SubscriptionNum"] for s in (await api.get("subscriptions")).json()] == [
        row["SubscriptionNum"],
        ui["SubscriptionNum"],
    ]
    put = await api.put(
        f"subscriptions/{row['SubscriptionNum']}", json={"PollingSeconds": 30, "Note": "slower"}
    )
    assert put.status_code == 200
    changed = (await api.get("subscriptions")).json()[0]
    assert (changed["PollingSeconds"], changed["Note"]) == (30, "slower")
    assert (
        await api.put(f"subscriptions/{ui['SubscriptionNum']}", json={"PollingSeconds": 5})
    ).status_code == 400
    assert (await api.delete(f"subscriptions/{row['SubscriptionNum']}")).status_code == 200
    assert (await api.delete(f"subscriptions/{row['SubscriptionNum']}")).status_code == 404
    assert [s["SubscriptionNum"] for s in (await api.get("subscriptions")).json()] == [ui["SubscriptionNum"]]


@pytest.mark.parametrize(
    "body",
    [
        {"WatchTable": "Appointment", "PollingSeconds": 5},
        {"EndPointUrl": "https://x.test/", "WatchTable": "Appointment"},
        {"EndPointUrl": "https://x.test/", "WatchTable": "Appointments", "PollingSeconds": 5},
        {"EndPointUrl": "https://x.test/"},
        {
            "EndPointUrl": "https://x.test/",
            "WatchTable": "Patient",
            "PollingSeconds": 5,
            "UiEventType": "PatientSelected",
        },
        {
            "EndPointUrl": "https://x.test/",
            "WatchTable": "Patient",
            "PollingSeconds": 5,
            "DateTimeStart": "31/01/2022",
        },
    ],
)
async def test_subscriptions_post_validation(api: httpx.AsyncClient, body: dict[str, Any]) -> None:
    assert (await api.post("subscriptions", json=body)).status_code == 400


async def test_subscriptions_belong_to_their_customer_key(sandbox: TestServer) -> None:
    async with client_for(sandbox) as full, client_for(sandbox, auth=READ_ONLY) as read_only:
        mine = (
            await full.post(
                "subscriptions",
                json={"EndPointUrl": "https://a.test/", "WatchTable": "Appointment", "PollingSeconds": 5},
            )
        ).json()
        theirs = await read_only.post(
            "subscriptions",
            json={"EndPointUrl": "https://b.test/", "WatchTable": "Patient", "PollingSeconds": 5},
        )
        assert theirs.status_code == 201, "Subscriptions POST needs only Read All"
        assert [s["EndPointUrl"] for s in (await read_only.get("subscriptions")).json()] == [
            "https://b.test/"
        ]
        assert (await read_only.delete(f"subscriptions/{mine['SubscriptionNum']}")).status_code == 404


# -- API Event delivery ------------------------------------------------------------------------------------------


class Endpoint:
    """A webhook receiver: what a subscriber's server sees, and the status it answers."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], Any]] = []
        self.status = 200

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), json.loads(await request.read())))
        return web.Response(status=self.status)


@pytest.fixture(name="endpoint")
async def fixture_endpoint() -> AsyncIterator[tuple[Endpoint, str]]:
    endpoint = Endpoint()
    app = web.Application()
    app.router.add_post("/events/{kind}", endpoint.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield endpoint, str(server.make_url("/events"))
    await server.close()


async def test_events_post_changed_rows_with_the_bare_customer_key(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, endpoint: tuple[Endpoint, str]
) -> None:
    receiver, url = endpoint
    for table, workstation in (("Appointment", "ODSERVER"), ("AppointmentDeleted", "")):
        body = {
            "EndPointUrl": f"{url}/{table}",
            "WatchTable": table,
            "PollingSeconds": 5,
            "Workstation": workstation,
        }
        assert (await api.post("subscriptions", json=body)).status_code == 201
    assert (await admin.post("events/deliver")).json() == [], "nothing changed since subscribing"
    broken, gone = await a_future_appointment(api), (await api.get("appointments/ASAP")).json()[0]
    await api.put(f"appointments/{broken['AptNum']}/Break", json={"sendToUnscheduledList": "true"})
    await admin.delete(f"offices/1/appointments/{gone['AptNum']}")
    sent = (await admin.post("events/deliver")).json()
    assert sorted((d["watch_table"], d["workstation"], d["status"]) for d in sent) == [
        ("Appointment", "ODSERVER", 200),
        ("AppointmentDeleted", "FRONTDESK", 200),  # a blank Workstation: every machine sends it
        ("AppointmentDeleted", "ODSERVER", 200),
    ]
    by_table = {}
    for headers, rows in receiver.received:
        assert headers["Authorization"] == "sandbox-customer", "the bare CustomerKey, no ODFHIR"
        assert headers["Content-Type"].startswith("application/json")
        by_table.setdefault(headers["Event-Type"], []).append((headers["Workstation"], rows))
    [(_, changed)] = by_table["WatchTable: Appointment"]
    row = next(r for r in changed if r["AptNum"] == broken["AptNum"])
    assert row["AptStatus"] == "UnschedList" and set(row) >= set(broken) - {"serverDateTime"}
    deleted = by_table["WatchTable: AppointmentDeleted"]
    assert [[r["AptNum"] for r in rows] for _, rows in deleted] == [[gone["AptNum"]]] * 2
    assert "HistApptAction" not in deleted[0][1][0] and deleted[0][1][0]["PatNum"] == gone["PatNum"]
    log = (await admin.get("events")).json()
    assert len(log) == 3


async def test_a_failed_delivery_is_sent_again_with_the_next(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, endpoint: tuple[Endpoint, str]
) -> None:
    receiver, url = endpoint
    sub = {
        "EndPointUrl": f"{url}/a",
        "WatchTable": "Appointment",
        "PollingSeconds": 5,
        "Workstation": "ODSERVER",
    }
    num = (await api.post("subscriptions", json=sub)).json()["SubscriptionNum"]
    first, second = await a_future_appointment(api), None
    await api.put(f"appointments/{first['AptNum']}", json={"Note": "one"})
    receiver.status = 500
    start = (await api.get("subscriptions")).json()[0]["DateTimeStart"]
    assert [d["status"] for d in (await admin.post("events/deliver")).json()] == [500]
    assert (await api.get("subscriptions")).json()[0]["DateTimeStart"] == start, (
        "a failure keeps DateTimeStart"
    )
    receiver.status = 200
    second = (await api.get("appointments/ASAP")).json()[0]
    await api.put(f"appointments/{second['AptNum']}", json={"Note": "two"})
    await admin.post("events/deliver")
    last = {r["AptNum"] for r in receiver.received[-1][1]}
    assert {first["AptNum"], second["AptNum"]} <= last
    assert num == 1


async def test_events_are_sent_on_the_subscriptions_polling_timer(
    start_sandbox: SandboxFactory, endpoint: tuple[Endpoint, str]
) -> None:
    receiver, url = endpoint
    server = await start_sandbox(events_tick_seconds=0.2)
    async with client_for(server) as api:
        sub = {
            "EndPointUrl": f"{url}/t",
            "WatchTable": "Appointment",
            "PollingSeconds": 1,
            "Workstation": "ODSERVER",
        }
        await api.post("subscriptions", json=sub)
        appointment = await a_future_appointment(api)
        await api.put(f"appointments/{appointment['AptNum']}", json={"Note": "timer"})
        deadline = time.monotonic() + 10
        while not any(r["AptNum"] == appointment["AptNum"] for _, rows in receiver.received for r in rows):
            assert time.monotonic() < deadline, "no event within 10 s"
            await asyncio.sleep(0.1)
        stopped = {"DateTimeStop": "2000-01-01 00:00:00"}
        await api.put("subscriptions/1", json=stopped)
        count = len(receiver.received)
        await api.put(f"appointments/{appointment['AptNum']}", json={"Note": "after the stop"})
        await asyncio.sleep(1.5)
        assert len(receiver.received) == count, "an expired subscription fires nothing"


def test_the_event_flags_of_the_sandbox_command() -> None:
    from od_adapter.sandbox.__main__ import parse_args, settings_from

    chosen = settings_from(
        parse_args(["--workstations", "A, B", "--no-events", "--events-tick-seconds", "0.5"])
    )
    assert (chosen.workstations, chosen.events, chosen.events_tick_seconds) == (["A", "B"], False, 0.5)
    default = settings_from(parse_args([]))
    assert (default.workstations, default.events) == (["ODSERVER", "FRONTDESK"], True)
