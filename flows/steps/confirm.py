"""The patient's explicit yes, and the writes that follow it: book, reschedule, cancel.

Each write is its own step, reached only from `consent` after a tap on Yes or the rules reading an affirmation
to the question just asked. Its idempotency key names the conversation, the action and the confirmed choice,
so a repeated "yes" writes once.
"""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from flows.context import ActionTaken, Deps, TurnState
from flows.ports import BookResult, PatientInfo, PracticeFacts
from flows.questions import cancel_question, confirm_question, family_name, menu, pending_question
from flows.replies import Reply, text
from flows.state import Confirmation, ConversationState
from flows.steps import END
from flows.steps.trouble import OpenDentalTrouble, after_trouble


def consent(
    state: TurnState, runtime: Runtime[Deps]
) -> Command[Literal["book", "reschedule", "cancel", "present", "fallback", "__end__"]]:
    """Ask for the patient's yes to what is pending; with their answer, go to the write or back to the list."""
    conv = state["conv"].model_copy(deep=True)
    if state.get("asking"):
        conv.nonce = runtime.context.nonce("consent")
        return Command(goto=END, update={"conv": conv, "asking": False, "replies": [_question(state, conv)]})
    tap, u = state.get("tap"), state["understood"]
    if tap is not None and tap.value and tap.value != conv.nonce:
        return _answered_before(conv, tap.kind == "yes", tap.value, runtime.context.practice)
    if not ((tap is not None and tap.kind == "yes") or (tap is None and u.yes is True)):
        conv.pending, conv.nonce = None, None
        if conv.offered and conv.intent in ("book", "reschedule"):
            return Command(goto="present", update={"conv": conv, "found": conv.offered, "replies": [text("ok.other_time")]})  # fmt: skip
        return Command(goto=END, update={"conv": conv.finished(), "replies": [text("kept")]})
    if conv.intent == "cancel" and conv.target is not None:
        return Command(goto="cancel")
    if conv.pending is None or conv.patient is None:
        return Command(goto="fallback")
    if conv.intent == "reschedule":
        # Never turn a move into a second booking that keeps the old visit.
        return Command(goto="reschedule" if conv.target is not None else "fallback")
    return Command(goto="book")


def _answered_before(
    conv: ConversationState, said_yes: bool, tapped: str, practice: PracticeFacts
) -> Command[Literal["book", "reschedule", "cancel", "present", "fallback", "__end__"]]:
    """A tap on an earlier question's button. A second yes to the question already confirmed replays its
    write (same key: the guard tells what Open Dental shows now); any other stale tap writes nothing."""
    done = conv.confirmed
    if said_yes and done is not None and done.nonce == tapped and conv.awaiting == "nothing":
        again = conv.model_copy(update={"intent": done.intent, "pending": done.pending, "target": done.target, "nonce": done.nonce})  # fmt: skip
        if done.intent == "reschedule":
            return Command(goto="reschedule", update={"conv": again})
        return Command(goto="cancel" if done.intent == "cancel" else "book", update={"conv": again})
    question = pending_question(conv, practice)
    replies = (
        [text("confirm.stale"), question] if question is not None else [menu("confirm.stale_menu", practice)]
    )
    return Command(goto=END, update={"replies": replies})


def _question(state: TurnState, conv: ConversationState) -> Reply:
    if conv.intent == "cancel":
        return cancel_question(state["chosen"].start, conv.nonce)
    option = next(o for o in conv.offered if o.id == conv.pending)
    return confirm_question(conv, option)


def _key(deps: Deps, conv: ConversationState) -> str:
    """One attempt: the confirmation question's nonce (a question asked before nonces: the old key)."""
    if conv.nonce is None:
        return f"{deps.conversation}:{conv.intent}:{conv.target or ''}:{conv.pending or ''}"
    return f"{deps.conversation}:{conv.intent}:{conv.nonce}"


def _confirmed(conv: ConversationState) -> ConversationState:
    """The flow is done; what the yes wrote is remembered, so the same yes again replays it."""
    done = conv.finished()
    if conv.nonce is not None and conv.intent is not None:
        done.confirmed = Confirmation(
            nonce=conv.nonce, intent=conv.intent, pending=conv.pending, target=conv.target
        )
    return done


async def book(
    state: TurnState, runtime: Runtime[Deps]
) -> Command[Literal["present", "search", "od_failed", "__end__"]]:
    deps, conv = runtime.context, state["conv"].model_copy(deep=True)
    assert conv.pending is not None and conv.patient is not None
    patient = PatientInfo(pat_num=conv.patient, first_name="", dentist=conv.dentist)
    try:
        result = await deps.office.book(conv.pending, patient, _key(deps, conv), new_patient=conv.new_patient)
    except OpenDentalTrouble as exc:
        return Command(**after_trouble(state, exc))
    return _settled(conv, result)


async def reschedule(
    state: TurnState, runtime: Runtime[Deps]
) -> Command[Literal["present", "search", "od_failed", "__end__"]]:
    deps, conv = runtime.context, state["conv"].model_copy(deep=True)
    assert conv.pending is not None and conv.target is not None
    try:
        result = await deps.office.reschedule(conv.target, conv.pending, conv.family, _key(deps, conv))
    except OpenDentalTrouble as exc:
        return Command(**after_trouble(state, exc))
    return _settled(conv, result)


def _settled(
    conv: ConversationState, result: BookResult
) -> Command[Literal["present", "search", "od_failed", "__end__"]]:
    """Booked: say so. The time was just taken: offer what the guard found instead, or the nearest times."""
    if result.lapsed:
        return Command(goto=END, update={"conv": conv.finished(), "replies": [text("replay.lapsed")]})
    if result.appointment is None:
        if result.alternatives:
            return Command(goto="present", update={"conv": conv, "found": result.alternatives, "replies": [text("taken")]})  # fmt: skip
        # Nothing else fits what was asked: the search widens to the nearest times (never a dead end).
        return Command(goto="search", update={"conv": conv, "replies": [text("taken")]})
    done = result.appointment
    action: Literal["book", "reschedule"] = "reschedule" if conv.intent == "reschedule" else "book"
    taken = ActionTaken.on(action, done)
    reply = text(
        "rescheduled" if action == "reschedule" else "booked", when=done.start, provider=done.provider
    )
    name = family_name(conv)
    if action == "book" and name is not None:
        reply = text("booked_for", name=name, when=done.start, provider=done.provider)
    return Command(
        goto=END,
        update={"conv": _confirmed(conv), "actions": [taken], "replies": [reply], "events": ["booked"]},
    )


async def cancel(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["od_failed", "__end__"]]:
    deps, conv = runtime.context, state["conv"]
    assert conv.target is not None
    try:
        cancelled = await deps.office.cancel(conv.target, conv.family, _key(deps, conv))
    except OpenDentalTrouble as exc:
        return Command(**after_trouble(state, exc))
    taken = ActionTaken.on("cancel", cancelled)
    reply = text("cancelled", when=cancelled.start)
    return Command(goto=END, update={"conv": _confirmed(conv), "actions": [taken], "replies": [reply]})
