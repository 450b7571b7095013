"""The Open Dental client against the sandbox over real HTTP, and against `httpx.MockTransport` for bodies the
sandbox never sends (malformed JSON, eConnector messages, odd error shapes)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import httpx
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from od_adapter.client import OpenDentalClient, iso639_2
from od_adapter.errors import (
    OdBadRequest,
    OdNotFound,
    OdRateLimited,
    OdTimedOut,
    OdUnauthorized,
    OdUnavailable,
)
from od_adapter.http import OdHttp, OdNotSent
from od_adapter.models import (
    AppointmentUpdate,
    AptStatus,
    CommMode,
    NewAppointment,
    NewCommlog,
    SchedType,
    SentOrReceived,
)
from od_adapter.ratelimit import MemoryRateLimiter
from tests.conftest import FAST_RETRY, SandboxFactory, free_port, make_client


def next_weekday(weekday: int) -> date:
    today = date.today()
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def new_appointment(pat_num: int = 1, when: str = "2030-01-07 09:00:00", op: int = 4) -> NewAppointment:
    return NewAppointment(
        pat_num=pat_num, op=op, apt_date_time=datetime.fromisoformat(when), pattern="/XXXX/"
    )


# -- patients ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wa_id", "expected"),
    [
        ("15035551234", [1]),  # stored "(503)555-1234"
        ("15035552000", [2, 3, 4]),  # stored "503-555-2000" for a mother and two children
        ("15035554000", [6, 7, 8]),  # stored "5035554000"
        ("15035555000", [9]),  # only a home phone on file
        ("15035550001", []),
    ],
)
async def test_find_patients_by_phone_whatever_the_stored_format(
    od: OpenDentalClient, wa_id: str, expected: list[int]
) -> None:
    found = await od.find_patients_by_phone(wa_id, "US")
    assert sorted(p.pat_num for p in found) == expected


async def test_find_by_phone_rejects_substring_false_positives(od: OpenDentalClient) -> None:
    # Open Dental's search matches digits anywhere; a longer stored number that merely contains ours is not ours.
    await od.create_patient(
        first_name="Zed",
        last_name="Longer",
        birthdate=None,
        wa_id="19715035551234",
        region="US",
        language="en",
    )
    found = await od.find_patients_by_phone("15035551234", "US")
    assert [p.pat_num for p in found] == [1]


@pytest.mark.parametrize(
    ("stored", "region", "wa_id"),
    [
        ("(11) 98765-4321", "BR", "551187654321"),  # WhatsApp id without Brazil's ninth digit
        ("(11) 8765-4321", "BR", "5511987654321"),  # stored before the ninth digit, id with it
        ("55 1234 5678", "MX", "5215512345678"),  # Mexico's legacy 521 prefix in the WhatsApp id
        ("+1 503 555 8888", "US", "15035558888"),
    ],
)
async def test_find_by_phone_matches_equivalent_numbers(
    od: OpenDentalClient, stored: str, region: str, wa_id: str
) -> None:
    async with httpx.AsyncClient() as raw:
        created = await raw.post(
            str(od._http._client.base_url) + "patients",
            headers=dict(od._http._client.headers),
            json={"LName": "Intl", "FName": region, "WirelessPhone": stored},
        )
    assert created.status_code == 201
    found = await od.find_patients_by_phone(wa_id, region)
    assert [p.pat_num for p in found] == [created.json()["PatNum"]]


async def test_create_patient_sets_text_ok_language_and_national_phone(od: OpenDentalClient) -> None:
    patient = await od.create_patient(
        first_name=" Lucía ", last_name="Ramos", birthdate=date(1991, 4, 5), wa_id="15035557777", region="US",
        language="es",
    )  # fmt: skip
    assert (patient.f_name, patient.wireless_phone, patient.txt_msg_ok, patient.language) == (
        "Lucía",
        "(503) 555-7777",
        "Yes",
        "spa",
    )
    child = await od.create_patient(
        first_name="Tomás", last_name="Ramos", birthdate=date(2018, 1, 2), wa_id="15035557777", region="US",
        language="es", guarantor=patient.pat_num,
    )  # fmt: skip
    assert (child.guarantor, child.position) == (patient.pat_num, "Child")
    family = await od.search_patients(guarantor=patient.pat_num)
    assert {p.f_name for p in family} == {"Lucía", "Tomás"}
    assert [p.pat_num for p in await od.find_patients_by_phone("15035557777", "US")] == [
        patient.pat_num,
        child.pat_num,
    ]


async def test_get_and_search_patients(od: OpenDentalClient) -> None:
    jane = await od.get_patient(1)
    assert (jane.f_name, jane.birthdate, jane.language) == ("Jane", date(1976, 5, 24), "eng")
    assert [p.pat_num for p in await od.search_patients(last_name="smi", birthdate=date(1976, 5, 24))] == [1]
    with pytest.raises(OdNotFound, match="Patient not found"):
        await od.get_patient(99999)


def test_language_codes_are_iso_639_2() -> None:
    assert [iso639_2(code) for code in ("en", "es", "pt", "fr", "de", "ar", "hi", "spa")] == [
        "eng", "spa", "por", "fra", "deu", "ara", "hin", "spa",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="unknown language"):
        iso639_2("zz")


# -- practice set-up --------------------------------------------------------------------------------------------


async def test_practice_set_up(od: OpenDentalClient) -> None:
    providers = await od.providers()
    assert [(p.abbr, p.is_hygienist) for p in providers] == [("DOC1", False), ("DOC2", False), ("HYG1", True)]
    operatories = await od.operatories()
    assert [o.operatory_num for o in operatories] == [1, 2, 3, 4]
    assert operatories[2].is_hygiene and operatories[2].prov_hygienist == 3
    types = {t.appointment_type_name: t for t in await od.appointment_types()}
    assert {name: t.minutes for name, t in types.items() if name != "Filling"} == {
        "New Patient Exam": 60, "Cleaning": 60, "Emergency": 30, "Consultation": 30,
    }  # fmt: skip
    assert types["Emergency"].blockout_type_names == ["Emergency"]
    assert await od.clinics() == []
    confirmations = await od.definitions(2)
    assert confirmations[0].item_name == "Not Called" and all(d.category_num == 2 for d in confirmations)
    [overlap] = await od.preferences("ApptsAllowOverlap")
    assert overlap.value_string == "1"
    assert len(await od.preferences()) > 5


async def test_schedules_parse_string_numbers_and_operatory_lists(od: OpenDentalClient) -> None:
    monday = next_weekday(0)
    schedules = await od.schedules(monday, monday)
    by_type = {(s.sched_type, s.prov_num) for s in schedules}
    assert (SchedType.PROVIDER, 2) in by_type
    doc2 = next(s for s in schedules if s.sched_type is SchedType.PROVIDER and s.prov_num == 2)
    assert doc2.operatories == [2, 4]  # one provider scheduled in two operatories
    lunch = [s for s in schedules if s.blockout_type_name == "Lunch"]
    assert lunch and lunch[0].operatories == [1, 2, 3, 4] and lunch[0].start.hour == 12
    only_blockouts = await od.schedules(monday, monday, sched_type=SchedType.BLOCKOUT)
    assert only_blockouts and all(s.sched_type is SchedType.BLOCKOUT for s in only_blockouts)


async def test_holidays_are_practice_day_notes(od: OpenDentalClient) -> None:
    start = date.today()
    schedules = await od.schedules(start, start + timedelta(weeks=8))
    practice = [s for s in schedules if s.sched_type is SchedType.PRACTICE]
    assert practice, "eight weeks from any date hold at least one US holiday the demo closes"
    for note in practice:
        assert "Holiday" in note.note
        assert not [
            s for s in schedules if s.sched_date == note.sched_date and s.sched_type is SchedType.PROVIDER
        ]


# -- appointments -----------------------------------------------------------------------------------------------


async def test_appointments_page_through_everything(od: OpenDentalClient, sandbox: TestServer) -> None:
    start = date.today()
    before = od.stats.requests
    book = await od.appointments(start=start, end=start + timedelta(days=27))
    pages = od.stats.requests - before
    assert len(book) > 100
    assert pages == len(book) // 100 + 1
    keys = [(a.apt_date_time, a.apt_num) for a in book]
    assert keys == sorted(keys)
    assert all(a.server_date_time is not None for a in book)


async def test_appointment_filters_and_changed_since(od: OpenDentalClient) -> None:
    mine = await od.appointments(pat_num=1)
    assert all(a.pat_num == 1 for a in mine)
    hygiene = await od.appointments(op=3, status=AptStatus.SCHEDULED, start=date.today(), end=date.today())
    assert all(a.op == 3 and a.is_hygiene for a in hygiene)
    stamp = (await od.appointments(start=date(2030, 1, 1), end=date(2030, 12, 31)) or [None])[0]
    assert stamp is None
    since = (await od.get_appointment(1)).server_date_time
    created = await od.create_appointment(new_appointment())
    changed = await od.appointments(changed_since=since)
    assert [a.apt_num for a in changed] == [created.apt_num]


async def test_book_move_confirm_note_and_break(od: OpenDentalClient) -> None:
    created = await od.create_appointment(new_appointment())
    assert (created.apt_status, created.minutes, created.confirmed_label) == (
        AptStatus.SCHEDULED,
        30,
        "Not Called",
    )
    moved = await od.update_appointment(
        created.apt_num, AppointmentUpdate(apt_date_time=datetime(2030, 1, 8, 10, 0), op=1)
    )
    assert (moved.apt_date_time, moved.op, moved.pattern) == (datetime(2030, 1, 8, 10, 0), 1, "/XXXX/")
    await od.confirm_appointment(created.apt_num, confirm_val="Confirmed")
    assert (await od.get_appointment(created.apt_num)).confirmed_label == "Confirmed"
    await od.confirm_appointment(created.apt_num, def_num=25)
    assert (await od.get_appointment(created.apt_num)).confirmed_label == "Texted"
    await od.append_appointment_note(created.apt_num, "Booked on WhatsApp")
    await od.break_appointment(created.apt_num)
    final = await od.get_appointment(created.apt_num)
    assert (final.apt_status, final.note) == (AptStatus.UNSCHED_LIST, "Booked on WhatsApp")
    with pytest.raises(ValueError, match="exactly one"):
        await od.confirm_appointment(1)
    with pytest.raises(ValueError, match="breakType"):
        await od.break_appointment(1, break_type="Whenever")


async def test_slots(od: OpenDentalClient) -> None:
    monday = next_weekday(0)
    slots = await od.slots(monday, monday + timedelta(days=4), prov_num=2, op_num=2, length_minutes=30)
    assert slots and all(s.prov_num == 2 and s.op_num == 2 for s in slots)
    assert all((s.date_time_end - s.date_time_start) >= timedelta(minutes=30) for s in slots)


async def test_commlogs(od: OpenDentalClient) -> None:
    created = await od.create_commlog(
        NewCommlog(
            pat_num=1,
            note="Booked cleaning for Tue 10:00 via WhatsApp",
            comm_type_name="ApptRelated",
            mode=CommMode.TEXT,
            sent_or_received=SentOrReceived.RECEIVED,
        )
    )
    assert (created.comm_type_name, created.mode, created.sent_or_received) == (
        "ApptRelated",
        CommMode.TEXT,
        SentOrReceived.RECEIVED,
    )
    assert [c.commlog_num for c in await od.commlogs(1)] == [created.commlog_num]


# -- errors, retries and throttling -----------------------------------------------------------------------------


async def test_errors_are_typed_with_open_dental_messages(od: OpenDentalClient, sandbox: TestServer) -> None:
    with pytest.raises(OdNotFound, match="Operatory not found"):
        await od.create_appointment(new_appointment(op=99))
    with pytest.raises(OdBadRequest, match="Pattern is invalid"):
        await od.create_appointment(new_appointment().model_copy(update={"pattern": "XYZ"}))
    with pytest.raises(OdNotFound):
        await od.get_appointment(999999)
    async with make_client(sandbox, customer_key="sandbox-readonly") as read_only:
        assert await read_only.providers()
        with pytest.raises(OdUnauthorized, match="permission"):
            await read_only.create_appointment(new_appointment())
    async with make_client(sandbox, customer_key="nobody") as stranger:
        with pytest.raises(OdUnauthorized):
            await stranger.providers()


async def test_429_retry_after_is_honoured(start_sandbox: SandboxFactory) -> None:
    server = await start_sandbox(throttle_mode="429", throttle_seconds=0.5)
    async with make_client(server, spacing=0) as client:
        await client.providers()
        await client.operatories()  # refused with Retry-After: 1, then sent again after a second
    assert client.stats.by_status[429] == 1
    assert client.stats.retries == 1


async def test_client_spacing_keeps_under_the_throttle(start_sandbox: SandboxFactory) -> None:
    server = await start_sandbox(throttle_mode="429", throttle_seconds=0.3)
    async with make_client(server, spacing=0.3) as client:
        for _ in range(4):
            await client.providers()
    assert client.stats.by_status == {200: 4}
    assert client.stats.limiter_wait_seconds >= 0.8


async def test_reads_retry_through_5xx_bursts(start_sandbox: SandboxFactory) -> None:
    server = await start_sandbox(share_5xx=0.5, fault_seed=3)
    async with make_client(server) as client:
        for _ in range(5):
            assert len(await client.providers()) == 3
    assert client.stats.by_status[500] >= 1
    assert client.stats.retries == client.stats.by_status[500]


async def test_reads_give_up_as_unavailable_when_the_office_stays_down(start_sandbox: SandboxFactory) -> None:
    server = await start_sandbox(share_5xx=1.0)
    async with make_client(server) as client:
        with pytest.raises(OdUnavailable) as failure:
            await client.providers()
    assert failure.value.status == 500 and not failure.value.outcome_unknown
    assert client.stats.requests == FAST_RETRY.attempts


async def test_a_write_is_not_replayed_after_a_504(start_sandbox: SandboxFactory) -> None:
    server = await start_sandbox(share_lost_response=1.0)
    async with make_client(server) as client:
        with pytest.raises(OdTimedOut) as failure:
            await client.create_appointment(new_appointment())
    assert failure.value.outcome_unknown, "the POST may have happened: the caller must look before retrying"
    async with httpx.AsyncClient() as admin:
        log = (await admin.get(str(server.make_url("/_admin/requests")))).json()
    assert [(r["endpoint"], r["status"]) for r in log] == [("POST /appointments", 504)]


async def test_connection_refused_is_not_sent_and_retried() -> None:
    http = OdHttp(
        base_url=f"http://127.0.0.1:{free_port()}/api/v1",
        developer_key=SecretStr("d"),
        customer_key=SecretStr("c"),
        limiter=MemoryRateLimiter(),
        spacing=0,
        retry=FAST_RETRY,
    )
    client = OpenDentalClient(http)
    with pytest.raises(OdNotSent):
        await client.create_commlog(NewCommlog(pat_num=1, note="x"))
    assert client.stats.requests == FAST_RETRY.attempts  # safe to resend: it never arrived
    await client.aclose()


# -- bodies the sandbox never sends -----------------------------------------------------------------------------


def mock_client(handler: httpx.MockTransport) -> OpenDentalClient:
    http = OdHttp(
        base_url="http://od.test/api/v1",
        developer_key=SecretStr("dev"),
        customer_key=SecretStr("cust"),
        limiter=MemoryRateLimiter(),
        spacing=0,
        retry=FAST_RETRY,
        transport=handler,
    )
    return OpenDentalClient(http)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'"PatNum is required"', "application/json"),
        (b"PatNum is required", "text/plain"),
        (b'{"message": "PatNum is required"}', "application/json"),
        (b'{"Message": "PatNum is required"}', "application/json; charset=utf-8"),
    ],
)
async def test_error_message_whatever_the_body_shape(body: bytes, content_type: str) -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(400, content=body, headers={"Content-Type": content_type})
    )
    async with mock_client(transport) as client:
        with pytest.raises(OdBadRequest) as failure:
            await client.create_appointment(new_appointment())
    assert failure.value.message == "PatNum is required"


async def test_every_request_carries_auth_and_json_content_type() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    async with mock_client(httpx.MockTransport(handler)) as client:
        await client.providers()
        await client.appointments(start=date(2030, 1, 1), end=date(2030, 1, 2))
    assert all(r.headers["Authorization"] == "ODFHIR dev/cust" for r in seen)
    assert all(r.headers["Content-Type"] == "application/json" for r in seen)
    assert seen[1].url.params["dateStart"] == "2030-01-01" and seen[1].url.params["Limit"] == "100"


async def test_econnector_down_is_transient_and_safe_to_resend() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(400, json="The office's eConnector is not running. Please try again later.")
        return httpx.Response(201, json={"CommlogNum": 5, "PatNum": 1, "Note": "x", "Mode_": "Text"})

    async with mock_client(httpx.MockTransport(handler)) as client:
        created = await client.create_commlog(NewCommlog(pat_num=1, note="x", mode=CommMode.TEXT))
    assert (created.commlog_num, calls) == (5, 2)


async def test_malformed_success_body_is_unavailable_not_a_crash() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b"<html>proxy error</html>"))
    async with mock_client(transport) as client:
        with pytest.raises(OdUnavailable, match="malformed"):
            await client.providers()


async def test_a_list_endpoint_answering_an_object_is_refused() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=json.dumps({"ProvNum": 1})))
    async with mock_client(transport) as client:
        with pytest.raises(OdBadRequest, match="expected a list"):
            await client.providers()


async def test_rate_limited_error_carries_retry_after() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(429, json="Too many requests", headers={"Retry-After": "0"})
    )
    async with mock_client(transport) as client:
        with pytest.raises(OdRateLimited) as failure:
            await client.providers()
    assert failure.value.retry_after == 0.0
    assert client.stats.requests == FAST_RETRY.attempts
