"""What one graph run works on: the turn's data (graph state) and its collaborators (the run's context)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from pydantic import BaseModel

from flows.nlu.language import LanguageDetector
from flows.nlu.understanding import Understanding
from flows.ports import Office, PracticeFacts
from flows.replies import Reply
from flows.state import ConversationState

Understand = Callable[[str, datetime, str, ConversationState], Awaitable[Understanding]]


class ActionTaken(BaseModel):
    """A write this turn made in Open Dental, for the transcript and the metrics."""

    action: str
    apt_num: int
    commlog_num: int | None = None


class TurnState(TypedDict, total=False):
    conv: ConversationState
    """The conversation's state, updated by the nodes."""
    texts: list[str]
    """What the patient typed this turn (a burst of messages merged)."""
    choice_id: str | None
    """The id of the button or list row the patient tapped, if any."""
    u: Understanding
    """What the understanding node read from the texts."""
    language_switched: bool
    """The patient asked for another language this turn."""
    replies: list[Reply]
    actions: list[ActionTaken]


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
