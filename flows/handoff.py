"""What a handoff tells staff: the reasons in plain words and the note written on the patient's chart."""

from __future__ import annotations

from flows.context import Line
from flows.state import ConversationState

REASONS = {
    "asked": "the patient asked for a person",
    "emergency": "possible dental emergency (pain, swelling, bleeding or trauma); the patient was given the emergency number",
    "not_understood": "the assistant did not understand the patient several times in a row",
    "billing": "a billing question the assistant does not handle",
    "clinical": "a clinical question the assistant does not answer",
    "open_dental": "Open Dental did not answer, so the assistant could not complete the request",
    "operator": "an operator took over the conversation",
    "assistant_error": "the assistant failed on its side twice in a row while answering the patient",
}
RECENT_LINES = 6
NOTE_LIMIT = 1500


def note_for_chart(reason: str, conv: ConversationState, recent: list[Line]) -> str:
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
    parts: list[str] = [conv.intent or ""]
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
