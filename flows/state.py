"""The conversation's state between turns: compact, JSON-able, versioned.

It holds ids and choices, never rendered text or clients. Rendering happens at send time in the patient's
language; Open Dental data is re-read through the ports when it is needed.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from flows.nlu.understanding import When
from flows.ports import OptionInfo

STATE_VERSION = 1
Awaiting = Literal["nothing", "who", "details", "kind", "option", "confirm", "which"]
Action = Literal["book", "reschedule", "cancel", "confirm"]
HandoffReason = Literal["asked", "emergency", "not_understood", "billing", "clinical", "open_dental"]


class Wanted(When):
    """What the patient asked for, kept across turns and corrected by later messages."""


class NewPatient(BaseModel):
    first_name: str | None = None
    last_name: str | None = None
    birthdate: date | None = None

    @property
    def complete(self) -> bool:
        return bool(self.first_name and self.last_name and self.birthdate)


class ConversationState(BaseModel):
    version: int = STATE_VERSION
    language: str | None = None
    language_run: tuple[str, int] | None = None
    """Consecutive messages in another language; a run of them switches the conversation (see nlu.language)."""
    family: list[int] = Field(default_factory=list)
    """Patients whose phone is this WhatsApp number (a family can share one)."""
    family_checked: bool = False
    patient: int | None = None
    """The patient the current request is for."""
    dentist: int | None = None
    new_patient: bool = False
    intent: Action | None = None
    kind: str | None = None
    wanted: Wanted = Field(default_factory=Wanted)
    offered: list[OptionInfo] = Field(default_factory=list)
    appointments: list[int] = Field(default_factory=list)
    """Upcoming appointments offered for a choice (reschedule, cancel, confirm)."""
    target: int | None = None
    pending: str | None = None
    """The option id (book, reschedule) awaiting the patient's explicit yes."""
    awaiting: Awaiting = "nothing"
    details: NewPatient = Field(default_factory=NewPatient)
    failures: int = 0
    handoff: HandoffReason | None = None
    """Set by the turn that hands the conversation to staff; the edge records the handoff and clears it."""

    def finish_flow(self) -> None:
        """Forget the request, keep who the patient is and their language."""
        keep = {"language", "language_run", "family", "family_checked", "patient", "dentist", "new_patient"}
        fresh = ConversationState()
        for name in type(self).model_fields:
            if name not in keep:
                setattr(self, name, getattr(fresh, name))


def migrate(raw: dict[str, object]) -> ConversationState:
    """Read a stored state of any version; unknown or older shapes start afresh rather than fail a turn."""
    if raw.get("version") == STATE_VERSION:
        try:
            return ConversationState.model_validate(raw)
        except ValueError:
            pass
    return ConversationState(language=raw.get("language") if isinstance(raw.get("language"), str) else None)  # type: ignore[arg-type]
