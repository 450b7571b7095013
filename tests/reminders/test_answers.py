"""Answers to a reminder in the graph, against the in-memory office: taps and typed words, in several
languages, and every answer that must change nothing (forged, another family's, stale, after the visit)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from flows import choices
from flows.context import Cue, Deps, Line
from flows.graph import run_turn
from flows.state import Reminded
from tests.fakes.office import FakeOffice
from tests.flows.test_graph import (
    DETECTOR,
    FRIDAY,
    GRAPH,
    JANE,
    MONDAY,
    NOW,
    PHONE,
    PRACTICE,
    Chat,
    PatientInfo,
    office,
    rules,
)

EVERY_LANGUAGE = PRACTICE.model_copy(update={"languages": ["en", "es", "pt", "fr", "de", "ar", "hi"]})
REMINDER = Reminded(id="r1", apt_num=FRIDAY.apt_num, pat_num=JANE.pat_num, start=FRIDAY.start, provider="Dr. Lee", step="confirm", ask_confirm=True, first_name="Jane")  # fmt: skip


async def reminded(chat: Chat, reminder: Reminded = REMINDER, language: str | None = None) -> list[str]:
    """The scheduler's turn: the reminder is sent and remembered on the conversation."""

    async def recent(count: int) -> list[Line]:
        return []

    deps = Deps(office=chat.office, practice=chat.practice, now=chat.now, user_key=chat.phone, conversation="conv-1", understand=rules, languages=DETECTOR, recent=recent, turn="cue-1")  # fmt: skip
    chat.last = await run_turn(
        GRAPH, chat.session, [], None, deps, cue=Cue(reminder=reminder, language=language)
    )
    chat.session = chat.last.session
    return [r.key for r in chat.last.replies]


async def test_the_reminder_turn_asks_and_remembers_without_reading_open_dental() -> None:
    chat = Chat(office(FRIDAY, MONDAY))
    assert await reminded(chat, language="es") == ["reminder.ask"]
    assert chat.buttons() == [choices.reminder("r1", a) for a in ("confirm", "change", "cancel")]
    assert chat.conv.reminders == [REMINDER] and chat.conv.language == "es"
    assert chat.office.calls == [], "the reminder is sent from what the scheduler knew"


async def test_confirm_tapped_writes_once_under_the_reminders_key() -> None:
    chat = Chat(office(FRIDAY, MONDAY))
    await reminded(chat)
    assert await chat.send(tap=choices.reminder("r1", "confirm")) == ["confirmed"]
    assert chat.office.calls == ["patients_on_phone", "visit", "confirm"]
    await chat.send(tap=choices.reminder("r1", "confirm"))  # a second tap: the same attempt, replayed
    assert chat.office.confirm_keys == ["conv-1:reminder:r1:confirm"] * 2


@pytest.mark.parametrize(
    ("words", "then"),
    [
        ("yes", ["confirmed"]),
        ("ill be there", ["confirmed"]),
        ("sí, ahí estaré", ["confirmed"]),
        ("oui", ["confirmed"]),
        ("ja, ich komme", ["confirmed"]),
        ("نعم", ["confirmed"]),
        ("haan", ["confirmed"]),
        ("can we make it later?", ["reschedule.current", "offer.list"]),
        ("I need to cancel", ["cancel.ask"]),
        ("no", ["reminder.declined"]),
    ],
)
async def test_typed_answers_are_read_about_the_reminded_visit(words: str, then: list[str]) -> None:
    chat = Chat(office(FRIDAY, MONDAY), practice=EVERY_LANGUAGE)
    await reminded(chat)
    assert (await chat.send(words))[-len(then) :] == then
    if then == ["cancel.ask"]:
        assert chat.conv.target == FRIDAY.apt_num and "cancel" not in chat.office.calls, (
            "cancelling needs its yes"
        )


async def test_change_and_cancel_taps_lead_into_those_conversations() -> None:
    chat = Chat(office(FRIDAY, MONDAY))
    await reminded(chat)
    assert (await chat.send(tap=choices.reminder("r1", "change")))[0] == "reschedule.current"
    assert chat.conv.intent == "reschedule" and chat.conv.target == FRIDAY.apt_num
    chat = Chat(office(FRIDAY, MONDAY))
    await reminded(chat)
    assert await chat.send(tap=choices.reminder("r1", "cancel")) == ["cancel.ask"]
    assert await chat.send(tap=chat.buttons()[0]) == ["cancelled"]
    assert "cancel" in chat.office.calls


async def test_answers_that_change_nothing() -> None:
    # A payload we never sent (forged, or another phone's reminder): refused.
    chat = Chat(office(FRIDAY, MONDAY))
    await reminded(chat)
    assert (await chat.send(tap="rem:someone-elses:confirm"))[0] == "reminder.unknown"
    # A reminder for a visit of another family than this phone's.
    other = Chat(office(FRIDAY, family=(PatientInfo(pat_num=99, first_name="Max"),)))
    await reminded(other)
    assert (await other.send(tap=choices.reminder("r1", "confirm")))[0] == "reminder.unknown"
    # The visit moved since (the tap named the old time), or is gone.
    moved = Chat(office(FRIDAY.model_copy(update={"start": FRIDAY.start + timedelta(hours=2)})))
    await reminded(moved)
    assert (await moved.send(tap=choices.reminder("r1", "confirm")))[0] == "reminder.moved"
    gone = Chat(office(MONDAY))
    await reminded(gone)
    assert (await gone.send(tap=choices.reminder("r1", "confirm")))[0] == "reminder.gone"
    # After the visit began.
    late = Chat(office(FRIDAY), now=NOW.replace(day=11, hour=11))
    await reminded(late, REMINDER.model_copy(update={"start": datetime(2026, 12, 11, 10, 30)}))
    assert (await late.send(tap=choices.reminder("r1", "confirm")))[0] in (
        "reminder.passed",
        "reminder.unknown",
    )
    for each in (chat, other, moved, gone, late):
        assert "confirm" not in each.office.calls and "cancel" not in each.office.calls


async def test_stop_and_start_in_several_languages() -> None:
    chat = Chat(office(FRIDAY))
    assert await chat.send("STOP") == ["optout.stopped"]
    assert await chat.send("stop") == ["optout.already_stopped"]
    assert await chat.send("START") == ["optout.started"]
    for word in ("baja", "arrêter", "Stopp", "إيقاف", "band karo"):
        fresh = Chat(FakeOffice(phones={PHONE: [JANE]}))
        assert await fresh.send(word) == ["optout.stopped"], word
    assert (await Chat(office(FRIDAY)).send("can you stop by friday"))[0] != "optout.stopped"
