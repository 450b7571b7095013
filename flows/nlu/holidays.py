"""Holidays patients name ("after Christmas", "antes de Pascua", "nach Ostern", "बाद दिवाली", "بعد عيد الفطر").

`mark` turns a holiday's name into a token (`holiday_easter`) before the date grammar reads the text, so
"Black Friday" is not read as a Friday; `date_of` resolves the token to the next occurrence, or to the one a
year, "next" or "last" names. Fixed days and the days counted from Easter are computed here; lunar holidays come
from the `holidays` package's calendars (the UAE's for the Islamic ones, India's for the Hindu ones).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache

import holidays as calendars

# python-dateutil ships no type hints (no py.typed), and its stubs (types-python-dateutil) are not in the lock.
from dateutil.easter import easter  # type: ignore[import-untyped]

from flows.nlu.lexicon import fold
from flows.nlu.matching import pattern

Rule = Callable[[int], date | None]


def _fixed(month: int, day: int) -> Rule:
    return lambda year: date(year, month, day)


def _from_easter(days: int) -> Rule:
    return lambda year: easter(year) + timedelta(days=days)


def _nth_weekday(month: int, weekday: int, n: int, shift: int = 0) -> Rule:
    """The nth weekday of a month (Thanksgiving is the fourth Thursday of November), moved by `shift` days."""

    def rule(year: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1) + shift)

    return rule


def _first_weekday_from(month: int, day: int, weekday: int) -> Rule:
    """The first such weekday on or after a date (Totensonntag is the Sunday from November 20)."""

    def rule(year: int) -> date:
        first = date(year, month, day)
        return first + timedelta(days=(weekday - first.weekday()) % 7)

    return rule


def _lunar(country: str, name: str) -> Rule:
    return lambda year: _lunar_date(country, name, year)


@cache
def _lunar_date(country: str, name: str, year: int) -> date | None:
    with warnings.catch_warnings():  # a year the calendar lacks is warned of, and simply has no date here
        warnings.simplefilter("ignore", UserWarning)
        days = calendars.country_holidays(country, years=year, language="en_US")
    # Future years carry "(estimated)"; the days around the feast ("Eid al-Fitr Holiday") are not the feast.
    return min(
        (day for day, names in days.items() for n in names.split("; ") if n.split(" (")[0] == name),
        default=None,
    )


RULES: dict[str, Rule] = {
    "new_years_eve": _fixed(12, 31),
    "new_year": _fixed(1, 1),
    "epiphany": _fixed(1, 6),
    "valentines": _fixed(2, 14),
    "saint_patrick": _fixed(3, 17),
    "earth_day": _fixed(4, 22),
    "workers_day": _fixed(5, 1),
    "us_independence": _fixed(7, 4),
    "india_independence": _fixed(8, 15),
    "saint_john": _fixed(6, 24),
    "saints_peter_and_paul": _fixed(6, 29),
    "halloween": _fixed(10, 31),
    "all_saints": _fixed(11, 1),
    "all_souls": _fixed(11, 2),
    "christmas_eve": _fixed(12, 24),
    "christmas": _fixed(12, 25),
    "boxing_day": _fixed(12, 26),
    "us_labor_day": _nth_weekday(9, 0, 1),
    "thanksgiving": _nth_weekday(11, 3, 4),
    "sunday_of_the_dead": _first_weekday_from(11, 20, 6),
    "first_advent": _first_weekday_from(11, 27, 6),
    "harvest_festival": _nth_weekday(10, 6, 1),
    "black_friday": _nth_weekday(11, 3, 4, shift=1),
    "carnival_saturday": _from_easter(-50),
    "carnival_sunday": _from_easter(-49),
    "carnival_monday": _from_easter(-48),
    "carnival": _from_easter(-47),
    "ash_wednesday": _from_easter(-46),
    "palm_sunday": _from_easter(-7),
    "holy_thursday": _from_easter(-3),
    "good_friday": _from_easter(-2),
    "holy_saturday": _from_easter(-1),
    "easter": _from_easter(0),
    "easter_monday": _from_easter(1),
    "ascension": _from_easter(39),
    "pentecost": _from_easter(49),
    "whit_monday": _from_easter(50),
    "corpus_christi": _from_easter(60),
    "eid_al_fitr": _lunar("AE", "Eid al-Fitr"),
    "eid_al_adha": _lunar("AE", "Eid al-Adha"),
    "holi": _lunar("IN", "Holi"),
    "dussehra": _lunar("IN", "Dussehra"),
    "diwali": _lunar("IN", "Diwali"),
}

# What each language calls them, as people write them. English names count in every language ("Black Friday").
NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "new_years_eve": ("new year's eve", "new years eve"),
        "new_year": ("new year's day", "new years day", "new year day", "new year's", "new years", "new year"),
        "epiphany": ("epiphany",),
        "valentines": ("valentine's day", "valentines day", "valentine's", "valentines"),
        "saint_patrick": ("saint patrick's day", "st patrick's day", "st. patrick's day", "saint patrick",
                          "st patrick", "st. patrick"),
        "earth_day": ("earth day",),
        "workers_day": ("international workers' day", "international workers day", "workers' day", "workers day",
                        "may day"),
        "us_independence": ("independence day", "fourth of july", "4th of july"),
        "halloween": ("halloween",),
        "all_saints": ("all saints' day", "all saints day", "all saints"),
        "all_souls": ("all souls' day", "all souls day"),
        "christmas_eve": ("christmas eve", "xmas eve"),
        "christmas": ("christmas day", "christmas", "xmas"),
        "boxing_day": ("boxing day",),
        "us_labor_day": ("labor day",),
        "thanksgiving": ("thanksgiving day", "thanksgiving"),
        "black_friday": ("black friday",),
        "carnival": ("mardi gras", "shrove tuesday", "pancake day"),
        "ash_wednesday": ("ash wednesday",),
        "palm_sunday": ("palm sunday",),
        "holy_thursday": ("maundy thursday", "holy thursday"),
        "good_friday": ("good friday",),
        "holy_saturday": ("holy saturday",),
        "easter_monday": ("easter monday",),
        "easter": ("easter sunday", "easter day", "easter"),
        "ascension": ("ascension day", "ascension"),
        "pentecost": ("pentecost", "whitsun", "whit sunday"),
        "whit_monday": ("whit monday",),
        "corpus_christi": ("corpus christi",),
        "eid_al_fitr": ("eid al fitr", "eid al-fitr", "eid ul fitr", "eid-ul-fitr"),
        "eid_al_adha": ("eid al adha", "eid al-adha", "eid ul adha", "eid-ul-adha", "bakrid"),
        "holi": ("holi",),
        "dussehra": ("dussehra", "dasara"),
        "diwali": ("diwali", "deepavali"),
    },
    "es": {
        "new_years_eve": ("nochevieja",),
        "new_year": ("dia de ano nuevo", "ano nuevo"),
        "epiphany": ("dia de reyes", "reyes magos"),
        "valentines": ("san valentin",),
        "saint_patrick": ("dia de san patricio", "san patricio"),
        "earth_day": ("dia de la tierra",),
        "workers_day": ("dia internacional de los trabajadores", "dia del trabajador", "dia del trabajo",
                        "dia de los trabajadores"),
        "saint_john": ("noche de san juan", "dia de san juan"),
        "saints_peter_and_paul": ("san pedro y san pablo",),
        "all_saints": ("dia de todos los santos", "todos los santos"),
        "all_souls": ("dia de muertos", "dia de los muertos", "dia de los difuntos"),
        "christmas_eve": ("nochebuena", "noche buena"),
        "christmas": ("navidad",),
        "thanksgiving": ("dia de accion de gracias",),
        "black_friday": ("viernes negro",),
        "carnival": ("martes de carnaval",),
        "ash_wednesday": ("miercoles de ceniza",),
        "palm_sunday": ("domingo de ramos",),
        "holy_thursday": ("jueves santo",),
        "good_friday": ("viernes santo",),
        "holy_saturday": ("sabado santo",),
        "easter": ("domingo de pascua", "domingo de resurreccion", "pascua"),
        "easter_monday": ("lunes de pascua",),
        "pentecost": ("pentecostes",),
        "corpus_christi": ("corpus christi",),
    },
    "pt": {
        "new_years_eve": ("vespera de ano novo", "reveillon"),
        "new_year": ("dia de ano novo", "ano novo", "confraternizacao universal"),
        "epiphany": ("dia de reis",),
        "workers_day": ("dia do trabalho", "dia do trabalhador", "dia dos trabalhadores"),
        "saint_john": ("dia de sao joao", "festa de sao joao"),
        "saints_peter_and_paul": ("sao pedro e sao paulo", "dia de sao pedro"),
        "all_saints": ("dia de todos os santos",),
        "all_souls": ("dia de finados", "finados"),
        "christmas_eve": ("vespera de natal", "noite de natal"),
        "christmas": ("natal",),
        "carnival": ("terca-feira de carnaval", "terca de carnaval", "carnaval"),
        "ash_wednesday": ("quarta-feira de cinzas", "quarta de cinzas"),
        "palm_sunday": ("domingo de ramos",),
        "holy_thursday": ("quinta-feira santa",),
        "good_friday": ("sexta-feira santa", "sexta-feira da paixao", "sexta santa"),
        "holy_saturday": ("sabado de aleluia",),
        "easter": ("domingo de pascoa", "pascoa"),
        "pentecost": ("pentecostes",),
        "corpus_christi": ("corpus christi",),
    },
    "fr": {
        "new_years_eve": ("saint-sylvestre", "saint sylvestre", "reveillon du nouvel an"),
        "new_year": ("jour de l'an", "nouvel an"),
        "epiphany": ("epiphanie",),
        "valentines": ("saint-valentin", "saint valentin"),
        "saint_patrick": ("saint-patrick", "saint patrick"),
        "earth_day": ("jour de la terre",),
        "workers_day": ("fete du travail", "fete des travailleurs"),
        "saint_john": ("saint-jean", "la saint jean"),
        "all_saints": ("toussaint",),
        "all_souls": ("jour des morts",),
        "christmas_eve": ("reveillon de noel", "veille de noel"),
        "christmas": ("noel",),
        "carnival": ("mardi gras",),
        "ash_wednesday": ("mercredi des cendres",),
        "palm_sunday": ("dimanche des rameaux", "rameaux"),
        "holy_thursday": ("jeudi saint",),
        "good_friday": ("vendredi saint",),
        "easter_monday": ("lundi de paques",),
        "easter": ("dimanche de paques", "paques"),
        "ascension": ("ascension",),
        "whit_monday": ("lundi de pentecote",),
        "pentecost": ("pentecote",),
    },
    "de": {
        "new_years_eve": ("silvester",),
        "new_year": ("neujahrstag", "neujahr"),
        "epiphany": ("heilige drei konige", "dreikonigstag"),
        "valentines": ("valentinstag",),
        "workers_day": ("tag der arbeit", "erster mai"),
        "earth_day": ("tag der erde",),
        "saint_john": ("johannistag", "johanni"),
        "saints_peter_and_paul": ("peter und paul",),
        "harvest_festival": ("erntedankfest", "erntedank"),
        "all_saints": ("allerheiligen",),
        "all_souls": ("allerseelen",),
        "christmas_eve": ("heiligabend", "heiliger abend", "heiligen abend"),
        "boxing_day": ("zweiter weihnachtstag", "stephanstag"),
        "christmas": ("erster weihnachtstag", "weihnachtstag", "weihnachten"),
        "carnival_saturday": ("fastnachtssamstag", "faschingssamstag"),
        "carnival_sunday": ("fastnachtssonntag", "faschingssonntag"),
        "carnival_monday": ("rosenmontag",),
        "sunday_of_the_dead": ("totensonntag", "ewigkeitssonntag"),
        "first_advent": ("erster advent", "ersten advent", "1. advent"),
        "carnival": ("faschingsdienstag", "fastnachtsdienstag"),
        "ash_wednesday": ("aschermittwoch",),
        "palm_sunday": ("palmsonntag",),
        "holy_thursday": ("grundonnerstag",),
        "good_friday": ("karfreitag",),
        "holy_saturday": ("karsamstag",),
        "easter_monday": ("ostermontag",),
        "easter": ("ostersonntag", "ostern"),
        "ascension": ("christi himmelfahrt", "himmelfahrt"),
        "whit_monday": ("pfingstmontag",),
        "pentecost": ("pfingstsonntag", "pfingsten"),
        "corpus_christi": ("fronleichnam",),
    },
    "ar": {
        "new_year": ("راس السنه", "السنه الجديده"),
        "workers_day": ("عيد العمال",),
        "christmas": ("عيد الميلاد", "الكريسماس"),
        "easter": ("عيد الفصح",),
        "eid_al_fitr": ("عيد الفطر",),
        "eid_al_adha": ("عيد الاضحى", "العيد الكبير"),
    },
    "hi": {
        "new_year": ("नया साल", "नए साल", "नव वर्ष"),
        "india_independence": ("स्वतंत्रता दिवस",),
        "earth_day": ("पृथ्वी दिवस",),
        "workers_day": ("मजदूर दिवस", "श्रमिक दिवस"),
        "christmas": ("क्रिसमस",),
        "black_friday": ("ब्लैक फ्राइडे",),
        "saint_patrick": ("संत पैट्रिक",),
        "good_friday": ("गुड फ्राइडे",),
        "easter": ("ईस्टर",),
        "eid_al_fitr": ("ईद-उल-फितर", "ईद उल फितर", "ईद"),
        "eid_al_adha": ("ईद-उल-अजहा", "बकरीद"),
        "holi": ("होली",),
        "dussehra": ("दशहरा",),
        "diwali": ("दिवाली", "दीपावली"),
    },
}  # fmt: skip

TOKEN = re.compile(r"\bholiday_(\w+)\b")
YEAR_BEFORE = re.compile(r"\b((?:19|20)\d{2})\s*(?:के|की|का)?\s*$")  # Hindi: "2010 के पृथ्वी दिवस"
YEAR_AFTER = re.compile(
    r"\s*(?:,|of|in|del?|do|da|du|des|im|von|का|की|के)?\s*(?:(?:the\s+)?(?:year|jahr|ano|annee)\s+)?((?:19|20)\d{2})\b"
)


@cache
def _names(language: str) -> list[tuple[str, str]]:
    """(folded name, holiday) for a language and English, longest first so "easter monday" beats "easter"."""
    tables = [NAMES.get(language, {}), NAMES["en"]] if language != "en" else [NAMES["en"]]
    pairs = {fold(name): key for table in tables for key, names in table.items() for name in names}
    return sorted(pairs.items(), key=lambda pair: -len(pair[0]))


def mark(t: str, language: str) -> str:
    """The folded text with each holiday name replaced by its token."""
    for name, key in _names(language):
        if name in t:
            t = pattern(name).sub(f" holiday_{key} ", t)
    return t


def date_of(t: str, today: date) -> date | None:
    """The date of the holiday a marked text (after `canonical`) names: its year's when a year is written,
    "next" / "last" one, else the next one from today."""
    match = TOKEN.search(t)
    if match is None or match.group(1) not in RULES:
        return None
    rule = RULES[match.group(1)]
    before, after = t[: match.start()], t[match.end() :]
    if year := YEAR_AFTER.match(after) or YEAR_BEFORE.search(before):
        return rule(int(year.group(1)))
    if re.search(r"\bnext year\b", t):
        return rule(today.year + 1)
    if re.search(r"\blast year\b", t):
        return rule(today.year - 1)
    if re.search(r"\bthis year\b", t):
        return rule(today.year)
    coming = [d for y in (today.year, today.year + 1) if (d := rule(y)) is not None]
    if re.search(r"\b(?:last|previous)\s*$", before):
        past = [d for y in (today.year - 1, today.year) if (d := rule(y)) is not None and d < today]
        return max(past, default=None)
    if re.search(r"\b(?:next|following)\s*$", before):
        return min((d for d in coming if d > today), default=None)
    return min((d for d in coming if d >= today), default=None)
