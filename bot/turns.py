"""The turn handler port: one conversation turn in, the new state and the replies out.

The conversation engine plugs in here. Until it exists, `EchoHandler` proves the pipeline end to end.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field

from bot.events import InboundMessage
from bot.whatsapp import messages

UNSUPPORTED_REPLY = (
    "Sorry, I can only read text messages and taps on buttons for now. Could you type what you need?"
)


class Turn(BaseModel):
    conversation: str
    practice_id: str
    user_key: str
    name: str = ""
    messages: list[InboundMessage]
    """The patient's messages since the last turn, in order (a burst is merged into one turn)."""
    state: dict[str, Any] = Field(default_factory=dict)


class TurnResult(BaseModel):
    state: dict[str, Any]
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


class EchoHandler:
    """Repeats what it understood in one reply; answers anything else with a polite request for text."""

    async def __call__(self, turn: Turn) -> TurnResult:
        to = messages.recipient(turn.user_key)
        understood = [m for m in turn.messages if m.understood]
        turns = int(turn.state.get("turns", 0)) + 1
        if not understood:
            if not any(m.type not in ("reaction", "system", "revoke") for m in turn.messages):
                return TurnResult(state={**turn.state, "turns": turns}, replies=[])
            return TurnResult(
                state={**turn.state, "turns": turns}, replies=[messages.text(to, UNSUPPORTED_REPLY)]
            )
        said = " / ".join(m.text or m.choice_id or "" for m in understood)
        reply = messages.buttons(
            to, f"You said: {said}", [("echo:again", "Say more"), ("echo:done", "That's all")]
        )
        return TurnResult(state={**turn.state, "turns": turns, "last": said[:200]}, replies=[reply])
