"""Which language a patient writes in, among the practice's languages, and when the conversation changes it.

Detection is local and fast: the script settles Arabic and Devanagari; otherwise each language's booking words
(Hindi in Latin letters included) add to lingua's n-gram confidence. The models ship inside the lingua wheel.
A conversation keeps its language; it changes on a clear request or on a run of messages in another language,
never on one short message ("ok", "sí", "2", an emoji).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
from lingua import LanguageDetector as LinguaDetector
from pydantic import BaseModel

from flows.nlu.lexicon import LEXICONS, fold
from flows.nlu.matching import has

ARABIC_LETTER = re.compile(r"[\u0620-\u064a\u066e-\u06d3]")
DEVANAGARI_LETTER = re.compile(r"[\u0900-\u0963]")
WORD = re.compile(r"[^\W\d_]+")
# Words around a language's name that make it a request ("in English", "hablar en español", "बात हिंदी में").
REQUEST_CUES = ("in", "en", "em", "auf", "na", "speak", "talk", "write", "reply", "habla", "hablar", "hablame", "hablas",
                "escribe", "escribeme", "responde", "falar", "fala", "escreve", "parler", "parlez", "ecrivez", "sprechen",
                "sprichst", "schreiben", "please", "por favor", "bitte", "svp", "s'il vous plait", "mein", "me", "में",
                "बात", "baat", "لو سمحت", "تكلم", "اتكلم", "تحدث", "كلمني")  # fmt: skip
RUN_TO_SWITCH = 2
"""Consecutive substantive messages in another language that switch the conversation to it."""


class Detection(BaseModel):
    language: str
    substantive: bool
    """False for a greeting or a single word: enough to start a conversation in, not to change one."""
    latin: bool = False
    """Hindi written in Latin letters ("mujhe kal appointment chahiye"): the `hi-Latn` script variant."""


class LanguageDetector:
    """Detects among the given languages; one lingua model set per language set, built on first use."""

    def __init__(self) -> None:
        self._models: dict[frozenset[str], LinguaDetector] = {}

    def detect(self, text: str, allowed: Iterable[str]) -> Detection | None:
        languages = [code for code in allowed if code in LEXICONS]
        t = fold(text)
        words = WORD.findall(t)
        if not words or not languages:
            return None
        by_script = _by_script(t, languages)
        if by_script is not None:
            return Detection(language=by_script, substantive=len(words) >= 2)
        latin = [code for code in languages if code not in ("ar",)]
        hits = {code: _hits(t, code) for code in latin}
        scores = {code: 1.5 * count for code, count in hits.items()}
        model_languages = [code for code in latin if code != "hi"]
        if len(words) >= 2 and len(model_languages) >= 2:
            for value in self._model(model_languages).compute_language_confidence_values(t):
                scores[value.language.iso_code_639_1.name.lower()] += 2 * value.value
        if not scores:
            return None
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        best, score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if score < 1 or score - runner_up < 0.5 or (len(words) < 3 and not hits.get(best)):
            # A name and a date ("Ana Lopez 03/14/1985") has no words of any language: the model alone guesses.
            return None if len(languages) > 1 else Detection(language=languages[0], substantive=False)
        substantive = len(words) >= 3 or (len(words) == 2 and score >= 2.5)
        return Detection(language=best, substantive=substantive, latin=best == "hi")

    def _model(self, languages: list[str]) -> LinguaDetector:
        key = frozenset(languages)
        if key not in self._models:
            chosen = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in languages]
            self._models[key] = (
                LanguageDetectorBuilder.from_languages(*chosen).with_low_accuracy_mode().build()
            )
        return self._models[key]


def _by_script(t: str, languages: list[str]) -> str | None:
    letters = len(WORD.findall(t)) or 1
    if "ar" in languages and len(ARABIC_LETTER.findall(t)) >= letters:
        return "ar"
    if "hi" in languages and len(DEVANAGARI_LETTER.findall(t)) >= letters:
        return "hi"
    return None


def _hits(t: str, language: str) -> int:
    """How many of the language's own words the text uses (calendar, booking and everyday words)."""
    return sum(1 for word in _own_words(language) if word in t and has(t, (word,)))


@cache
def _own_words(language: str) -> tuple[str, ...]:
    lexicon = LEXICONS[language]
    tables = (lexicon.markers, lexicon.greeting, lexicon.thanks, lexicon.yes, lexicon.book, lexicon.cancel,
              lexicon.today, lexicon.tomorrow, lexicon.morning, lexicon.afternoon, lexicon.evening, lexicon.oclock,
              tuple(w for day in lexicon.weekdays for w in day if len(w) > 3),
              tuple(w for month in lexicon.months for w in month if len(w) > 3))  # fmt: skip
    return tuple(word for table in tables for word in table)


def requested(text: str, allowed: Iterable[str]) -> str | None:
    """The language a patient explicitly asks for ("in English please", "¿puedes hablar en español?", "بالعربي")."""
    t = fold(text)
    if len(WORD.findall(t)) > 8:
        return None  # a long message that names a language is about something else
    for code in allowed:
        if (
            code in LEXICONS
            and has(t, LEXICONS[code].name)
            and (has(t, REQUEST_CUES) or ARABIC_LETTER.search(t))
        ):
            return code
    return None


def script_after(current: str | None, detection: Detection | None) -> str | None:
    """The conversation's script variant: Hindi in Latin letters sticks until Hindi comes in Devanagari."""
    if detection is None or detection.language != "hi" or not detection.substantive:
        return current
    return "Latn" if detection.latin else None


def settle(
    current: str | None,
    pending: tuple[str, int] | None,
    detection: Detection | None,
    fallback: str,
) -> tuple[str, tuple[str, int] | None]:
    """The conversation's language after one message, and the run of messages pointing elsewhere."""
    if current is None:
        return (detection.language if detection else fallback), None
    if detection is None or not detection.substantive or detection.language == current:
        return current, (None if detection and detection.substantive else pending)
    count = pending[1] + 1 if pending and pending[0] == detection.language else 1
    if count >= RUN_TO_SWITCH:
        return detection.language, None
    return current, (detection.language, count)
