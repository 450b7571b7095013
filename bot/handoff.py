"""Handing a conversation to the front desk, and giving it back.

The handoff's status lives in the conversation record (the turn handler's state), so the worker, the console
and every process see the same thing. While it is active the assistant sends nothing; it resumes when an
operator releases the conversation or after the practice's quiet period without staff activity. Staff learn of
a handoff where they work: a commlog on the patient's chart, with enough of the conversation to act on it.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

from bot.conversations import TranscriptEntry
from flows.ports import Office
from flows.state import ConversationState
from od_adapter.errors import OpenDentalError

logger = logging.getLogger(__name__)

REASONS = {
    "asked": "the patient asked for a person",
    "emergency": "possible dental emergency (pain, swelling, bleeding or trauma); the patient was given the emergency number",
    "not_understood": "the assistant did not understand the patient several times in a row",
    "billing": "a billing question the assistant does not handle",
    "clinical": "a clinical question the assistant does not answer",
    "open_dental": "Open Dental did not answer, so the assistant could not complete the request",
    "operator": "an operator took over the conversation",
}
RECENT_LINES = 6
NOTE_LIMIT = 1500


class HandoffStatus(BaseModel):
    active: bool = False
    reason: str = ""
    since: float = 0.0
    by: str = "assistant"
    """Who handed off: the assistant, or the operator's username."""
    last_staff_at: float = 0.0
    commlog_num: int | None = None

    def resumes_at(self, quiet_seconds: float) -> float:
        return max(self.since, self.last_staff_at) + quiet_seconds


def status_of(state: dict[str, Any]) -> HandoffStatus:
    return HandoffStatus.model_validate(state.get("handoff") or {})


def with_status(state: dict[str, Any], status: HandoffStatus) -> dict[str, Any]:
    return {**state, "handoff": status.model_dump()}


def take_over(state: dict[str, Any], operator: str, now: float) -> dict[str, Any]:
    """An operator takes the conversation; an existing handoff keeps its reason and commlog."""
    status = status_of(state)
    if not status.active:
        status = HandoffStatus(active=True, reason="operator", since=now, by=operator)
    status.last_staff_at = now
    return with_status(state, status)


def release(state: dict[str, Any]) -> dict[str, Any]:
    return with_status(state, HandoffStatus())


def note_for_chart(reason: str, conv: ConversationState, recent: list[TranscriptEntry]) -> str:
    """The commlog text: why, what the patient wanted, and the last messages, in plain words for staff."""
    lines = [
        "WhatsApp assistant: handed to staff, please reply to the patient on WhatsApp.",
        f"Reason: {REASONS.get(reason, reason)}.",
    ]
    if wanted := _wanted(conv):
        lines.append(f"Patient wanted: {wanted}.")
    if recent:
        lines.append("Last messages:")
        for entry in recent[-RECENT_LINES:]:
            who = "Patient" if entry.direction == "in" else "Assistant"
            lines.append(f"- {who}: {entry.text[:200]}")
    note = "\n".join(lines)
    return note if len(note) <= NOTE_LIMIT else note[: NOTE_LIMIT - 1] + "…"


def _wanted(conv: ConversationState) -> str:
    parts = [conv.intent or ""]
    if conv.kind:
        parts.append(conv.kind.replace("_", " "))
    wanted = conv.wanted
    if wanted.start:
        parts.append(f"from {wanted.start.isoformat()}")
    if wanted.part_of_day:
        parts.append(wanted.part_of_day)
    if wanted.at:
        parts.append(f"at {wanted.at:%H:%M}")
    if wanted.asap:
        parts.append("as soon as possible")
    if wanted.late:
        parts.append("late in the day")
    return " ".join(p for p in parts if p)


async def write_commlog(office: Office, pat_num: int | None, note: str) -> int | None:
    """The chart note; without a chart (a new patient) or when Open Dental fails, the console still shows it."""
    if pat_num is None:
        return None
    try:
        return int(await office.note_for_staff(pat_num, note))
    except OpenDentalError as exc:
        logger.warning("handoff commlog failed: %s", type(exc).__name__)
        return None
