"""Where a turn goes after the patient's words are read: one pure function, tested as a table.

Safety first, then a tap, then the question we are waiting on, then what the patient asked for.
"""

from __future__ import annotations

from typing import Literal, get_args

from flows.choices import Tap
from flows.context import TurnState
from flows.nlu.understanding import Intent, Understanding
from flows.state import ConversationState
from flows.steps.remind import spoken_answer

Route = Literal[
    "emergency", "staff_request", "reset", "greet", "info", "offer", "who", "details", "read_back",
    "choose_time", "consent", "change", "upcoming", "fallback", "acknowledge", "reminded", "opt_out",
    "opening_answer",
]  # fmt: skip
ROUTES: tuple[Route, ...] = get_args(Route)

SWITCHING = (Intent.BOOK, Intent.RESCHEDULE, Intent.CANCEL, Intent.CONFIRM, Intent.INFO)


def route_after_understand(state: TurnState) -> Route:
    conv, u, tap = state["conv"], state["understood"], state.get("tap")
    if u.emergency:
        return "emergency"
    if "opt_out" in state:
        return "opt_out"
    if u.intent is Intent.HUMAN or u.out_of_scope:
        return "staff_request"
    if u.intent is Intent.NEVER_MIND:
        return "reset"
    if tap is not None:
        return route_tap(conv, tap)
    if waiting := route_answer(conv, u):
        return waiting
    if (
        conv.awaiting == "nothing"
        and conv.live_reminder() is not None
        and spoken_answer(u, " ".join(state.get("texts", []))) is not None
    ):
        return "reminded"  # "yes", "sí", "I'll be there", "can we make it later?" after a reminder
    if u.intent is Intent.BOOK:
        return "offer"
    if u.intent in (Intent.RESCHEDULE, Intent.CANCEL, Intent.CONFIRM):
        return "change"
    if conv.intent in ("book", "reschedule") and (u.intent is Intent.OTHER_TIMES or u.has_when or u.kind):
        return "offer"
    if u.intent is Intent.INFO:
        return "info"
    if u.intent in (Intent.GREETING, Intent.THANKS):
        return "greet"
    if u.kind or u.has_when:
        return "offer"
    return "acknowledge" if state.get("language_switched") else "fallback"


def route_tap(conv: ConversationState, tap: Tap) -> Route:
    if tap.kind == "reminder":
        return "reminded"
    if tap.kind == "opening":
        return "opening_answer"
    if tap.kind == "option":
        return "choose_time"
    if tap.kind == "visit":
        return "upcoming"
    if tap.kind in ("kind", "other"):
        return "offer"
    if tap.kind == "menu":
        return "offer" if tap.value == "book" else "change"
    if tap.kind in ("yes", "no"):
        return "read_back" if conv.awaiting == "read_back" else "consent"
    return "fallback"


def route_answer(conv: ConversationState, u: Understanding) -> Route | None:
    """The step that takes a typed answer to the question we asked, if the message is one."""
    switching = u.intent in SWITCHING
    details_given = bool(u.first_name or u.last_name or u.birthdate)
    if conv.awaiting == "read_back":
        if u.yes is not None and not details_given:
            return "read_back"
        if details_given and not switching:
            return "details"  # a correction of the name or the date of birth
    if conv.awaiting == "confirm":
        if u.yes is not None and not u.has_when:
            return "consent"
        if conv.intent == "cancel" and (u.has_when or u.choice is not None):
            return "upcoming"  # "the fri 11 dec one": the patient names which visit
    if conv.awaiting in ("confirm", "option") and (
        u.intent is Intent.OTHER_TIMES or (u.has_when and u.at is None)
    ):
        return "offer"
    if conv.awaiting in ("option", "confirm") and (u.choice is not None or u.at is not None):
        return "choose_time"
    if conv.awaiting == "which" and (u.choice is not None or u.has_when):
        return "upcoming"
    if conv.awaiting == "who" and not switching:
        return "who"
    if conv.awaiting == "details" and not switching:
        return "details"
    if conv.awaiting == "kind" and u.kind:
        return "offer"
    return None
