"""Handing the conversation to staff: why, the safety message, and the note on the chart.

Every path to a person runs through `escalate` (which tells the patient who will answer and when) and then the
writing step `hand_off` (the commlog staff see in Open Dental, and the status that keeps the assistant quiet).
"""

from __future__ import annotations

import logging
from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from flows.context import ActionTaken, Deps, Line, Replace, TurnState
from flows.handoff import REASONS, RECENT_LINES, note_for_chart
from flows.questions import handoff_reply
from flows.replies import text
from flows.session import HandoffStatus
from flows.state import ConversationState
from flows.steps import END
from od_adapter import OpenDentalError

logger = logging.getLogger(__name__)


def emergency(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["escalate"]]:
    """Safety first: tell the patient to call now, and have staff follow up on the chart."""
    practice = runtime.context.practice
    safety = text(
        "emergency", phone=practice.emergency_phone or "-", emergency_number=practice.emergency_number
    )
    return Command(goto="escalate", update={"reason": "emergency", "replies": [safety]})


def staff_request(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["escalate"]]:
    """The patient asked for a person, or for something only staff answer (billing, clinical)."""
    topic = state["understood"].out_of_scope
    return Command(goto="escalate", update={"reason": topic if topic in ("billing", "clinical") else "asked"})


def od_failed(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["escalate", "__end__"]]:
    """Ask the patient to try again; a second failure in a row, or a write whose outcome is unknown, goes to
    staff (who can check the book), so nobody is left retrying against a system that is down."""
    failures = state.get("od_failures", 0) + 1
    # Nothing written yet: the turn is as if it never happened, so the patient can simply try again.
    conv = state["conv"] if state.get("actions") else state["before"]
    if failures >= 2 or state.get("outcome_unknown"):
        update: TurnState = {
            "conv": conv.finished(),
            "od_failures": 0,
            "reason": "open_dental",
            "replies": Replace([text("od_unavailable.staff")]),
            "events": ["failed"],
        }
        return Command(goto="escalate", update=update)
    update = {
        "conv": conv,
        "od_failures": failures,
        "replies": Replace([text("od_unavailable")]),
        "events": ["failed"],
    }
    return Command(goto=END, update=update)


def escalate(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["identify", "hand_off"]]:
    """Tell the patient who will answer and when; find the chart first if the phone was never looked up."""
    deps, conv = runtime.context, state["conv"]
    update: TurnState = {"replies": [handoff_reply(deps.practice, deps.now)]}
    if conv.patient is None and not conv.family_checked:
        return Command(goto="identify", update={**update, "then": "hand_off"})
    return Command(goto="hand_off", update=update)


def noted_charts(conv: ConversationState, reason: str) -> list[int]:
    """The charts the handoff note goes on: the patient's; in an emergency on a family phone, whose it is was
    never asked (the safety message comes first), so every chart on the phone gets it."""
    if reason == "emergency" and conv.patient is None:
        return list(conv.family)
    chart = conv.patient or (conv.family[0] if conv.family else None)
    return [chart] if chart is not None else []


async def hand_off(state: TurnState, runtime: Runtime[Deps]) -> TurnState:
    """The handoff's writes: a commlog on the chart for the front desk, and the status that pauses the bot."""
    deps, conv, reason = runtime.context, state["conv"], state.get("reason", "asked")
    charts = noted_charts(conv, reason)
    pat_num = charts[0] if charts else None
    commlog: int | None = None
    if charts:
        recent = await deps.recent(RECENT_LINES)
        this_turn = [Line(direction="in", text=t) for t in state.get("texts", []) if t]
        note = note_for_chart(reason, conv, recent + this_turn)
        for chart in charts:
            try:
                written = await deps.office.note_for_staff(chart, note)
            except OpenDentalError as exc:
                logger.warning("handoff commlog failed: %s", type(exc).__name__)
                continue
            commlog = commlog or written
    status = HandoffStatus(active=True, reason=reason, since=deps.now.timestamp(), commlog_num=commlog)
    where = f"CommlogNum {commlog}" if commlog else "no chart yet" if pat_num is None else "commlog failed"
    taken = ActionTaken(action="handoff", pat_num=pat_num or 0, commlog_num=commlog, reason=reason)
    conv = conv.model_copy(update={"failures": 0})  # misunderstandings before the handoff count no more
    return {
        "handoff": status,
        "conv": conv,
        "notes": [f"Handed to staff: {REASONS.get(reason, reason)} ({where})"],
        "events": ["handoff"],
        "actions": [taken],
    }
