"""Every webhook shape in the reference parses into the events we queue; outbound builders keep Meta's limits."""

from __future__ import annotations

import json

import pytest

from bot.whatsapp import messages
from bot.whatsapp.events import EVENT, InboundMessage, StatusEvent, events_from
from bot.whatsapp.payloads import Envelope
from tests.conftest import FIXTURES

DELIVERIES = json.loads((FIXTURES / "whatsapp" / "deliveries.json").read_text())


def only_event(name: str) -> InboundMessage | StatusEvent:
    [event] = events_from(Envelope.model_validate(DELIVERIES[name]))
    return event


@pytest.mark.parametrize("name", sorted(DELIVERIES))
def test_every_delivery_parses_and_round_trips_through_the_queue_format(name: str) -> None:
    events = events_from(Envelope.model_validate_json(json.dumps(DELIVERIES[name])))
    assert events
    for event in events:
        assert EVENT.validate_json(event.model_dump_json()) == event
        assert event.practice_id == "100000000000001"


@pytest.mark.parametrize(
    ("name", "type_", "text", "choice", "understood"),
    [
        ("text", "text", "Hi, can I get a cleaning next week, after 4 if possible?", None, True),
        ("text_non_ascii", "text", "¿Mañana por la mañana? 😀 é ü ñ", None, True),
        ("button_reply", "interactive", "Yes, book it", "confirm:yes", True),
        ("list_reply", "interactive", "Tue 10:00", "opt:1", True),
        ("template_quick_reply", "button", "Confirm", "CONFIRM_123", True),
        ("nfm_reply", "interactive", "Sent", None, False),
        ("image", "image", "my tooth", None, True),
        ("document", "document", "x-ray", None, True),
        ("voice", "audio", "", None, False),
        ("location", "location", "", None, False),
        ("sticker", "sticker", "", None, False),
        ("reaction", "reaction", "", None, False),
        ("contacts", "contacts", "", None, False),
        ("order", "order", "", None, False),
        ("unsupported", "unsupported", "", None, False),
        ("system", "system", "", None, False),
        ("edit", "edit", "", None, False),
        ("revoke", "revoke", "", None, False),
        ("future_type", "hologram", "", None, False),
    ],
)
def test_what_each_message_type_means(
    name: str, type_: str, text: str, choice: str | None, understood: bool
) -> None:
    event = only_event(name)
    assert isinstance(event, InboundMessage)
    assert (event.type, event.text, event.choice_id, event.understood) == (type_, text, choice, understood)
    assert event.raw["id"] == event.wamid


def test_sender_context_and_referral() -> None:
    tap = only_event("button_reply")
    assert isinstance(tap, InboundMessage)
    assert (tap.user_key, tap.wa_id, tap.name, tap.context_id) == (
        "15035551234",
        "15035551234",
        "Jane Smith",
        "wamid.OUT001",
    )
    forwarded = only_event("forwarded")
    assert isinstance(forwarded, InboundMessage) and forwarded.context_id is None
    assert forwarded.raw["context"]["forwarded"] is True
    ad = only_event("referral")
    assert isinstance(ad, InboundMessage) and ad.raw["referral"]["ctwa_clid"] == "CLID"


def test_users_without_a_phone_number_are_keyed_by_their_user_id() -> None:
    event = only_event("bsuid_only")
    assert isinstance(event, InboundMessage)
    assert (event.user_key, event.wa_id, event.name) == ("US.13491208655302741918", None, "Private")


def test_statuses_and_errors() -> None:
    sent, failed = only_event("status_sent"), only_event("status_failed")
    assert isinstance(sent, StatusEvent) and isinstance(failed, StatusEvent)
    assert (sent.status, sent.error_codes) == ("sent", [])
    assert (failed.status, failed.error_codes, failed.user_key) == ("failed", [131047], "15035551234")
    envelope = Envelope.model_validate(DELIVERIES["value_errors"])
    assert envelope.entry[0].changes[0].value.errors[0].code == 131000


def test_a_batch_of_entries_yields_every_message_in_order() -> None:
    events = events_from(Envelope.model_validate(DELIVERIES["batch"]))
    assert [e.text for e in events if isinstance(e, InboundMessage)] == ["one", "two", "three"]


def test_other_fields_are_ignored() -> None:
    envelope = Envelope.model_validate(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "account_update", "value": {}}]}],
        }
    )
    assert events_from(envelope) == []


# -- outbound builders ------------------------------------------------------------------------------------------


def test_buttons_are_shortened_made_unique_and_capped() -> None:
    body = messages.buttons(
        "+15035551234",
        "x" * 2000,
        [("a", "Tuesday 10:30 with Dr. Miller"), ("b", "Tuesday 10:30 with Dr. Patel")],
    )
    titles = [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]]
    assert all(len(t) <= 20 for t in titles) and len(set(titles)) == 2
    assert len(body["interactive"]["body"]["text"]) <= 1024
    with pytest.raises(ValueError, match="1 to 3"):
        messages.buttons("+1", "x", [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")])


def test_lists_keep_ten_rows_within_their_limits() -> None:
    rows = [
        messages.Row(f"r{i}", f"Wednesday {i}:00 afternoon slot", "with the hygienist " * 10)
        for i in range(14)
    ]
    body = messages.list_message("+15035551234", "Pick a time", "See all the times we have", rows)
    action = body["interactive"]["action"]
    [section] = action["sections"]
    assert len(section["rows"]) == 10 and len(action["button"]) <= 20
    assert all(len(r["title"]) <= 24 and len(r["description"]) <= 72 for r in section["rows"])


def test_shorten_cuts_on_a_word_with_an_ellipsis() -> None:
    assert messages.shorten("Thursday afternoon appointment", 20) == "Thursday afternoon…"
    assert messages.shorten("short", 20) == "short"


def test_text_template_and_read_receipt_bodies() -> None:
    assert messages.text("+1", "hello", reply_to="wamid.X")["context"] == {"message_id": "wamid.X"}
    template = messages.template("+1", "appointment_reminder", "es", ["Jane", "10:30"])
    assert template["template"]["components"][0]["parameters"][1] == {"type": "text", "text": "10:30"}
    assert messages.mark_read("wamid.X") == {
        "messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X", "typing_indicator": {"type": "text"},
    }  # fmt: skip
    assert messages.recipient("15035551234") == "+15035551234"
    assert messages.recipient("US.1349") == "US.1349"
