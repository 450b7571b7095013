"""Webhook signatures beyond the whole-stack checks in tests/bot/test_edge.py (missing header 401; wrong secret,
forged and tampered bodies 403): any change to a signed body, or any other secret, fails, and the comparison is
the constant-time one."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.whatsapp import webhook
from bot.whatsapp.webhook import sign, signature_valid

SECRET = "app-secret"


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=2048), other=st.binary(max_size=2048))
def test_a_signature_fits_only_its_own_body(body: bytes, other: bytes) -> None:
    assert signature_valid(SECRET, body, sign(SECRET, body))
    assert signature_valid(SECRET, other, sign(SECRET, body)) == (other == body)


@settings(max_examples=200, deadline=None)
@given(secret=st.text(min_size=1, max_size=64), body=st.binary(max_size=512))
def test_another_secret_never_signs_for_ours(secret: str, body: bytes) -> None:
    assert signature_valid(SECRET, body, sign(secret, body)) == (secret == SECRET)


@pytest.mark.parametrize("header", ["", "sha256=", "sha1=abc", "sha256=" + "0" * 64, "garbage", " " * 70])
def test_malformed_headers_are_refused(header: str) -> None:
    assert not signature_valid(SECRET, b"{}", header)


def test_the_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    constant_time = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return constant_time(a, b)

    monkeypatch.setattr(webhook.hmac, "compare_digest", spy)
    assert not signature_valid(SECRET, b"{}", "sha256=" + "f" * 64)
    assert len(calls) == 1
