"""What the product keeps, sealed at rest: conversation records and transcripts, the outbox of replies, the
storage under them, and the keys that seal them."""

from bot.records.conversations import ConversationRecord, Conversations, TranscriptEntry
from bot.records.crypto import Sealer, SealError, conversation_id, keyed_hash, new_key
from bot.records.outbox import Outbox, OutboxRecord
from bot.records.storage import MemoryStorage, RedisStorage, SealedStore, Storage

__all__ = [
    "ConversationRecord", "Conversations", "MemoryStorage", "Outbox", "OutboxRecord", "RedisStorage", "SealError",
    "SealedStore", "Sealer", "Storage", "TranscriptEntry", "conversation_id", "keyed_hash", "new_key",
]  # fmt: skip
