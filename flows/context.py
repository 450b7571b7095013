"""What one graph run works on: the turn's data (graph state) and its collaborators (the run's context)."""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, TypedDict

from pydantic import BaseModel

from flows.choices import Tap
from flows.nlu.language import LanguageDetector
from flows.nlu.understanding import Understanding
from flows.ports import AppointmentInfo, Office, OptionInfo, PracticeFacts
from flows.replies import Reply
from flows.session import HandoffStatus
from flows.state import ConversationState, HandoffReason, Offered, Reminded

Understand = Callable[[str, datetime, str, ConversationState], Awaitable[Understanding]]
Then = Literal[
    "language", "offer", "upcoming", "ahead", "who", "hand_off", "reminded", "opt_out", "opening_answer"
]
"""Where the identify step continues: the step that needed to know who is on the phone."""


class ActionTaken(BaseModel):
    """A write this turn made in Open Dental, for the transcript, the metrics and an apology that says it."""

    action: Literal["book", "reschedule", "cancel", "confirm", "create_patient", "handoff"]
    reason: str = ""
    """For a handoff: why."""
    apt_num: int = 0
    pat_num: int = 0
    start: datetime | None = None
    provider: str = ""
    commlog_num: int | None = None

    @classmethod
    def on(
        cls, action: Literal["book", "reschedule", "cancel", "confirm"], visit: AppointmentInfo
    ) -> ActionTaken:
        """The write `action` made on `visit`, as Open Dental answered it."""
        return cls(
            action=action,
            apt_num=visit.apt_num,
            pat_num=visit.pat_num,
            start=visit.start,
            provider=visit.provider,
            commlog_num=visit.commlog_num,
        )


class Cue(BaseModel):
    """A message a scheduler sends to this phone, a turn of its own under the conversation's lock: a reminder,
    or a freed time offered (refill). Exactly one of the two."""

    reminder: Reminded | None = None
    offer: Offered | None = None
    language: str | None = None
    """The chart's language (ISO 639-1), for a conversation that has none yet."""

    @property
    def id(self) -> str:
        """The queue's dedupe key and the turn's message id are made of it: a second copy is dropped."""
        if self.reminder is not None:
            return f"reminder.{self.reminder.id}"
        assert self.offer is not None, "a cue carries a reminder or an offer"
        return f"refill.{self.offer.id}"


class Replace(list[Reply]):
    """Replies that replace those queued so far this turn (an Open Dental failure says only that)."""


def more_replies(queued: list[Reply], new: list[Reply]) -> list[Reply]:
    return list(new) if isinstance(new, Replace) else [*queued, *new]


class Line(BaseModel):
    """A line of the transcript, for the handoff note on the chart."""

    direction: Literal["in", "out"]
    text: str


class TurnState(TypedDict, total=False):
    conv: ConversationState
    """The conversation's state; each node returns a new one rather than changing it."""
    handoff: HandoffStatus
    od_failures: int
    errors: int
    """Turns in a row that failed inside the graph (see `Session.errors`)."""
    before: ConversationState
    """The state the turn started from, restored when Open Dental fails before anything was written."""
    texts: list[str]
    """What the patient typed this turn (a burst of messages merged)."""
    tap: Tap | None
    """The button or list row the patient tapped, if any."""
    cue: Cue
    """The reminder or offer this turn sends (a scheduler's turn, not the patient's)."""
    opt_out: bool
    """The patient wrote STOP (True) or START (False)."""
    write_key: str
    """The idempotency key of the write that follows, when the step that chose it names the attempt (a reminder's
    Confirm is one attempt however often it is tapped)."""
    readable: bool
    """The turn had something to read: text or a tap (not only an image or a sticker)."""
    silent: bool
    """Nothing in the turn asks for an answer (reactions, edits, deleted messages, system notices)."""
    understood: Understanding
    """What the understanding node read from the texts."""
    language_switched: bool
    reading: str
    """The language the patient's words are read in this turn."""
    then: Then
    """Where the identify step goes next."""
    found: list[OptionInfo]
    """Options a search or a lost race just produced, for `present`."""
    visits: list[AppointmentInfo]
    """The family's upcoming visits, read this turn, for `pick` (or for the menu: `ahead`)."""
    menu_for: Literal["greet", "fallback"]
    """The step whose menu `ahead` reads the upcoming visits for."""
    reason: HandoffReason
    """Why `escalate` hands the conversation to staff."""
    asking: bool
    """The step is reached to ask its question (not with the patient's answer to it)."""
    later: bool
    """The patient asked for other times: the search looks beyond the days shown."""
    nearby: bool
    """Nothing matched what was asked: `found` holds the nearest times instead (see flows/nearest.py)."""
    chosen: AppointmentInfo
    """The visit `pick` settled on, for the question or the write that follows."""
    outcome_unknown: bool
    """An Open Dental write whose outcome is unknown: staff must check the book."""
    replies: Annotated[list[Reply], more_replies]
    actions: Annotated[list[ActionTaken], operator.add]
    notes: Annotated[list[str], operator.add]
    """Markers for the transcript: a handoff, a resume."""
    events: Annotated[list[str], operator.add]
    """What happened, for the console's filters: booked, failed, handoff, resumed, paused."""


@dataclass(frozen=True)
class Deps:
    office: Office
    practice: PracticeFacts
    now: datetime
    """Now in the practice's time zone (aware)."""
    user_key: str
    conversation: str
    understand: Understand
    languages: LanguageDetector
    recent: Callable[[int], Awaitable[list[Line]]]
    """The conversation's last lines, read only when a handoff note is written."""
    turn: str = ""
    """This turn's id, the same when it is replayed: confirmation nonces and write keys are made from it."""

    def nonce(self, purpose: str) -> str:
        """A nonce for one question asked this turn (stable if the turn is replayed after a crash)."""
        seed = f"{self.conversation}:{self.turn or self.now.isoformat()}:{purpose}"
        return hashlib.sha256(seed.encode()).hexdigest()[:12]
