"""Operator accounts: argon2 password hashes, two roles, and a lockout after repeated failed sign-ins.

Accounts are sealed in the bot's storage like every other record. A failed sign-in counts against the
username whether or not it exists, and an unknown name still costs one hash check, so neither the answer nor
its timing tells an attacker which usernames are real.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from enum import StrEnum
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, Field

from bot.crypto import Sealer, SealError
from bot.storage import Storage

logger = logging.getLogger(__name__)
ACCOUNT_TTL = 10 * 365 * 24 * 3600
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
MIN_PASSWORD = 12
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


SignIn = Literal["ok", "wrong", "locked"]


class AccountError(ValueError):
    """An account cannot be created as asked; the message says why."""


class Accounts:
    def __init__(self, storage: Storage, sealer: Sealer, hasher: PasswordHasher | None = None) -> None:
        self.storage = storage
        self.sealer = sealer
        self.hasher = hasher or PasswordHasher()

    @functools.cached_property
    def _dummy(self) -> str:
        """Checked against when the name is unknown; made on first need, not at start-up."""
        return self.hasher.hash("not a real password, only spends the time a check takes")

    async def add(
        self, username: str, password: str, role: Role, practices: list[str], *, replace: bool = False
    ) -> Operator:
        if not re.match(USERNAME, username.lower()):
            raise AccountError("a username is 2 to 40 lowercase letters, digits, dots, dashes or underscores")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
        if role is Role.OPERATOR and not practices:
            raise AccountError("a practice operator needs at least one practice (--practice PHONE_NUMBER_ID)")
        operator = Operator(
            username=username.lower(),
            password_hash=self.hasher.hash(password),
            role=role,
            practices=practices,
            created_at=time.time(),
        )
        sealed = self.sealer.seal(operator.model_dump_json().encode())
        if replace:
            await self.storage.set(_key(operator.username), sealed, ACCOUNT_TTL)
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

    async def sign_in(self, username: str, password: str) -> tuple[SignIn, Operator | None]:
        name = username.strip().lower()[:64]
        failures_key = f"sign-in-failures:{name}"
        if int(await self.storage.get(failures_key) or b"0") >= MAX_FAILURES:
            return "locked", None
        operator = await self.get(name)
        if operator is not None and self._matches(operator.password_hash, password):
            await self.storage.delete(failures_key)
            return "ok", operator
        if operator is None:
            self._matches(self._dummy, password)
        failures = await self.storage.incr(failures_key, LOCKOUT_SECONDS)
        return ("locked" if failures >= MAX_FAILURES else "wrong"), None

    def _matches(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _key(username: str) -> str:
    return f"operator:{username}"
