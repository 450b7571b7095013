"""Rewrite a message's date and time words into the English forms the resolver reads, from a language's table.

"mañana a las 5 de la tarde", "demain à 17h", "morgen um 5 Uhr nachmittags", "kal shaam 5 baje" and
"غدا الساعه 5 مساء" all become "tomorrow at 5 ... in the afternoon/evening"; one grammar then resolves every
language, and a language is a table in `lexicon.py` plus the few clock idioms below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, partial

from flows.nlu import holidays
from flows.nlu.lexicon import LEXICONS, Lexicon
from flows.nlu.matching import ARABIC_PREFIX, LETTER, pattern

ENGLISH = LEXICONS["en"]
WEEKDAY_NAMES = [day[0] for day in ENGLISH.weekdays]
MONTH_NAMES = [month[0] for month in ENGLISH.months]
ENGLISH_ORDINALS = {
    word: n + 1
    for n, word in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
        ]
    )
} | {"thirtieth": 30}
ENGLISH_UNITS = {w: n for w, n in ENGLISH.numbers.items() if n} | ENGLISH_ORDINALS
ENGLISH_DAY = (
    rf"(?:(?:twenty|thirty)[\s-]+)?(?:{'|'.join(sorted(ENGLISH_UNITS, key=len, reverse=True))})|twenty|thirty"
)


ENGLISH_SHORTHAND = {word: "tomorrow" for word in ENGLISH.tomorrow[1:]} | {"otd": "today"}
SHORT_DAYS = {short: i for i, forms in enumerate(ENGLISH.weekdays) for short in forms[1:] if len(short) > 3}
ENGLISH_SHORT_DAY = re.compile(rf"\b({'|'.join(SHORT_DAYS)})\b\.?")
# "mon", "sat", "sun" are English words too; beside a day number ("sat 14th") they are days.
ALL_SHORT_DAYS = {short: i for i, forms in enumerate(ENGLISH.weekdays) for short in forms[1:]}
ENGLISH_DAY_BEFORE_DATE = re.compile(rf"\b({'|'.join(ALL_SHORT_DAYS)})\b\.?(?=,?\s+(?:the\s+)?\d)")


def canonical(t: str, language: str) -> str:
    """The folded text with the language's date and time words in English, and days written as words next
    to a month or weekday as numbers ("february twenty second" reads "february 22"); holidays as tokens."""
    t = holidays.mark(t, language)
    if language == "en":
        t = _english_shorthand(t)
        t = _english_years(t)
        t = ENGLISH_SHORT_DAY.sub(lambda m: WEEKDAY_NAMES[SHORT_DAYS[m.group(1)]], t)
        t = ENGLISH_DAY_BEFORE_DATE.sub(lambda m: WEEKDAY_NAMES[ALL_SHORT_DAYS[m.group(1)]], t)
        return _english_days(t)
    lexicon = LEXICONS.get(language)
    if lexicon is None:
        return t
    t = re.sub(r"\b([ap])\.\s?m\.?(?!\w)", r"\1m", t)  # "a.m." before "a" is read as "at"
    t = _numbers(t, lexicon, lexicon.ordinal_ending)
    t = _spelled_years(t, language)
    t = _clock_idioms(t, language, lexicon)
    # "1.º", "1er", "2eme", "27 वें" (before German's "3. März", which would read "1.º" as "1 º")
    t = re.sub(r"\b(\d{1,2})(?:\.?º|\.?ª|°|er|re|eme|ème|\s*(?:वें|वीं|वां))(?![^\W\d_])", r"\1", t)
    t = re.sub(r"(?<![\d.])\b(\d{1,2})\.(?=\s*[^\W\d])", r"\1 ", t)  # German "3. März", "28.oktober"
    t = _short_months(t, lexicon)
    t = _short_weekdays(t, lexicon)
    t = _spans(t, lexicon)
    words, english = _word_table(language)
    t = words.sub(lambda m: f" {english[m.group('word')]} ", t)
    if language in ("es", "pt"):  # "el 17 del 11", "dia 5 do 3": the day of the month
        t = re.sub(r"(?<!las )(?<!as )\b(\d{1,2})\s+(?:del|do)\s+(0?[1-9]|1[0-2])\b(?![:.]\d)", r"\1/\2", t)
    for article in lexicon.day_articles:
        t = pattern(article).sub(" the ", t)
    if language == "hi":  # postpositions: "5 बजे से पहले" is "before 5", "11 के आसपास" "around 11"
        t = re.sub(r"(\d{1,2}(?::\d{2})?(?:\s+o'clock)?)\s+(?:से\s+|se\s+)?(before|after)\b", r"\2 \1", t)
        t = re.sub(r"(\d{1,2}(?::\d{2})?)\s+(?:के आसपास|के करीब|ke aaspaas|ke aas paas)", r"around \1", t)
        t = re.sub(r"((?:this\s+)?\w+)\s+(?:के अंत में|ke ant me)", r"end of \1", t)  # "कल के अंत में"
        # "दिवाली के बाद", "सोमवार से पहले": after Diwali, before Monday
        days = "|".join(WEEKDAY_NAMES)
        t = re.sub(rf"\b(holiday_\w+|{days})\s+(?:से\s+|se\s+)?(before|after)\b", r"\2 \1", t)
        # "कल से तीन सप्ताह": three weeks from tomorrow
        t = re.sub(
            r"\b(today|tomorrow)\s+(?:से|se)\s+(\d{1,3} (?:days|weeks|months|years))\b", r"\2 from \1", t
        )
    if lexicon.year_spans:  # "el año que viene", "letzten Jahres": "next year", "last year"
        years = _alternatives(lexicon.year_spans)
        t = re.sub(rf"(?<!{LETTER})(next|last|this)\s+(?:{years})(?!{LETTER})", r"\1 year", t)
        t = re.sub(rf"(?<!{LETTER})(?:{years})\s+(next|last|this)(?!{LETTER})", r"\1 year", t)
    # "semaine prochaine", "الاسبوع القادم", "lunes próximo": the grammar reads "next week", "next monday".
    t = re.sub(rf"\b(week|{'|'.join(WEEKDAY_NAMES)})\s+(next|last|this)\b(?!\s+week)", r"\2 \1", t)
    return re.sub(r"\s+", " ", t).strip()


@cache
def _word_table(language: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for every date and time word of the language, and each word's English. One pass, so the
    English written for one word is never read again as another ("às" is "at", but not in "as soon as")."""
    lexicon = LEXICONS[language]
    table: list[tuple[tuple[str, ...], str]] = [
        (lexicon.day_after_tomorrow, "day after tomorrow"),
        (lexicon.asap, "as soon as possible"),
        (lexicon.late, "as late as possible"),
        (lexicon.end_of, "end of"),
        (lexicon.this_morning, "this morning"),
        (lexicon.this_afternoon, "this afternoon"),
        (lexicon.this_evening, "this evening"),
        (lexicon.today, "today"),
        (lexicon.tomorrow, "tomorrow"),
        (lexicon.yesterday, "yesterday"),
        (lexicon.last_night, "last night"),
        (lexicon.morning, "in the morning"),
        (lexicon.afternoon, "in the afternoon"),
        (lexicon.evening, "in the evening"),
        (lexicon.noon, "noon"),
        (lexicon.midnight, "midnight"),
        (lexicon.after, "after"),
        (lexicon.later, "later"),
        (lexicon.before, "before"),
    ]
    table += [(_long(day), WEEKDAY_NAMES[i]) for i, day in enumerate(lexicon.weekdays)]
    table += [(_long(month), MONTH_NAMES[i]) for i, month in enumerate(lexicon.months)]
    table += [(lexicon.next, "next"), (lexicon.last, "last"), (lexicon.this, "this"), (lexicon.week, "week")]
    table += [(lexicon.oclock, "o'clock"), (lexicon.at, "at")]
    english = {word: name for words, name in table for word in words}
    # Longest phrases first, so "pasado mañana" is read before "mañana" and "à tarde" before "à".
    alternatives = "|".join(re.escape(word) for word in sorted(english, key=len, reverse=True))
    prefix = ARABIC_PREFIX if language == "ar" else ""
    return re.compile(rf"(?<!{LETTER}){prefix}(?P<word>{alternatives})(?!{LETTER})"), english


_CALENDAR = "|".join(
    sorted({w for forms in ENGLISH.months + ENGLISH.weekdays for w in forms}, key=len, reverse=True)
)
_DAY_BESIDE_CALENDAR = re.compile(
    rf"\b(?P<before>(?:{_CALENDAR})\s+(?:the\s+)?)(?P<day>{ENGLISH_DAY})\b"
    rf"|\b(?P<day2>{ENGLISH_DAY})(?P<after>\s+(?:of\s+)?(?:{_CALENDAR}))\b"
)


def _english_shorthand(t: str) -> str:
    """ "tmrw", "otd" ("on this day") and "the 23rd day of May" as the grammar reads them."""
    for word, english in ENGLISH_SHORTHAND.items():
        if word in t:
            t = pattern(word).sub(english, t)
    return re.sub(rf"(?<=\w)\s+day\s+of\s+(?=(?:{_CALENDAR})\b)", " of ", t)


def _english_days(t: str) -> str:
    def number(words: str) -> str:
        parts = re.split(r"[\s-]+", words)
        tens = {"twenty": 20, "thirty": 30}.get(parts[0], 0)
        return str(tens + (ENGLISH_UNITS.get(parts[-1], 0) if len(parts) > 1 or not tens else 0))

    return _DAY_BESIDE_CALENDAR.sub(
        lambda m: (
            f"{m.group('before')}{number(m.group('day'))}"
            if m.group("day")
            else f"{number(m.group('day2'))}{m.group('after')}"
        ),
        t,
    )


def _spans(t: str, lexicon: Lexicon) -> str:
    """Spans of time: "dans 3 jours" and "3 दिन में" read "in 3 days", "hace 3 meses" reads "3 months ago"."""
    units = {
        "minutes": lexicon.minutes,
        "hours": lexicon.hours,
        "days": lexicon.days,
        "weeks": lexicon.week,
        "months": lexicon.month_spans,
        "years": lexicon.year_spans,
    }
    units = {unit: forms for unit, forms in units.items() if forms}
    within = "|".join(map(re.escape, lexicon.within)) or "(?!)"
    for unit, forms in units.items():
        words = _alternatives(forms)
        t = re.sub(
            rf"(?<!{LETTER})(?:{within})\s+(\d{{1,3}})\s*(?:{words})(?!{LETTER})", rf" in \1 {unit} ", t
        )
        t = re.sub(
            rf"(?<!{LETTER})(\d{{1,3}})\s*(?:{words})\s+(?:{within})(?!{LETTER})", rf" in \1 {unit} ", t
        )
    for word in lexicon.now:
        t = pattern(word).sub(" now ", t)
    for unit, forms in units.items():
        words = _alternatives(forms)
        for word in lexicon.ago_before:
            t = re.sub(
                rf"(?<!{LETTER}){re.escape(word)}\s+(\d{{1,3}})\s*(?:{words})(?!{LETTER})",
                rf" \1 {unit} ago ",
                t,
            )
        for word in lexicon.ago_after:
            t = re.sub(rf"(\d{{1,3}})\s*(?:{words})\s+{re.escape(word)}(?!{LETTER})", rf" \1 {unit} ago ", t)
        if unit != "hours":  # "3 días a partir de hoy" reads "3 days after today"; "horas" stays a clock word
            t = re.sub(rf"(?<=\d)\s*(?:{words})(?!{LETTER})", f" {unit} ", t)
    return t


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


def _short_weekdays(t: str, lexicon: Lexicon) -> str:
    """Weekday abbreviations written with their dot ("sáb.", "mer.", "Mi.")."""
    for i, day in enumerate(lexicon.weekdays):
        for short in (f for f in day if len(f) <= 3 and f in t):
            t = re.sub(rf"(?<![^\W\d_]){short}\.", f" {WEEKDAY_NAMES[i]} ", t)
    return t


def _short_months(t: str, lexicon: Lexicon) -> str:
    """Month abbreviations beside a number ("31-dic-1994", "23 set", "jan/3")."""
    for i, month in enumerate(lexicon.months):
        for short in (f for f in month if len(f) <= 3 and f in t):
            t = re.sub(rf"(?<=\d)([-/. ]){short}\.?(?![^\W\d_])", rf"\1{MONTH_NAMES[i]}", t)
            t = re.sub(rf"(?<![^\W\d_]){short}\.?(?=[-/ ]?\d)", f"{MONTH_NAMES[i]} ", t)
    return t


def _long(forms: tuple[str, ...]) -> tuple[str, ...]:
    """Short forms ("mar", "di", "sa") collide with other words; they count only beside a number or with their
    dot. The full name always counts, however short ("mai")."""
    return tuple(f for i, f in enumerate(forms) if i == 0 or len(f) > 3)


def _numbers(t: str, lexicon: Lexicon, ordinal: str = "") -> str:
    """Number words as digits, compounds included ("vingt-sept", "veinticinco", "dreiundzwanzig", "vinte e cinco");
    `ordinal` is the language's ordinal ending, read as the number ("zweiten Mai")."""
    words = lexicon.numbers
    if not words:
        return t
    tens = {w: n for w, n in words.items() if n in (20, 30, 40, 50, 60, 70, 80, 90)}
    units = {w: n for w, n in words.items() if 1 <= n <= 9}
    if tens and units:
        join = r"(?:\s*-\s*|\s+e\s+|\s+y\s+|\s+et\s+|und)"
        compound = re.compile(rf"(?<!{LETTER})({'|'.join(tens)}){join}({'|'.join(units)})(?!{LETTER})")
        t = compound.sub(lambda m: str(tens[m.group(1)] + units[m.group(2)]), t)
        german = re.compile(rf"(?<!{LETTER})({'|'.join(units)})und({'|'.join(tens)}){ordinal}(?!{LETTER})")
        t = german.sub(lambda m: _digits(tens[m.group(2)] + units[m.group(1)], m.group(0), lexicon), t)
        # "تسعة وعشرين" is 29, but "الثامنة وعشرين دقيقة" is eight and twenty minutes
        arabic = re.compile(
            rf"(?<!{LETTER})({'|'.join(units)})\s+و\s*({'|'.join(tens)})(?!{LETTER})(?!\s*دقيق)"
        )
        t = arabic.sub(lambda m: str(tens[m.group(2)] + units[m.group(1)]), t)
        t = re.sub(rf"(?<!{LETTER})و({'|'.join(tens)})(?!{LETTER})", lambda m: f"و {tens[m.group(1)]}", t)
        t = re.sub(
            r"\bveinti(\w+)", lambda m: str(20 + units[m.group(1)]) if m.group(1) in units else m.group(0), t
        )
    for word in sorted((w for w in words if w in t), key=len, reverse=True):  # only the words the text holds
        t = re.sub(
            rf"(?<!{LETTER}){re.escape(word)}{ordinal}(?!{LETTER})",
            partial(_match_digits, words[word], lexicon),
            t,
        )
    return re.sub(r"(?<=\d)\.(?=\s*[/-]\s*\d)", "", t)  # "dritter/11." is "3/11."


def _spelled_years(t: str, language: str) -> str:
    """ "dos mil dieciocho", "mil novecientos noventa y dos", "deux mille" (their number words already digits)
    as a year, where the text names a month: "dos mil" alone is an amount, not a year."""
    lexicon = LEXICONS[language]
    if not lexicon.years or not any(month[0] in t for month in lexicon.months):
        return t
    starts = _year_starts(language)
    return re.sub(
        rf"(?<!{LETTER})({'|'.join(map(re.escape, starts))})(?:\s+(?:y|e|et|and)?\s*(\d{{1,2}}))?(?![\d\w])",
        lambda m: str(starts[m.group(1)] + int(m.group(2) or 0)),
        t,
    )


@cache
def _year_starts(language: str) -> dict[str, int]:
    """The language's year beginnings as `_numbers` leaves them ("dos mil" reads "2 mil"), longest first."""
    lexicon = LEXICONS[language]
    written = {_numbers(start, lexicon): year for start, year in lexicon.years.items()}
    return dict(sorted(written.items(), key=lambda item: -len(item[0])))


# English years: "nineteen eighty six", "nineteen hundred ninety three", "two thousand and thirty two"
_TEENS = {w: n for w, n in ENGLISH.numbers.items() if 10 <= n <= 19}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_UNITS = {w: n for w, n in ENGLISH.numbers.items() if 1 <= n <= 9}
_TWO_DIGITS = (
    rf"(?:{'|'.join(_TENS)})(?:[\s-]+(?:{'|'.join(_UNITS)}))?|{'|'.join(_TEENS)}|oh\s+(?:{'|'.join(_UNITS)})"
)
ENGLISH_YEAR = re.compile(
    rf"\b(?:(?P<c>{'|'.join(_TEENS)}|twenty)\s+(?:(?P<h>hundred)(?:\s+and)?\s*)?(?P<n>{_TWO_DIGITS})?"
    rf"|two\s+thousand(?:\s+and)?(?:\s+(?P<n2>{_TWO_DIGITS}|{'|'.join(_UNITS)}))?)\b"
)
_MONTH_WORD = re.compile(rf"\b(?:{'|'.join(m for month in ENGLISH.months for m in month)})\b")


def _english_years(t: str) -> str:
    if not _MONTH_WORD.search(t):
        return t

    def year(m: re.Match[str]) -> str:
        if m.group("c") is None:
            return str(2000 + (_two_digits(m.group("n2")) if m.group("n2") else 0))
        last = _two_digits(m.group("n")) if m.group("n") else None
        if not m.group("h") and (last is None or (last < 10 and not m.group("n").startswith("oh"))):
            return m.group(0)  # "twenty five" is a day, not 2005
        return str(_TEENS.get(m.group("c"), 20) * 100 + (last or 0))

    return ENGLISH_YEAR.sub(year, t)


def _two_digits(words: str) -> int:
    parts = [p for p in re.split(r"[\s-]+", words) if p != "oh"]
    return sum(_TENS.get(p) or _TEENS.get(p) or _UNITS.get(p) or 0 for p in parts)


def _digits(number: int, written: str, lexicon: Lexicon) -> str:
    """A number word as digits; an ordinal ("siebten") keeps its dot where the language writes one ("7.")."""
    return f"{number}." if lexicon.ordinal_dot and re.search(r"te[nrs]?$", written) else str(number)


def _match_digits(number: int, lexicon: Lexicon, match: re.Match[str]) -> str:
    return _digits(number, match.group(0), lexicon)


def _clock_idioms(t: str, language: str, lexicon: Lexicon) -> str:
    """Halves and quarters, which each language counts its own way, as plain "h:mm"."""
    oclock = "|".join(map(re.escape, sorted(lexicon.oclock, key=len, reverse=True))) or "(?!)"
    half = "|".join(map(re.escape, lexicon.half)) or "(?!)"
    rules: list[tuple[str, Callable[[re.Match[str]], str]]] = []
    if language == "de":
        rules.append((r"\bhalb\s+(\d{1,2})\b", lambda m: f"{int(m.group(1)) - 1}:30"))
        rules.append((r"\bviertel\s+nach\s+(\d{1,2})\b", lambda m: f"{m.group(1)}:15"))
        rules.append((r"\bviertel\s+vor\s+(\d{1,2})\b", lambda m: f"{int(m.group(1)) - 1}:45"))
        rules.append(
            # "18 Uhr 30", "18 Uhr und 5" (not "8 Uhr einen Kaffee", whose "ein" is a number word by now)
            (
                r"\b(\d{1,2})\s*uhr\s*(?:und\s+(\d{1,2})|(\d{2}))\b",
                lambda m: f"{m.group(1)}:{int(m.group(2) or m.group(3)):02d}",
            )
        )
        rules.append((r"\bdreiviertel\s+(\d{1,2})\b", lambda m: f"{int(m.group(1)) - 1}:45"))
        rules.append((r"\bviertel\s+(\d{1,2})\b", lambda m: f"{int(m.group(1)) - 1}:15"))
        rules.append((r"\b(\d{1,2})\.(\d{2})\s*uhr\b", lambda m: f"{m.group(1)}:{m.group(2)} uhr"))
        # Dates: "7. 4.", "7. vierter" (the seventh of the fourth), and a bare "22.04" not introduced as a time
        rules.append((r"\b(\d{1,2})\.\s+(\d{1,2})\.?(?!\d)", lambda m: f"{m.group(1)}.{m.group(2)}."))
        rules.append((r"(?<!um )(?<!gegen )(?<!ab )\b([12]?\d|3[01])\.(0?[1-9]|1[0-2])\b(?![.:\d]|\s*uhr)",
                      lambda m: f"{m.group(1)}.{m.group(2)}."))  # fmt: skip
    elif language == "hi":
        rules.append(
            (r"(\d{1,2})\s*(?:तारीख|tarikh)", lambda m: f" the {m.group(1)} ")
        )  # "18 तारीख": the 18th
        rules.append(
            (r"\b(\d{1,2})\s*-\s*([1-5]\d)\b(?!\s*[-/]\s*\d)", lambda m: f"{m.group(1)}:{m.group(2)}")
        )  # "पाँच-तीस"
        words = "|".join(lexicon.clock_fractions)
        rules.append(
            (rf"(?<!{LETTER})({words})\s+(\d{{1,2}})", lambda m: _fraction(m, lexicon.clock_fractions))
        )
        rules.append(
            (
                r"(\d{1,2})\s*(?:बजकर|bajkar)\s*(\d{1,2})\s*(?:मिनट|minute|min)?",
                lambda m: f"{m.group(1)}:{int(m.group(2)):02d}",
            )
        )
    else:
        rules.append((rf"\b(\d{{1,2}})\s*(?:{oclock})?\s*(am|pm)?\s*(?:{half})(?!{LETTER})",
                      lambda m: f"{m.group(1)}:30 {m.group(2) or ''}"))  # fmt: skip
        # "8 h et vingt minutes", "10 horas y 5 minutos": the hour and its minutes
        rules.append((rf"\b(\d{{1,2}})\s*(?:h|{oclock}|{'|'.join(lexicon.hours) or '(?!)'})\s+(?:et|y|e)\s+(\d{{1,2}})\s*(?:{'|'.join(lexicon.minutes)})(?!{LETTER})",
                      lambda m: f"{m.group(1)}:{int(m.group(2)):02d}"))  # fmt: skip
        # "à 16h" (but "en 5 h", "dans 2 h" are spans, read with the other spans)
        within = "".join(rf"(?<!{re.escape(word)} )" for word in lexicon.within)
        rules.append((rf"{within}\b(\d{{1,2}})\s*h\b(?!\s*\d)", lambda m: f"{m.group(1)}:00"))
        # "uma e trinta", "ocho y cuarenta": the hour and its minutes
        rules.append(
            (r"\b(\d{1,2})\s+(?:e|y|et)\s+([1-5]\d)\b(?!\s*[/.-]?\d)", lambda m: f"{m.group(1)}:{m.group(2)}")
        )
        minus, quarter = lexicon.minus, lexicon.quarter
        if minus and quarter:
            # "las 8 menos cuarto", "8 pm menos cuarto", "8 de la noche menos cuarto" (the part of the day stays)
            rules.append((rf"\b(\d{{1,2}})\s*(?:{oclock})?\s*(am|pm)?\s*((?:de|da|du) (?:la )?\w+\s+)?{minus}\s+(?:le\s+)?{quarter}\b",
                          lambda m: f"{int(m.group(1)) - 1}:45 {m.group(2) or ''} {m.group(3) or ''}"))  # fmt: skip
            rules.append((rf"\b(\d{{1,2}})\s*(?:{oclock})?\s*(?:y|e|et)\s+(?:le\s+)?{quarter}\b",
                          lambda m: f"{m.group(1)}:15"))  # fmt: skip
            rules.append((rf"\b(\d{{1,2}})\s*(?:{oclock})?\s*{minus}\s+(\d{{1,2}})\b",
                          lambda m: f"{int(m.group(1)) - 1}:{60 - int(m.group(2)):02d}"))  # fmt: skip
        # "16h30", "16 h 30", "10 horas y 15", "7 heures 10 minutes"
        rules.append((rf"\b(\d{{1,2}})\s*(?:{oclock})\s*(?:e\s+|y\s+|et\s+)?(\d{{2}})\b(?!\s*[/.-]\d)",
                      lambda m: f"{m.group(1)}:{m.group(2)}"))  # fmt: skip
    if language == "pt":  # "quinze para as oito": a quarter to eight
        rules.insert(0, (r"\b(\d{1,2})\s+para\s+(?:as|a)\s+(\d{1,2})\b",
                         lambda m: f"{int(m.group(2)) - 1}:{60 - int(m.group(1)):02d}"))  # fmt: skip
    if language == "ar":
        rules.append((r"(\d{1,2})\s*و\s*(\d{1,2})\s*دقيق", lambda m: f"{m.group(1)}:{int(m.group(2)):02d} "))
        rules.append((r"(\d{1,2})\s*(?:و|)\s*(?:نص|النصف)", lambda m: f"{m.group(1)}:30"))
        rules.append((r"(\d{1,2})\s*(?:و|)\s*(?:ربع|الربع)", lambda m: f"{m.group(1)}:15"))
        rules.append((r"(\d{1,2})\s*الا\s*ربع", lambda m: f"{int(m.group(1)) - 1}:45"))
    for regex, replace in rules:
        t = re.sub(regex, replace, t)
    return t


def _fraction(match: re.Match[str], fractions: dict[str, int]) -> str:
    hour, minutes = int(match.group(2)), fractions[match.group(1)]
    return f"{hour - 1}:45" if minutes < 0 else f"{hour}:{minutes}"
