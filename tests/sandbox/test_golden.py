"""Golden tests: the reference's own example requests and responses, replayed against the sandbox.

The office in `fixtures/reference_office.json` holds the reference's example rows verbatim (patient 48 Jane
Smith, appointment 18, schedule 24420, commlog 14, ...), so every GET must give them back byte for byte in
shape and value, and every example write must answer as the reference shows.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer

from tests.conftest import FIXTURES, SandboxFactory, api_url

SEED = json.loads((FIXTURES / "reference_office.json").read_text())
HEADERS = {"Authorization": "ODFHIR sandbox-dev/sandbox-customer", "Content-Type": "application/json"}


@pytest.fixture(name="api")
async def fixture_api(start_sandbox: SandboxFactory) -> httpx.AsyncClient:
    server: TestServer = await start_sandbox(seed_path=FIXTURES / "reference_office.json")
    async with httpx.AsyncClient(base_url=api_url(server) + "/", headers=HEADERS) as client:
        yield client


def seed_row(table: str, key: str, value: int | str) -> dict[str, Any]:
    return next(row for row in SEED[table] if row[key] == value)


async def test_get_patient_48_is_the_reference_example(api: httpx.AsyncClient) -> None:
    response = await api.get("patients/48")
    assert response.status_code == 200
    assert response.json() == seed_row("patients", "PatNum", 48)


async def test_get_appointment_18_is_the_reference_example(api: httpx.AsyncClient) -> None:
    body = (await api.get("appointments/18")).json()
    served_at = body.pop("serverDateTime")
    assert body == seed_row("appointments", "AptNum", 18)
    assert len(served_at) == 19 and served_at[10] == " "


async def test_schedule_example_keeps_numbers_as_strings(api: httpx.AsyncClient) -> None:
    body = (await api.get("schedules", params={"date": "2022-03-07"})).json()
    assert body == [seed_row("schedules", "ScheduleNum", "24420")]
    assert (await api.get("schedules/24420")).json()["ProvNum"] == "3"


async def test_preference_by_name_is_always_a_list(api: httpx.AsyncClient) -> None:
    body = (await api.get("preferences", params={"PrefName": "RecallDaysPast"})).json()
    assert body == [{"PrefNum": 15, "PrefName": "RecallDaysPast", "ValueString": "365"}]


async def test_definition_example_with_lowercase_is_hidden(api: httpx.AsyncClient) -> None:
    body = (await api.get("definitions", params={"Category": 1})).json()
    assert body == [
        {
            "DefNum": 293,
            "ItemName": "Sales Tax",
            "ItemValue": "+",
            "Category": 1,
            "category": "AdjTypes",
            "isHidden": "false",
        }
    ]


async def test_appointment_type_example(api: httpx.AsyncClient) -> None:
    assert (await api.get("appointmenttypes")).json() == SEED["appointment_types"]


async def test_commlog_example_keeps_comm_type_as_string(api: httpx.AsyncClient) -> None:
    body = (await api.get("commlogs", params={"PatNum": 30})).json()
    assert [{k: v for k, v in row.items() if k != "serverDateTime"} for row in body] == SEED["commlogs"]
    assert body[0]["CommType"] == "235"


async def test_patient_select_example_query(api: httpx.AsyncClient) -> None:
    params = {"LName": "smi", "FName": "j", "Birthdate": "1976-05-24", "hideInactive": "true"}
    body = (await api.get("patients", params=params)).json()
    assert [p["PatNum"] for p in body] == [48]
    assert set(body[0]) == {
        "PatNum", "LName", "FName", "MiddleI", "Preferred", "PatStatus", "Birthdate", "SSN", "Address", "Address2",
        "City", "State", "Zip", "HmPhone", "WkPhone", "WirelessPhone", "Email", "priProvAbbr", "secProvAbbr",
        "BillingType", "ChartNumber", "ClinicNum", "clinicAbbr", "siteDesc", "TxtMsgOk",
    }  # fmt: skip


async def test_patients_simple_example_query(api: httpx.AsyncClient) -> None:
    body = (
        await api.get("patients/Simple", params={"LName": "smi", "FName": "an", "Birthdate": "1976-05-24"})
    ).json()
    assert [p["PatNum"] for p in body] == [48]
    assert "serverDateTime" in body[0]


async def test_post_appointment_example(api: httpx.AsyncClient) -> None:
    request = {"PatNum": 21, "Op": 6, "AptDateTime": "2020-07-31 09:00:00", "colorOverride": "100,0,255"}
    response = await api.post("appointments", json=request)
    assert response.status_code == 201
    body = response.json()
    assert response.headers["Location"].endswith(f"/api/v1/appointments/{body['AptNum']}")
    assert body["Pattern"] == "/XX/"
    assert body["confirmed"] == "Not Called"
    assert body["AptStatus"] == "Scheduled"
    assert body["AptDateTime"] == "2020-07-31 09:00:00"
    assert body["ProvNum"] == 1  # the patient's PriProv
    assert body["IsNewPatient"] == "false"


async def test_post_commlog_example(api: httpx.AsyncClient) -> None:
    request = {
        "PatNum": 30,
        "commType": "ApptRelated",
        "CommDateTime": "2025-01-21 11:15:00",
        "Mode_": "Text",
        "SentOrReceived": "Received",
        "Note": "Patient texted to confirm.",
    }
    response = await api.post("commlogs", json=request)
    assert response.status_code == 201
    body = response.json()
    assert (body["CommType"], body["commType"], body["Mode_"], body["SentOrReceived"]) == (
        "235",
        "ApptRelated",
        "Text",
        "Received",
    )
    assert body["CommDateTime"] == "2025-01-21 11:15:00"


async def test_confirm_examples(api: httpx.AsyncClient) -> None:
    response = await api.put("appointments/18/Confirm", json={"confirmVal": "Confirmed"})
    assert (response.status_code, response.content) == (200, b"")
    body = (await api.get("appointments/18")).json()
    assert (body["Confirmed"], body["confirmed"]) == (209, "Confirmed")
    assert (await api.put("appointments/18/Confirm", json={"defNum": 19})).status_code == 200
    assert (await api.get("appointments/18")).json()["confirmed"] == "Not Called"


async def test_note_example_appends_on_a_new_line(api: httpx.AsyncClient) -> None:
    await api.put("appointments/18/Note", json={"Note": "Requests reschedule"})
    await api.put("appointments/18/Note", json={"Note": "Prefers mornings"})
    # Open Dental's serializer turns the CR/LF between the lines into a space on the way out.
    assert (await api.get("appointments/18")).json()["Note"] == "Requests reschedule Prefers mornings"


async def test_break_example(api: httpx.AsyncClient) -> None:
    response = await api.put("appointments/18/Break", json={"sendToUnscheduledList": "true"})
    assert (response.status_code, response.content) == (200, b"")
    assert (await api.get("appointments/18")).json()["AptStatus"] == "UnschedList"
    again = await api.put("appointments/18/Break", json={"sendToUnscheduledList": "true"})
    assert again.status_code == 400


async def test_documented_error_messages(api: httpx.AsyncClient) -> None:
    missing = await api.get("patients/999")
    assert (missing.status_code, missing.json()) == (404, "Patient not found")
    assert (await api.get("schedules/1")).json() == "Schedule not found"
    no_pat = await api.post("appointments", json={"Op": 3, "AptDateTime": "2020-07-31 09:00:00"})
    assert (no_pat.status_code, no_pat.json()) == (400, "PatNum is required")
    bad_stamp = await api.get("appointments", params={"DateTStamp": "yesterday"})
    assert (bad_stamp.status_code, bad_stamp.json()) == (400, "DateTStamp format must be yyyy-MM-dd HH:mm:ss")
    assert (await api.get("clinics")).json() == []
    assert (await api.get("clinics/4")).json() == "Clinic not found"
