"""Typos in the lexicon's own words, corrected before the rules read a message: "limpiesa", "dépalcer",
"conffirmo", "Meschen".

Bounded on purpose (rapidfuzz's optimal string alignment distance: a swap of two letters is one edit): only words of five letters or more that are not already
a word the rules know, only towards a word of the lexicon's booking vocabulary, at most one edit (two for words
of nine letters or more), and the first letter must agree. The shared evaluation stays where it was and a fixed
set of chit-chat gains at most 1% intents (tests/flows/test_fuzzy.py).
"""

from __future__ import annotations

import re
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from flows.nlu import triggers
from flows.nlu.canonical import canonical
from flows.nlu.lexicon import LEXICONS, fold

FIELDS = (
    "book",
    "cancel",
    "reschedule",
    "confirm",
    "confirm_verbs",
    "visit",
    "other_times",
    "info",
    "yes",
    "no",
    "greeting",
    "thanks",
)
KIND_WORDS = (
    "cleaning", "limpieza", "limpeza", "detartrage", "nettoyage", "zahnreinigung", "reinigung", "checkup",
    "chequeo", "consulta", "revision", "kontrolle", "untersuchung", "emergency", "urgencia", "emergencia",
    "urgence", "notfall", "appointment", "rendez-vous", "termin",
)  # fmt: skip
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")
SHORTEST = 5


def _words(phrases: tuple[str, ...]) -> set[str]:
    return {w for phrase in phrases for w in WORD.findall(phrase)}


@cache
def targets(language: str) -> tuple[str, ...]:
    """The words a typo may be corrected to: the language's (and English's) booking vocabulary."""
    found: set[str] = set(KIND_WORDS) | _words(triggers.words(triggers.HUMAN))
    for code in dict.fromkeys((language, "en")):
        if code in LEXICONS:
            for name in FIELDS:
                found |= _words(tuple(getattr(LEXICONS[code], name)))
    return tuple(sorted(w for w in found if len(w) >= SHORTEST))


@cache
def known(language: str) -> frozenset[str]:
    """Every word the language's tables hold: a word already known is never "corrected"."""
    words: set[str] = set()
    for code in dict.fromkeys((language, "en")):
        lexicon = LEXICONS.get(code)
        if lexicon is None:
            continue
        for value in lexicon.model_dump().values():
            words |= _flatten(value)
    return frozenset(words)


def _flatten(value: object) -> set[str]:
    if isinstance(value, str):
        return set(WORD.findall(value))
    if isinstance(value, dict):
        return set().union(*(_flatten(k) for k in value)) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(_flatten(v) for v in value)) if value else set()
    return set()


@cache
def _a_date_word(word: str, language: str) -> bool:
    """A calendar or clock word ("zweiten", "quinze"): the date rules rewrite it, so it is known."""
    return canonical(word, language).strip() != word


def correct(t: str, language: str) -> str:
    """The folded message with each typo of a vocabulary word replaced by that word."""
    vocabulary, seen = targets(language), known(language)

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < SHORTEST or word in seen or not word.isascii() or _a_date_word(word, language):
            return word
        limit = 2 if len(word) >= 9 else 1
        best = process.extractOne(word, vocabulary, scorer=OSA.distance, score_cutoff=limit)
        if best is None or best[0][0] != word[0]:
            return word
        return str(best[0])

    return WORD.sub(fix, t)


def fold_apostrophes(phrases: tuple[str, ...]) -> tuple[str, ...]:
    """The phrases and their forms typed without apostrophes ("i'll be there", "ill be there")."""
    return tuple(dict.fromkeys([*phrases, *(fold(p).replace("'", "") for p in phrases if "'" in p)]))
