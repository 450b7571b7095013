"""Conversation records and transcripts, sealed at rest.

A record holds the conversation's state for the turn handler, the wamids already handled (so a turn replayed
after a crash is recognised and not run twice) and when the patient last wrote (the 24-hour window).
Records and transcripts are kept for the retention period; per-practice indexes (scored by time) let the
console list recent, handed-off, booked and failed conversations without reading every record.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, model_validator

from bot.records.charts import ChartIndex
from bot.records.crypto import Sealer
from bot.records.storage import Storage
from flows.session import Session

RETENTION_SECONDS = 30 * 24 * 3600
INDEXES = ("recent", "handoff", "booked", "failed")
PROCESSED_KEPT = 200
WINDOW_SECONDS = 24 * 3600


class ConversationRecord(BaseModel):
    conversation: str
    practice_id: str
    user_key: str
    name: str = ""
    """The patient's WhatsApp profile name, shown to staff."""
    session: Session = Field(default_factory=Session)
    processed: list[str] = Field(default_factory=list)
    """Recently handled wamids, oldest first."""
    last_inbound_at: float = 0.0
    turns: int = 0
    owed: OwedTurn | None = None
    updated_at: float = 0.0

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, raw: Any) -> Any:
        """Records saved before the typed session kept it as a plain dict under `state`."""
        if isinstance(raw, dict) and "state" in raw and "session" not in raw:
            raw = {**raw, "session": Session.load(raw["state"])}
            raw.pop("state")
        return raw

    def handled(self, wamid: str) -> bool:
        return wamid in self.processed

    def remember(self, wamids: list[str]) -> None:
        self.processed = (self.processed + [w for w in wamids if w not in self.processed])[-PROCESSED_KEPT:]

    def window_open_until(self) -> float:
        return self.last_inbound_at + WINDOW_SECONDS


class Choice(BaseModel):
    """A button or list row as the patient saw it."""

    id: str = ""
    title: str
    description: str = ""


class TranscriptEntry(BaseModel):
    at: float
    direction: Literal["in", "out", "status", "note", "turn"]
    """A patient message, a message sent, a delivery status, a marker (handoff, resume), or a turn's trace."""
    type: str = ""
    text: str = ""
    wamid: str = ""
    status: str = ""
    turn: str = ""
    by: str = ""
    """For a message sent by staff: the operator."""
    choices: list[Choice] = Field(default_factory=list)
    """An interactive message's buttons or list rows, in order."""
    button: str = ""
    """A list message's button label (the list opens behind it)."""


_LINES = TypeAdapter(list[TranscriptEntry])
REPLAY_TAIL = 4


class _Item(BaseModel):
    """What one transcript list item holds: the lines one call appended, and the replay marker it had."""

    once: str = ""
    lines: list[TranscriptEntry]


class OwedTurn(BaseModel):
    """A turn whose state is saved but whose replies are not yet in the outbox: saved in the same write as the
    state, so a crash between the two cannot lose the replies, even when the next turn merges more messages."""

    turn: str
    replies: list[dict[str, Any]]
    transcript: list[TranscriptEntry]
    events: list[str] = Field(default_factory=list)


class Conversations:
    def __init__(
        self,
        storage: Storage,
        sealer: Sealer,
        retention_seconds: float = RETENTION_SECONDS,
        *,
        search_key: str | None = None,
    ) -> None:
        self.storage = storage
        self.sealer = sealer
        self.retention = retention_seconds
        self.charts = (
            ChartIndex(storage, sealer, search_key, retention_seconds) if search_key is not None else None
        )
        """The console's search index (keyed from CONVERSATION_KEY); None where nothing searches."""

    async def load(self, conversation: str) -> ConversationRecord | None:
        raw = await self.storage.get(f"conv:{conversation}")
        return ConversationRecord.model_validate_json(self.sealer.open(raw)) if raw else None

    async def save(self, record: ConversationRecord) -> None:
        record.updated_at = time.time()
        sealed = self.sealer.seal(record.model_dump_json().encode())
        await self.storage.set(f"conv:{record.conversation}", sealed, self.retention)

    async def add(
        self, conversation: str, entries: list[TranscriptEntry], *, once: str | None = None
    ) -> None:
        """Append to the transcript; with `once`, a replayed turn does not append the same lines again."""
        if not entries:
            return
        key = f"transcript:{conversation}"
        # A turn is replayed under its conversation's lock, right after the crash that interrupted it: if its
        # lines went in, they are among the last few items.
        if once is not None and any(item.once == once for item in await self._items(key, -REPLAY_TAIL)):
            return
        item = _Item(once=once or "", lines=entries)
        await self.storage.append(key, self.sealer.seal(item.model_dump_json(exclude_defaults=True).encode()), self.retention)  # fmt: skip

    async def touch(self, record: ConversationRecord, events: list[str], *, handed_off: bool) -> None:
        """Keep the console's indexes current after a turn (or an operator's action)."""
        now = time.time()
        await self.flag(record.practice_id, record.conversation, "recent", now)
        for event in events:
            if event in ("booked", "failed"):
                await self.flag(record.practice_id, record.conversation, event, now)
        if handed_off:
            await self.flag(record.practice_id, record.conversation, "handoff", now)
        else:
            await self.storage.index_remove(_index(record.practice_id, "handoff"), record.conversation)
        if self.charts is not None:
            members = record.session.conversation.members
            await self.charts.index(
                record.practice_id, record.conversation, record.user_key, record.name, members
            )

    async def flag(self, practice_id: str, conversation: str, index: str, at: float) -> None:
        await self.storage.index_add(_index(practice_id, index), conversation, at)

    async def listed(self, practice_id: str, index: str, count: int) -> list[tuple[str, float]]:
        """The newest conversations in an index; entries older than the retention period are dropped."""
        key = _index(practice_id, index)
        await self.storage.index_trim(key, time.time() - self.retention)
        return await self.storage.index_newest(key, count)

    async def recent(self, conversation: str, count: int) -> list[TranscriptEntry]:
        """The last `count` messages either way, reading only the transcript's tail (markers and traces skipped)."""
        items = await self._items(f"transcript:{conversation}", -2 * count)
        entries = [e for item in items for e in item.lines]
        return [e for e in entries if e.direction in ("in", "out")][-count:]

    async def transcript(self, conversation: str) -> list[TranscriptEntry]:
        return [e for item in await self._items(f"transcript:{conversation}") for e in item.lines]

    async def _items(self, key: str, start: int = 0) -> list[_Item]:
        return [self._item(raw) for raw in await self.storage.items(key, start, -1)]

    def _item(self, raw: bytes) -> _Item:
        """One stored item: a turn's lines (with the turn's replay marker), or a single line written before."""
        plain = self.sealer.open(raw)
        if plain.startswith(b"["):
            return _Item(lines=_LINES.validate_json(plain))
        if plain.startswith(b'{"lines"') or plain.startswith(b'{"once"'):
            return _Item.model_validate_json(plain)
        return _Item(lines=[TranscriptEntry.model_validate_json(plain)])


def _index(practice_id: str, index: str) -> str:
    assert index in INDEXES, index
    return f"console:{practice_id}:{index}"


ConversationRecord.model_rebuild()
