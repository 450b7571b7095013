"""Encryption at rest rotates keys; conversation ids cannot be recomputed from a phone number."""

from __future__ import annotations

import hashlib

import pytest

from bot.records.crypto import Sealer, SealError, conversation_id, new_key


def test_keys_rotate_by_putting_the_new_one_first() -> None:
    old, new = new_key(), new_key()
    sealed_before = Sealer([old]).seal(b"patient data")
    during = Sealer([new, old])
    assert during.open(sealed_before) == b"patient data"
    rotated = during.rotate(sealed_before)
    after = Sealer([new])
    assert after.open(rotated) == b"patient data"
    with pytest.raises(SealError):
        after.open(sealed_before)
    with pytest.raises(SealError):
        after.open(rotated[:-4] + b"AAAA")


def test_a_sealer_needs_a_key() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Sealer([])


def test_conversation_ids_are_keyed_hmacs() -> None:
    first = conversation_id("key-a", "100000000000001", "15035551234")
    assert first == conversation_id("key-a", "100000000000001", "15035551234")
    assert first != conversation_id("key-b", "100000000000001", "15035551234")
    assert first != conversation_id("key-a", "100000000000002", "15035551234")
    assert "15035551234" not in first
    assert first not in hashlib.sha256(b"15035551234").hexdigest()
