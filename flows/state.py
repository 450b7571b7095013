"""The conversation's state between turns: compact, JSON-able, versioned.

It holds ids and choices, never rendered text or clients. Rendering happens at send time in the patient's
language; Open Dental data is re-read through the ports when it is needed.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from flows.nlu.understanding import When
from flows.ports import OptionInfo

STATE_VERSION = 2
Awaiting = Literal["nothing", "who", "details", "read_back", "kind", "option", "confirm", "which"]
Action = Literal["book", "reschedule", "cancel", "confirm"]
HandoffReason = Literal[
    "asked", "emergency", "not_understood", "billing", "clinical", "open_dental", "assistant_error"
]


class Member(BaseModel):
    """A patient on this phone, as the identify step found them (sealed at rest with the whole record)."""

    pat_num: int
    first_name: str
    last_name: str = ""
    """For the console's title and search (the conversation itself addresses patients by first name)."""
    birthdate: date | None = None
    dentist: int | None = None
    guarantor: int = 0
    language: str | None = None


class Wanted(When):
    """What the patient asked for, kept across turns and corrected by later messages."""


class NewPatient(BaseModel):
    first_name: str | None = None
    last_name: str | None = None
    birthdate: date | None = None

    @property
    def complete(self) -> bool:
        return bool(self.first_name and self.last_name and self.birthdate)


class Confirmation(BaseModel):
    """A confirmation question the patient said yes to, and what that yes wrote: a second yes to the same
    question replays that write (its key is the question's nonce), it never makes another."""

    nonce: str
    intent: Action
    pending: str | None = None
    target: int | None = None


class Reminded(BaseModel):
    """A reminder this phone was sent: its buttons name it, and a reply while nothing else is asked is read about
    its visit. Kept until the visit starts."""

    id: str
    apt_num: int
    pat_num: int
    start: datetime
    """The visit's local start, naive, as the reminder named it: a tap is honoured only while it still holds."""
    provider: str = ""
    step: str = ""
    ask_confirm: bool = False
    first_name: str = ""
    answered: bool = False


class Offered(BaseModel):
    """A freed time offered to this phone (refill): its buttons name the offer, which only the ledger knows."""

    id: str
    pat_num: int
    apt_num: int
    """The patient's visit the opening would replace (moved to the opening's time)."""
    start: datetime
    """The opening's local start, naive."""
    current: datetime
    """The visit's time now."""
    provider: str = ""
    first_name: str = ""


class ConversationState(BaseModel):
    version: int = STATE_VERSION
    language: str | None = None
    script: str | None = None
    """A script variant of the language: "Latn" for Hindi written in Latin letters (answered from hi-Latn)."""
    language_run: tuple[str, int] | None = None
    """Consecutive messages in another language; a run of them switches the conversation (see nlu.language)."""
    family: list[int] = Field(default_factory=list)
    """Patients whose phone is this WhatsApp number (a family can share one)."""
    members: list[Member] = Field(default_factory=list)
    """The same patients with what the conversation needs of them (first name, birthdate, dentist)."""
    family_checked: bool = False
    """The identify step has asked Open Dental who is on this phone (once per conversation)."""
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
    nonce: str | None = None
    """The open confirmation question's nonce: its buttons carry it, and the write's idempotency key is made of it."""
    confirmed: Confirmation | None = None
    """The last question answered with a yes (kept when the flow ends)."""
    details: NewPatient = Field(default_factory=NewPatient)
    failures: int = 0
    """Messages in a row the assistant did not understand; enough of them hand the conversation to staff."""
    reminders: list[Reminded] = Field(default_factory=list)
    """The reminders sent to this phone whose visits are still ahead, oldest first."""
    offers: list[Offered] = Field(default_factory=list)
    """Freed times offered to this phone that are still ahead, oldest first."""

    def live_reminder(self) -> Reminded | None:
        """The newest reminder not answered yet: what a bare "yes" or "can we make it later?" is about."""
        return next((r for r in reversed(self.reminders) if not r.answered), None)

    def finish_flow(self) -> None:
        """Forget the request, keep who the patient is and their language."""
        keep = {"language", "script", "language_run", "family", "members", "family_checked", "patient", "dentist", "new_patient", "confirmed", "reminders", "offers"}  # fmt: skip
        fresh = ConversationState()
        for name in type(self).model_fields:
            if name not in keep:
                setattr(self, name, getattr(fresh, name))

    def finished(self) -> ConversationState:
        """A copy with the request forgotten (see `finish_flow`)."""
        copy = self.model_copy(deep=True)
        copy.finish_flow()
        return copy


def migrate(raw: dict[str, object]) -> ConversationState:
    """Read a stored state of any version; unknown shapes start afresh rather than fail a turn."""
    if raw.get("version") == STATE_VERSION:
        with contextlib.suppress(ValueError):  # a damaged record: read it as an older shape, or start afresh
            return ConversationState.model_validate(raw)
    if raw.get("version") == 1:
        # Version 1 kept only the family's ids: the identify step looks the phone up again for their names.
        upgraded = {
            k: v for k, v in raw.items() if k not in ("version", "handoff", "family", "family_checked")
        }
        with contextlib.suppress(ValueError):
            return ConversationState.model_validate(upgraded)
    language = raw.get("language")
    return ConversationState(language=language if isinstance(language, str) else None)
