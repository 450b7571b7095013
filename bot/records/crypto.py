"""Encryption of PHI at rest and keyed ids for conversations.

`Sealer` encrypts with the first of the configured keys and decrypts with any of them, so keys rotate
by putting the new key first and dropping the old one once nothing sealed with it is left (queued events live
minutes, conversation state a day). Conversation ids are an HMAC of the practice and the WhatsApp id under a
separate key: never the number itself, nor a plain hash that anyone could recompute from a phone number.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import zlib

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# The embedded demo's fixed keys: they only ever protect sandbox data on the machine that runs the demo.
DEMO_ENCRYPTION_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"demo-encryption-key").digest()).decode()
DEMO_CONVERSATION_KEY = "demo-conversation-key"
DEMO_CHOICE_ID_SECRET = "demo-choice-id-secret"


COMPRESS_FROM = 200
COMPRESSED = b"\x00z"
"""Marks a compressed plaintext; JSON (all we seal) never starts with a NUL byte."""
GCM_VERSION = b"\x01"
"""Marks a value sealed with AES-256-GCM; Fernet tokens (sealed before it) are base64 text starting `gAAAA`."""
NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value could not be opened: it was altered, or its key is no longer configured."""


class Sealer:
    """Seals with AES-256-GCM under a key derived (HKDF-SHA256) from the first configured key, and opens with
    any of them. Values sealed with Fernet by earlier versions still open. A sealed value is 29 bytes longer
    than its plaintext (a version byte, a random 96-bit nonce, the tag); plaintexts of `COMPRESS_FROM` bytes or
    more are compressed first when that makes them smaller."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        self._aeads = [AESGCM(_derive(key)) for key in keys]

    def seal(self, plain: bytes, *, compress: bool = True) -> bytes:
        if compress and len(plain) >= COMPRESS_FROM:
            packed = COMPRESSED + zlib.compress(plain, 6)
            if len(packed) < len(plain):
                plain = packed
        nonce = os.urandom(NONCE_BYTES)
        return GCM_VERSION + nonce + self._aeads[0].encrypt(nonce, plain, GCM_VERSION)

    def open(self, sealed: bytes) -> bytes:
        plain = self._open_gcm(sealed) if sealed[:1] == GCM_VERSION else self._open_fernet(sealed)
        return zlib.decompress(plain[len(COMPRESSED) :]) if plain.startswith(COMPRESSED) else plain

    def rotate(self, sealed: bytes) -> bytes:
        """Re-seal with the current first key (and the current format)."""
        return self.seal(self.open(sealed))

    def _open_gcm(self, sealed: bytes) -> bytes:
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        for aead in self._aeads:
            with contextlib.suppress(InvalidTag):
                return aead.decrypt(nonce, body, GCM_VERSION)
        raise SealError("cannot decrypt: altered, or sealed with a key no longer configured")

    def _open_fernet(self, sealed: bytes) -> bytes:
        try:
            return self._fernet.decrypt(sealed)
        except InvalidToken as exc:
            raise SealError("cannot decrypt: altered, or sealed with a key no longer configured") from exc


def _derive(key: str) -> bytes:
    """The AES-256 key for a configured (Fernet-format) key, separate from the keys Fernet derives from it."""
    material = base64.urlsafe_b64decode(key.encode())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"bot sealer aes-256-gcm v1").derive(
        material
    )


def conversation_id(key: str, practice_id: str, user_key: str) -> str:
    """A stable, non-reversible id for one patient's conversation with one practice."""
    digest = hmac.new(key.encode(), f"{practice_id}:{user_key}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def keyed_hash(key: str, purpose: str, value: str, length: int = 24) -> str:
    """A short keyed hash of a PHI value (a phone number) for use in a key name; `purpose` separates uses."""
    return hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:length]


def new_key() -> str:
    return Fernet.generate_key().decode()
