"""Scripted conversations through the whole stack: the WhatsApp sandbox posts signed webhooks, the pipeline runs
the graph, the graph books through the guard in the Open Dental sandbox. Each asserts the replies the patient got
and what Open Dental holds afterwards (appointments and commlogs)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.keys import GRAPH_FAKE_KEY, METRICS_URL_KEY
from bot.practices import PracticesFile, load_practices
from bot.sandbox.demo import create_demo_app, point_at_demo_sandbox
from bot.sandbox.whatsapp import GraphFake
from bot.settings import DEMO_APP_SECRET, Settings
from bot.whatsapp.webhook import sign
from od_adapter.sandbox import SandboxSettings
from tests.conftest import FIXTURES, free_port
from tests.deliveries import text_delivery

ROOT = Path(__file__).parents[2]
PRACTICE_ID = "100000000000001"
DELIVERIES = json.loads((FIXTURES / "whatsapp" / "deliveries.json").read_text())
OD_HEADERS = {"Authorization": "ODFHIR sandbox-dev/sandbox-customer", "Content-Type": "application/json"}


@dataclass
class Clinic:
    base: str
    fake: GraphFake
    od: httpx.AsyncClient
    app: web.Application

    def patient(self, phone: str) -> Patient:
        return Patient(self, phone)

    async def appointments_of(self, pat_num: int) -> list[dict[str, Any]]:
        return (await self.od.get("appointments", params={"PatNum": pat_num})).json()

    async def commlogs_of(self, pat_num: int) -> list[dict[str, Any]]:
        return (await self.od.get("commlogs", params={"PatNum": pat_num})).json()

    async def new_patient_with_visit(
        self, first: str, phone: str, when: datetime, language: str = "eng"
    ) -> tuple[int, int]:
        """A patient with exactly one upcoming appointment, created as staff would."""
        patient = (
            await self.od.post(
                "patients",
                json={
                    "LName": "Test",
                    "FName": first,
                    "WirelessPhone": phone,
                    "Language": language,
                    "PriProv": 1,
                },
            )
        ).json()
        visit = {
            "PatNum": patient["PatNum"],
            "Op": 1,
            "ProvNum": 1,
            "AptDateTime": f"{when:%Y-%m-%d %H:%M:%S}",
            "Pattern": "/XXXX/",
            "AppointmentTypeNum": 4,
        }
        appointment = (await self.od.post("appointments", json=visit)).json()
        return patient["PatNum"], appointment["AptNum"]


@dataclass
class Patient:
    clinic: Clinic
    phone: str
    seen: int = 0
    replies: list[dict[str, Any]] = field(default_factory=list)

    async def _send(self, **message: Any) -> list[dict[str, Any]]:
        before = len(self._mine())
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                f"{self.clinic.base}/sandbox/whatsapp/inbound",
                json={"from": self.phone, "phone_number_id": PRACTICE_ID, **message},
            )
        assert response.json()["webhook_status"] == 200
        deadline = time.monotonic() + 15
        while len(self._mine()) == before:
            assert time.monotonic() < deadline, f"no reply to {message}"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)
        self.replies = self._mine()[before:]
        return self.replies

    def _mine(self) -> list[dict[str, Any]]:
        return [m.body for m in self.clinic.fake.sent if m.to == self.phone]

    async def say(self, text: str) -> str:
        await self._send(text=text)
        return self.text

    async def tap(self, choice_id: str) -> str:
        kind = "button_id" if not choice_id.startswith(("opt:", "apt:", "kind:")) else "list_id"
        await self._send(**{kind: choice_id})
        return self.text

    @property
    def text(self) -> str:
        parts = []
        for body in self.replies:
            parts.append(
                body["text"]["body"] if body["type"] == "text" else body["interactive"]["body"]["text"]
            )
        return "\n".join(parts)

    @property
    def rows(self) -> list[dict[str, str]]:
        for body in reversed(self.replies):
            if body["type"] == "interactive" and body["interactive"]["type"] == "list":
                return body["interactive"]["action"]["sections"][0]["rows"]
        return []

    @property
    def buttons(self) -> list[str]:
        for body in reversed(self.replies):
            if body["type"] == "interactive" and body["interactive"]["type"] == "button":
                return [b["reply"]["id"] for b in body["interactive"]["action"]["buttons"]]
        return []


@contextlib.asynccontextmanager
async def open_clinic(
    practice_update: dict[str, Any] | None = None, **settings: Any
) -> AsyncIterator[Clinic]:
    """The whole product on one loopback port, with both sandboxes; `settings` are environment names,
    `practice_update` replaces practice fields (its "open_dental" entry updates the connection's fields)."""
    update = dict(practice_update or {})
    od_update = update.pop("open_dental", {})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo = point_at_demo_sandbox(
        load_practices(ROOT / "od_adapter/sandbox/data/demo_practices.toml"), "127.0.0.1", port
    )
    # The sandbox runs without its throttle here, so the practice's client need not space its requests either.
    practices = PracticesFile(
        practices=[
            p.model_copy(
                update={
                    **update,
                    "open_dental": p.open_dental.model_copy(update={"throttle_seconds": 0.0, **od_update}),
                }
            )
            for p in demo.practices
        ]
    )
    settings = {"METRICS_ADDRESS": "127.0.0.1:0", **settings}  # any free port: tests run side by side
    config = Settings(_env_file=None, INBOUND_DEBOUNCE_SECONDS=0.15, **settings).with_demo_defaults(base)
    # Some tests post webhooks to the product directly, opening no window in the WhatsApp sandbox.
    app = create_demo_app(
        config, practices, od_sandbox=SandboxSettings(throttle_seconds=0), operator=None, enforce_window=False
    )
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server(access_log=None)  # as `python -m bot` runs it: URLs carry phone digits
    try:
        async with httpx.AsyncClient(base_url=f"{base}/sandbox/od/api/v1/", headers=OD_HEADERS) as od:
            yield Clinic(base, app[GRAPH_FAKE_KEY], od, app)
    finally:
        await server.close()


@pytest.fixture(name="clinic")
async def fixture_clinic(od_keys: None) -> AsyncIterator[Clinic]:
    async with open_clinic() as clinic:
        yield clinic


def row_time(row: dict[str, str]) -> str:
    """A row's time as HH:MM, from the demo (US) practice's "1:00 PM" or a 24-hour practice's "13:00"."""
    clock = row["title"].split(", ")[-1]
    if clock.endswith(("AM", "PM")):
        return datetime.strptime(clock, "%I:%M %p").strftime("%H:%M")
    return clock


def next_monday_at(hour: int) -> datetime:
    today = date.today()
    monday = today + timedelta(days=(0 - today.weekday()) % 7 or 7)
    if monday - today < timedelta(days=2):
        monday += timedelta(days=7)
    return datetime.combine(monday, datetime.min.time()).replace(hour=hour)


# -- booking ----------------------------------------------------------------------------------------------------


async def test_book_a_cleaning_by_tapping(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    before = {a["AptNum"] for a in await clinic.appointments_of(1)}
    assert "I found" in await jane.say("Hi, can I get a cleaning next week, after 2 if possible?")
    first = jane.rows[0]
    assert row_time(first) >= "14:00"
    assert "Shall I book it?" in await jane.tap(first["id"])
    assert [b.split(":")[0] for b in jane.buttons] == ["yes", "no", "other"]
    assert "Booked!" in await jane.tap(jane.buttons[0])
    new = [a for a in await clinic.appointments_of(1) if a["AptNum"] not in before]
    assert len(new) == 1 and (new[0]["AppointmentTypeNum"], new[0]["IsHygiene"], new[0]["ProvHyg"]) == (
        2,
        "true",
        3,
    )
    assert new[0]["AptDateTime"][11:16] == row_time(first)
    assert any(
        f"AptNum {new[0]['AptNum']}" in c["Note"] and c["Mode_"] == "Text"
        for c in await clinic.commlogs_of(1)
    )


async def test_book_by_typing_the_choice_and_yes(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    await jane.say("I'd like a check-up next week")
    second = jane.rows[1]
    assert second["title"].split(", ")[-1] in await jane.say("the second one")
    assert "Booked!" in await jane.say("yes please")


async def test_other_times_shows_later_days(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    await jane.say("can I book a check-up?")
    first_list = [r["title"] for r in jane.rows]
    await jane.say("other times")
    assert jane.rows and set(r["title"] for r in jane.rows).isdisjoint(first_list)


async def test_a_correction_narrows_the_times(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    await jane.say("I want a check-up next week")
    await jane.say("actually in the afternoon")
    assert jane.rows and all(row_time(r) >= "12:00" for r in jane.rows)


async def test_the_end_of_the_day_offers_each_days_latest_times(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    await jane.say("I want a check-up next week")
    early = sorted(row_time(r) for r in jane.rows)
    await jane.say("actually at the end of the day, after work")
    late = sorted(row_time(r) for r in jane.rows)
    assert late and min(late) > min(early) and max(late) >= max(early)


def row_day(row: dict[str, str]) -> date:
    return datetime.strptime(row["id"].split(".")[1][:8], "%Y%m%d").date()


async def test_after_or_before_a_day_offers_only_the_days_beyond_it(clinic: Clinic) -> None:
    today = date.today()
    wednesday = today - timedelta(days=today.weekday()) + timedelta(days=9)  # next week's
    jane = clinic.patient("15035551234")
    await jane.say("I'd like a check-up after next Wednesday")
    assert jane.rows and all(row_day(r) > wednesday for r in jane.rows)
    carlos = clinic.patient("15035553000")
    await carlos.say("I'd like a check-up before next Wednesday")
    assert carlos.rows and all(row_day(r) < wednesday for r in carlos.rows)


async def test_no_at_the_confirmation_offers_the_list_again(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    await jane.say("book a check-up")
    await jane.tap(jane.rows[0]["id"])
    assert "Which other time" in await jane.say("no")
    assert jane.rows


async def test_a_duplicate_yes_books_once(clinic: Clinic) -> None:
    carlos = clinic.patient("15035553000")
    before = len(await clinic.appointments_of(5))
    await carlos.say("I need a check-up next week please")
    await carlos.tap(carlos.rows[0]["id"])
    await carlos.tap("yes")
    await carlos.tap("yes")  # the same button again, a second later
    assert len(await clinic.appointments_of(5)) == before + 1


async def test_a_stale_tap_on_an_old_list(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    await jane.say("book a check-up next week")
    old_row = jane.rows[0]["id"]
    await jane.tap(old_row)
    await jane.tap("yes")
    assert "out of date" in await jane.tap(old_row)


async def test_someone_else_takes_the_slot_between_offer_and_yes(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    await jane.say("book a check-up next week")
    chosen = jane.rows[0]
    await jane.tap(chosen["id"])
    option = chosen["id"].removeprefix("opt:").split(".")
    start = datetime.strptime(option[1], "%Y%m%d%H%M")
    staff = {
        "PatNum": 150,
        "Op": int(option[3]),
        "ProvNum": int(option[4]),
        "AptDateTime": f"{start:%Y-%m-%d %H:%M:%S}",
    }
    assert (await clinic.od.post("appointments", json=staff)).status_code == 201
    assert "just taken" in await jane.tap("yes")
    assert jane.rows and chosen["title"] not in [r["title"] for r in jane.rows]
    assert not [
        a
        for a in await clinic.appointments_of(1)
        if a["AptDateTime"] == staff["AptDateTime"] and a["AptStatus"] == "Scheduled"
    ]


async def test_a_family_phone_asks_who_the_visit_is_for(clinic: Clinic) -> None:
    maria = clinic.patient("15035552000")
    assert "Who is the visit for" in await maria.say("I need a check-up for my son next week")
    assert "I found" in await maria.say("Mateo 11/20/2017")
    await maria.tap(maria.rows[0]["id"])
    await maria.tap("yes")
    assert any(
        a["AptStatus"] == "Scheduled" and a["AppointmentTypeNum"] == 4
        for a in await clinic.appointments_of(4)
    )


async def test_a_parent_adds_a_new_child_on_the_family_phone(clinic: Clinic) -> None:
    mike = clinic.patient("15035554000")
    await mike.say("can I book a check-up for my daughter?")
    assert "Olivia Johnson, born June 1, 2019" in await mike.say("Olivia Johnson 06/01/2019")
    family = {"Guarantor": 6}
    assert not [
        p for p in (await clinic.od.get("patients/Simple", params=family)).json() if p["FName"] == "Olivia"
    ]
    assert "I found" in await mike.tap("yes")
    children = (await clinic.od.get("patients/Simple", params={"Guarantor": 6})).json()
    olivia = next(p for p in children if p["FName"] == "Olivia")
    assert (olivia["Birthdate"], olivia["Position"]) == ("2019-06-01", "Child")


async def test_a_new_patient_is_created_then_booked(clinic: Clinic) -> None:
    ana = clinic.patient("15035558877")
    assert "first visit" in await ana.say("hi, I'd like to book an appointment")
    assert "Ana Lopez, born March 14, 1985. Are they right?" in await ana.say("Ana Lopez 03/14/1985")
    assert (await clinic.od.get("patients", params={"Phone": "5035558877"})).json() == []
    assert "I found" in await ana.say("yes")
    [created] = (await clinic.od.get("patients", params={"Phone": "5035558877"})).json()
    assert (created["FName"], created["LName"], created["TxtMsgOk"]) == ("Ana", "Lopez", "Yes")
    await ana.tap(ana.rows[0]["id"])
    assert "Booked!" in await ana.tap("yes")
    [visit] = await clinic.appointments_of(created["PatNum"])
    assert (visit["AppointmentTypeNum"], visit["IsNewPatient"]) == (1, "true")


async def test_the_menu_then_a_kind_by_tap(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    await jane.say("hello")  # Jane has a visit ahead, not confirmed yet: the menu offers to confirm it
    assert [r["id"] for r in jane.rows] == ["menu:book", "menu:reschedule", "menu:cancel", "menu:confirm"]
    assert "What kind of visit" in await jane.tap("menu:book")
    assert "I found" in await jane.tap("kind:cleaning")


async def test_the_menu_of_a_phone_without_a_chart_is_three_buttons(clinic: Clinic) -> None:
    ana = clinic.patient("15035557108")
    await ana.say("hello")
    assert ana.buttons == ["menu:book", "menu:reschedule", "menu:cancel"]


async def test_a_patient_with_a_visit_ahead_confirms_it_from_the_menu(od_keys: None) -> None:
    async with open_clinic(BOOK_SYNC_SECONDS=0.2) as clinic:
        await _confirms_it_from_the_menu(clinic)


async def _confirms_it_from_the_menu(clinic: Clinic) -> None:
    _, apt_num = await clinic.new_patient_with_visit("Coco", "(503) 555-7103", next_monday_at(11))
    await asyncio.sleep(1.0)  # the menu reads the synced book: staff's new visit is in it after a sync
    coco = clinic.patient("15035557103")
    await coco.say("hello")
    titles = [(r["id"], r["title"]) for r in coco.rows]
    assert titles == [("menu:book", "Book"), ("menu:reschedule", "Reschedule"), ("menu:cancel", "Cancel a visit"), ("menu:confirm", "Confirm my visit")]  # fmt: skip
    assert "Sorry, I didn't understand" in await coco.say("blorp")
    assert coco.rows[-1]["id"] == "menu:confirm"
    assert "is confirmed" in await coco.tap("menu:confirm")
    assert (await clinic.od.get(f"appointments/{apt_num}")).json()["confirmed"] == "Confirmed"
    await coco.say("hello")
    assert coco.buttons == [
        "menu:book",
        "menu:reschedule",
        "menu:cancel",
    ]  # confirmed: nothing left to confirm


async def test_a_patient_who_changes_intent_mid_booking(clinic: Clinic) -> None:
    _, apt_num = await clinic.new_patient_with_visit("Ivy", "(503) 555-7106", next_monday_at(11))
    ivy = clinic.patient("15035557106")
    assert "I found" in await ivy.say("I'd like to book a check-up next week")
    assert "Cancel your appointment on" in await ivy.say("actually, I need to cancel my appointment instead")
    assert "is cancelled" in await ivy.say("yes")
    assert (await clinic.od.get(f"appointments/{apt_num}")).json()["AptStatus"] == "UnschedList"


async def test_a_user_without_a_phone_number_is_identified_by_name_and_birthdate(clinic: Clinic) -> None:
    payload = bsuid_delivery("wamid.BSU1", "Hi, I would like to book a check-up")
    async with httpx.AsyncClient() as client:
        await post_signed(client, clinic, payload)
        reply = await wait_for_reply(clinic, BSUID)
        assert "first visit" in reply["text"]["body"]
        await post_signed(client, clinic, bsuid_delivery("wamid.BSU2", "Jane Smith 05/24/1976"))
        reply = await wait_for_reply(clinic, BSUID, after=1)
        assert "Jane Smith, born May 24, 1976" in reply["interactive"]["body"]["text"]
        await post_signed(client, clinic, bsuid_delivery("wamid.BSU3", "yes that's right"))
        reply = await wait_for_reply(clinic, BSUID, after=2)
    assert reply["interactive"]["type"] == "list"  # Jane's chart was found: no new patient
    assert (
        len((await clinic.od.get("patients/Simple", params={"LName": "Smith", "FName": "Jane"})).json()) == 1
    )


BSUID = "US.13491208655302741918"


def bsuid_delivery(wamid: str, body: str) -> dict[str, Any]:
    return text_delivery(wamid, body, user_id=BSUID, name="Private")


async def post_signed(client: httpx.AsyncClient, clinic: Clinic, payload: dict[str, Any]) -> None:
    raw = json.dumps(payload).encode()
    headers = {"X-Hub-Signature-256": sign(DEMO_APP_SECRET, raw), "Content-Type": "application/json"}
    assert (
        await client.post(f"{clinic.base}/webhook/whatsapp", content=raw, headers=headers)
    ).status_code == 200


async def wait_for_reply(clinic: Clinic, to: str, *, after: int = 0) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while len(sent := [m.body for m in clinic.fake.sent if m.to == to]) <= after:
        assert time.monotonic() < deadline, "no reply"
        await asyncio.sleep(0.05)
    return sent[after]


# -- changing what is booked ------------------------------------------------------------------------------------


async def test_cancel(clinic: Clinic) -> None:
    pat_num, apt_num = await clinic.new_patient_with_visit("Cora", "(503) 555-7101", next_monday_at(9))
    cora = clinic.patient("15035557101")
    assert "Cancel your appointment on" in await cora.say("I need to cancel my appointment")
    assert "is cancelled" in await cora.tap("yes")
    assert (await clinic.od.get(f"appointments/{apt_num}")).json()["AptStatus"] == "UnschedList"
    assert any("cancelled" in c["Note"] for c in await clinic.commlogs_of(pat_num))


async def test_keeping_an_appointment_when_asked_to_cancel(clinic: Clinic) -> None:
    _, apt_num = await clinic.new_patient_with_visit("Kai", "(503) 555-7102", next_monday_at(10))
    kai = clinic.patient("15035557102")
    await kai.say("cancel my appointment")
    assert "haven't changed anything" in await kai.tap("no")
    assert (await clinic.od.get(f"appointments/{apt_num}")).json()["AptStatus"] == "Scheduled"


async def test_confirm(clinic: Clinic) -> None:
    _, apt_num = await clinic.new_patient_with_visit("Coco", "(503) 555-7103", next_monday_at(11))
    coco = clinic.patient("15035557103")
    assert "is confirmed" in await coco.say("Yes, I'll be there")
    assert (await clinic.od.get(f"appointments/{apt_num}")).json()["confirmed"] == "Confirmed"


async def test_reschedule(clinic: Clinic) -> None:
    _, apt_num = await clinic.new_patient_with_visit("Remy", "(503) 555-7104", next_monday_at(9))
    remy = clinic.patient("15035557104")
    assert "Your appointment is on" in await remy.say("I need to reschedule my appointment")
    target = remy.rows[0]
    await remy.tap(target["id"])
    assert "Done: your appointment is now on" in await remy.tap("yes")
    moved = (await clinic.od.get(f"appointments/{apt_num}")).json()
    assert moved["AptDateTime"][11:16] == row_time(target)


async def test_nothing_to_change_for_an_unknown_number(clinic: Clinic) -> None:
    stranger = clinic.patient("15035550999")
    assert "can't find an upcoming appointment" in await stranger.say("I want to cancel my appointment")


# -- everything else --------------------------------------------------------------------------------------------


async def test_info_answers_from_the_practice_configuration(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    assert "Monday to Friday" in await jane.say("what are your hours?")
    assert "Free parking" in await jane.say("is there parking?")


async def test_pain_gets_the_safety_message(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    reply = await jane.say("my tooth hurts a lot and my face is swollen")
    assert "(503) 555-0100" in reply and "911" in reply


async def test_never_mind_starts_over(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    await jane.say("book a cleaning next week")
    assert "start over" in await jane.say("never mind")


async def post_fixture(clinic: Clinic, name: str, wamid: str) -> None:
    delivery = json.loads(json.dumps(DELIVERIES[name]))
    message = delivery["entry"][0]["changes"][0]["value"]["messages"][0]
    message["timestamp"], message["id"] = str(int(time.time())), wamid
    raw = json.dumps(delivery).encode()
    headers = {"X-Hub-Signature-256": sign(DEMO_APP_SECRET, raw), "Content-Type": "application/json"}
    async with httpx.AsyncClient() as client:
        assert (
            await client.post(f"{clinic.base}/webhook/whatsapp", content=raw, headers=headers)
        ).status_code == 200


async def replies_to(clinic: Clinic, phone: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while len(sent := [m.body for m in clinic.fake.sent if m.to == phone]) < count:
        assert time.monotonic() < deadline, "no reply"
        await asyncio.sleep(0.05)
    return sent


async def test_unsupported_messages_get_a_polite_reply(clinic: Clinic) -> None:
    await post_fixture(clinic, "voice", "wamid.VOICE1")
    [reply] = await replies_to(clinic, "15035551234", 1)
    assert "only read text" in reply["text"]["body"]


async def test_reactions_edits_and_deletions_get_no_reply_and_a_caption_is_read(clinic: Clinic) -> None:
    for n, name in enumerate(("reaction", "edit", "revoke", "system")):
        await post_fixture(clinic, name, f"wamid.QUIET{n}")
    await post_fixture(clinic, "image", "wamid.PHOTO1")  # "my tooth": read, not refused
    [reply] = await replies_to(clinic, "15035551234", 1)
    await asyncio.sleep(1.0)
    assert len([m for m in clinic.fake.sent if m.to == "15035551234"]) == 1
    assert "only read text" not in json.dumps(reply)


# -- en español -------------------------------------------------------------------------------------------------


async def test_reservar_en_espanol(clinic: Clinic) -> None:
    carlos = clinic.patient("15035553000")
    assert "he encontrado" in await carlos.say("Hola, quiero una limpieza la semana que viene por la tarde")
    assert all(row_time(r) >= "12:00" for r in carlos.rows)
    assert "¿La reservo?" in await carlos.say("la primera")
    assert "¡Reservada!" in await carlos.say("sí")


async def test_cancelar_en_espanol(clinic: Clinic) -> None:
    _, apt_num = await clinic.new_patient_with_visit(
        "Lucía", "(503) 555-7105", next_monday_at(10), language="spa"
    )
    lucia = clinic.patient("15035557105")
    assert "¿Cancelo tu cita" in await lucia.say("Hola, necesito cancelar mi cita por favor")
    assert "está cancelada" in await lucia.tap("yes")
    assert (await clinic.od.get(f"appointments/{apt_num}")).json()["AptStatus"] == "UnschedList"


async def test_paciente_nuevo_en_espanol(clinic: Clinic) -> None:
    pablo = clinic.patient("15035558866")
    assert "primera visita" in await pablo.say("Hola, quiero pedir una cita por favor")
    assert "Pablo Ruiz, nacido/a el 14 de marzo de 1985" in await pablo.say("Pablo Ruiz 14/03/1985")
    assert "he encontrado" in await pablo.tap("yes")
    [created] = (await clinic.od.get("patients", params={"Phone": "5035558866"})).json()
    assert (
        created["Birthdate"],
        (await clinic.od.get(f"patients/{created['PatNum']}")).json()["Language"],
    ) == ("1985-03-14", "spa")


async def test_metrics_count_what_happened(clinic: Clinic) -> None:
    jane = clinic.patient("15035551234")
    await jane.say("book a check-up next week")
    await jane.tap(jane.rows[0]["id"])
    await jane.tap("yes")
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{clinic.base}/metrics")).status_code == 404, "not on the public port"
        scrape = (await client.get(clinic.app[METRICS_URL_KEY])).text
    assert 'booking_actions_total{action="booked"} 1.0' in scrape
    assert 'wa_inbound_messages_total{type="text"} 1.0' in scrape
    assert 'wa_inbound_messages_total{type="interactive"} 2.0' in scrape
    assert "conversation_turn_seconds_count 3.0" in scrape
    assert 'wa_sends_total{code="",outcome="sent"} 3.0' in scrape
    assert 'od_requests_total{endpoint="POST /appointments",practice="100000000000001"} 1.0' in scrape
    assert 'wa_inbound_backlog{kind="pending"} 0.0' in scrape
    assert "15035551234" not in scrape
