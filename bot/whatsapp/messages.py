"""Outbound message bodies for `POST /{version}/{phone_number_id}/messages`, within WhatsApp's limits.

Builders shorten with care (on a word boundary, with an ellipsis) rather than letting Meta refuse the message;
they raise only for what cannot be repaired (no rows, more than three buttons).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TEXT_MAX = 4096
BODY_MAX = 1024
BUTTON_TITLE_MAX = 20
BUTTONS_MAX = 3
LIST_BUTTON_MAX = 20
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROWS_MAX = 10
SECTION_TITLE_MAX = 24
HEADER_MAX = 60
FOOTER_MAX = 60
ID_MAX = 200
PAYLOAD_MAX = 256
"""A reply button's id; Meta documents no other limit for a template's quick-reply payload, so it is held to this."""
TEMPLATE_BUTTONS_MAX = 10


def shorten(text: str, limit: int) -> str:
    """Fit text in `limit` characters, cutting at a word boundary where one is near, with an ellipsis."""
    # Collapse whitespace, but keep the no-break spaces French puts before "?" and "!".
    text = re.sub(r"[^\S\u00a0\u202f]+", " ", text).strip() if "\n" not in text else text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    description: str = ""


def _envelope(to: str, kind: str, content: dict[str, Any], reply_to: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
    }
    body[kind] = content
    if reply_to:
        body["context"] = {"message_id": reply_to}
    return body


def recipient(user_key: str) -> str:
    """Meta wants a `+` and the country code; business-scoped user ids go as they are."""
    return f"+{user_key}" if user_key.isdecimal() else user_key


def text(to: str, body: str, *, reply_to: str | None = None, preview_url: bool = False) -> dict[str, Any]:
    return _envelope(to, "text", {"body": shorten(body, TEXT_MAX), "preview_url": preview_url}, reply_to)


def buttons(
    to: str,
    body: str,
    choices: list[tuple[str, str]],
    *,
    header: str = "",
    footer: str = "",
    reply_to: str | None = None,
) -> dict[str, Any]:
    """Up to three reply buttons, given as (id, title)."""
    if not 1 <= len(choices) <= BUTTONS_MAX:
        raise ValueError(f"reply buttons take 1 to {BUTTONS_MAX} choices, not {len(choices)}")
    titles = _unique([shorten(title, BUTTON_TITLE_MAX) for _, title in choices], BUTTON_TITLE_MAX)
    content: dict[str, Any] = {
        "type": "button",
        "body": {"text": shorten(body, BODY_MAX)},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": choice_id[:256], "title": title}}
                for (choice_id, _), title in zip(choices, titles, strict=True)
            ]
        },
    }
    _decorate(content, header, footer)
    return _envelope(to, "interactive", content, reply_to)


def list_message(
    to: str,
    body: str,
    button: str,
    rows: list[Row],
    *,
    section: str = "",
    header: str = "",
    footer: str = "",
    reply_to: str | None = None,
) -> dict[str, Any]:
    """A single-section list of up to ten rows."""
    if not rows:
        raise ValueError("a list needs at least one row")
    rows = rows[:ROWS_MAX]
    titles = _unique([shorten(r.title, ROW_TITLE_MAX) for r in rows], ROW_TITLE_MAX)
    content: dict[str, Any] = {
        "type": "list",
        "body": {"text": shorten(body, BODY_MAX)},
        "action": {
            "button": shorten(button, LIST_BUTTON_MAX),
            "sections": [
                {
                    "title": shorten(section or button, SECTION_TITLE_MAX),
                    "rows": [
                        {"id": r.id[:ID_MAX], "title": title}
                        | (
                            {"description": shorten(r.description, ROW_DESCRIPTION_MAX)}
                            if r.description
                            else {}
                        )
                        for r, title in zip(rows, titles, strict=True)
                    ],
                }
            ],
        },
    }
    _decorate(content, header, footer)
    return _envelope(to, "interactive", content, reply_to)


def template(
    to: str,
    name: str,
    language: str,
    parameters: list[str] | None = None,
    buttons: list[str] | None = None,
) -> dict[str, Any]:
    """An approved template: `parameters` fill the body's {{1}}..{{n}}, `buttons` are the quick-reply buttons'
    payloads in index order (what a tap on each sends back, as the `button` message's `payload`)."""
    if buttons and len(buttons) > TEMPLATE_BUTTONS_MAX:
        raise ValueError(
            f"a template has at most {TEMPLATE_BUTTONS_MAX} quick-reply buttons, not {len(buttons)}"
        )
    # A payload cut short would name another choice, so it is refused rather than shortened.
    if buttons and any(not 0 < len(p) <= PAYLOAD_MAX for p in buttons):
        raise ValueError(f"quick-reply payloads are 1 to {PAYLOAD_MAX} characters")
    content: dict[str, Any] = {"name": name, "language": {"code": language}}
    components: list[dict[str, Any]] = []
    if parameters:
        components.append({"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]})
    for index, payload in enumerate(buttons or []):
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": payload}],
            }
        )
    if components:
        content["components"] = components
    return _envelope(to, "template", content, None)


def mark_read(wamid: str, *, typing: bool = True) -> dict[str, Any]:
    """Mark a message read and show the typing indicator (it disappears when we reply, or after 25 s)."""
    body: dict[str, Any] = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
    if typing:
        body["typing_indicator"] = {"type": "text"}
    return body


def _decorate(content: dict[str, Any], header: str, footer: str) -> None:
    if header:
        content["header"] = {"type": "text", "text": shorten(header, HEADER_MAX)}
    if footer:
        content["footer"] = {"text": shorten(footer, FOOTER_MAX)}


def _unique(titles: list[str], limit: int) -> list[str]:
    """Titles must be unique; shortening can make two equal, so number the repeats."""
    seen: dict[str, int] = {}
    result = []
    for title in titles:
        count = seen.get(title, 0)
        seen[title] = count + 1
        result.append(title if count == 0 else shorten(title, limit - 3) + f" {count + 1}")
    return result
