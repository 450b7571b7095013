"""Console sessions kept on the server: the cookie holds only an opaque random id, the record lives in the
bot's storage (Redis in production), sealed like every other record.

A session ends when its operator signs out, when an administrator ends it, and, all of an operator's at once,
when the account is replaced (a password reset or a role change) or removed. Records are stored under a hash
of the id, so what Redis holds cannot be replayed as a cookie, and administrators address sessions by that
hash (the "handle"), never by the id itself.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time

from pydantic import BaseModel, ValidationError

from bot.records.crypto import Sealer, SealError
from bot.records.storage import Storage

logger = logging.getLogger(__name__)
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
HANDLE = re.compile(r"^[0-9a-f]{32}$")
TOUCH_SECONDS = 60.0


class ConsoleSession(BaseModel):
    handle: str
    username: str
    account_stamp: float
    """The account's `created_at` at sign-in: a replaced account has a new one, so its old sessions fail."""
    csrf: str
    created_at: float
    last_seen: float
    address: str
    agent: str


class Sessions:
    def __init__(self, storage: Storage, sealer: Sealer, ttl_seconds: float = 8 * 3600) -> None:
        self.storage = storage
        self.sealer = sealer
        self.ttl = ttl_seconds

    async def start(
        self, username: str, account_stamp: float, address: str, agent: str
    ) -> tuple[str, ConsoleSession]:
        """A new session; returns the id for the cookie and the record."""
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        session = ConsoleSession(
            handle=handle_of(session_id),
            username=username,
            account_stamp=account_stamp,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            last_seen=now,
            address=address[:64],
            agent=agent[:160],
        )
        await self._save(session, self.ttl)
        await self.storage.index_add(_index(username), session.handle, now)
        return session_id, session

    async def get(self, session_id: str) -> ConsoleSession | None:
        """The live session for a cookie's id; None for a malformed, forged, expired or ended one."""
        if not SESSION_ID.match(session_id):
            return None
        session = await self._load(handle_of(session_id))
        if session is None:
            return None
        now = time.time()
        if now - session.created_at > self.ttl:
            await self.end(session.username, session.handle)
            return None
        if now - session.last_seen > TOUCH_SECONDS:  # at most one write a minute, not one per poll
            session.last_seen = now
            await self._save(session, self.ttl - (now - session.created_at))
        return session

    async def end(self, username: str, handle: str) -> bool:
        """End one session of `username`; False when there was none."""
        if not HANDLE.match(handle):
            return False
        session = await self._load(handle)
        await self.storage.index_remove(_index(username), handle)
        if session is None or session.username != username:
            return False
        await self.storage.delete(_key(handle))
        return True

    async def end_all(self, username: str) -> int:
        """End every session of `username`; returns how many were live."""
        ended = 0
        for handle, _ in await self.storage.index_newest(_index(username), 1000):
            ended += await self.end(username, handle)
        if ended:
            logger.info("ended %d console sessions of %s", ended, username)
        return ended

    async def of(self, username: str) -> list[ConsoleSession]:
        """The live sessions of `username`, newest first (index entries of expired ones are dropped)."""
        found = []
        for handle, _ in await self.storage.index_newest(_index(username), 1000):
            session = await self._load(handle)
            if session is None or session.username != username:
                await self.storage.index_remove(_index(username), handle)
            else:
                found.append(session)
        return found

    async def _save(self, session: ConsoleSession, ttl: float) -> None:
        sealed = self.sealer.seal(session.model_dump_json().encode())
        await self.storage.set(_key(session.handle), sealed, max(ttl, 1.0))

    async def _load(self, handle: str) -> ConsoleSession | None:
        raw = await self.storage.get(_key(handle))
        if raw is None:
            return None
        try:
            return ConsoleSession.model_validate_json(self.sealer.open(raw))
        except (SealError, ValidationError):
            return None  # sealed with a retired key, or from an older layout: signing in again fixes it


def handle_of(session_id: str) -> str:
    return hashlib.sha256(f"console-session:{session_id}".encode()).hexdigest()[:32]


def _key(handle: str) -> str:
    return f"console-session:{handle}"


def _index(username: str) -> str:
    return f"console-sessions:{username}"
