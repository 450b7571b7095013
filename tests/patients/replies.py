"""The assistant's replies as a patient reads them: which catalog message each is, and in which languages.

Every catalog message (each plural form) of every language becomes a pattern, so a reply is named by its key
and the languages whose text it is; messages that are only placeholders ("{answer}", "{when}") say nothing of
their language and are left out of the language check.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from bot.sandbox.whatsapp import SentMessage
from locales import catalog
from locales.catalog import RLM, message
from locales.messages import SOURCES

CATALOG_LANGUAGES = (*catalog.LANGUAGES, *getattr(catalog, "SCRIPT_VARIANTS", ()))
"""The catalogs' languages, and their script variants (Hindi in Latin letters) where the catalog has them."""
PLACEHOLDER_ONLY = re.compile(r"^(\{[a-z_]+\}\W*)+$")


def _pattern(template: str) -> re.Pattern[str]:
    literal = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".+?".join(re.escape(part) for part in literal), re.S)


@cache
def patterns() -> list[tuple[str, str, re.Pattern[str]]]:
    """(key, language, pattern) for every message, longest first, so the most specific one names a reply."""
    texts = set()
    for source in SOURCES:
        for language in CATALOG_LANGUAGES:
            texts |= {(source.key, language, message(source.key, language, n)) for n in (0, 1, 2, 3, 11, 100)}
    ordered = sorted(texts, key=lambda item: -len(re.sub(r"\{[a-z_]+\}", "", item[2])))
    return [(key, language, _pattern(text)) for key, language, text in ordered]


@dataclass(frozen=True)
class Reply:
    at: float
    key: str
    text: str
    body: dict[str, Any] = field(repr=False)
    wamid: str
    languages: frozenset[str]
    """The languages whose catalog text this reply is (empty: not a catalog message, or placeholders only)."""


def text_of(body: dict[str, Any]) -> str:
    if body.get("type") == "text":
        return str(body["text"]["body"])
    if body.get("type") == "interactive":
        return str(body["interactive"]["body"]["text"])
    if body.get("type") == "template":
        return f"[template {body['template'].get('name')}]"
    return ""


def read_reply(sent: SentMessage, language: str) -> Reply:
    """Name a reply by its catalog key; `language` breaks ties between languages that share a text."""
    text = text_of(sent.body)
    first = text.removeprefix(RLM).split("\n\n")[0]
    key, languages = "?", set()
    for candidate, lang, pattern in patterns():
        if key not in ("?", candidate):
            continue
        if pattern.fullmatch(first) or pattern.match(first):
            key = candidate
            if not PLACEHOLDER_ONLY.match(pattern.pattern.replace(".+?", "{x}")):
                languages.add(lang)
    return Reply(time.time(), key, text, sent.body, sent.wamid, frozenset(languages))
