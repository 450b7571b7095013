"""Conformance of the sandbox to the Open Dental reference: auth, content type, paging, formats, filters,
throttle, overlap, faults and the admin controls. Raw HTTP, so nothing of our client hides a mistake."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import httpx
import pytest
from aiohttp.test_utils import TestServer

from tests.conftest import SandboxFactory, api_url

FULL = "ODFHIR sandbox-dev/sandbox-customer"
READ_ONLY = "ODFHIR sandbox-dev/sandbox-readonly"
JSON = "application/json"


def client_for(
    server: TestServer, auth: str | None = FULL, content_type: str | None = JSON
) -> httpx.AsyncClient:
    headers = {}
    if auth:
        headers["Authorization"] = auth
    if content_type:
        headers["Content-Type"] = content_type
    return httpx.AsyncClient(base_url=api_url(server) + "/", headers=headers, timeout=30)


@pytest.fixture(name="api")
async def fixture_api(sandbox: TestServer) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sandbox) as client:
        yield client


def next_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7 or 7)


# -- auth and headers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "ODFHIR sandbox-dev",
        "ODFHIR wrong-dev/sandbox-customer",
        "ODFHIR sandbox-dev/wrong-customer",
        "Bearer sandbox-dev/sandbox-customer",
        "Basic c2FuZGJveA==",
    ],
)
async def test_wrong_or_missing_keys_get_401(sandbox: TestServer, auth: str | None) -> None:
    async with client_for(sandbox, auth=auth) as api:
        response = await api.get("patients/1")
    assert response.status_code == 401


async def test_read_only_key_reads_but_cannot_write(sandbox: TestServer) -> None:
    async with client_for(sandbox, auth=READ_ONLY) as api:
        assert (await api.get("patients/1")).status_code == 200
        for method, path, body in [
            ("POST", "appointments", {"PatNum": 1, "Op": 1, "AptDateTime": "2030-01-07 09:00:00"}),
            ("POST", "patients", {"LName": "X", "FName": "Y"}),
            ("POST", "commlogs", {"PatNum": 1, "Note": "x"}),
            ("PUT", "appointments/1/Confirm", {"confirmVal": "Confirmed"}),
        ]:
            response = await api.request(method, path, json=body)
            assert response.status_code == 401, path
            assert "permission" in response.json()


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_content_type_is_required_on_every_request(
    sandbox: TestServer, content_type: str | None
) -> None:
    async with client_for(sandbox, content_type=content_type) as api:
        response = await api.get("providers")
    assert response.status_code == 400
    assert response.json() == "Content-Type must be application/json"


async def test_unknown_path_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get("nosuchthing")
    assert (response.status_code, response.json()) == (404, "Not found")


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("json", '"Patient not found"'),
        ("text", "Patient not found"),
        ("object", '{"message": "Patient not found"}'),
    ],
)
async def test_error_body_styles(start_sandbox: SandboxFactory, style: str, expected: str) -> None:
    server = await start_sandbox(error_body=style)
    async with client_for(server) as api:
        response = await api.get("patients/9999")
    assert (response.status_code, response.text) == (404, expected)


# -- formats and paging -----------------------------------------------------------------------------------------


async def test_appointment_fields_use_open_dental_formats(api: httpx.AsyncClient) -> None:
    row = (await api.get("appointments", params={"Limit": 1})).json()[0]
    assert row["IsHygiene"] in ("true", "false")
    assert row["AptStatus"] in ("Scheduled", "Complete")
    datetime.strptime(row["AptDateTime"], "%Y-%m-%d %H:%M:%S")
    datetime.strptime(row["serverDateTime"], "%Y-%m-%d %H:%M:%S")
    assert isinstance(row["AptNum"], int) and isinstance(row["Op"], int)


async def test_schedules_send_numbers_as_strings(api: httpx.AsyncClient) -> None:
    monday = next_weekday(date.today(), 0)
    rows = (await api.get("schedules", params={"date": monday.isoformat()})).json()
    assert rows, "the demo practice works Mondays"
    for row in rows:
        assert all(isinstance(row[k], str) for k in ("ScheduleNum", "ProvNum", "BlockoutType", "EmployeeNum"))
        assert all(part.isdecimal() for part in row["operatories"].split(","))
    assert {r["SchedType"] for r in rows} == {"Provider", "Blockout"}
    starts = [(r["SchedDate"], r["StartTime"]) for r in rows]
    assert starts == sorted(starts)


async def test_paging_caps_limit_at_100_and_walks_with_offset(api: httpx.AsyncClient) -> None:
    start = date.today()
    params = {"dateStart": start.isoformat(), "dateEnd": (start + timedelta(days=27)).isoformat()}
    first = (await api.get("appointments", params={**params, "Limit": 500})).json()
    assert len(first) == 100
    everything, offset = [], 0
    while True:
        page = (await api.get("appointments", params={**params, "Offset": offset})).json()
        everything += page
        if len(page) < 100:
            break
        offset += 100
    assert len(everything) > 100
    assert everything[:100] == first
    keys = [(r["AptDateTime"], r["AptNum"]) for r in everything]
    assert keys == sorted(keys), "ordered by AptDateTime, AptNum so paging cannot drift"
    assert len({r["AptNum"] for r in everything}) == len(everything)


async def test_negative_offset_is_refused(api: httpx.AsyncClient) -> None:
    assert (await api.get("appointments", params={"Offset": -1})).status_code == 400


async def test_query_parameter_names_are_case_insensitive(api: httpx.AsyncClient) -> None:
    upper = (await api.get("appointments", params={"PatNum": 1})).json()
    lower = (await api.get("appointments", params={"patnum": 1})).json()
    assert upper == lower and all(r["PatNum"] == 1 for r in upper)


# -- filters and DateTStamp -------------------------------------------------------------------------------------


async def test_appointment_filters(api: httpx.AsyncClient) -> None:
    day = next_weekday(date.today(), 1)
    rows = (await api.get("appointments", params={"date": day.isoformat(), "Op": 3})).json()
    assert rows and all(r["Op"] == 3 and r["AptDateTime"].startswith(day.isoformat()) for r in rows)
    assert all(r["IsHygiene"] == "true" and r["ProvHyg"] == 3 for r in rows)
    typed = (await api.get("appointments", params={"AppointmentTypeNum": 2, "Limit": 20})).json()
    assert typed and all(r["AppointmentTypeNum"] == 2 for r in typed)
    done = (await api.get("appointments", params={"AptStatus": "Complete", "Limit": 20})).json()
    assert done and all(r["AptStatus"] == "Complete" for r in done)
    assert (await api.get("appointments", params={"AptStatus": "Whatever"})).status_code == 400


async def test_date_t_stamp_returns_only_what_changed(api: httpx.AsyncClient) -> None:
    first = (await api.get("appointments", params={"Limit": 1})).json()[0]
    since = first["serverDateTime"]
    assert (await api.get("appointments", params={"DateTStamp": since})).json() == []
    created = (
        await api.post("appointments", json={"PatNum": 1, "Op": 4, "AptDateTime": "2030-01-07 09:00:00"})
    ).json()
    await api.put(f"appointments/{first['AptNum']}/Note", json={"Note": "running late"})
    changed = (await api.get("appointments", params={"DateTStamp": since})).json()
    assert {r["AptNum"] for r in changed} == {created["AptNum"], first["AptNum"]}
    assert all(r["DateTStamp"] >= since for r in changed)


async def test_patients_simple_date_t_stamp_and_guarantor(api: httpx.AsyncClient) -> None:
    family = (await api.get("patients/Simple", params={"Guarantor": 2})).json()
    assert {p["FName"] for p in family} == {"María", "Sofía", "Mateo"}
    since = family[0]["serverDateTime"]
    await api.put("patients/3", json={"Preferred": "Sofi"})
    changed = (await api.get("patients/Simple", params={"DateTStamp": since})).json()
    assert [p["PatNum"] for p in changed] == [3]


# -- patients ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("5035551234", {1}),  # stored "(503)555-1234"
        ("(503) 555-1234", {1}),
        ("15035551234", {1}),  # a leading 1 is optional once four digits are typed
        ("5551234", {1}),  # a substring of the stored number matches too
        ("503-555-2000", {2, 3, 4}),  # a family shares one phone
        ("5035554000", {6, 7, 8}),
        ("5035555000", {9}),  # stored as HmPhone only
        ("5039999999", set()),
    ],
)
async def test_patient_select_phone_rule(api: httpx.AsyncClient, phone: str, expected: set[int]) -> None:
    rows = (await api.get("patients", params={"Phone": phone})).json()
    assert {r["PatNum"] for r in rows} == expected


async def test_patient_select_hides_archived_and_optionally_inactive(api: httpx.AsyncClient) -> None:
    archived = (await api.get("patients/191")).json()
    inactive = (await api.get("patients/151")).json()
    assert (archived["PatStatus"], inactive["PatStatus"]) == ("Archived", "Inactive")

    async def found(patient: dict, **flags: str) -> bool:
        rows = (
            await api.get("patients", params={"LName": patient["LName"], "FName": patient["FName"], **flags})
        ).json()
        return patient["PatNum"] in {r["PatNum"] for r in rows}

    assert not await found(archived)
    assert await found(archived, showArchived="true")
    assert await found(inactive)
    assert not await found(inactive, hideInactive="true")


async def test_create_patient_validates_and_refuses_duplicates(api: httpx.AsyncClient) -> None:
    assert (await api.post("patients", json={"FName": "A"})).json() == "LName is required"
    assert (await api.post("patients", json={"LName": "A", "FName": "B", "Gender": "X"})).status_code == 400
    assert (await api.post("patients", json={"LName": "A", "FName": "B", "Zip": "1"})).status_code == 400
    body = {"LName": "Nuevo", "FName": "Paciente", "Birthdate": "1990-02-03", "WirelessPhone": "(503) 555-7777",
            "TxtMsgOk": "Yes", "Language": "spa"}  # fmt: skip
    created = await api.post("patients", json=body)
    assert created.status_code == 201
    patient = created.json()
    assert created.headers["Location"].endswith(f"/patients/{patient['PatNum']}")
    assert (patient["Guarantor"], patient["TxtMsgOk"], patient["Language"]) == (
        patient["PatNum"],
        "Yes",
        "spa",
    )
    duplicate = await api.post("patients", json=body)
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()


async def test_put_patient_clears_strings_but_never_names(api: httpx.AsyncClient) -> None:
    updated = (await api.put("patients/1", json={"Email": "", "LName": "", "Preferred": "Janie"})).json()
    assert (updated["Email"], updated["LName"], updated["Preferred"]) == ("", "Smith", "Janie")


# -- appointments -----------------------------------------------------------------------------------------------


async def test_post_appointment_required_fields_and_type_pattern(api: httpx.AsyncClient) -> None:
    base = {"PatNum": 1, "Op": 4, "AptDateTime": "2030-01-07 09:00:00"}
    for missing in base:
        body = {k: v for k, v in base.items() if k != missing}
        response = await api.post("appointments", json=body)
        assert (response.status_code, response.json()) == (400, f"{missing} is required")
    assert (await api.post("appointments", json={**base, "PatNum": 99999})).status_code == 404
    assert (await api.post("appointments", json={**base, "Pattern": "XX-X"})).status_code == 400
    assert (await api.post("appointments", json={**base, "AptStatus": "Broken"})).status_code == 400
    typed = (await api.post("appointments", json={**base, "AppointmentTypeNum": 2})).json()
    assert typed["Pattern"] == "/XXXXXXXXXX/"  # the type's pattern when Pattern is omitted


async def test_overlap_is_allowed_by_default_and_refused_when_switched_off(
    start_sandbox: SandboxFactory,
) -> None:
    booking = {"PatNum": 1, "Op": 4, "AptDateTime": "2030-01-07 09:00:00", "Pattern": "/XXXX/"}
    clash = {**booking, "PatNum": 2, "AptDateTime": "2030-01-07 09:20:00"}
    allowed = await start_sandbox()
    async with client_for(allowed) as api:
        assert (await api.post("appointments", json=booking)).status_code == 201
        assert (await api.post("appointments", json=clash)).status_code == 201
    strict = await start_sandbox(allow_overlap=False)
    async with client_for(strict) as api:
        assert (await api.post("appointments", json=booking)).status_code == 201
        refused = await api.post("appointments", json=clash)
        assert refused.status_code == 400 and "overlaps" in refused.json()
        after = {**clash, "AptDateTime": "2030-01-07 09:30:00"}
        assert (await api.post("appointments", json=after)).status_code == 201  # back to back is fine
        moved = await api.put("appointments/1", json={"Op": 4, "AptDateTime": "2030-01-07 09:10:00"})
        assert moved.status_code == 400


async def test_break_with_break_type_adds_a_procedure_and_without_does_not(
    api: httpx.AsyncClient, sandbox: TestServer
) -> None:
    rows = (await api.get("appointments", params={"AptStatus": "Scheduled", "Limit": 2})).json()
    first, second = rows[0]["AptNum"], rows[1]["AptNum"]
    assert (
        await api.put(f"appointments/{first}/Break", json={})
    ).json() == "sendToUnscheduledList is required"
    bad = await api.put(
        f"appointments/{first}/Break", json={"sendToUnscheduledList": "true", "breakType": "Oops"}
    )
    assert bad.json() == "breakType is invalid"
    await api.put(f"appointments/{first}/Break", json={"sendToUnscheduledList": "true"})
    await api.put(
        f"appointments/{second}/Break", json={"sendToUnscheduledList": "false", "breakType": "Cancelled"}
    )
    assert (await api.get(f"appointments/{second}")).json()["AptStatus"] == "Broken"
    async with httpx.AsyncClient(base_url=str(sandbox.make_url(""))) as admin:
        procedures = (await admin.get("/_admin/offices/1/broken-procedures")).json()
    assert [(p["AptNum"], p["ProcCode"]) for p in procedures] == [(second, "D9987")]


async def test_confirm_needs_exactly_one_value(api: httpx.AsyncClient) -> None:
    assert (await api.put("appointments/1/Confirm", json={})).status_code == 400
    both = await api.put("appointments/1/Confirm", json={"confirmVal": "Confirmed", "defNum": 21})
    assert both.status_code == 400
    assert (await api.put("appointments/1/Confirm", json={"confirmVal": "Maybe"})).status_code == 400
    assert (await api.put("appointments/1/Confirm", json={"defNum": 230})).json() == "defNum is invalid"
    assert (await api.put("appointments/1/Confirm", json={"confirmVal": "Sent"})).status_code == 200
    assert (await api.get("appointments/1")).json()["confirmed"] == "eConfirmSent"


async def test_commlog_defaults_and_validation(api: httpx.AsyncClient) -> None:
    created = (await api.post("commlogs", json={"PatNum": 1, "Note": "Called"})).json()
    assert (created["commType"], created["Mode_"], created["SentOrReceived"]) == ("Misc", "Phone", "Sent")
    assert (await api.post("commlogs", json={"PatNum": 1})).json() == "Note is required"
    assert (
        await api.post("commlogs", json={"PatNum": 1, "Note": "x", "Mode_": "Text Message"})
    ).status_code == 400
    by_name = await api.post(
        "commlogs", json={"PatNum": 1, "Note": "x", "CommType": 230, "commType": "ApptRelated"}
    )
    assert by_name.json()["commType"] == "ApptRelated", "the name wins over the number"


async def test_malformed_bodies_are_400(api: httpx.AsyncClient) -> None:
    for content in (b"{not json", b"[1, 2]", b'"text"', b""):
        response = await api.post("appointments", content=content)
        assert response.status_code == 400, content


# -- Slots ------------------------------------------------------------------------------------------------------


async def test_slots_are_whole_blocks_that_ignore_blockouts(api: httpx.AsyncClient) -> None:
    monday = next_weekday(date.today(), 0)
    slots = (await api.get("appointments/Slots", params={"date": monday.isoformat(), "ProvNum": 1})).json()
    appointments = (await api.get("appointments", params={"date": monday.isoformat()})).json()
    busy = [
        (datetime.fromisoformat(a["AptDateTime"]), len(a["Pattern"]) * 5)
        for a in appointments
        if 1 in (a["ProvNum"], a["ProvHyg"]) and a["AptStatus"] not in ("UnschedList", "Planned")
    ]
    assert slots
    for slot in slots:
        start, end = (
            datetime.fromisoformat(slot["DateTimeStart"]),
            datetime.fromisoformat(slot["DateTimeEnd"]),
        )
        assert (slot["ProvNum"], slot["OpNum"]) == (1, 1)
        for apt_start, minutes in busy:
            assert end <= apt_start or start >= apt_start + timedelta(minutes=minutes)
    # Slots knows nothing of blockouts: lunch (12:00-13:00) is offered unless an appointment covers it.
    lunch = datetime.combine(monday, datetime.min.time()).replace(hour=12)
    lunch_busy = any(s <= lunch < s + timedelta(minutes=m) for s, m in busy)
    assert lunch_busy or any(
        s["DateTimeStart"] <= lunch.strftime("%Y-%m-%d %H:%M:%S") < s["DateTimeEnd"] for s in slots
    )


async def test_slots_parameters(api: httpx.AsyncClient) -> None:
    monday = next_weekday(date.today(), 0).isoformat()
    long_only = (
        await api.get("appointments/Slots", params={"date": monday, "ProvNum": 1, "lengthMinutes": 60})
    ).json()
    assert all(
        datetime.fromisoformat(s["DateTimeEnd"]) - datetime.fromisoformat(s["DateTimeStart"])
        >= timedelta(hours=1)
        for s in long_only
    )
    assert (
        await api.get("appointments/Slots", params={"date": monday, "ProvNum": 1, "OpNum": 3})
    ).json() == []
    past = (date.today() - timedelta(days=2)).isoformat()
    assert (await api.get("appointments/Slots", params={"date": past})).status_code == 400
    default = (await api.get("appointments/Slots")).json()
    assert default and all(s["ProvNum"] == 1 for s in default)  # PracticeDefaultProv, next 14 days


# -- throttle and faults ----------------------------------------------------------------------------------------


async def test_throttle_delay_mode_spaces_requests(start_sandbox: SandboxFactory) -> None:
    server = await start_sandbox(throttle_seconds=0.3)
    async with client_for(server) as api:
        started = time.monotonic()
        statuses = await asyncio.gather(*(api.get("providers") for _ in range(4)))
        elapsed = time.monotonic() - started
    assert [r.status_code for r in statuses] == [200] * 4
    assert elapsed >= 0.9


async def test_throttle_429_mode_rejects_with_retry_after(start_sandbox: SandboxFactory) -> None:
    server = await start_sandbox(throttle_mode="429", throttle_seconds=1.0)
    async with client_for(server) as api:
        first = await api.get("providers")
        second = await api.get("providers")
    assert first.status_code == 200
    assert second.status_code == 429 and second.headers["Retry-After"] == "1"


async def test_read_only_keys_have_their_own_slower_throttle(start_sandbox: SandboxFactory) -> None:
    server = await start_sandbox(throttle_mode="429", throttle_seconds=0, readonly_throttle_seconds=5)
    async with client_for(server, auth=READ_ONLY) as slow, client_for(server) as fast:
        assert (await slow.get("providers")).status_code == 200
        assert (await slow.get("providers")).status_code == 429
        assert (await fast.get("providers")).status_code == 200
        assert (await fast.get("providers")).status_code == 200


async def test_fault_injection(start_sandbox: SandboxFactory) -> None:
    server = await start_sandbox(share_5xx=1.0)
    async with client_for(server) as api:
        assert (await api.get("providers")).status_code == 500
    server = await start_sandbox(share_504=1.0, timeout_seconds=0.2)
    async with client_for(server) as api:
        started = time.monotonic()
        assert (await api.get("providers")).status_code == 504
        assert time.monotonic() - started >= 0.2
    server = await start_sandbox(latency_ms=150)
    async with client_for(server) as api:
        started = time.monotonic()
        await api.get("providers")
        assert time.monotonic() - started >= 0.15


async def test_lost_response_still_carries_out_the_write(start_sandbox: SandboxFactory) -> None:
    server = await start_sandbox(share_lost_response=1.0)
    async with client_for(server) as api:
        response = await api.post(
            "appointments", json={"PatNum": 1, "Op": 4, "AptDateTime": "2030-01-07 09:00:00"}
        )
        assert response.status_code == 504
        rows = (await api.get("appointments", params={"date": "2030-01-07"})).json()
    assert [(r["PatNum"], r["Op"]) for r in rows] == [(1, 4)]


# -- several offices and the admin controls ---------------------------------------------------------------------


async def test_offices_are_isolated_by_customer_key(start_sandbox: SandboxFactory) -> None:
    server = await start_sandbox(offices=3)
    async with (
        client_for(server) as first,
        client_for(server, auth="ODFHIR sandbox-dev/sandbox-customer-3") as third,
    ):
        await third.post("appointments", json={"PatNum": 1, "Op": 4, "AptDateTime": "2030-01-07 09:00:00"})
        assert (await first.get("appointments", params={"date": "2030-01-07"})).json() == []
        assert len((await third.get("appointments", params={"date": "2030-01-07"})).json()) == 1
    async with httpx.AsyncClient(base_url=str(server.make_url(""))) as admin:
        offices = (await admin.get("/_admin/offices")).json()
        log = (await admin.get("/_admin/requests", params={"office": 3})).json()
    assert [o["customer_key"] for o in offices] == [
        "sandbox-customer",
        "sandbox-customer-2",
        "sandbox-customer-3",
    ]
    assert [r["endpoint"] for r in log] == ["POST /appointments", "GET /appointments"]


async def test_admin_log_counters_settings_and_reset(sandbox: TestServer) -> None:
    async with client_for(sandbox) as api, httpx.AsyncClient(base_url=str(sandbox.make_url(""))) as admin:
        await api.get("patients/1")
        await api.get("patients/2")
        await api.post("appointments", json={"PatNum": 1, "Op": 4, "AptDateTime": "2030-01-07 09:00:00"})
        counters = (await admin.get("/_admin/counters")).json()
        assert counters == {"total": 3, "by_endpoint": {"GET /patients/{id}": 2, "POST /appointments": 1}}
        log = (await admin.get("/_admin/requests")).json()
        assert [r["status"] for r in log] == [200, 200, 201]
        changed = await admin.patch("/_admin/settings", json={"allow_overlap": False, "latency_ms": 5})
        assert changed.json()["allow_overlap"] is False
        assert (await admin.patch("/_admin/settings", json={"share_5xx": 7})).status_code == 400
        await admin.post("/_admin/reset")
        assert (await api.get("appointments", params={"date": "2030-01-07"})).json() == []
        assert (await admin.get("/_admin/counters")).json()["total"] == 1


async def test_slots_web_sched(api: httpx.AsyncClient) -> None:
    monday = next_weekday(date.today(), 0).isoformat()
    params = {"dateStart": monday, "dateEnd": monday, "defNumApptType": 70}
    cleanings = (await api.get("appointments/SlotsWebSched", params=params)).json()
    assert cleanings and all(s["ProvNum"] == 3 and s["OpNum"] == 3 for s in cleanings)
    assert all(
        datetime.fromisoformat(s["DateTimeEnd"]) - datetime.fromisoformat(s["DateTimeStart"])
        == timedelta(hours=1)
        for s in cleanings
    )
    checkups = (await api.get("appointments/SlotsWebSched", params={**params, "defNumApptType": 71})).json()
    assert (
        checkups and {s["OpNum"] for s in checkups} <= {1, 2} and {s["ProvNum"] for s in checkups} <= {1, 2}
    )
    wrong_kind = await api.get("appointments/SlotsWebSched", params={**params, "isNewPatient": "true"})
    assert wrong_kind.status_code == 400
    assert (
        await api.get("appointments/SlotsWebSched", params={"date": monday})
    ).json() == "defNumApptType is required"
