"""The turn handler port: one conversation turn in, the new session and the replies out."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field

from bot.whatsapp.events import InboundMessage
from flows.session import Session


class Turn(BaseModel):
    id: str = ""
    """Names this turn's attempt (a hash of its queue entries): the same after a replay, new for each turn."""
    conversation: str
    practice_id: str
    user_key: str
    name: str = ""
    messages: list[InboundMessage]
    """The patient's messages since the last turn, in order (a burst is merged into one turn)."""
    session: Session = Field(default_factory=Session)


class TurnResult(BaseModel):
    session: Session
    replies: list[dict[str, Any]]
    """Cloud API message bodies, usually one: replies are combined to respect the per-user pair limit."""
    trace: dict[str, Any] | None = None
    """What the turn understood, its path through the graph and its Open Dental writes (for operators)."""
    notes: list[str] = Field(default_factory=list)
    """Markers for the transcript: a handoff, a resume."""
    events: list[str] = Field(default_factory=list)
    """What happened, for the console's filters: booked, failed, handoff, resumed."""


class TurnHandler(Protocol):
    async def __call__(self, turn: Turn) -> TurnResult: ...
