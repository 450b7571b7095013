"""Dates and times as patients write them (English and Spanish), resolved against "now" in the practice's zone.

Relative forms resolve to the future a booking wants: a bare weekday is its next occurrence after today, "the
7th" is this month's or next month's, "after 4" means 16:00 on a dental schedule.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta

from flows.nlu.understanding import When

WEEKDAYS = {
    "en": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    "es": ["lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"],
}
WEEKDAY_SHORT = {
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
MONTHS = {
    "en": ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"],
}  # fmt: skip
MONTH_SHORT = {m[:3]: i + 1 for months in MONTHS.values() for i, m in enumerate(months)} | {
    "sept": 9,
    "set": 9,
}
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12,
}  # fmt: skip
ORDINAL_DAY = re.compile(
    r"\b(?:the\s+|el\s+(?:dia\s+)?|on\s+the\s+)(\d{1,2})(?:st|nd|rd|th)?\b|\b(\d{1,2})(?:st|nd|rd|th)\b"
)
CLOCK = re.compile(
    r"\b(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>a\.?\s?m\.?|p\.?\s?m\.?)?(?=\b|$)(?!\s*(?:/|-\d|de\s+\w+\s+de|st|nd|rd|th))"
)
PART_WORDS = [
    ("morning", ("morning", "por la manana", "en la manana", "de la manana", "temprano")),
    ("afternoon", ("afternoon", "por la tarde", "en la tarde", "de la tarde", "after lunch")),
    ("evening", ("evening", "tonight", "por la noche", "de la noche", "en la noche")),
]


def fold(text: str) -> str:
    """Lowercase without accents, so "Mañana" and "manana" read the same."""
    table = str.maketrans("áéíóúüñàèìòù", "aeiouunaeiou")
    return text.lower().translate(table)


def resolve(text: str, now: datetime, *, day_first: bool = False) -> When:
    """Every date and time expression in the text, resolved relative to `now` (office-local)."""
    t = fold(text)
    today = now.date()
    when = When()
    when.part_of_day = _part_of_day(t)
    _relative_days(t, today, when)
    _weekdays(t, today, when)
    _weeks(t, today, when)
    _calendar_dates(t, today, when, day_first=day_first)
    _times(t, when)
    if re.search(
        r"\b(asap|as soon as possible|soonest|earliest|first available|lo antes posible|cuanto antes|lo mas pronto)\b",
        t,
    ):
        when.asap = True
    return when


def _part_of_day(t: str) -> str | None:
    for part, words in PART_WORDS:
        if any(w in t for w in words):
            return part
    if re.search(r"\bmanana\s+(?:en la |por la |de la )?manana\b", t):
        return "morning"
    return None


def _relative_days(t: str, today: date, when: When) -> None:
    if re.search(r"\b(day after tomorrow|pasado manana)\b", t):
        when.start = when.end = today + timedelta(days=2)
    elif re.search(r"\btomorrow\b", t) or re.search(
        r"\bmanana\b(?!\s*(?:en|por|de)?\s*la\s+manana)", re.sub(r"(?:por|en|de) la manana", "", t)
    ):
        when.start = when.end = today + timedelta(days=1)
    elif re.search(
        r"\b(today|hoy|this (?:morning|afternoon|evening)|tonight|esta (?:manana|tarde|noche))\b", t
    ):
        when.start = when.end = today


def _weekdays(t: str, today: date, when: When) -> None:
    found: list[int] = []
    for names in WEEKDAYS.values():
        found += [i for i, name in enumerate(names) if re.search(rf"\b{name}s?\b", t)]
    found += [i for short, i in WEEKDAY_SHORT.items() if re.search(rf"\b{short}\b\.?", t)]
    found = sorted(set(found))
    if not found:
        return
    if len(found) == 1 and when.start is None:
        if re.search(r"\b(next week|la (?:proxima|siguiente) semana|la semana que viene)\b", t):
            # "Tuesday next week": that weekday in the coming Monday-to-Sunday week.
            day = today - timedelta(days=today.weekday()) + timedelta(days=7 + found[0])
        else:
            day = today + timedelta(days=(found[0] - today.weekday()) % 7 or 7)
        when.start = when.end = day
    else:
        when.weekdays = found


def _weeks(t: str, today: date, when: When) -> None:
    monday = today - timedelta(days=today.weekday())
    if re.search(r"\b(next week|la (?:proxima|siguiente) semana|la semana que viene|semana proxima)\b", t):
        if when.start is None:
            when.start, when.end = monday + timedelta(days=7), monday + timedelta(days=13)
    elif re.search(r"\b(this week|esta semana)\b", t) and when.start is None:
        when.start, when.end = today, monday + timedelta(days=6)
    elif match := re.search(r"\b(?:in|en)\s+(\w+)\s+(?:weeks?|semanas?)\b", t):
        count = _number(match.group(1))
        if count and when.start is None:
            start = monday + timedelta(days=7 * count)
            when.start, when.end = start, start + timedelta(days=6)


def _number(word: str) -> int | None:
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word)


def _calendar_dates(t: str, today: date, when: When, *, day_first: bool) -> None:
    found = (
        _month_name_date(t, today) or _numeric_date(t, today, day_first=day_first) or _ordinal_day(t, today)
    )
    if found is not None:
        when.start = when.end = found


def _month_name_date(t: str, today: date) -> date | None:
    month_names = "|".join(sorted(MONTH_SHORT, key=len, reverse=True))
    patterns = [
        rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:de\s+|of\s+)?({month_names})[a-z]*\b",
        rf"\b({month_names})[a-z]*\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b",
    ]
    for n, pattern in enumerate(patterns):
        if match := re.search(pattern, t):
            day_text, month_text = (
                (match.group(1), match.group(2)) if n == 0 else (match.group(2), match.group(1))
            )
            return _future(
                today, MONTH_SHORT[month_text[:3]] if month_text[:4] != "sept" else 9, int(day_text)
            )
    return None


def _numeric_date(t: str, today: date, *, day_first: bool) -> date | None:
    match = re.search(r"\b(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2,4}))?\b", t)
    if not match:
        return None
    a, b = int(match.group(1)), int(match.group(2))
    month, day = (b, a) if day_first or a > 12 else (a, b)
    if match.group(3):
        year = int(match.group(3))
        year += 2000 if year < 100 else 0
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return _future(today, month, day)


def _ordinal_day(t: str, today: date) -> date | None:
    match = ORDINAL_DAY.search(t)
    if not match:
        return None
    day = int(match.group(1) or match.group(2))
    if not 1 <= day <= 31:
        return None
    month, year = today.month, today.year
    if day < today.day:
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return date(year, month, min(day, monthrange(year, month)[1]))


def _future(today: date, month: int, day: int) -> date | None:
    try:
        candidate = date(today.year, month, day)
    except ValueError:
        return None
    if candidate >= today:
        return candidate
    for year in range(today.year + 1, today.year + 9):  # February 29 waits for the next leap year
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None


HOUR_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|una|dos|tres|cuatro|cinco|seis|siete|ocho"
    r"|nueve|diez|once|doce)\b(?=\s*(?:pm|am|p\.m|a\.m|o'clock|o\"clock|in the|at night|de la|y media|y cuarto))"
)


def _times(t: str, when: When) -> None:
    t = HOUR_WORDS.sub(lambda m: str(NUMBER_WORDS[m.group(1)]), t)  # "three pm" reads as "3 pm"
    if match := re.search(r"\b(\d{1,2})(?::(\d{2}))?\s*o['\"]?clock", t):
        when.at = _clock(int(match.group(1)), int(match.group(2) or 0), None, when.part_of_day)
        return
    if re.search(r"\b(noon|mediodia)\b", t):
        when.at = time(12, 0)
    if quarter := re.search(r"\bquarter (past|after|to|til|before) (\w+)", t):
        hour = _number(quarter.group(2))
        if hour:
            past = quarter.group(1) in ("past", "after")
            when.at = _clock(hour if past else hour - 1, 15 if past else 45, None, when.part_of_day)
            return
    part_words = r"(morning|afternoon|evening|night|manana|tarde|noche)"
    beside = re.search(
        rf"\b(\d{{1,2}})(?::(\d{{2}}))?\s+(?:in the |at |de la |por la |en la )?{part_words}\b", t
    ) or re.search(
        rf"\b{part_words}\s+(?:at\s+|a las\s+)?(\d{{1,2}})(?::(\d{{2}}))?\b(?!\s*(?:st|nd|rd|th|/))", t
    )
    if beside and when.at is None:
        hour_text, minute_text = (
            (beside.group(1), beside.group(2))
            if beside.group(1).isdigit()
            else (beside.group(2), beside.group(3))
        )
        when.at = _clock(int(hour_text), int(minute_text or 0), None, when.part_of_day)
    if match := re.search(r"\bhalf past (\w+)|\b(\w+) y media\b", t):
        hour = _number(match.group(1) or match.group(2))
        if hour:
            when.at = _clock(hour, 30, None, when.part_of_day)
    for match in re.finditer(
        r"\b(after|from|despues de(?: las?)?|a partir de(?: las?)?|desde las?)\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?",
        t,
    ):
        when.earliest = _clock(
            int(match.group(2)), int(match.group(3) or 0), match.group(4), when.part_of_day
        )
    for match in re.finditer(
        r"\b(before|until|by|antes de(?: las?)?|hasta las?)\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?", t
    ):
        when.latest = _clock(int(match.group(2)), int(match.group(3) or 0), match.group(4), when.part_of_day)
    if when.at is None and when.earliest is None and when.latest is None:
        when.at = _exact_time(t, when.part_of_day)


def _exact_time(t: str, part: str | None) -> time | None:
    spoken = re.search(r"\b(?:at|a las|a la|@)\s+(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?", t)
    if spoken:
        return _clock(int(spoken.group(1)), int(spoken.group(2) or 0), spoken.group(3), part)
    for match in CLOCK.finditer(t):
        hour, minute, ampm = int(match.group("h")), int(match.group("m") or 0), match.group("ampm")
        if match.group("m") is None and ampm is None and "h" not in match.group(0):
            continue  # a bare number is a choice or a day, not a time
        return _clock(hour, minute, ampm, part)
    return None


def _clock(hour: int, minute: int, ampm: str | None, part: str | None) -> time | None:
    if hour > 23 or minute > 59:
        return None
    marker = (ampm or "").replace(".", "").replace(" ", "")
    if marker == "pm" and hour < 12:
        hour += 12
    elif marker == "am" and hour == 12:
        hour = 0
    elif not marker and hour < 12 and (part in ("afternoon", "evening") or (part is None and 1 <= hour <= 6)):
        hour += 12  # nobody books a dental visit at 3 in the morning
    return time(hour, minute)


def birthdate_in(text: str, *, day_first: bool) -> date | None:
    """A date of birth: numeric with a year, or with a month name and a year."""
    t = fold(text)
    month_names = "|".join(sorted(MONTH_SHORT, key=len, reverse=True))
    named = re.search(
        rf"\b(\d{{1,2}})\s+(?:de\s+)?({month_names})[a-z]*\.?,?\s+(?:de\s+)?(\d{{4}})\b", t
    ) or re.search(rf"\b({month_names})[a-z]*\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", t)
    try:
        if named and named.group(1).isdigit():
            return date(int(named.group(3)), MONTH_SHORT[named.group(2)[:3]], int(named.group(1)))
        if named:
            return date(int(named.group(3)), MONTH_SHORT[named.group(1)[:3]], int(named.group(2)))
        if iso := re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", t):
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if numeric := re.search(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b", t):
            a, b, year = int(numeric.group(1)), int(numeric.group(2)), int(numeric.group(3))
            month, day = (b, a) if day_first or a > 12 else (a, b)
            return date(year, month, day)
    except ValueError:
        return None
    return None
