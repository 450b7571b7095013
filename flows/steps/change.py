"""Reschedule, cancel, confirm: which visit, then the question, the search or the confirmation."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from flows import choices
from flows.choices import Tap
from flows.context import ActionTaken, Deps, TurnState
from flows.nlu.understanding import Intent, Understanding
from flows.ports import AppointmentInfo
from flows.questions import row
from flows.replies import Reply, text
from flows.state import Action, ConversationState, Wanted
from flows.steps import END
from flows.steps.trouble import OpenDentalTrouble, after_trouble

logger = logging.getLogger(__name__)

MENU_INTENTS: dict[str, Action] = {"reschedule": "reschedule", "cancel": "cancel", "confirm": "confirm"}
SPOKEN_INTENTS: dict[Intent, Action] = {
    Intent.RESCHEDULE: "reschedule",
    Intent.CANCEL: "cancel",
    Intent.CONFIRM: "confirm",
}


NO_WHEN = dict.fromkeys(("start", "end", "part_of_day", "earliest", "latest", "at"), None) | {"weekdays": [], "asap": False, "late": False}  # fmt: skip


def change(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["identify", "upcoming"]]:
    """Start a reschedule, cancellation or confirmation: the family's upcoming visits come next."""
    tap, u, before = state.get("tap"), state["understood"], state["conv"]
    tapped = MENU_INTENTS.get(tap.value) if tap is not None and tap.kind == "menu" else None
    intent = tapped or (SPOKEN_INTENTS.get(u.intent) if u.intent else None) or before.intent
    conv = before.finished()
    conv.intent = intent
    if not conv.family_checked:
        return Command(goto="identify", update={"conv": conv, "then": "upcoming"})
    return Command(goto="upcoming", update={"conv": conv})


async def upcoming(
    state: TurnState, runtime: Runtime[Deps]
) -> Command[Literal["identify", "pick", "od_failed", "__end__"]]:
    """Read the family's upcoming visits (none for a phone without a chart)."""
    deps, conv = runtime.context, state["conv"]
    if not conv.family_checked:
        return Command(goto="identify", update={"then": "upcoming"})
    try:
        visits = await deps.office.upcoming(conv.family) if conv.family else []
    except OpenDentalTrouble as exc:
        return Command(**after_trouble(state, exc))
    return Command(goto="pick", update={"visits": visits})


async def ahead(
    state: TurnState, runtime: Runtime[Deps]
) -> Command[Literal["identify", "greet", "fallback"]]:
    """The family's upcoming visits, for a menu that offers to confirm one; Open Dental failing only leaves
    that choice out (a greeting or a "didn't understand" is never an error)."""
    deps, conv = runtime.context, state["conv"]
    if not conv.family_checked:
        return Command(goto="identify", update={"then": "ahead"})
    try:
        visits = await deps.office.upcoming(conv.family, from_book=True) if conv.family else []
    except OpenDentalTrouble as exc:
        logger.warning("upcoming visits not read for the menu: %s", type(exc).__name__)
        visits = []
    return Command(goto=state.get("menu_for", "greet"), update={"visits": visits})


def pick(
    state: TurnState, runtime: Runtime[Deps]
) -> Command[Literal["consent", "confirm_visit", "offer", "__end__"]]:
    """Settle on one visit (a tap, its number, its day or time, or the only one), else ask which."""
    deps, conv, visits = runtime.context, state["conv"].model_copy(deep=True), state.get("visits", [])
    if not visits:
        return Command(goto=END, update={"conv": conv.finished(), "replies": [text("none_upcoming")]})
    chosen = _chosen(conv, state["understood"], state.get("tap"), visits)
    if chosen is None:
        again = conv.awaiting == "which"
        shown = visits[:10]
        conv.appointments, conv.awaiting = [v.apt_num for v in shown], "which"
        rows = [row(choices.visit(v.apt_num), v.start, v.provider, v.minutes) for v in shown]
        question = Reply(key="ask.which_again" if again else "ask.which", rows=rows, list_key="button.choose")
        return Command(goto=END, update={"conv": conv, "replies": [question]})
    conv.target, conv.patient = chosen.apt_num, chosen.pat_num
    if conv.intent == "confirm":
        # A request to confirm that names one visit is itself the yes.
        return Command(goto="confirm_visit", update={"conv": conv, "chosen": chosen})
    if conv.intent == "cancel":
        conv.awaiting = "confirm"
        return Command(goto="consent", update={"conv": conv, "chosen": chosen, "asking": True})
    conv.wanted = Wanted(start=(deps.now + timedelta(days=1)).date())
    update: TurnState = {
        "conv": conv,
        "chosen": chosen,
        "replies": [text("reschedule.current", when=chosen.start)],
    }
    if conv.awaiting == "which" or state.get("tap") is not None:
        # The day or time just typed named the visit to move ("the fri 11 dec one", "موعد الجمعة 11": its
        # "appointment" is not a new booking either), not when to move it to.
        update["understood"] = state["understood"].model_copy(update={**NO_WHEN, "intent": None})
    return Command(goto="offer", update=update)


def _chosen(
    conv: ConversationState, u: Understanding, tap: Tap | None, visits: list[AppointmentInfo]
) -> AppointmentInfo | None:
    by_num = {v.apt_num: v for v in visits}
    if tap is not None and tap.kind == "visit":
        return by_num.get(tap.visit or 0) if tap.visit in conv.appointments else None
    if u.start is not None or u.at is not None:
        # "The wed 2nd one" names the visit on Wednesday the 2nd, not the second row.
        named = [v for v in visits if _names(u, v)]
        if len(named) == 1:
            return named[0]
    if u.choice is not None and conv.appointments:
        index = len(conv.appointments) - 1 if u.choice == -1 else u.choice - 1
        if 0 <= index < len(conv.appointments):
            return by_num.get(conv.appointments[index])
    if len(visits) == 1 and conv.awaiting != "which":
        return visits[0]
    return None


def _names(u: Understanding, visit: AppointmentInfo) -> bool:
    """The day (or range of days) and the time the patient typed fit this visit."""
    day = visit.start.date()
    if u.start is not None and not (u.start <= day <= (u.end or u.start)):
        return False
    if u.weekdays and day.weekday() not in u.weekdays:
        return False
    return u.at is None or visit.start.time() == u.at


async def confirm_visit(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["od_failed", "__end__"]]:
    deps, conv, chosen = runtime.context, state["conv"], state["chosen"]
    try:
        # The request that named the visit is the yes: its key names this attempt, not the visit. A reminder's
        # Confirm names its own (the reminder's), and its visit was just checked in the book.
        key = (
            state.get("write_key") or f"{deps.conversation}:confirm:{chosen.apt_num}:{deps.nonce('confirm')}"
        )
        confirmed = await deps.office.confirm(chosen.apt_num, conv.family, key, checked="write_key" in state)
    except OpenDentalTrouble as exc:
        return Command(**after_trouble(state, exc))
    taken = ActionTaken.on("confirm", chosen.model_copy(update={"commlog_num": confirmed.commlog_num}))
    reply = text("confirmed", when=chosen.start)
    return Command(goto=END, update={"conv": conv.finished(), "actions": [taken], "replies": [reply]})
