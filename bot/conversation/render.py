"""Turn the conversation's replies (keys and parameters) into Cloud API messages in the patient's language.

Texts that come before an interactive message are merged into its body, so a turn costs one message where
WhatsApp allows it (the per-user pair limit).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.whatsapp import messages
from flows.replies import Choice, Param, Reply
from locales.catalog import day, directed, isolate, message, when

KEYED = ("kind.", "part.", "topic.")
"""Parameters that are catalog keys, rendered in the patient's language."""


def _params(params: dict[str, Param], language: str, *, short: bool, region: str | None) -> dict[str, str]:
    rendered = {}
    for name, value in params.items():
        if isinstance(value, datetime):
            rendered[name] = when(value, language, short=short, region=region)
        elif isinstance(value, date):
            rendered[name] = day(value, language, region)
        elif isinstance(value, str) and value.startswith(KEYED):
            # A catalog key, or several joined by "|" ("topic.hours|topic.parking"): each in the patient's words.
            rendered[name] = ", ".join(message(key, language) for key in value.split("|"))
        else:
            rendered[name] = str(value)
    return {name: isolate(value, language) for name, value in rendered.items()}


def _text(
    key: str, params: dict[str, Param], language: str, *, short: bool = False, region: str | None = None
) -> str:
    count = params.get("count")
    template = message(key, language, count if isinstance(count, int) else None)
    return directed(template.format(**_params(params, language, short=short, region=region)), language)


def _title(choice: Choice, language: str, region: str | None) -> str:
    """A button or row title: short dates, so a time fits WhatsApp's 24 characters in every language."""
    return (
        _text(choice.key, choice.params, language, short=True, region=region) if choice.key else choice.title
    )


def render(
    replies: list[Reply], language: str, to: str, *, region: str | None = None
) -> list[dict[str, Any]]:
    """The turn's replies as Cloud API bodies; dates and times on the clock of the practice's `region`."""
    bodies: list[dict[str, Any]] = []
    before: list[str] = []
    for reply in replies:
        body = _text(reply.key, reply.params, language, region=region)
        if not (reply.buttons or reply.rows):
            before.append(body)
            continue
        full = "\n\n".join([*before, body])
        before = []
        if reply.buttons:
            bodies.append(
                messages.buttons(to, full, [(c.id, _title(c, language, region)) for c in reply.buttons[:3]])
            )
        else:
            rows = [
                messages.Row(
                    c.id,
                    _title(c, language, region),
                    _text(c.description_key, c.params, language, short=True) if c.description_key else "",
                )
                for c in reply.rows
            ]
            bodies.append(messages.list_message(to, full, _text(reply.list_key, {}, language), rows))
    if before:
        bodies.append(messages.text(to, "\n\n".join(before)))
    return bodies
