"""Conversation records and transcripts, sealed at rest.

A record holds the conversation's state for the turn handler, the wamids already handled (so a turn replayed
after a crash is recognised and not run twice) and when the patient last wrote (the 24-hour window).
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.crypto import Sealer
from bot.storage import Storage

RECORD_TTL = 30 * 24 * 3600
PROCESSED_KEPT = 200
WINDOW_SECONDS = 24 * 3600


class ConversationRecord(BaseModel):
    conversation: str
    practice_id: str
    user_key: str
    state: dict[str, Any] = Field(default_factory=dict)
    processed: list[str] = Field(default_factory=list)
    """Recently handled wamids, oldest first."""
    last_inbound_at: float = 0.0
    turns: int = 0
    updated_at: float = 0.0

    def handled(self, wamid: str) -> bool:
        return wamid in self.processed

    def remember(self, wamids: list[str]) -> None:
        self.processed = (self.processed + [w for w in wamids if w not in self.processed])[-PROCESSED_KEPT:]

    def window_open_until(self) -> float:
        return self.last_inbound_at + WINDOW_SECONDS


class TranscriptEntry(BaseModel):
    at: float
    direction: Literal["in", "out", "status", "note"]
    type: str = ""
    text: str = ""
    wamid: str = ""
    status: str = ""
    turn: str = ""


class Conversations:
    def __init__(self, storage: Storage, sealer: Sealer) -> None:
        self.storage = storage
        self.sealer = sealer

    async def load(self, conversation: str) -> ConversationRecord | None:
        raw = await self.storage.get(f"conv:{conversation}")
        return ConversationRecord.model_validate_json(self.sealer.open(raw)) if raw else None

    async def save(self, record: ConversationRecord) -> None:
        record.updated_at = time.time()
        sealed = self.sealer.seal(record.model_dump_json().encode())
        await self.storage.set(f"conv:{record.conversation}", sealed, RECORD_TTL)

    async def add(
        self, conversation: str, entries: list[TranscriptEntry], *, once: str | None = None
    ) -> None:
        """Append to the transcript; with `once`, a replayed turn does not append the same lines again."""
        if once is not None and not await self.storage.claim(f"transcript-once:{once}", b"1", RECORD_TTL):
            return
        for entry in entries:
            await self.storage.append(
                f"transcript:{conversation}", self.sealer.seal(entry.model_dump_json().encode()), RECORD_TTL
            )

    async def transcript(self, conversation: str) -> list[TranscriptEntry]:
        return [
            TranscriptEntry.model_validate_json(self.sealer.open(raw))
            for raw in await self.storage.items(f"transcript:{conversation}")
        ]
