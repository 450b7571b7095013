"""Freed times (refill): the offer a scheduler sends (a turn of its own) and the patient's Yes or No to it.

The offer's buttons name the offer; only an offer this phone was sent, for a patient of its family, is taken
to Open Dental, where the first yes moves the patient's visit to the freed time through the booking guard. A
later yes hears the time was just taken, with other earlier times if there are any.
"""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from flows import choices
from flows.context import ActionTaken, Deps, TurnState
from flows.questions import menu
from flows.replies import Choice, Reply, text
from flows.state import ConversationState, Offered
from flows.steps import END
from flows.steps.remind import cued_state
from flows.steps.trouble import OpenDentalTrouble, after_trouble

KEEP_OFFERS = 5
AfterAnswer = Command[Literal["identify", "present", "od_failed", "__end__"]]


def offer_opening(state: TurnState, runtime: Runtime[Deps]) -> TurnState:
    """The scheduler's offer of a freed time: remembered on the conversation (its buttons are checked against
    it), then sent with Yes / No."""
    deps, offer = runtime.context, state["cue"].offer
    assert offer is not None, "the gate sends only an offer's cue here"
    conv = cued_state(state, deps)
    now = deps.now.replace(tzinfo=None)
    kept = [o for o in conv.offers if o.start > now and o.id != offer.id]
    conv.offers = [*kept[-(KEEP_OFFERS - 1) :], offer]
    return {"conv": conv, "replies": [offer_message(offer, deps.practice.name)], "events": ["offered"]}


def offer_message(offer: Offered, practice: str) -> Reply:
    buttons = [
        Choice(id=choices.opening(offer.id, "yes"), key="button.take_opening"),
        Choice(id=choices.opening(offer.id, "no"), key="button.decline_opening"),
    ]
    params = {
        "name": offer.first_name,
        "when": offer.start,
        "provider": offer.provider or practice,
        "current": offer.current,
        "practice": practice,
    }
    return Reply(key="refill.offer", params=params, buttons=buttons)


async def opening_answer(state: TurnState, runtime: Runtime[Deps]) -> AfterAnswer:
    """A tap on an offer's Yes or No: checked against this phone's offers and family, then taken or declined."""
    deps, conv, tap = runtime.context, state["conv"].model_copy(deep=True), state.get("tap")
    answer = tap.opening if tap is not None else None
    offer = next((o for o in conv.offers if answer and o.id == answer[0]), None)
    if answer is None or offer is None:
        return _end(conv, [text("refill.unknown"), menu("menu.more", deps.practice)])
    if not conv.family_checked:
        return Command(goto="identify", update={"then": "opening_answer"})
    if offer.pat_num not in conv.family:
        return _end(conv, [text("refill.unknown"), menu("menu.more", deps.practice)])
    conv.offers = [o for o in conv.offers if o.id != offer.id]
    try:
        if answer[1] == "no":
            await deps.office.decline_opening(offer.id, conv.family)
            return _end(conv, [text("refill.declined", current=offer.current)])
        key = f"{deps.conversation}:refill:{offer.id}"
        result = await deps.office.take_opening(offer.id, conv.family, key)
    except OpenDentalTrouble as exc:
        return Command(**after_trouble(state, exc))
    if result.outcome == "booked" and result.appointment is not None:
        done = result.appointment
        reply = text("rescheduled", when=done.start, provider=done.provider)
        update: TurnState = {"conv": conv.finished(), "actions": [ActionTaken.on("reschedule", done)], "replies": [reply], "events": ["refilled"]}  # fmt: skip
        return Command(goto=END, update=update)
    if result.outcome == "unknown":
        return _end(conv, [text("refill.unknown"), menu("menu.more", deps.practice)])
    said = text("refill.taken" if result.outcome == "taken" else "refill.expired")
    if not result.alternatives:
        return _end(conv, [said, menu("menu.more", deps.practice)])
    conv = conv.finished()
    conv.intent, conv.target, conv.patient = "reschedule", offer.apt_num, offer.pat_num
    return Command(goto="present", update={"conv": conv, "found": result.alternatives, "replies": [said]})


def _end(conv: ConversationState, replies: list[Reply]) -> AfterAnswer:
    return Command(goto=END, update={"conv": conv, "replies": replies})
