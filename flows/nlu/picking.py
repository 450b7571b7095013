"""Which offered row a typed answer names: "the second one", "2", "la de las 11", "celle de 11h", "die um 11",
"a das 11", "the wed 9th one", "thursday at 10am", "10am works".

The general rules read "the 2nd" or "the wed 9th" as dates; with a list on the screen they name a row. This reads
the answer against the rows' own days and times, in the patient's language, and answers only when exactly one
row fits, so a message that asks for something new ("next week instead") is left to the rules.
"""

from __future__ import annotations

import re
from datetime import datetime

from flows.nlu.lexicon import LEXICONS, fold
from flows.nlu.matching import LETTER, has

ORDINAL_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"),
    "es": ("primer", "segund", "tercer", "cuart", "quint", "sext", "septim", "octav", "noven", "decim"),
    "pt": ("primeir", "segund", "terceir", "quart", "quint", "sext", "setim", "oitav", "non", "decim"),
    "fr": (
        "premi",
        "deuxieme",
        "troisieme",
        "quatrieme",
        "cinquieme",
        "sixieme",
        "septieme",
        "huitieme",
        "neuvieme",
        "dixieme",
    ),
    "de": ("erst", "zweit", "dritt", "viert", "funft", "sechst", "siebt", "acht", "neunt", "zehnt"),
    "ar": ("الاول", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن", "التاسع", "العاشر"),
    "hi": ("पहल", "दूसर", "तीसर", "चौथ", "पांचव", "छठ", "सातव", "आठव", "नौव", "दसव"),
}
"""Ordinal stems, matched at a word's start ("segunda", "segundo", "zweiten", "दूसरा", "الثانية")."""
LATIN_ORDINALS = ("pehl", "pahl", "dusr", "doosr", "teesr", "tisr", "chauth", "panchv")
"""Hindi in Latin letters ("pehla wala", "dusra")."""
NUMBERED = re.compile(
    r"\s*(?:(?:option|opcion|opcao|numero|nummer|number|no\.?|#|the|la|el|a|o|le|l'option|den|die|رقم|الخيار|خيار)\s*){0,2}"
    r"(\d{1,2})\s*(?:st|nd|rd|th|º|ª|e|er|re|number|नंबर|वाला|wala|one|option)?\s*(?:pls|please|por favor|porfa|svp|bitte)?\s*[.!)]?\s*"
)
ONE_AT = re.compile(
    r"(?:the one at|one at|at|the|la de las|la de la|las|la|a das|a da|as|celle de|celle a|die um|den um|um|الساعه|الساعة)"
    r"\s*(\d{1,2})(?:[:h.](\d{2}))?\s*(am|pm|h|uhr|बजे|baje)?\b"
)
HOUR_BEFORE = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?\s*(?:बजे|baje)\s*(?:वाला|वाली|wala|wali)")
CLOCK = re.compile(r"(?<![\d/.])(\d{1,2})(?:[:h.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|h|uhr)?(?![\d/])")
DAY_OF_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th|º|er|e|\.)(?=\s|$)")


def pick(text: str, starts: list[datetime], language: str) -> int | None:
    """The 1-based row a typed answer names among rows starting at `starts`, or None if not exactly one."""
    t = fold(text).strip()
    if not starts or not t:
        return None
    # With a clock time in it, "quinta às 10:00" is Thursday, not the fifth row.
    clock = any(m.group(2) or m.group(3) for m in CLOCK.finditer(t))
    order = (
        (_by_day_and_time, _numbered, _by_hour, _ordinal)
        if clock
        else (_ordinal, _numbered, _by_hour, _by_day_and_time)
    )
    for find in order:
        found = find(t, starts, language)
        if found is not None:
            return found if 1 <= found <= len(starts) else None
    return None


def _ordinal(t: str, starts: list[datetime], language: str) -> int | None:
    stems = ORDINAL_WORDS.get(language, ()) + ORDINAL_WORDS["en"]
    words = re.findall(rf"{LETTER}+", t)
    if len(words) > 6:
        return None  # a long message that happens to hold "second" is not a choice
    for word in words:
        for n, stem in enumerate(stems[:10] if language == "en" else stems, start=1):
            if word.startswith(fold(stem)) and (
                language != "pt" or stem != "non" or word in ("nona", "nono")
            ):
                return (n - 1) % 10 + 1
        latin = next((i for i, stem in enumerate(LATIN_ORDINALS) if word.startswith(stem)), None)
        if latin is not None and language == "hi":
            return latin // 2 + 1 if latin < 6 else latin - 2
    return None


def _numbered(t: str, starts: list[datetime], language: str) -> int | None:
    match = NUMBERED.fullmatch(t)
    return int(match.group(1)) if match else None


def _hours(hour: int, minute: int | None, suffix: str | None) -> set[tuple[int, int | None]]:
    if suffix in ("pm", "p.m.") and hour < 12:
        return {(hour + 12, minute)}
    if suffix in ("am", "a.m."):
        return {(hour % 12, minute)}
    # "the one at 3" in a dental office is 15:00; "at 11" is 11:00.
    return {(hour, minute)} | ({(hour + 12, minute)} if 1 <= hour <= 7 else set())


def _unique(starts: list[datetime], fits: object) -> int | None:
    matching = [i for i, s in enumerate(starts, start=1) if fits(s)]  # type: ignore[operator]
    return matching[0] if len(matching) == 1 else None


def _by_hour(t: str, starts: list[datetime], language: str) -> int | None:
    match = ONE_AT.search(t) or HOUR_BEFORE.search(t)
    if match is None or _weekday_of(t, language) is not None or DAY_OF_MONTH.search(t):
        return None
    suffix = match.group(3) if match.re is ONE_AT else None
    hours = _hours(int(match.group(1)), int(match.group(2)) if match.group(2) else None, suffix)
    return _unique(starts, lambda s: any(s.hour == h and m in (None, s.minute) for h, m in hours))


def _weekday_of(t: str, language: str) -> int | None:
    tables = [LEXICONS[code] for code in dict.fromkeys((language, "en")) if code in LEXICONS]
    for table in tables:
        for n, names in enumerate(table.weekdays):
            if has(t, tuple(names)):
                return n
    return None


def _by_day_and_time(t: str, starts: list[datetime], language: str) -> int | None:
    weekday = _weekday_of(t, language)
    day = DAY_OF_MONTH.search(t)
    rest = DAY_OF_MONTH.sub(" ", t)
    clocks = [m for m in CLOCK.finditer(rest) if m.group(2) or m.group(3)]
    hours = (
        _hours(int(clocks[0].group(1)), int(clocks[0].group(2) or 0), clocks[0].group(3)) if clocks else None
    )
    if weekday is None and day is None and hours is None:
        return None

    def fits(s: datetime) -> bool:
        if weekday is not None and s.weekday() != weekday:
            return False
        if day is not None and s.day != int(day.group(1)):
            return False
        return hours is None or any(s.hour == h and m in (None, s.minute) for h, m in hours)

    return _unique(starts, fits)
