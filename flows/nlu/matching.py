"""Phrase matching on folded text, with word boundaries that hold in Latin, Arabic and Devanagari script."""

from __future__ import annotations

import re
from functools import cache

LETTER = r"[\w\u0900-\u097f\u0600-\u06ff]"
ARABIC_PREFIX = "(?:[وفبل]|ال|وال|بال)?"


@cache
def pattern(phrase: str) -> re.Pattern[str]:
    """A phrase as a whole word; an Arabic one may carry a clitic ("و", "ب", "ال") in front."""
    prefix = ARABIC_PREFIX if re.match(r"[\u0600-\u06ff]", phrase) else ""
    return re.compile(rf"(?<!{LETTER}){prefix}{re.escape(phrase)}(?!{LETTER})")


def has(t: str, phrases: tuple[str, ...]) -> bool:
    # A phrase can only match where its text appears: the substring test spares most regular expressions.
    return any(p in t and pattern(p).search(t) for p in phrases)


def find(t: str, phrases: tuple[str, ...]) -> re.Match[str] | None:
    """The earliest match of any of the phrases."""
    found = [m for p in phrases if p in t and (m := pattern(p).search(t))]
    return min(found, key=lambda m: m.start()) if found else None
