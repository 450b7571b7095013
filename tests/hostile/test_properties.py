"""Property-based tests (hypothesis) on what strangers control: webhook bodies and message text.

Whatever arrives, the parser either reads it into events or refuses it with a validation error (which the
webhook acknowledges and logs), and the offline understanding returns an `Understanding`: nothing raises
anything else, and reading the same body twice gives the same events (nothing is processed twice because
nothing is read differently).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.whatsapp.events import events_from
from bot.whatsapp.payloads import Envelope
from flows.nlu.rules import understand
from flows.nlu.understanding import Understanding
from tests.deliveries import text_delivery

NOW = datetime(2026, 11, 23, 10, 0)
QUICK = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=40,
)
FIELDS = ["object", "entry", "id", "changes", "field", "value", "messaging_product", "metadata", "phone_number_id",
          "display_phone_number", "contacts", "messages", "statuses", "from", "timestamp", "type", "text", "body",
          "interactive", "button_reply", "list_reply", "wa_id", "profile", "name", "errors", "code", "status"]  # fmt: skip
# Bodies shaped like Meta's, with any value anywhere: the parser's real attack surface.
shaped = st.recursive(
    json_values,
    lambda children: (
        st.dictionaries(st.sampled_from(FIELDS), children, max_size=6) | st.lists(children, max_size=3)
    ),
    max_leaves=60,
)


def parse(body: bytes) -> list[Any] | None:
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError:
        return None
    return [e.model_dump() for e in events_from(envelope)]


@QUICK
@given(shaped)
def test_any_json_body_is_read_or_refused_never_crashes(value: Any) -> None:
    body = json.dumps(value).encode()
    assert parse(body) == parse(body)


@QUICK
@given(st.binary(max_size=2000))
def test_any_bytes_including_invalid_utf8_are_refused_cleanly(body: bytes) -> None:
    parse(body)


def test_deeply_nested_and_huge_bodies_are_refused_cleanly() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    assert parse(deep) is None
    huge = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": []}] * 50_000})
    assert parse(huge.encode()) == []


texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=3000, max_size=4096),
    st.text(alphabet="😀🦷👍🙏❤️🔥😭", max_size=30),
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzñáéèçüß0123456789 ،؟أبتثجحخدذرزسشصضطظعغفقكلمنهوي٠١٢٣٤٥٦٧٨٩अआइईउएकखगघचछजझटडतथदनपबमयरलवशसह०१२३४५६७८९:/.-",
        max_size=200,
    ),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), max_size=100),
)


@QUICK
@given(texts, st.sampled_from(["en", "es", "pt", "fr", "de", "ar", "hi"]))
def test_the_offline_understanding_reads_any_text(text: str, language: str) -> None:
    first = understand(text, NOW, language=language)
    assert isinstance(first, Understanding)
    assert understand(text, NOW, language=language) == first


@QUICK
@given(st.text(max_size=4096))
def test_any_message_text_survives_the_webhook_models(text: str) -> None:
    body = json.dumps(text_delivery("wamid.P1", text)).encode()
    events = parse(body)
    assert events is not None and len(events) == 1 and events[0]["text"] == text
