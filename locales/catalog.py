"""The patient-facing messages in seven languages, from gettext catalogs compiled at start, and Babel dates.

Messages are looked up by key (the gettext context); the English text is the source (`locales/messages.py`).
Arabic replies start with a right-to-left mark and isolate every inserted value, so a time, a phone number or a
Latin name keeps its own direction inside the Arabic sentence.
"""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from locales.messages import SOURCES, Source

LANGUAGES = ("en", "es", "pt", "fr", "de", "ar", "hi")
SCRIPT_VARIANTS = {"hi-Latn": "hi"}
"""Catalogs of a language in another script (Hindi in Latin letters): not languages of their own."""
CATALOGS = (*LANGUAGES, *SCRIPT_VARIANTS)
RTL = frozenset({"ar"})
LOCALES_DIR = Path(__file__).parent
RLM, FSI, PDI = "\u200f", "\u2068", "\u2069"
# Bodies read the whole date; list rows hold at most 24 characters, so they get a short form.
LONG_DATETIME = {
    "en": "EEEE d MMMM, HH:mm",
    "es": "EEEE d 'de' MMMM, HH:mm",
    "pt": "EEEE, d 'de' MMMM 'às' HH:mm",
    "fr": "EEEE d MMMM 'à' HH:mm",
    "de": "EEEE, d. MMMM, HH:mm 'Uhr'",
    "ar": "EEEE d MMMM، HH:mm",
    "hi": "EEEE, d MMMM, HH:mm",
}
SHORT_DATETIME = {
    "en": "EEE d MMM, HH:mm",
    "es": "EEE d MMM, HH:mm",
    "pt": "EEE, d MMM, HH:mm",
    "fr": "EEE d MMM 'à' HH:mm",
    "de": "EEE, d. MMM, HH:mm",
    "ar": "EEEE d/M، HH:mm",
    "hi": "EEE, d MMM, HH:mm",
}
# Where the patient's language is written month first (American English), the whole pattern differs too.
REGIONAL_DATETIME: dict[tuple[str, str | None], tuple[str, str]] = {
    ("en", "US"): ("EEEE, MMMM d, h:mm a", "EEE, MMM d, h:mm a"),
}
SOURCE_BY_KEY: dict[str, Source] = {s.key: s for s in SOURCES}


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The language's catalog, compiled from its .po in memory once per process (English when there is none)."""
    path = po_path(language if language in CATALOGS else "en")
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=babel_locale(language))
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def message(key: str, language: str, count: int | None = None) -> str:
    """The message for a key, in the language's plural form for `count`; English where a catalog lacks it."""
    source = SOURCE_BY_KEY[key]
    catalog = translations(language)
    if source.plural is None:
        return catalog.pgettext(key, source.text)
    return catalog.npgettext(key, source.text, source.plural, 1 if count is None else count)


def catalog_language(language: str, script: str | None) -> str:
    """The catalog a conversation is answered from: its language, or that language's script variant."""
    variant = f"{language}-{script}" if script else language
    return variant if variant in SCRIPT_VARIANTS else language


def babel_locale(language: str) -> str:
    return language.replace("-", "_")


def when(value: datetime, language: str, *, short: bool = False, region: str | None = None) -> str:
    """A date and time the way the patient reads them ("martes 3 de marzo, 10:30", "mardi 3 mars à 10:30"),
    on the practice's region's clock: "Wednesday, December 9, 1:00 PM" for a US practice writing English."""
    base = SCRIPT_VARIANTS.get(language, language)
    locale = local_form(language, region)
    if language == base and (language, region) in REGIONAL_DATETIME:
        pattern = REGIONAL_DATETIME[(language, region)][1 if short else 0]
    else:
        patterns = SHORT_DATETIME if short else LONG_DATETIME
        pattern = patterns.get(base, patterns["en"])
        if locale != babel_locale(language) and twelve_hour(locale):
            pattern = pattern.replace("HH:mm", "h:mm a")
    return format_datetime(value, pattern, locale=locale)


def day_and_time(value: datetime, language: str, region: str | None = None) -> tuple[str, str]:
    """A visit's day and its time apart, as a template's parameters take them ("Tue, Dec 8", "2:00 PM")."""
    locale = local_form(language, region)
    return format_skeleton("MMMMEEEEd", value, locale=locale), format_time(value, "short", locale=locale)


def day(value: date, language: str, region: str | None = None) -> str:
    """A calendar day in full, as a date of birth is read back ("14 March 1985", "14 de marzo de 1985")."""
    return format_date(value, "long", locale=local_form(language, region))


def local_form(language: str, region: str | None) -> str:
    """The Babel locale for a catalog language: a script variant as itself ("hi_Latn"), a language as written
    in the practice's region where Babel knows that variant ("en_US")."""
    return babel_locale(language) if language in SCRIPT_VARIANTS else regional(language, region)


@cache
def regional(language: str, region: str | None) -> str:
    """The language as written in the practice's region ("en_US"), where Babel knows that variant."""
    if not region:
        return language
    try:
        Locale.parse(f"{language}_{region.upper()}")
    except (UnknownLocaleError, ValueError):
        return language
    return f"{language}_{region.upper()}"


@cache
def twelve_hour(locale: str) -> bool:
    return "h" in Locale.parse(locale).time_formats["short"].pattern


def isolate(value: str, language: str) -> str:
    """An inserted value, kept in its own direction inside a right-to-left sentence."""
    return f"{FSI}{value}{PDI}" if language in RTL else value


def directed(text: str, language: str) -> str:
    """A whole message, anchored right-to-left for Arabic so WhatsApp aligns and orders it correctly."""
    return f"{RLM}{text}" if language in RTL and not text.startswith(RLM) else text
