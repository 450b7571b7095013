"""The conversation's whole stored session: the flow's state, the handoff status and the failure counters.

One versioned pydantic model crosses the turn handler, the records, the console and the worker, instead of a
`dict[str, Any]` with string keys. `Session.load` reads every stored shape, today's and the earlier dict of
`{"conversation": ..., "handoff": ..., "od_failures": ...}`, so a conversation stopped halfway continues.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import BaseModel, Field

from flows.state import ConversationState, migrate

SESSION_VERSION = 2


class HandoffStatus(BaseModel):
    """Whether staff have the conversation; while active the assistant stays quiet."""

    active: bool = False
    reason: str = ""
    since: float = 0.0
    by: str = "assistant"
    """Who handed off: the assistant, or the operator's username."""
    last_staff_at: float = 0.0
    commlog_num: int | None = None

    def resumes_at(self, quiet_seconds: float) -> float:
        return max(self.since, self.last_staff_at) + quiet_seconds


class Session(BaseModel):
    version: int = SESSION_VERSION
    conversation: ConversationState = Field(default_factory=ConversationState)
    handoff: HandoffStatus = Field(default_factory=HandoffStatus)
    od_failures: int = 0
    """Turns in a row that Open Dental failed; the second hands the conversation to staff."""
    errors: int = 0
    """Turns in a row that failed inside the graph (a bug), each answered with an apology."""

    @classmethod
    def load(cls, raw: object) -> Session:
        """A stored session of any version; what cannot be read starts afresh rather than fail a turn."""
        if isinstance(raw, Session):
            return raw
        if not isinstance(raw, dict) or not raw:
            return cls()
        if raw.get("version") == SESSION_VERSION:
            with contextlib.suppress(ValueError):  # a damaged session: read what the older shape can
                return cls.model_validate(raw)
        return cls._from_version_1(raw)

    @classmethod
    def _from_version_1(cls, raw: dict[str, Any]) -> Session:
        handoff = raw.get("handoff") if isinstance(raw.get("handoff"), dict) else {}
        failures = raw.get("od_failures")
        try:
            status = HandoffStatus.model_validate(handoff)
        except ValueError:
            status = HandoffStatus()
        conversation = raw.get("conversation")
        return cls(
            conversation=migrate(conversation if isinstance(conversation, dict) else {}),
            handoff=status,
            od_failures=failures if isinstance(failures, int) else 0,
        )

    def taken_over(self, operator: str, now: float) -> Session:
        """An operator takes the conversation; an existing handoff keeps its reason and commlog."""
        status = self.handoff.model_copy()
        if not status.active:
            status = HandoffStatus(active=True, reason="operator", since=now, by=operator)
        status.last_staff_at = now
        return self.model_copy(update={"handoff": status})

    def released(self) -> Session:
        return self.model_copy(update={"handoff": HandoffStatus()})
