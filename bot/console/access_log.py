"""Who looked at which transcript, and who acted on which conversation: kept sealed, shown to administrators."""

from __future__ import annotations

import logging
import time

from pydantic import BaseModel

from bot.records.crypto import Sealer
from bot.records.storage import Storage

logger = logging.getLogger(__name__)
KEY = "console-access-log"


class Access(BaseModel):
    at: float
    operator: str
    action: str
    """view, take_over, reply, template, release; lockout_*, csrf_refused, end_session, remove_operator."""
    conversation: str
    practice_id: str
    detail: str = ""
    """What a security entry is about (an address, which limit), for the entries without a conversation."""


class AccessLog:
    def __init__(self, storage: Storage, sealer: Sealer, retention_seconds: float) -> None:
        self.storage = storage
        self.sealer = sealer
        self.retention = retention_seconds

    async def record(
        self, operator: str, action: str, conversation: str, practice_id: str, *, detail: str = ""
    ) -> None:
        entry = Access(
            at=time.time(),
            operator=operator,
            action=action,
            conversation=conversation,
            practice_id=practice_id,
            detail=detail[:300],
        )
        await self.storage.append(KEY, self.sealer.seal(entry.model_dump_json().encode()), self.retention)
        # The conversation id is a keyed hash and the operator is staff: neither is patient data. The detail
        # (addresses) stays in the sealed log.
        logger.info("console %s by %s on conversation %s", action, operator, conversation or "-")

    async def latest(self, count: int = 200) -> list[Access]:
        raw = await self.storage.items(KEY, -count, -1)
        return [Access.model_validate_json(self.sealer.open(r)) for r in reversed(raw)]
