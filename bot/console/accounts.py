"""Operator accounts: argon2 password hashes (checked off the event loop) and two roles.

Accounts are sealed in the bot's storage like every other record. An unknown name still costs one hash check,
so neither the answer nor its timing tells an attacker which usernames are real. Replacing an account (a
password reset, a role change) or removing it ends every console session it had. Throttling failed sign-ins
is `bot.console.signin`'s job.
"""

from __future__ import annotations

import logging
import re
import time
from enum import StrEnum

from pydantic import BaseModel, Field

from bot.console.hashing import PasswordHashing
from bot.console.sessions import Sessions
from bot.records.crypto import Sealer, SealError
from bot.records.storage import Storage

logger = logging.getLogger(__name__)
ACCOUNT_TTL = 10 * 365 * 24 * 3600
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # longer is refused unhashed: nobody types it, and hashing it is work for an attacker
USERNAME = r"^[a-z0-9][a-z0-9._-]{1,39}$"


class Role(StrEnum):
    OPERATOR = "operator"
    """Sees and acts on the conversations of their own practices."""
    ADMIN = "admin"
    """The integrator: every practice, and manages operators."""


class Operator(BaseModel):
    username: str = Field(pattern=USERNAME)
    password_hash: str
    role: Role = Role.OPERATOR
    practices: list[str] = Field(default_factory=list)
    """The phone_number_ids whose conversations a practice operator may see."""
    created_at: float = 0.0

    def can_see(self, practice_id: str) -> bool:
        return self.role is Role.ADMIN or practice_id in self.practices


class AccountError(ValueError):
    """An account cannot be created as asked; the message says why."""


class Accounts:
    def __init__(
        self, storage: Storage, sealer: Sealer, hashing: PasswordHashing, sessions: Sessions
    ) -> None:
        self.storage = storage
        self.sealer = sealer
        self.hashing = hashing
        self.sessions = sessions
        self._dummy = ""

    async def _dummy_hash(self) -> str:
        """Checked against when the name is unknown; made on first need, not at start-up."""
        if not self._dummy:
            self._dummy = await self.hashing.hash("not a real password, only spends the time a check takes")
        return self._dummy

    async def add(
        self, username: str, password: str, role: Role, practices: list[str], *, replace: bool = False
    ) -> Operator:
        if not re.match(USERNAME, username.lower()):
            raise AccountError("a username is 2 to 40 lowercase letters, digits, dots, dashes or underscores")
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise AccountError(
                f"the password needs at least {MIN_PASSWORD} characters (and at most {MAX_PASSWORD})"
            )
        if role is Role.OPERATOR and not practices:
            raise AccountError("a practice operator needs at least one practice (--practice PHONE_NUMBER_ID)")
        operator = Operator(
            username=username.lower(),
            password_hash=await self.hashing.hash(password),
            role=role,
            practices=practices,
            created_at=time.time(),
        )
        sealed = self.sealer.seal(operator.model_dump_json().encode())
        if replace:
            await self.storage.set(_key(operator.username), sealed, ACCOUNT_TTL)
            # A reset password or a changed role: whoever holds an old session must sign in again.
            await self.sessions.end_all(operator.username)
        elif not await self.storage.claim(_key(operator.username), sealed, ACCOUNT_TTL):
            raise AccountError(f"operator {operator.username!r} exists already")
        await self.storage.index_add("operators", operator.username, operator.created_at)
        return operator

    async def get(self, username: str) -> Operator | None:
        raw = await self.storage.get(_key(username.lower()))
        if raw is None:
            return None
        try:
            return Operator.model_validate_json(self.sealer.open(raw))
        except SealError:
            logger.warning("an operator account is sealed with a key no longer configured; it cannot sign in")
            return None

    async def all(self) -> list[Operator]:
        names = [name for name, _ in await self.storage.index_newest("operators", 1000)]
        found = [await self.get(name) for name in names]
        return [o for o in found if o is not None]

    async def remove(self, username: str) -> bool:
        """Delete the account and end its sessions; False when there was none."""
        name = username.lower()
        existed = await self.storage.get(_key(name)) is not None
        await self.storage.delete(_key(name))
        await self.storage.index_remove("operators", name)
        await self.sessions.end_all(name)
        return existed

    async def check(self, username: str, password: str) -> Operator | None:
        """The operator when the password is theirs, else None (one hash check either way)."""
        name = username.strip().lower()[:64]
        if len(password) > MAX_PASSWORD:
            return None
        operator = await self.get(name) if re.match(USERNAME, name) else None
        if operator is None:
            await self.hashing.verify(await self._dummy_hash(), password)
            return None
        return operator if await self.hashing.verify(operator.password_hash, password) else None


def _key(username: str) -> str:
    return f"operator:{username}"
