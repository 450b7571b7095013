"""Cloud API webhook deliveries for tests and benchmarks, shaped as Meta sends them."""

from __future__ import annotations

import time
from typing import Any

PRACTICE_ID = "100000000000001"


def text_delivery(
    wamid: str,
    body: str,
    *,
    practice_id: str = PRACTICE_ID,
    sender: str = "15035551234",
    user_id: str | None = None,
    name: str = "Jane",
    timestamp: int | None = None,
) -> dict[str, Any]:
    """One text message; with `user_id`, from a user Meta gives no phone number for."""
    who = {"from": sender} if user_id is None else {"from_user_id": user_id}
    contact = {"wa_id": sender} if user_id is None else {"user_id": user_id}
    message = {
        **who,
        "id": wamid,
        "timestamp": str(timestamp or int(time.time())),
        "type": "text",
        "text": {"body": body},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100000", "phone_number_id": practice_id},
        "contacts": [{"profile": {"name": name}, **contact}],
        "messages": [message],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "W", "changes": [{"field": "messages", "value": value}]}],
    }


def choice_delivery(
    wamid: str,
    choice_id: str,
    title: str,
    *,
    kind: str = "button_reply",
    context_id: str = "",
    practice_id: str = PRACTICE_ID,
    sender: str = "15035551234",
    name: str = "Jane",
) -> dict[str, Any]:
    """A tap on a reply button (`button_reply`) or a list row (`list_reply`) of the message `context_id`."""
    message = {
        "from": sender,
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": "interactive",
        "interactive": {"type": kind, kind: {"id": choice_id, "title": title}},
        "context": {"from": practice_id, "id": context_id},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100000", "phone_number_id": practice_id},
        "contacts": [{"profile": {"name": name}, "wa_id": sender}],
        "messages": [message],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "W", "changes": [{"field": "messages", "value": value}]}],
    }
