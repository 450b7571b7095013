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
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from bot.sandbox.whatsapp import SentMessage
from locales import catalog
from locales.catalog import LOCALES_DIR, RLM, message
from locales.messages import SOURCES

CATALOG_LANGUAGES = (*catalog.LANGUAGES, *getattr(catalog, "SCRIPT_VARIANTS", ()))
"""The catalogs' languages, and their script variants (Hindi in Latin letters) where the catalog has them."""
PLACEHOLDER_ONLY = re.compile(r"^(\{[a-z_]+\}\W*)+$")


def _pattern(template: str) -> re.Pattern[str]:
    literal = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".+?".join(re.escape(part) for part in literal), re.S)


CATALOG_ROOTS: list[Path] = [LOCALES_DIR]
"""Where the catalogs are read from: this checkout's, and a baseline checkout's when one runs (its texts may
differ, and its replies must be named as well as ours)."""


def read_catalogs_of(root: Path) -> None:
    """Also name replies by the catalogs of the checkout at `root` (a baseline's)."""
    locales = root / "locales"
    if locales.resolve() not in [r.resolve() for r in CATALOG_ROOTS]:
        CATALOG_ROOTS.append(locales)
        patterns.cache_clear()


def _texts(locales: Path) -> set[tuple[str, str, str]]:
    texts = set()
    for language in CATALOG_LANGUAGES:
        path = locales / language / "LC_MESSAGES" / "messages.po"
        if not path.exists():
            continue
        with path.open("rb") as f:
            catalog = read_po(f, locale=language.replace("-", "_"))
        for entry in catalog:
            if not entry.context:
                continue
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            texts |= {(str(entry.context), language, str(s)) for s in strings if s}
    return texts


@cache
def patterns() -> list[tuple[str, str, re.Pattern[str]]]:
    """(key, language, pattern) for every message, longest first, so the most specific one names a reply."""
    texts = {(source.key, language, message(source.key, language, n)) for source in SOURCES for language in CATALOG_LANGUAGES for n in (0, 1, 2, 3, 11, 100)}  # fmt: skip
    for root in CATALOG_ROOTS:
        texts |= _texts(root)
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
