"""Answers to a freed time's offer in the graph, against the in-memory office: the offer's turn, Yes (booked,
just taken with the next times, expired), No, and taps that must change nothing (forged, another phone's)."""

from __future__ import annotations

from datetime import datetime

from flows import choices
from flows.context import Cue, Deps, Line
from flows.graph import run_turn
from flows.ports import AppointmentInfo, OpeningResult, OptionInfo
from flows.state import Offered
from tests.flows.test_graph import DETECTOR, GRAPH, JANE, MONDAY, Chat, PatientInfo, office, rules

OPENING = datetime(2026, 12, 8, 14, 0)
OFFER = Offered(id="off-1", pat_num=JANE.pat_num, apt_num=MONDAY.apt_num, start=OPENING, current=MONDAY.start, provider="Emily", first_name="Jane")  # fmt: skip
MOVED = AppointmentInfo(
    apt_num=MONDAY.apt_num, pat_num=JANE.pat_num, start=OPENING, minutes=60, provider="Emily"
)
EARLIER = OptionInfo(id="o1.later", start=datetime(2026, 12, 9, 9, 0), minutes=60, provider="Emily")


async def offered(chat: Chat, offer: Offered = OFFER) -> list[str]:
    async def recent(count: int) -> list[Line]:
        return []

    deps = Deps(office=chat.office, practice=chat.practice, now=chat.now, user_key=chat.phone, conversation="conv-1", understand=rules, languages=DETECTOR, recent=recent, turn="cue-1")  # fmt: skip
    chat.last = await run_turn(GRAPH, chat.session, [], None, deps, cue=Cue(offer=offer, language="es"))
    chat.session = chat.last.session
    return [r.key for r in chat.last.replies]


async def test_the_offer_turn_asks_yes_or_no_and_reads_nothing() -> None:
    chat = Chat(office(MONDAY))
    assert await offered(chat) == ["refill.offer"]
    assert chat.buttons() == [choices.opening("off-1", "yes"), choices.opening("off-1", "no")]
    assert chat.conv.offers == [OFFER] and chat.conv.language == "es"
    assert chat.office.calls == []
    assert chat.last is not None and chat.last.events == ["offered"]


async def test_yes_moves_the_visit_under_a_key_naming_the_offer() -> None:
    chat = Chat(office(MONDAY))
    chat.office.openings["off-1"] = OpeningResult(outcome="booked", appointment=MOVED)
    await offered(chat)
    assert await chat.send(tap=choices.opening("off-1", "yes")) == ["rescheduled"]
    assert chat.office.opening_keys == ["conv-1:refill:off-1"]
    assert chat.last is not None and [a.action for a in chat.last.actions] == ["reschedule"]
    assert chat.last.events == ["refilled"] and chat.conv.offers == []


async def test_a_later_yes_hears_just_taken_with_the_next_times() -> None:
    chat = Chat(office(MONDAY))
    chat.office.openings["off-1"] = OpeningResult(outcome="taken", alternatives=[EARLIER])
    await offered(chat)
    assert await chat.send(tap=choices.opening("off-1", "yes")) == ["refill.taken", "offer.list"]
    assert chat.rows() == [choices.option(EARLIER.id)]
    assert (chat.conv.intent, chat.conv.target, chat.conv.awaiting) == (
        "reschedule",
        MONDAY.apt_num,
        "option",
    )


async def test_taken_or_expired_without_other_times_gets_the_menu() -> None:
    for outcome in ("taken", "expired"):
        chat = Chat(office(MONDAY))
        chat.office.openings["off-1"] = OpeningResult(outcome=outcome)  # type: ignore[arg-type]
        await offered(chat)
        assert await chat.send(tap=choices.opening("off-1", "yes")) == [f"refill.{outcome}", "menu.more"]


async def test_no_records_a_decline_and_keeps_the_visit() -> None:
    chat = Chat(office(MONDAY))
    chat.office.openings["off-1"] = OpeningResult(outcome="booked", appointment=MOVED)
    await offered(chat)
    assert await chat.send(tap=choices.opening("off-1", "no")) == ["refill.declined"]
    assert chat.office.declined == ["off-1"] and "take_opening" not in chat.office.calls


async def test_forged_and_other_phones_offers_write_nothing() -> None:
    chat = Chat(office(MONDAY))
    chat.office.openings["off-1"] = OpeningResult(outcome="booked", appointment=MOVED)
    await offered(chat)
    assert await chat.send(tap=choices.opening("forged", "yes")) == ["refill.unknown", "menu.more"]
    assert await chat.send(tap="fill:off-1:maybe") != ["rescheduled"]
    other = Chat(office(MONDAY, family=(PatientInfo(pat_num=99, first_name="Zed"),)))
    await offered(other)
    assert await other.send(tap=choices.opening("off-1", "yes")) == ["refill.unknown", "menu.more"]
    assert "take_opening" not in chat.office.calls + other.office.calls
