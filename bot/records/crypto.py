"""Encryption of PHI at rest and keyed ids for conversations.

`Sealer` encrypts with the first of the configured Fernet keys and decrypts with any of them, so keys rotate
by putting the new key first and dropping the old one once nothing sealed with it is left (queued events live
minutes, conversation state a day). Conversation ids are an HMAC of the practice and the WhatsApp id under a
separate key: never the number itself, nor a plain hash that anyone could recompute from a phone number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# The embedded demo's fixed keys: they only ever protect sandbox data on the machine that runs the demo.
DEMO_ENCRYPTION_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"demo-encryption-key").digest()).decode()
DEMO_CONVERSATION_KEY = "demo-conversation-key"
DEMO_CHOICE_ID_SECRET = "demo-choice-id-secret"


class SealError(ValueError):
    """A sealed value could not be opened: it was altered, or its key is no longer configured."""


class Sealer:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def seal(self, plain: bytes) -> bytes:
        return self._fernet.encrypt(plain)

    def open(self, sealed: bytes) -> bytes:
        try:
            return self._fernet.decrypt(sealed)
        except InvalidToken as exc:
            raise SealError("cannot decrypt: altered, or sealed with a key no longer configured") from exc

    def rotate(self, sealed: bytes) -> bytes:
        """Re-encrypt with the current first key."""
        return self._fernet.rotate(sealed)


def conversation_id(key: str, practice_id: str, user_key: str) -> str:
    """A stable, non-reversible id for one patient's conversation with one practice."""
    digest = hmac.new(key.encode(), f"{practice_id}:{user_key}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def keyed_hash(key: str, purpose: str, value: str, length: int = 24) -> str:
    """A short keyed hash of a PHI value (a phone number) for use in a key name; `purpose` separates uses."""
    return hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:length]


def new_key() -> str:
    return Fernet.generate_key().decode()
