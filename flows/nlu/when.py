"""Dates and times as patients write them, resolved against "now" in the practice's zone. The grammar reads
the English that `canonical` makes of every language.

Relative forms resolve to the future a booking wants: a bare weekday is its next occurrence after today, "the
7th" is this month's or next month's, "after 4" means 16:00 on a dental schedule.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta

from flows.nlu import holidays
from flows.nlu.canonical import WEEKDAY_NAMES, canonical
from flows.nlu.lexicon import LEXICONS, fold
from flows.nlu.understanding import When

ENGLISH = LEXICONS["en"]
# "mon", "sat" are English words too: read as days only when the message is English
WEEKDAY_SHORT = {short: i for i, forms in enumerate(ENGLISH.weekdays) for short in forms[1:]}
# Month words after canonical(): English names and abbreviations (other languages' are rewritten to these).
MONTH_WORDS = {word: i + 1 for i, forms in enumerate(ENGLISH.months) for word in forms}
MONTH_PATTERN = "|".join(sorted(MONTH_WORDS, key=len, reverse=True))
ENGLISH_NUMBERS = ENGLISH.numbers
"""Number words after canonical(): every language's are digits by then, English ones may stay."""
ORDINAL_DAY = re.compile(r"\b(?:the\s+|on\s+the\s+)(\d{1,2})(?:st|nd|rd|th)?\b|\b(\d{1,2})(?:st|nd|rd|th)\b")
CLOCK = re.compile(
    r"(?<![.\d])\b(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2})(?::(?P<s>\d{2}))?)?\s*(?P<ampm>a\.?\s?m\.?|p\.?\s?m\.?)?(?=\b|$)(?!\.\d)(?!\s*(?:/|-\d|de\s+\w+\s+de|(?:st|nd|rd|th)\b))"
)
PART_WORDS = [
    ("morning", ("morning",)),
    ("afternoon", ("afternoon", "after lunch")),
    ("evening", ("evening", "tonight", "last night")),
]


def read(text: str, language: str) -> str:
    """A message as the date grammar reads it: folded, its date and time words in English (see canonical)."""
    return canonical(fold(text), language)


def resolve(t: str, now: datetime, *, day_first: bool = False, language: str = "en") -> When:
    """Every date and time expression in a text already `read`, resolved relative to `now` (office-local)."""
    t = re.sub(r"\b([ap])\s*\.\s*m\b\s*\.?", r"\1m", t)  # "7 p . m ."
    t = re.sub(r"\b(\d{1,2}):\s+(\d{2})\b", r"\1:\2", t)  # "9: 00"
    t = re.sub(r"\b(\d{1,2}(?::\d{2})?)([ap])\b", r"\1\2m", t)  # "9p", "8:45a"
    t = re.sub(
        r"\b([01]?\d)([0-5]\d)\s*(?=am\b|pm\b|o'clock|in the (?:morning|afternoon|evening))", r"\1:\2 ", t
    )
    t = re.sub(r"\bnoonish\b", "noon", t)
    t = re.sub(r"\b(\d{1,2})ish\b", r"around \1", t)  # "11ish"
    t = re.sub(rf"\b(\d{{1,2}}|{_HOURS})\s+([ap])\s+m\b\.?", r"\1 \2m", t)  # "nine a m"
    t = re.sub(r"\bmid\s?night\b", "0:00", t)
    t = re.sub(r"\b(?:midday|lunch\s?time)\b", "noon", t)
    t = re.sub(r"\b(?:at the moment|at present|at the present time|at this time)\b", "now", t)
    t = SPOKEN_TIME.sub(_spoken_time, t)
    t = re.sub(
        # "ten to five" is 4:50, but "from 9 to 5" is a range
        r"(?<!from )(?<!between )\b(\d{1,2}|(?:twenty|thirty|forty|fifty)[\s-]\w+|\w+)\s*(?:min(?:ute)?s?\s+)?"
        r"(past|after|to|til|before)\s+(\w+)\b",
        _minutes_past,
        t,
    )
    today = now.date()
    when = When()
    when.part_of_day = _part_of_day(t)
    _relative_days(t, today, when)
    _weekdays(t, today, when, language=language)
    _weeks(t, today, when)
    _calendar_dates(t, today, when, day_first=day_first)
    _offset_from_date(t, when)
    _open_ended(t, when)
    _times(t, when)
    _from_now(t, now, when)
    if re.search(
        r"\b(asap|as soon as possible|soonest|earliest|first available)\b",
        t,
    ):
        when.asap = True
    when.late = bool(LATE.search(t))
    return when


# The day's latest openings; "end of" a named day (its date is read as any other), not of a week or a month.
LATE = re.compile(
    r"\b(?:as late as possible|latest (?:appointment|slot|opening|time)s?|last (?:appointment|slot|opening)s? of the day"
    r"|end of (?:the |this )?(?:day|\w+day|tomorrow)|eod|close of business)\b"
)


SPAN = re.compile(
    r"\b(?:in|within)\s+(?P<n>\d{1,3}|an?|half an?)\s*(?P<unit>min(?:ute)?s?|hours?|hrs?)\b"
    r"|\b(?P<n2>\d{1,3}|an?|half an?)\s*(?P<unit2>min(?:ute)?s?|hours?|hrs?)\s+(?:from now|after now|later|(?P<ago>ago))\b"
)


def _from_now(t: str, now: datetime, when: When) -> None:
    """ "In 30 minutes", "half an hour from now", "now": a moment counted from now."""
    if match := SPAN.search(t):
        count, unit = (
            (match.group("n"), match.group("unit")) if match.group("n") else match.group("n2", "unit2")
        )
        if count.startswith("half"):
            minutes = 30
        else:
            minutes = (1 if count in ("a", "an") else int(count)) * (60 if unit.startswith("h") else 1)
        moment = now + timedelta(minutes=-minutes if match.group("ago") else minutes)
    elif re.search(r"\b(?:right )?now\b", t) and when.at is None and when.start in (None, now.date()):
        moment = now
    else:
        return
    when.start = when.end = moment.date()
    when.at = moment.time().replace(microsecond=0)


_HOURS = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_TENS = {"fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "ten": 10, "eleven": 11, "twelve": 12,
         "thirteen": 13, "fourteen": 14, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}  # fmt: skip
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
# "seven twenty-seven", "five-thirty", "one thirty p m": an hour and its minutes in words
SPOKEN_TIME = re.compile(
    rf"\b({_HOURS})[\s-]+(?:(oh)[\s-]+({_UNITS})|({'|'.join(_TENS)})(?:[\s-]+({_UNITS}))?)\b(?:\s+minutes)?"
    r"(?!-|\s+(?:days?|weeks?|months?|years?|minutes? past|past|to)\b)"
)


def _spoken_time(match: re.Match[str]) -> str:
    hour = ENGLISH_NUMBERS[match.group(1)]
    minutes = (
        ENGLISH_NUMBERS[match.group(3)]
        if match.group(2)
        else _TENS[match.group(4)] + (ENGLISH_NUMBERS[match.group(5)] if match.group(5) else 0)
    )
    return f"{hour}:{minutes:02d}" if minutes < 60 else match.group(0)


def _minutes_past(match: re.Match[str]) -> str:
    """ "20 past 8", "ten past nine", "quarter to 3" as a clock time; anything else is left as it was."""
    minutes = {"quarter": 15, "half": 30}.get(match.group(1)) or _number(match.group(1))
    hour = _number(match.group(3))
    if not minutes or not hour or minutes >= 60 or hour > 12:
        return match.group(0)
    if match.group(2) in ("past", "after"):
        return f"{hour}:{minutes:02d}"
    return f"{hour - 1 or 12}:{60 - minutes:02d}"


def _part_of_day(t: str) -> str | None:
    for part, words in PART_WORDS:
        if any(w in t for w in words):
            return part
    return None


def _relative_days(t: str, today: date, when: When) -> None:
    if re.search(r"\bday after tomorrow\b", t):
        when.start = when.end = today + timedelta(days=2)
    elif re.search(r"\btomorrow\b", t):
        when.start = when.end = today + timedelta(days=1)
    elif re.search(r"\b(today|this (?:morning|afternoon|evening)|tonight|now|right now)\b", t):
        when.start = when.end = today
    elif re.search(r"\b(yesterday|last night)\b", t):
        when.start = when.end = today - timedelta(days=1)
    _counted(t, today, when)


UNIT = r"(?P<unit>days?|weeks?|fortnights?|months?|years?)"
COUNT = r"(?P<n>\d{1,3}|an?|\w+(?:-\w+)?)"
# "in 3 days", "within a fortnight", "in two months' time"
WITHIN = re.compile(rf"\b(?:in|within)\s+{COUNT}\s+{UNIT}\b")
# "2 days from tomorrow", "two weeks before today", "3 days ago", "dois meses atrás" (after canonical())
COUNTED = re.compile(
    rf"\b{COUNT}\s+{UNIT}\s+(?:(?P<dir>from|after|before)\s+(?:the\s+)?"
    r"(?P<base>today|tomorrow|yesterday|now)|(?P<ago>ago))\b"
)
# "3 days after January 12th", "two months after next Friday": counted from the date the text names
OFFSET = re.compile(
    rf"\b{COUNT}\s+{UNIT}\s+(?P<dir>after|from|before)\s+(?!(?:the\s+)?(?:today|tomorrow|yesterday|now)\b)"
)


def _counted(t: str, today: date, when: When) -> None:
    if match := COUNTED.search(t):
        base = today + timedelta(days={"tomorrow": 1, "yesterday": -1}.get(match.group("base") or "", 0))
        sign = -1 if match.group("ago") or match.group("dir") == "before" else 1
    elif match := WITHIN.search(t):
        base, sign = today, 1
    else:
        return
    if moved := _moved(base, match.group("n"), match.group("unit"), sign):
        when.start = when.end = _on_named_weekday(t, moved)


def _offset_from_date(t: str, when: When) -> None:
    match = OFFSET.search(t)
    if match is None or when.start is None or when.start != when.end:
        return
    sign = -1 if match.group("dir") == "before" else 1
    if moved := _moved(when.start, match.group("n"), match.group("unit"), sign):
        # "two months after next Friday" counts from the weekday; "3 weeks after Christmas on Friday" lands on it
        counted_from_weekday = re.match(
            rf"(?:next |this |last )?(?:{'|'.join(WEEKDAY_NAMES)})\b", t[match.end() :]
        )
        when.start = when.end = moved if counted_from_weekday else _on_named_weekday(t, moved)


def _open_ended(t: str, when: When) -> None:
    """ "After Christmas", "después del 15 de mayo", "ab Montag", "before Easter": from the day after, or up to
    the day before, not that one day (a clock time after "after" is read by `_times`)."""
    if when.start is None or when.start != when.end or OFFSET.search(t):
        return
    bounded = re.search(
        rf"\b(?P<side>after|since|from|before|until|till)\s+(?:the\s+)?(?=holiday_|(?:next |this )?"
        rf"(?:{'|'.join(WEEKDAY_NAMES)})\b|(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)?)?(?:{MONTH_PATTERN})\b)",
        t,
    )
    if bounded is None:
        return
    side, day = bounded.group("side"), when.start
    if side in ("after", "since", "from"):
        when.start, when.end = day + timedelta(days=1) if side == "after" else day, None
    else:
        when.start, when.end = None, day - timedelta(days=1) if side == "before" else day


def _on_named_weekday(t: str, day: date) -> date:
    """ "Monday two weeks from now", "in 3 days on Friday": the named weekday of the counted day's week."""
    weekday = _named_weekday(t)
    return day if weekday is None else day + timedelta(days=weekday - day.weekday())


def _named_weekday(t: str) -> int | None:
    """The weekday a text (after `canonical`) names, when it names exactly one."""
    named = [i for i, name in enumerate(WEEKDAY_NAMES) if re.search(rf"\b{name}\b", t)]
    return named[0] if len(named) == 1 else None


def _coming(today: date, weekday: int) -> date:
    """A bare weekday: its next occurrence after today."""
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _moved(day: date, count_word: str, unit: str, sign: int) -> date | None:
    """`day` moved by a counted span; a month or year later keeps the day of the month where it can."""
    count = 1 if count_word in ("a", "an") else _number(count_word)
    if not count or count > 120:
        return None
    if unit.startswith(("day", "week", "fortnight")):
        per = {"d": 1, "w": 7, "f": 14}[unit[0]]
        return day + timedelta(days=sign * count * per)
    months = sign * count * (12 if unit.startswith("year") else 1)
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    if not 1 <= year <= 9999:
        return None
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def _day_of_month(today: date, day: int) -> date | None:
    """The coming "the 7th": this month's, or next month's once it has passed."""
    if not 1 <= day <= 31:
        return None
    month, year = today.month, today.year
    if day < today.day:
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return date(year, month, min(day, monthrange(year, month)[1]))


def _weekday_on(today: date, weekday: int, day: int) -> date | None:
    """This month's day when it is that weekday, even just past ("Tuesday the 25th" on the 28th names the
    Tuesday gone by, not one months away); else the next date (within two years) that is both. "Thursday 0"
    names no day of the month: the coming Thursday."""
    if not 1 <= day <= 31:
        return _coming(today, weekday)
    month, year = today.month, today.year
    for _ in range(25):
        if (
            day <= monthrange(year, month)[1]
            and ((found := date(year, month, day)) >= today or month == today.month)
            and found.weekday() == weekday
        ):
            return found
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return _day_of_month(today, day)


def _weekdays(t: str, today: date, when: When, *, language: str) -> None:
    found = [i for i, name in enumerate(WEEKDAY_NAMES) if re.search(rf"\b{name}s?\b", t)]
    if language == "en":
        found += [i for short, i in WEEKDAY_SHORT.items() if re.search(rf"\b{short}\b\.?", t)]
    found = sorted(set(found))
    if not found:
        return
    if len(found) == 1 and when.start is None:
        day: date | None  # `_weekday_on` may find no such day
        if re.search(rf"\b(?:past|this last)\s+{WEEKDAY_NAMES[found[0]]}\b", t):  # "this past Wednesday"
            day = today - timedelta(days=(today.weekday() - found[0]) % 7 or 7)
        elif re.search(rf"\bthis (?:next|coming)\s+{WEEKDAY_NAMES[found[0]]}\b", t):  # "este próximo viernes"
            day = _coming(today, found[0])
        elif re.search(rf"\b(?:last|previous)\s+{WEEKDAY_NAMES[found[0]]}\b", t):  # as "next": a week's step
            day = today - timedelta(days=today.weekday() + 7 - found[0])
        elif day_of_month := re.search(
            rf"\b{WEEKDAY_NAMES[found[0]]}\s*,?\s*(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b"
            r"(?!\s*(?:[:.h/-]\d|o'?clock|am\b|pm\b|a\.m|p\.m))",
            t,
        ):
            day = _weekday_on(today, found[0], int(day_of_month.group(1)))  # "lunes 21": a Monday the 21st
        elif day_first := re.search(rf"(?<![:.])\b(?:the\s+)?(\d{{1,2}})\s+{WEEKDAY_NAMES[found[0]]}\b", t):
            day = _weekday_on(today, found[0], int(day_first.group(1)))  # "le 25 mardi"
        elif re.search(r"\b(?:last|previous) week\b", t):  # "Tuesday of last week"
            day = today - timedelta(days=today.weekday() + 7 - found[0])
        elif re.search(r"\bthis week\b", t):  # "this week Monday", even when it has passed
            day = today - timedelta(days=today.weekday() - found[0])
        elif re.search(r"\bnext week\b", t) or re.search(
            rf"\b(?:next|following)\s+{WEEKDAY_NAMES[found[0]]}\b", t
        ):
            # "Tuesday next week", "next Tuesday": that weekday in the coming Monday-to-Sunday week.
            day = today - timedelta(days=today.weekday()) + timedelta(days=7 + found[0])
        else:
            day = _coming(today, found[0])
        when.start = when.end = day
    else:
        when.weekdays = found


def _weeks(t: str, today: date, when: When) -> None:
    monday = today - timedelta(days=today.weekday())
    if re.search(r"\bnext week\b", t):
        if when.start is None:
            when.start, when.end = monday + timedelta(days=7), monday + timedelta(days=13)
    elif re.search(r"\bthis week\b", t) and when.start is None:
        when.start, when.end = today, monday + timedelta(days=6)


def _number(word: str) -> int | None:
    """A count in digits or English words ("3", "fifteen", "thirty-six")."""
    if word.isdecimal():
        return int(word)
    tens, _, unit = word.replace(" ", "-").partition("-")
    if unit:
        return (ENGLISH_NUMBERS.get(tens) or 0) + (ENGLISH_NUMBERS.get(unit) or 0) or None
    return ENGLISH_NUMBERS.get(word)


def _calendar_dates(t: str, today: date, when: When, *, day_first: bool) -> None:
    found = holidays.date_of(t, today) or _of_next_month(t, today)
    if found is None:
        found = (
            _scrambled_date(t, day_first=day_first)
            or _month_name_date(t, today)
            or _numeric_date(t, today, day_first=day_first)
        )
        if found is not None and not OFFSET.search(t):
            found = _passed_on_weekday(t, found, today)
    if found is None and when.start is None:  # "tuesday the 11th" was read with its weekday
        found = _ordinal_day(t, today)
    if found is not None:
        when.start = when.end = found


def _passed_on_weekday(t: str, found: date, today: date) -> date:
    """ "Friday, June 15" on June 20: June 15 has passed and was a Friday, so the weekday names that day
    (the conversation then says it has passed), not next year's June 15, a Saturday."""
    weekday = _named_weekday(t)
    if weekday is None or found.year != today.year + 1 or found.weekday() == weekday:
        return found
    if re.search(r"\b(?:19|20)\d{2}\b", t):  # a year written is that year
        return found
    try:
        this_year = found.replace(year=today.year)
    except ValueError:  # February 29
        return found
    return this_year if this_year.weekday() == weekday else found


def _of_next_month(t: str, today: date) -> date | None:
    """ "The 15th of next month", "the 3rd day of this month"."""
    match = re.search(
        r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:day\s+)?of\s+(?:the\s+)?(next|this|following|coming)\s+month\b", t
    )
    if match is None:
        return None
    year, month = divmod(today.year * 12 + today.month - 1 + (match.group(2) != "this"), 12)
    try:
        return date(year, month + 1, int(match.group(1)))
    except ValueError:
        return None


def _scrambled_date(t: str, *, day_first: bool = True) -> date | None:
    """A day, a month (a name, or a number between two others) and a four-digit year in any order:
    "sep-23-2020", "2020/sep/23", "23-2020-september", "02 04 2009", "9 de 8 de 1971"."""
    part = rf"(?:\d{{1,4}}|{MONTH_PATTERN})"
    sep = r"(?:\s*[/.,-]\s*|\s+de\s+|\s+)"
    # A lookahead finds overlapping triples, so "13:00 february 28, 2013" still finds its date.
    for match in re.finditer(rf"(?=\b({part}{sep}{part}{sep}{part})\b)", t):
        pieces = [p for p in re.split(r"[\s/.,-]+", match.group(1)) if p != "de"]
        months = [MONTH_WORDS[p] for p in pieces if p in MONTH_WORDS]
        years = [int(p) for p in pieces if p.isdecimal() and len(p) == 4]
        numbers = [int(p) for p in pieces if p.isdecimal() and len(p) <= 2]
        if (
            len(years) == 1
            and not months
            and len(numbers) == 2
            and pieces[-1].isdecimal()
            and len(pieces[-1]) == 4
        ):
            # day first as every language but English writes it; English puts the month first
            day_comes_first = day_first or numbers[0] > 12
            months, numbers = (
                ([numbers[1]], [numbers[0]]) if day_comes_first else ([numbers[0]], [numbers[1]])
            )
        elif len(years) == 1 and not months and len(numbers) == 2 and len(pieces[0]) == 4:
            months, numbers = [numbers[0]], [numbers[1]]  # "2016 10 16": year, month, day
        if len(months) == len(years) == len(numbers) == 1:
            try:
                return date(years[0], months[0], numbers[0])
            except ValueError:
                continue
    return None


def _month_name_date(t: str, today: date) -> date | None:
    year = r"(?:\s*,?\s*(?:de\s+|of\s+|del\s+|in\s+|the\s+(?=\d{4}))?(?P<year>\d{4}|[3-9]\d)\b(?!\s*(?:[:.h]\d|o'clock|am|pm)))?"
    patterns = [
        # not an amount ("$12 December 27") nor a clock's minutes ("12:30 december 27th")
        rf"(?<!\d[:.])(?<![$€£]\s)(?<![$€£])\b(\d{{1,2}})(?:st|nd|rd|th)?[\s/-]+(?:de\s+|of\s+|من\s+)?({MONTH_PATTERN})\b\.?[\s/-]*{year}",
        rf"\b({MONTH_PATTERN})(?:\b|(?=\d))\.?[\s/,-]*(\d{{1,2}})(?:st|nd|rd|th)?\b{year}",  # "Dec31"
    ]
    for n, pattern in enumerate(patterns):
        if match := re.search(pattern, t):
            day_text, month_text = (
                (match.group(1), match.group(2)) if n == 0 else (match.group(2), match.group(1))
            )
            if match.group("year"):  # a date with its year is that date, past or future ("23 novembro 82")
                written = int(match.group("year"))
                try:
                    return date(
                        written + 1900 if written < 100 else written, MONTH_WORDS[month_text], int(day_text)
                    )
                except ValueError:
                    return None
            return _future(today, MONTH_WORDS[month_text], int(day_text))
    return None


def _numeric_date(t: str, today: date, *, day_first: bool) -> date | None:
    if iso := re.search(r"\b(\d{4})[/-](\d{1,2})[/-](\d{1,2})\b", t) or re.search(
        r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)",
        t,  # "20161016"
    ):
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            return None
    # "7/6", "7-6", and in day-first languages the dotted "28.10." or "15.05.99" (a bare "22.04" is a time).
    dotted = r"|\b(\d{1,2})\.(\d{1,2})(?:\.(\d{2,4})\b|\.(?!\d))" if day_first else ""
    match = re.search(rf"\b(\d{{1,2}})[/-](\d{{1,2}})(?:[/-](\d{{2,4}}))?\b{dotted}", t)
    if not match:
        return None
    first, second, year_text = (
        (match.group(1), match.group(2), match.group(3)) if match.group(1) else match.groups()[3:6]
    )
    a, b = int(first), int(second)
    month, day = (b, a) if (day_first or a > 12) and b <= 12 else (a, b)  # "2/29" reads one way only
    if year_text:
        year = int(year_text)
        if year < 100:  # "99" is 1999, "26" is 2026
            year += 2000 if year + 2000 <= today.year + 10 else 1900
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return _future(today, month, day)


def _ordinal_day(t: str, today: date) -> date | None:
    match = ORDINAL_DAY.search(t)
    if not match:
        return None
    return _day_of_month(today, int(match.group(1) or match.group(2)))


def _future(today: date, month: int, day: int) -> date | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    for year in range(today.year, today.year + 9):  # February 29 waits for the next leap year
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


# "before 15 December", "after the 3rd": a day of the month, not a clock time
NOT_A_DAY = rf"(?!\d|\s*(?:st|nd|rd|th)\b|\s*(?:de\s+|of\s+)?(?:{MONTH_PATTERN})\b)"
HOUR_WORDS = re.compile(rf"\b({_HOURS})\b(?=\s*(?:pm|am|p\.m|a\.m|o'clock|o\"clock|in the|at night))")


def _times(t: str, when: When) -> None:
    t = HOUR_WORDS.sub(lambda m: str(ENGLISH_NUMBERS[m.group(1)]), t)  # "three pm" reads as "3 pm"
    if match := re.search(
        r"(?<![:.\d])(?:\b(?P<side>after|from|before|until|by)\s+)?\b(\d{1,2})(?:[:.](\d{2})(?::(\d{2}))?)?\s*o['\"]?clock",
        t,
    ):
        clock = _clock(
            int(match.group(2)), int(match.group(3) or 0), None, when.part_of_day, int(match.group(4) or 0)
        )
        side = match.group("side")
        if side in ("after", "from"):
            when.earliest = clock
        elif side:
            when.latest = clock  # "before 10 o'clock", "vor 10 Uhr"
        else:
            when.at = clock
        return
    if re.search(r"\bnoon\b", t):
        when.at = time(12, 0)
    if quarter := re.search(r"\bquarter (past|after|to|til|before) (\w+)", t):
        hour = _number(quarter.group(2))
        if hour:
            past = quarter.group(1) in ("past", "after")
            when.at = _clock(hour if past else hour - 1, 15 if past else 45, None, when.part_of_day)
            return
    part_words = r"(morning|afternoon|evening|tonight|night)"
    beside = re.search(
        rf"(?<![:\d])\b(\d{{1,2}})(?::(\d{{2}}))?\s*,?\s+(?:in the |at |this |today )?"
        rf"{part_words}\b",
        t,
    ) or re.search(rf"\b{part_words}\s+(?:at\s+)?(\d{{1,2}})(?::(\d{{2}}))?\b(?!\s*(?:st|nd|rd|th|/))", t)
    if beside and when.at is None and not _a_day_number(t, beside):
        hour_text, minute_text = (
            (beside.group(1), beside.group(2))
            if beside.group(1).isdecimal()
            else (beside.group(2), beside.group(3))
        )
        when.at = _clock(int(hour_text), int(minute_text or 0), None, when.part_of_day)
    if match := re.search(r"\bhalf past (\w+)", t):
        hour = _number(match.group(1))
        if hour:
            when.at = _clock(hour, 30, None, when.part_of_day)
    for match in re.finditer(
        r"\b(after|from)\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?" + NOT_A_DAY,
        t,
    ):
        when.earliest = _clock(
            int(match.group(2)), int(match.group(3) or 0), match.group(4), when.part_of_day
        )
    for match in re.finditer(
        r"\b(before|until|by)\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?" + NOT_A_DAY,
        t,
    ):
        when.latest = _clock(int(match.group(2)), int(match.group(3) or 0), match.group(4), when.part_of_day)
    if when.at is None and when.earliest is None and when.latest is None:
        when.at = _exact_time(t, when.part_of_day)


def _a_day_number(t: str, beside: re.Match[str]) -> bool:
    """ "Monday 21 in the morning" ("el lunes 21 por la mañana"): the 21 is the day, not 21:00."""
    if not beside.group(1).isdecimal() or beside.group(2):
        return False
    before = t[: beside.start()].split()
    return bool(before) and before[-1] in WEEKDAY_NAMES


def _exact_time(t: str, part: str | None) -> time | None:
    spoken = re.search(
        r"\b(?:at|@|around|about|circa)\s+(\d{1,2})(?:[:.h](\d{2})(?::(\d{2}))?)?\s*(am|pm|a\.m\.|p\.m\.)?",
        t,
    )
    if spoken:
        hour, minute, second = int(spoken.group(1)), int(spoken.group(2) or 0), int(spoken.group(3) or 0)
        return _clock(hour, minute, spoken.group(4), part, second)
    for match in CLOCK.finditer(t):
        hour, minute, ampm = int(match.group("h")), int(match.group("m") or 0), match.group("ampm")
        if match.group("m") is None and ampm is None and "h" not in match.group(0):
            continue  # a bare number is a choice or a day, not a time
        return _clock(hour, minute, ampm, part, int(match.group("s") or 0))
    return None


def _clock(hour: int, minute: int, ampm: str | None, part: str | None, second: int = 0) -> time | None:
    if hour == 24 and minute == second == 0:
        hour = 0  # "a las 24"
    if hour > 23 or minute > 59 or second > 59:
        return None
    marker = (ampm or "").replace(".", "").replace(" ", "")
    if marker == "pm" and hour < 12:
        hour += 12
    elif marker == "am" and hour == 12:
        hour = 0
    elif not marker and hour == 12 and part == "evening":
        hour = 0  # "12 Uhr nachts", "las 12 de la noche"
    elif not marker and hour < 12 and (part in ("afternoon", "evening") or (part is None and 1 <= hour <= 6)):
        hour += 12  # nobody books a dental visit at 3 in the morning
    return time(hour, minute, second)


def birthdate_in(t: str, *, day_first: bool, today: date | None = None) -> date | None:
    """A date of birth in a text already `read`: numeric with a year, or with a month name and a year, and
    before `today` (a date to come is a visit)."""
    found = _birthdate(t, day_first=day_first)
    return found if found is not None and (today is None or found < today) else None


def _birthdate(t: str, *, day_first: bool) -> date | None:
    named = re.search(
        rf"\b(\d{{1,2}})\s+(?:de\s+)?({MONTH_PATTERN})\b\.?,?\s+(?:de\s+)?(\d{{4}})\b", t
    ) or re.search(rf"\b({MONTH_PATTERN})\b\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", t)
    try:
        if named and named.group(1).isdecimal():
            return date(int(named.group(3)), MONTH_WORDS[named.group(2)], int(named.group(1)))
        if named:
            return date(int(named.group(3)), MONTH_WORDS[named.group(1)], int(named.group(2)))
        if iso := re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", t):
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if numeric := re.search(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b", t):
            a, b, year = int(numeric.group(1)), int(numeric.group(2)), int(numeric.group(3))
            month, day = (
                (b, a) if (day_first or a > 12) and b <= 12 else (a, b)
            )  # "03/14/1985" whatever the language
            return date(year, month, day)
    except ValueError:
        return None
    return None
