"""Signing in without letting anyone lock staff out: exponential backoff per client address and per account,
and device cookies (OWASP's "device cookie" pattern) that exempt a browser which signed in before.

- After `free` failures, each further attempt must wait `base * 2**(failures - free)` seconds (capped) after
  the last failure; attempts made during the wait are refused unhashed and are not counted, so a flood costs
  the server almost nothing and does not lengthen the wait. Counters expire `window` seconds after the first
  failure.
- A browser that signed in successfully carries a device cookie naming the account, signed with a key derived
  from CONSOLE_SECRET. Signing in to that account with it skips the per-account and per-address limits, so
  an attacker hammering the account from elsewhere cannot keep its operator out; its own failures count
  against the cookie alone, and a cookie with too many failures is trusted no more.
- The first failure that starts a wait is written to the access log, naming the address or account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from bot.console.access_log import AccessLog
from bot.console.accounts import USERNAME, Accounts, Operator
from bot.console.hashing import HashQueueFull
from bot.records.storage import Storage

logger = logging.getLogger(__name__)
Scope = Literal["address", "account", "device"]


@dataclass(frozen=True)
class Limit:
    free: int
    """Failures allowed before any wait."""
    base_seconds: float
    max_seconds: float
    window_seconds: float


LIMITS: dict[Scope, Limit] = {
    # An office behind one address holds several operators, so the address gets more tries than an account.
    "address": Limit(free=20, base_seconds=1, max_seconds=300, window_seconds=3600),
    "account": Limit(free=5, base_seconds=2, max_seconds=120, window_seconds=900),
    "device": Limit(free=10, base_seconds=2, max_seconds=300, window_seconds=3600),
}


@dataclass(frozen=True)
class SignedIn:
    operator: Operator


@dataclass(frozen=True)
class Wrong:
    """A sign-in refused for its username or password (which one is never said)."""


@dataclass(frozen=True)
class Throttled:
    scope: Scope
    retry_after: float


class Backoff:
    """Failure counters with exponential backoff, kept in the bot's storage so every process shares them."""

    def __init__(self, storage: Storage, limits: dict[Scope, Limit] | None = None) -> None:
        self.storage = storage
        self.limits = limits or LIMITS

    async def wait(self, scope: Scope, subject: str) -> float:
        """Seconds until `subject` may try again (0: now)."""
        failures = int(await self.storage.get(_key(scope, subject, "n")) or b"0")
        limit = self.limits[scope]
        if failures < limit.free:
            return 0.0
        last = float(await self.storage.get(_key(scope, subject, "at")) or b"0")
        delay: float = min(limit.max_seconds, limit.base_seconds * 2 ** (failures - limit.free))
        return max(0.0, last + delay - time.time())

    async def failed(self, scope: Scope, subject: str) -> bool:
        """Count a failure; True when this one starts the waits (the moment worth an audit entry)."""
        limit = self.limits[scope]
        failures = await self.storage.incr(_key(scope, subject, "n"), limit.window_seconds)
        await self.storage.set(_key(scope, subject, "at"), str(time.time()).encode(), limit.window_seconds)
        return failures == limit.free

    async def clear(self, scope: Scope, subject: str) -> None:
        await self.storage.delete(_key(scope, subject, "n"))
        await self.storage.delete(_key(scope, subject, "at"))


class DeviceCookies:
    """`username.nonce.mac`: proof that this browser once signed in as `username`."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(f"console-device:{secret}".encode()).digest()

    def issue(self, username: str) -> str:
        nonce = secrets.token_urlsafe(16)
        return f"{username}.{nonce}.{self._mac(username, nonce)}"

    def read(self, value: str) -> tuple[str, str] | None:
        """(username, nonce) of a genuine cookie, else None."""
        parts = value.split(".")
        if len(value) > 200 or len(parts) < 3:
            return None
        username, nonce, mac = ".".join(parts[:-2]), parts[-2], parts[-1]
        if not hmac.compare_digest(mac.encode(), self._mac(username, nonce).encode()):
            return None
        return username, nonce

    def _mac(self, username: str, nonce: str) -> str:
        digest = hmac.new(self._key, f"{username}.{nonce}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()


class SignInGuard:
    def __init__(
        self, accounts: Accounts, backoff: Backoff, devices: DeviceCookies, access: AccessLog
    ) -> None:
        self.accounts = accounts
        self.backoff = backoff
        self.devices = devices
        self.access = access

    async def sign_in(
        self, username: str, password: str, address: str, device_cookie: str
    ) -> SignedIn | Wrong | Throttled:
        """Check the password unless a limit says wait; `HashQueueFull` passes through (the caller says 429)."""
        if self.accounts.hashing.full:  # answered before any Redis round trip: a flood's retries cost little
            raise HashQueueFull
        name = username.strip().lower()[:64]
        device = self.devices.read(device_cookie) if device_cookie else None
        trusted = device is not None and device[0] == name
        subjects: list[tuple[Scope, str]] = (
            [("device", device[1])] if trusted and device else [("address", address), ("account", name)]
        )
        for scope, subject in subjects:
            if (retry := await self.backoff.wait(scope, subject)) > 0:
                logger.info("console sign-in throttled by its %s", scope)
                return Throttled(scope, retry)
        operator = await self.accounts.check(name, password)
        if operator is not None:
            for scope, subject in subjects:
                await self.backoff.clear(scope, subject)
            return SignedIn(operator)
        for scope, subject in subjects:
            if await self.backoff.failed(scope, subject):
                await self._audit(scope, name, address)
        return Wrong()

    async def _audit(self, scope: Scope, name: str, address: str) -> None:
        limit = self.backoff.limits[scope]
        what = {
            "address": f"address {address}",
            "account": f"account {name}",
            "device": f"a device of {name}",
        }
        detail = f"{limit.free} failed sign-ins for {what[scope]}: next tries wait, doubling up to {limit.max_seconds:g} s"
        who = name if scope != "address" and re.match(USERNAME, name) else "-"  # never raw attacker input
        await self.access.record(who, f"lockout_{scope}", "", "", detail=detail)


def _key(scope: Scope, subject: str, part: str) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]  # an address or a name of any length
    return f"sign-in:{scope}:{digest}:{part}"
