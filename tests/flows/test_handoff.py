"""Handoffs through the whole stack: every trigger, the commlog staff read in Open Dental, the silence while staff
have the conversation, and the two ways back (an operator's release, the quiet period)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.console.accounts import Operator, Role
from bot.keys import CONSOLE_KEY, SETTINGS_KEY
from bot.practices import HandoffSettings
from bot.records.crypto import conversation_id
from flows.handoff import note_for_chart
from flows.hours import WEEKDAYS, BusinessHours
from flows.nlu.rules import understand
from flows.nlu.understanding import Intent, When
from flows.state import ConversationState
from tests.flows.test_conversations import PRACTICE_ID, Clinic, open_clinic

ALWAYS_OPEN = BusinessHours(days=dict.fromkeys(WEEKDAYS, "00:00-23:59"))
JANE = "15035551234"  # PatNum 1 in the demo office
ADMIN = Operator(username="admin", password_hash="-", role=Role.ADMIN)


def handoff(**changes: Any) -> dict[str, Any]:
    settings = {
        "hours": ALWAYS_OPEN,
        "comm_type": "Misc",
        "emergency_words": {"en": ["cracked tooth"]},
        "reengagement_template": "follow_up",
        **changes,
    }
    return {"handoff": HandoffSettings(**settings)}


pytestmark = pytest.mark.usefixtures("od_keys")


@pytest.fixture(name="clinic")
async def fixture_clinic() -> AsyncIterator[Clinic]:
    async with open_clinic(handoff()) as clinic:
        yield clinic


def conversation_of(clinic: Clinic, phone: str) -> str:
    key = clinic.app[SETTINGS_KEY].conversation_key
    assert key is not None
    return conversation_id(key.get_secret_value(), PRACTICE_ID, phone)


async def record_of(clinic: Clinic, phone: str) -> Any:
    return await clinic.app[CONSOLE_KEY].conversations.load(conversation_of(clinic, phone))


async def new_commlogs(clinic: Clinic, pat_num: int, before: int) -> list[dict[str, Any]]:
    return (await clinic.commlogs_of(pat_num))[before:]


async def post_quietly(clinic: Clinic, phone: str, text: str) -> None:
    """A message that should get no reply: post it, then give the worker time to (not) answer."""
    async with httpx.AsyncClient() as client:
        await client.post(
            f"{clinic.base}/sandbox/whatsapp/inbound",
            json={"from": phone, "phone_number_id": PRACTICE_ID, "text": text},
        )
    await asyncio.sleep(1.0)


# -- the triggers, as the offline rules read them, in every language ---------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "can I talk to a real person please"),
        ("es", "quiero hablar con una persona"),
        ("pt", "quero falar com um atendente"),
        ("fr", "je voudrais parler à quelqu'un de l'accueil"),
        ("de", "ich möchte mit der Rezeption sprechen"),
        ("ar", "أريد التحدث مع موظف"),
        ("hi", "mujhe kisi se baat karni hai"),
    ],
)
def test_asking_for_a_person_is_read_in_every_language(language: str, text: str) -> None:
    assert understand(text, datetime(2026, 11, 23, 10), language=language).intent is Intent.HUMAN


@pytest.mark.parametrize(
    "text",
    [
        "my tooth hurts and my gum is swollen",
        "me duele mucho la muela",
        "estou com muita dor de dente",
        "j'ai une douleur terrible",
        "mein Zahn tut weh und blutet",
        "عندي ألم شديد في السن",
        "दांत में बहुत दर्द है",
    ],
)
def test_emergency_signs_are_read_in_every_language(text: str) -> None:
    assert understand(text, datetime(2026, 11, 23, 10)).emergency


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("I was overcharged on my bill", "billing"),
        ("quiero un reembolso de la factura", "billing"),
        ("should I take antibiotics before the extraction?", "clinical"),
        ("¿es normal que sangre la encía después de la limpieza?", "clinical"),
        ("book a cleaning for Bill next week", None),
    ],
)
def test_out_of_scope_requests_are_recognised(text: str, topic: str | None) -> None:
    assert understand(text, datetime(2026, 11, 23, 10)).out_of_scope == topic


def test_the_chart_note_says_when_the_patient_wanted_to_come() -> None:
    conv = ConversationState(intent="book", kind="cleaning")
    conv.wanted = When(start=date(2030, 3, 4), part_of_day="afternoon", late=True)
    note = note_for_chart("person", conv, [])
    assert "Patient wanted: book cleaning from 2030-03-04 afternoon late in the day." in note


# -- through the whole stack ------------------------------------------------------------------------------------


async def test_asking_for_a_person_writes_a_commlog_and_the_assistant_goes_quiet(clinic: Clinic) -> None:
    jane = clinic.patient(JANE)
    before = len(await clinic.commlogs_of(1))
    await jane.say("I want to book a cleaning next week")
    assert "member of our team" in await jane.say("can I talk to a real person please")
    [commlog] = await new_commlogs(clinic, 1, before)
    assert (commlog["Mode_"], commlog["SentOrReceived"], commlog["commType"]) == ("Text", "Received", "Misc")
    note = commlog["Note"]
    assert "the patient asked for a person" in note and "Patient wanted: book cleaning" in note
    assert (
        "Patient: can I talk to a real person please" in note and "Patient: I want to book a cleaning" in note
    )

    sent = len(clinic.fake.sent)
    await post_quietly(clinic, JANE, "hello? anyone there?")
    assert len(clinic.fake.sent) == sent, "the assistant must not answer while staff have the conversation"
    record = await record_of(clinic, JANE)
    status = record.session.handoff
    assert status.active and status.reason == "asked" and status.commlog_num == commlog["CommlogNum"]
    transcript = await clinic.app[CONSOLE_KEY].transcript(record.conversation)
    assert "hello? anyone there?" in [e.text for e in transcript if e.direction == "in"]
    assert any(e.direction == "note" and e.text.startswith("Handed to staff") for e in transcript)


async def test_spanish_request_for_a_person_is_answered_in_spanish(clinic: Clinic) -> None:
    carlos = clinic.patient("15035553000")
    assert "persona de nuestro equipo" in await carlos.say("Hola, quiero hablar con una persona por favor")


async def test_emergency_gives_the_safety_message_and_hands_off(clinic: Clinic) -> None:
    jane = clinic.patient(JANE)
    before = len(await clinic.commlogs_of(1))
    reply = await jane.say("my tooth hurts a lot and my face is swollen")
    assert "(503) 555-0100" in reply and "911" in reply and "member of our team" in reply
    [commlog] = await new_commlogs(clinic, 1, before)
    assert "possible dental emergency" in commlog["Note"]
    assert (await record_of(clinic, JANE)).session.handoff.reason == "emergency"


async def test_the_practices_own_emergency_words_count(clinic: Clinic) -> None:
    jane = clinic.patient(JANE)
    assert "(503) 555-0100" in await jane.say("I think I have a cracked tooth")


async def test_repeated_misunderstanding_hands_off_at_the_configured_count() -> None:
    async with open_clinic(handoff(failures=2)) as clinic:
        jane = clinic.patient(JANE)
        assert "didn't understand" in await jane.say("purple monkey dishwasher")
        reply = await jane.say("flibbertigibbet")
        assert "keep misunderstanding" in reply and "member of our team" in reply
        assert (await record_of(clinic, JANE)).session.handoff.reason == "not_understood"


@pytest.mark.parametrize(("text", "reason"), [("I think I was overcharged on my bill", "billing"), ("should I take antibiotics before my visit?", "clinical")])  # fmt: skip
async def test_out_of_scope_requests_go_to_staff(clinic: Clinic, text: str, reason: str) -> None:
    jane = clinic.patient(JANE)
    assert "member of our team" in await jane.say(text)
    assert (await record_of(clinic, JANE)).session.handoff.reason == reason


async def test_an_open_dental_outage_is_retried_once_then_handed_off() -> None:
    async with open_clinic({**handoff(), "open_dental": {"max_retries": 0}}) as clinic:
        async with httpx.AsyncClient() as admin:
            await admin.patch(f"{clinic.base}/sandbox/od/_admin/settings", json={"share_5xx": 1.0})
        jane = clinic.patient(JANE)
        assert "isn't answering" in await jane.say("I'd like to book a cleaning next week")
        reply = await jane.say("can you try again? a cleaning next week")
        assert "can't finish this myself" in reply and "member of our team" in reply
        record = await record_of(clinic, JANE)
        assert record.session.handoff.reason == "open_dental"
        listed = await clinic.app[CONSOLE_KEY].conversations.listed(PRACTICE_ID, "failed", 10)
        assert record.conversation in [c for c, _ in listed]


async def test_out_of_hours_the_patient_is_told_when_staff_will_reply() -> None:
    tomorrow = WEEKDAYS[(date.today() + timedelta(days=1)).weekday()]
    async with open_clinic(handoff(hours=BusinessHours(days={tomorrow: "09:00-17:00"}))) as clinic:
        reply = await clinic.patient(JANE).say("can I speak to a receptionist")
        assert "The office is closed now" in reply and "9:00 AM" in reply  # a US practice: 12-hour clock


async def test_an_unknown_patient_is_handed_off_without_a_chart_and_listed(clinic: Clinic) -> None:
    stranger = clinic.patient("15035550999")
    assert "member of our team" in await stranger.say("I need to talk to a human")
    record = await record_of(clinic, "15035550999")
    status = record.session.handoff
    assert status.active and status.commlog_num is None
    listed = await clinic.app[CONSOLE_KEY].conversations.listed(PRACTICE_ID, "handoff", 10)
    assert record.conversation in [c for c, _ in listed]


async def test_an_operators_release_lets_the_assistant_answer_again(clinic: Clinic) -> None:
    jane = clinic.patient(JANE)
    await jane.say("let me talk to a person")
    console = clinic.app[CONSOLE_KEY]
    record = await record_of(clinic, JANE)
    await console.reply(ADMIN, record, "Hi Jane, this is Maria from the front desk.")
    assert clinic.fake.sent[-1].body["text"]["body"] == "Hi Jane, this is Maria from the front desk."
    await post_quietly(clinic, JANE, "thanks Maria")
    assert clinic.fake.sent[-1].body["text"]["body"].startswith("Hi Jane"), "still quiet after a staff reply"
    await console.release(ADMIN, await record_of(clinic, JANE))
    assert "I found" in await jane.say("book a cleaning next week please")
    notes = [e.text for e in await console.transcript(record.conversation) if e.direction == "note"]
    assert "Released to the assistant by admin" in notes


async def test_the_assistant_resumes_by_itself_after_the_quiet_period() -> None:
    async with open_clinic(handoff(resume_after_minutes=0.03)) as clinic:
        jane = clinic.patient(JANE)
        await jane.say("I want to speak with a human")
        started = time.monotonic()
        await post_quietly(clinic, JANE, "hello?")
        assert time.monotonic() - started < 1.8
        await asyncio.sleep(max(0.0, 1.9 - (time.monotonic() - started)))
        assert "I found" in await jane.say("book a cleaning next week")
        record = await record_of(clinic, JANE)
        assert not record.session.handoff.active
        notes = [
            e.text
            for e in await clinic.app[CONSOLE_KEY].transcript(record.conversation)
            if e.direction == "note"
        ]
        assert any(n.startswith("Assistant resumed") for n in notes)
