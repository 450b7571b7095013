"""The conversation graph on its own: its drawn edges, the router as a table, and turns run against an in-memory
office port (no HTTP), each asserting the replies and the Open Dental calls a step made."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import langgraph.graph
import pytest

from flows import choices, steps
from flows.context import Deps, Line, TurnState
from flows.graph import TurnRun, build_graph, run_turn
from flows.nlu.language import LanguageDetector
from flows.nlu.rules import understand as rules_understand
from flows.nlu.understanding import Intent, Understanding
from flows.ports import AppointmentInfo, OptionInfo, PatientInfo, PracticeFacts
from flows.routing import route_after_understand
from flows.session import Session
from flows.state import ConversationState
from od_adapter.errors import OdUnavailable
from tests.fakes.office import FakeOffice

ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=ZONE)  # a Monday
PRACTICE = PracticeFacts(
    name="Test Dental",
    timezone="America/New_York",
    languages=["en", "es", "ar", "hi"],
    default_language="en",
    kinds=["cleaning", "consultation"],
    new_patient_kinds=["new_patient"],
    info={"address": "1 Main St"},
)
PHONE = "15550001111"
JANE = PatientInfo(pat_num=1, first_name="Jane", last_name="Doe", birthdate=date(1980, 5, 2), dentist=3)
FRIDAY = AppointmentInfo(
    apt_num=11, pat_num=1, start=datetime(2026, 12, 11, 10), minutes=60, provider="Dr. Lee"
)
MONDAY = AppointmentInfo(
    apt_num=14, pat_num=1, start=datetime(2026, 12, 14, 9), minutes=60, provider="Dr. Lee"
)
GRAPH = build_graph()
DETECTOR = LanguageDetector()


async def rules(words: str, now: datetime, language: str, state: ConversationState) -> Understanding:
    return rules_understand(words, now, language=language)


@dataclass
class Chat:
    office: FakeOffice
    phone: str = PHONE
    now: datetime = NOW
    session: Session = field(default_factory=Session)
    last: TurnRun | None = None
    turns: int = 0
    practice: PracticeFacts = field(default_factory=lambda: PRACTICE)

    async def send(self, text: str | None = None, tap: str | None = None) -> list[str]:
        async def recent(count: int) -> list[Line]:
            return []

        self.turns += 1
        deps = Deps(
            office=self.office,
            practice=self.practice,
            now=self.now,
            user_key=self.phone,
            conversation="conv-1",
            understand=rules,
            languages=DETECTOR,
            recent=recent,
            turn=f"turn-{self.turns}",
        )
        self.last = await run_turn(GRAPH, self.session, [text] if text else [], tap, deps)
        self.session = self.last.session
        return [r.key for r in self.last.replies]

    @property
    def conv(self) -> ConversationState:
        return self.session.conversation

    def buttons(self) -> list[str]:
        assert self.last is not None
        return [b.id for r in self.last.replies for b in r.buttons]

    def rows(self) -> list[str]:
        assert self.last is not None
        return [row.id for r in self.last.replies for row in r.rows]


def office(*visits: AppointmentInfo, family: tuple[PatientInfo, ...] = (JANE,)) -> FakeOffice:
    return FakeOffice(phones={PHONE: list(family)}, visits=list(visits))


# -- the drawing is the flow -------------------------------------------------------------------------------------

EDGES = [
    ("__start__", "gate"), ("gate", "language"), ("language", "identify"), ("identify", "language"),
    ("language", "understand"), ("identify", "offer"), ("offer", "identify"), ("offer", "search"),
    ("search", "present"), ("choose_time", "consent"), ("consent", "book"), ("consent", "reschedule"),
    ("consent", "cancel"), ("book", "present"), ("reschedule", "present"), ("details", "read_back"),
    ("read_back", "create_patient"), ("create_patient", "search"), ("change", "upcoming"),
    ("upcoming", "pick"), ("pick", "consent"), ("pick", "confirm_visit"), ("pick", "offer"),
    ("emergency", "escalate"), ("staff_request", "escalate"), ("fallback", "escalate"),
    ("od_failed", "escalate"), ("gate", "escalate"), ("escalate", "identify"), ("escalate", "hand_off"),
    ("identify", "hand_off"), ("search", "od_failed"), ("book", "od_failed"), ("cancel", "od_failed"),
    ("greet", "ahead"), ("fallback", "ahead"), ("ahead", "greet"), ("ahead", "fallback"), ("ahead", "identify"),
    ("identify", "ahead"),
]  # fmt: skip


def test_the_compiled_graph_has_the_conversations_edges() -> None:
    drawn = {(e.source, e.target) for e in GRAPH.get_graph().edges}
    assert [edge for edge in EDGES if edge not in drawn] == []


def test_the_steps_end_is_langgraphs() -> None:
    assert steps.END == langgraph.graph.END


def test_writes_are_reached_only_from_the_patients_yes() -> None:
    drawn = {(e.source, e.target) for e in GRAPH.get_graph().edges}
    sources = {write: {s for s, t in drawn if t == write} for write in ("book", "reschedule", "cancel", "create_patient", "confirm_visit")}  # fmt: skip
    assert sources == {
        "book": {"consent"},
        "reschedule": {"consent"},
        "cancel": {"consent"},
        "create_patient": {"read_back"},
        "confirm_visit": {"pick", "reminded"},  # a reminder's Confirm (tapped or typed) is the patient's yes
    }


# -- the router as a table ----------------------------------------------------------------------------------------

U = Understanding
ROUTER_TABLE = [
    # (awaiting, intent of the flow, what was understood, tap) -> step
    ("nothing", None, U(emergency=True, intent=Intent.BOOK), None, "emergency"),
    ("option", "book", U(intent=Intent.HUMAN), None, "staff_request"),
    ("nothing", None, U(out_of_scope="billing"), None, "staff_request"),
    ("confirm", "book", U(intent=Intent.NEVER_MIND), choices.YES, "reset"),
    ("option", "book", U(), "opt:o120810", "choose_time"),
    ("which", "cancel", U(), "apt:11", "upcoming"),
    ("kind", "book", U(), "kind:cleaning", "offer"),
    ("confirm", "book", U(), choices.OTHER, "offer"),
    ("nothing", None, U(), "menu:book", "offer"),
    ("nothing", None, U(), "menu:cancel", "change"),
    ("nothing", None, U(), "menu:confirm", "change"),
    ("nothing", None, U(), "menu:nonsense", "fallback"),
    ("confirm", "book", U(), choices.YES, "consent"),
    ("read_back", "book", U(), choices.YES, "read_back"),
    ("read_back", "book", U(), choices.NO, "read_back"),
    ("nothing", None, U(), "bogus:1", "fallback"),
    ("confirm", "book", U(yes=True), None, "consent"),
    ("confirm", "book", U(yes=False), None, "consent"),
    ("confirm", "cancel", U(start=date(2026, 12, 11)), None, "upcoming"),
    ("confirm", "reschedule", U(start=date(2026, 12, 11)), None, "offer"),
    ("confirm", "book", U(at=time(11)), None, "choose_time"),
    ("option", "book", U(choice=2), None, "choose_time"),
    ("option", "book", U(intent=Intent.OTHER_TIMES), None, "offer"),
    ("option", "book", U(part_of_day="afternoon"), None, "offer"),
    ("which", "reschedule", U(choice=1), None, "upcoming"),
    ("which", "reschedule", U(start=date(2026, 12, 11)), None, "upcoming"),
    ("which", "cancel", U(at=time(10)), None, "upcoming"),
    ("who", "book", U(first_name="Emma"), None, "who"),
    ("who", "book", U(intent=Intent.CANCEL), None, "change"),
    ("details", "book", U(first_name="Ana", last_name="Lopez"), None, "details"),
    ("read_back", "book", U(yes=True), None, "read_back"),
    ("read_back", "book", U(birthdate=date(1985, 3, 14)), None, "details"),
    ("kind", "book", U(kind="cleaning"), None, "offer"),
    ("nothing", None, U(intent=Intent.BOOK), None, "offer"),
    ("nothing", None, U(intent=Intent.CONFIRM), None, "change"),
    ("nothing", "book", U(start=date(2026, 12, 9)), None, "offer"),
    ("nothing", None, U(intent=Intent.INFO, info_topic="address"), None, "info"),
    ("nothing", None, U(intent=Intent.GREETING), None, "greet"),
    ("nothing", None, U(kind="cleaning"), None, "offer"),
    ("nothing", None, U(), None, "fallback"),
]


@pytest.mark.parametrize(("awaiting", "intent", "understood", "tap", "step"), ROUTER_TABLE)
def test_the_router(
    awaiting: str, intent: str | None, understood: Understanding, tap: str | None, step: str
) -> None:
    conv = ConversationState(awaiting=awaiting, intent=intent)  # type: ignore[arg-type]
    state: TurnState = {"conv": conv, "understood": understood, "tap": choices.parse(tap)}
    assert route_after_understand(state) == step


def test_a_language_request_alone_is_acknowledged() -> None:
    state: TurnState = {"conv": ConversationState(), "understood": U(), "language_switched": True}
    assert route_after_understand(state) == "acknowledge"


# -- booking ------------------------------------------------------------------------------------------------------


async def test_a_booking_writes_only_after_the_yes() -> None:
    chat = Chat(office())
    assert await chat.send("book a cleaning next week") == ["offer.list"]
    assert await chat.send(tap=chat.rows()[0]) == ["confirm.book"]
    assert "book" not in chat.office.calls
    assert await chat.send("yes") == ["booked"]
    assert chat.office.calls.count("book") == 1 and chat.office.calls.count("patients_on_phone") == 1
    assert chat.last is not None and chat.last.actions[0].action == "book"


async def test_a_time_just_taken_offers_the_alternatives_in_the_same_turn() -> None:
    chat = Chat(office())
    await chat.send("book a cleaning next week")
    first = chat.rows()[0]
    chat.office.taken.add(first.removeprefix("opt:"))
    await chat.send(tap=first)
    assert await chat.send(tap=choices.YES) == ["taken", "offer.list"]
    assert chat.conv.awaiting == "option" and first not in chat.rows()


async def test_a_time_just_taken_with_nothing_else_alike_searches_again_never_a_dead_end() -> None:
    chat = Chat(office())
    await chat.send("book a cleaning next week")
    first = chat.rows()[0]
    chat.office.taken.add(first.removeprefix("opt:"))
    chat.office.no_alternatives = True
    await chat.send(tap=first)
    assert (await chat.send(tap=choices.YES))[0] == "taken"
    assert chat.last is not None and chat.last.path[-2:] == ["search", "present"]
    assert chat.conv.awaiting == "option" and chat.rows(), "the times the search found, one tap away"


async def test_a_no_at_the_question_shows_the_list_again() -> None:
    chat = Chat(office())
    await chat.send("book a cleaning next week")
    await chat.send("the first one")
    assert await chat.send("no") == ["ok.other_time", "offer.list"]
    assert "book" not in chat.office.calls


# -- which appointment: a typed date never crashes the turn -------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "ask", "answer", "expected"),
    [
        (
            "en",
            "I need to reschedule my appointment",
            "the fri 11 dec one",
            ["reschedule.current", "offer.list"],
        ),
        ("en", "I need to cancel my appointment", "the fri 11 dec one", ["cancel.ask"]),
        (
            "es",
            "necesito cambiar mi cita",
            "la del viernes 11 de diciembre",
            ["reschedule.current", "offer.list"],
        ),
        ("es", "necesito cancelar mi cita", "la del viernes 11 de diciembre", ["cancel.ask"]),
    ],
)
async def test_a_date_typed_at_which_appointment_picks_that_visit(
    language: str, ask: str, answer: str, expected: list[str]
) -> None:
    chat = Chat(office(FRIDAY, MONDAY))
    assert await chat.send(ask) == ["ask.which"]
    assert await chat.send(answer) == expected
    assert chat.conv.target == FRIDAY.apt_num and chat.conv.language == language
    assert not chat.last or not chat.last.failed


@pytest.mark.parametrize(
    ("ask", "answer"),
    [
        ("I need to cancel my appointment", "the fri 11 dec one"),
        ("necesito cancelar mi cita", "la del viernes 11 de diciembre"),
    ],
)
async def test_a_date_typed_at_the_cancel_question_asks_again_and_writes_nothing(
    ask: str, answer: str
) -> None:
    chat = Chat(office(FRIDAY))
    assert await chat.send(ask) == ["cancel.ask"]
    assert await chat.send(answer) == ["cancel.ask"]
    assert "cancel" not in chat.office.calls
    assert await chat.send(tap=choices.YES) == ["cancelled"]
    assert chat.office.visits == []


async def test_a_date_typed_at_the_move_question_offers_that_days_times() -> None:
    chat = Chat(office(FRIDAY))
    assert await chat.send("I need to reschedule my appointment") == ["reschedule.current", "offer.list"]
    await chat.send(tap=chat.rows()[0])
    assert await chat.send("the wed 16 dec") == ["offer.list"]
    assert chat.conv.target == FRIDAY.apt_num and "reschedule" not in chat.office.calls


async def test_a_confirmation_that_names_one_visit_is_the_yes() -> None:
    tomorrow = FRIDAY.model_copy(update={"start": datetime(2026, 12, 8, 15, 30)})
    chat = Chat(office(tomorrow, MONDAY))
    assert await chat.send("confirm my appointment tomorrow at 3:30") == ["confirmed"]
    assert chat.office.calls.count("confirm") == 1


# -- new patients: the read-back before the chart -----------------------------------------------------------------


async def test_a_new_patients_chart_is_created_only_after_the_read_back() -> None:
    chat = Chat(office(family=()))
    assert await chat.send("I'd like to book a cleaning") == ["ask.details"]
    assert await chat.send("Ana Lopez") == ["ask.details_birthdate"]  # only what is missing
    assert await chat.send("03/14/1985") == ["details.read_back"]
    assert chat.last is not None and chat.last.replies[0].params["name"] == "Ana Lopez"
    assert await chat.send("no") == ["details.again"]
    assert await chat.send("Ana Lopes 03/14/1985") == ["details.read_back"]
    assert "create_patient" not in chat.office.calls
    assert await chat.send(tap=choices.YES) == [
        "offer.new_patient_exam",
        "offer.list",
    ]  # why the kind changed
    assert chat.office.created[0].last_name == "Lopes" and chat.conv.kind == "new_patient"


async def test_a_family_phone_adds_a_child_after_the_read_back() -> None:
    son = PatientInfo(pat_num=2, first_name="Tom", birthdate=date(2015, 1, 1), guarantor=1)
    chat = Chat(office(family=(JANE, son)))
    assert await chat.send("book a check-up for my daughter") == ["ask.who"]
    assert await chat.send("Emma Doe 06/01/2019") == ["details.read_back"]
    assert await chat.send("yes") == ["offer.new_patient_exam", "offer.list"]
    assert chat.office.calls.count("patients_on_phone") == 1


# -- handoff, Open Dental failures, and failures of our own -------------------------------------------------------


async def test_asking_for_a_person_hands_off_and_the_assistant_pauses_then_resumes() -> None:
    chat = Chat(office())
    assert await chat.send("can I talk to a person") == ["handoff"]
    assert chat.session.handoff.active and chat.office.notes[0][0] == JANE.pat_num
    assert await chat.send("hello?") == []
    assert chat.last is not None and chat.last.events == ["paused"]
    chat.now = NOW.replace(hour=18)
    assert await chat.send("hello") == ["greeting"]
    assert not chat.session.handoff.active and chat.last is not None and "resumed" in chat.last.events


async def test_an_open_dental_outage_is_retried_once_then_handed_off() -> None:
    chat = Chat(office())
    chat.office.fail["options"] = OdUnavailable("down")
    assert await chat.send("book a cleaning next week") == ["od_unavailable"]
    assert chat.session.od_failures == 1 and chat.conv.intent is None  # the turn is as if it never happened
    assert await chat.send("book a cleaning next week") == ["od_unavailable.staff", "handoff"]
    assert chat.session.handoff.reason == "open_dental" and chat.session.od_failures == 0


async def test_a_step_that_raises_gets_an_apology_that_repeats_the_question() -> None:
    chat = Chat(office())
    await chat.send("book a cleaning next week")
    await chat.send(tap=chat.rows()[0])
    before = chat.session
    chat.office.fail["book"] = RuntimeError("a bug")
    assert await chat.send("yes") == ["turn.sorry", "confirm.book"]
    assert chat.last is not None and chat.last.failed
    assert chat.session.conversation == before.conversation and chat.session.errors == 1
    del chat.office.fail["book"]
    assert await chat.send("yes") == ["booked"]
    assert chat.session.errors == 0


async def test_repeated_failures_of_our_own_go_to_staff() -> None:
    chat = Chat(office(FRIDAY, MONDAY))
    chat.office.fail["upcoming"] = RuntimeError("a bug")
    assert await chat.send("I need to cancel my appointment") == ["turn.sorry_menu"]
    assert await chat.send("I need to cancel my appointment") == ["turn.sorry_menu"]
    assert await chat.send("hello?") == ["turn.sorry_staff", "handoff"]
    assert chat.session.handoff.reason == "assistant_error"


async def test_an_apology_after_a_write_says_what_was_done() -> None:
    chat = Chat(office(family=()))
    await chat.send("I'd like to book a cleaning")
    await chat.send("Ana Lopez 03/14/1985")
    chat.office.fail["options"] = RuntimeError("a bug")
    assert await chat.send("yes") == ["details.saved", "turn.sorry_after"]
    assert len(chat.office.created) == 1


# -- sessions stored before this version continue -----------------------------------------------------------------

OFFERED = OptionInfo(id="o120809", start=datetime(2026, 12, 8, 9), minutes=60, provider="Dr. Lee")
VERSION_1 = {
    "conversation": {
        "version": 1, "language": "es", "family": [1], "family_checked": True, "patient": 1, "intent": "book",
        "kind": "cleaning", "offered": [OFFERED.model_dump(mode="json")], "awaiting": "option", "handoff": None,
    },
    "handoff": {"active": False, "reason": "", "since": 0.0, "by": "assistant", "last_staff_at": 0.0},
    "od_failures": 1,
}  # fmt: skip


async def test_a_version_1_session_waiting_for_a_choice_continues() -> None:
    chat = Chat(office(), session=Session.load(VERSION_1))
    assert chat.conv.language == "es" and chat.session.od_failures == 1 and not chat.conv.family_checked
    assert await chat.send(tap=f"opt:{OFFERED.id}") == ["confirm.book"]
    assert await chat.send("sí") == ["booked"]


async def test_a_version_1_session_waiting_for_details_continues() -> None:
    stored = {"conversation": {"version": 1, "intent": "book", "kind": "cleaning", "awaiting": "details", "details": {"first_name": "Ana", "last_name": "Lopez"}}}  # fmt: skip
    chat = Chat(office(family=()), session=Session.load(stored))
    assert await chat.send("03/14/1985") == ["details.read_back"]


def test_a_stored_record_in_the_old_shape_loads() -> None:
    from bot.records.conversations import ConversationRecord

    record = ConversationRecord.model_validate({"conversation": "c", "practice_id": "p", "user_key": "1", "state": VERSION_1})  # fmt: skip
    assert record.session.conversation.offered == [OFFERED]
    assert Session.load(record.session.model_dump(mode="json")) == record.session


async def test_a_reaction_to_shall_i_book_it_books_nothing_and_says_nothing() -> None:
    chat = Chat(office())
    await chat.send("book a cleaning next week")
    await chat.send(tap=chat.rows()[0])
    before = chat.session

    async def recent(count: int) -> list[Line]:
        return []

    deps = Deps(office=chat.office, practice=PRACTICE, now=NOW, user_key=PHONE, conversation="conv-1", understand=rules, languages=DETECTOR, recent=recent)  # fmt: skip
    run = await run_turn(GRAPH, chat.session, [], None, deps, readable=False, silent=True)
    assert run.replies == [] and "book" not in chat.office.calls and run.session == before


# -- one key per confirmation --------------------------------------------------------------------------------------


async def test_a_yes_tapped_on_an_earlier_question_writes_nothing_and_shows_where_we_are() -> None:
    chat = Chat(office())
    await chat.send("book a cleaning next week")
    first, second = chat.rows()[:2]
    await chat.send(tap=first)
    old_yes = chat.buttons()[0]
    await chat.send("no")
    await chat.send(tap=second)
    new_yes = chat.buttons()[0]
    assert old_yes != new_yes and old_yes.startswith("yes:")
    assert await chat.send(tap=old_yes) == ["confirm.stale", "confirm.book"]
    assert "book" not in chat.office.calls
    assert await chat.send(tap=new_yes) == ["booked"]
    assert chat.office.visits[0].start.strftime("%m%d%H") == second.removeprefix("opt:o")


async def test_a_second_yes_to_the_same_question_replays_and_books_once() -> None:
    chat = Chat(office())
    await chat.send("book a cleaning next week")
    await chat.send(tap=chat.rows()[0])
    yes = chat.buttons()[0]
    assert await chat.send(tap=yes) == ["booked"]
    assert await chat.send(tap=yes) == ["booked"]
    assert len(chat.office.visits) == 1 and len(chat.office.keys) == 1


async def test_the_same_time_booked_again_after_a_cancellation_is_a_new_attempt() -> None:
    chat = Chat(office())
    await chat.send("book a cleaning next week")
    option = chat.rows()[0]
    await chat.send(tap=option)
    await chat.send("yes")
    await chat.send("cancel my appointment")
    await chat.send("yes")
    assert chat.office.visits == []
    await chat.send("book a cleaning next week")
    await chat.send(tap=option)
    assert await chat.send("yes") == ["booked"]
    assert len(chat.office.visits) == 1, "the second yes names a new question, so it books again"


async def test_a_version_1_session_waiting_for_a_yes_continues() -> None:
    stored = {
        **VERSION_1,
        "conversation": {**VERSION_1["conversation"], "awaiting": "confirm", "pending": OFFERED.id},
    }
    chat = Chat(office(), session=Session.load(stored))
    assert await chat.send("sí") == ["booked"]
    assert [k.split(":", 1)[1] for k in chat.office.keys] == [f"book::{OFFERED.id}"], (
        "its question had no nonce"
    )
