"""Who a conversation is on the chart, for the console: its title and a searchable index without plaintext PHI.

Once the identify step has found the patients on a phone, their names and PatNums live in the (sealed)
conversation record. The console searches them through keyed-hash tokens: every name word (case- and
accent-folded) and its prefixes of three letters or more, the WhatsApp number's trailing digits, and each
PatNum. Each token is a per-practice scored set of conversation ids, so Redis holds HMACs and ids only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from pydantic import BaseModel

from bot.records.crypto import Sealer
from bot.records.storage import Storage
from flows.nlu.lexicon import fold
from flows.state import Member

MIN_PREFIX = 3
MIN_PHONE_DIGITS = 4
MAX_QUERY_WORDS = 6
MAX_WORD = 40
FOUND_PER_TOKEN = 500
REINDEX_AFTER = 24 * 3600.0
"""A conversation whose tokens did not change is indexed again daily, so the retention trim never drops it."""
WORD = re.compile(r"\w+")


def chart_title(members: list[Member]) -> str:
    """The chart names on this phone, a family's shared last name once: "María, Sofía, Diego García"."""
    groups: dict[str, list[str]] = {}
    for member in members:
        groups.setdefault(member.last_name.strip(), []).append(member.first_name.strip())
    parts = []
    for last, firsts in groups.items():
        named = [f for f in firsts if f]
        parts.append(" ".join(p for p in (", ".join(named), last) if p))
    return ", ".join(p for p in parts if p)


def masked_phone(user_key: str) -> str:
    """Enough of the number to tell patients apart, not enough to dial: the last four digits."""
    digits = "".join(ch for ch in user_key if ch.isdecimal())
    return f"+•••••{digits[-4:]}" if len(digits) > 4 else "a patient without a number"


def name_tokens(text: str) -> set[str]:
    """Each folded word of a name, whole and as its prefixes of three letters or more."""
    tokens: set[str] = set()
    for word in WORD.findall(fold(text)):
        word = word[:MAX_WORD]
        if word.isdecimal():
            continue
        tokens.add(f"n:{word}")
        tokens.update(f"n:{word[:k]}" for k in range(MIN_PREFIX, len(word)))
    return tokens


def phone_tokens(user_key: str) -> set[str]:
    """The WhatsApp number's trailing digits (four or more), so "555-1234" and "+1 503 555 1234" both match."""
    digits = "".join(ch for ch in user_key if ch.isdecimal())
    return {f"p:{digits[-k:]}" for k in range(MIN_PHONE_DIGITS, len(digits) + 1)}


class Indexed(BaseModel):
    tokens: list[str]
    at: float


class ChartIndex:
    """The per-practice search index of conversations by chart name, phone digits and PatNum."""

    def __init__(self, storage: Storage, sealer: Sealer, key: str, retention_seconds: float) -> None:
        self.storage = storage
        self.sealer = sealer
        self._key = hashlib.sha256(f"chart-search:{key}".encode()).digest()
        self.retention = retention_seconds

    async def index(
        self, practice_id: str, conversation: str, user_key: str, profile: str, members: list[Member]
    ) -> None:
        """Bring the conversation's tokens up to date (cheap when nothing changed since the last day)."""
        tokens = phone_tokens(user_key) | name_tokens(profile)
        for member in members:
            tokens |= name_tokens(f"{member.first_name} {member.last_name}") | {f"pat:{member.pat_num}"}
        hashed = sorted(self._hash(practice_id, t) for t in tokens)
        now = time.time()
        before = await self._indexed(conversation)
        if before is not None and before.tokens == hashed and now - before.at < REINDEX_AFTER:
            return
        for gone in set(before.tokens if before else []) - set(hashed):
            await self.storage.index_remove(_set(practice_id, gone), conversation)
        for token in hashed:
            await self.storage.index_add(_set(practice_id, token), conversation, now)
        record = Indexed(tokens=hashed, at=now).model_dump_json().encode()
        await self.storage.set(f"chart-tokens:{conversation}", self.sealer.seal(record), self.retention)

    async def find(self, practice_id: str, query: str) -> set[str] | None:
        """Conversations matching every word of the query; None when the query has nothing to look for."""
        words = WORD.findall(fold(query))[:MAX_QUERY_WORDS]
        digits = "".join(ch for ch in query if ch.isdecimal())
        if digits and not any(not w.isdecimal() for w in words):
            words = [digits]  # "(503) 555-1234" is one number, not three words
        if not words:
            return None
        found: set[str] | None = None
        for word in words:
            matches = await self._word(practice_id, word if word.isdecimal() else word[:MAX_WORD])
            found = matches if found is None else found & matches
            if not found:
                return set()
        return found

    async def _word(self, practice_id: str, word: str) -> set[str]:
        tokens = [f"p:{word}", f"pat:{word.lstrip('0') or '0'}"] if word.isdecimal() else [f"n:{word}"]
        found: set[str] = set()
        cutoff = time.time() - self.retention
        for token in tokens:
            key = _set(practice_id, self._hash(practice_id, token))
            await self.storage.index_trim(key, cutoff)
            found |= {c for c, _ in await self.storage.index_newest(key, FOUND_PER_TOKEN)}
        return found

    async def _indexed(self, conversation: str) -> Indexed | None:
        raw = await self.storage.get(f"chart-tokens:{conversation}")
        return Indexed.model_validate_json(self.sealer.open(raw)) if raw else None

    def _hash(self, practice_id: str, token: str) -> str:
        return hmac.new(self._key, f"{practice_id}:{token}".encode(), hashlib.sha256).hexdigest()[:32]


def _set(practice_id: str, hashed: str) -> str:
    return f"console:{practice_id}:find:{hashed}"
