"""Offline understanding: keywords and patterns in seven languages, no network, no cost, no PHI leaving.

Matching is on accent-folded, lowercased text with word boundaries. The order of the intent table matters: the
first intent whose words appear wins, so specific phrases ("change my appointment") come before general ones.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import NamedTuple

from flows.nlu import fuzzy, triggers
from flows.nlu.lexicon import LEXICONS, fold
from flows.nlu.matching import find, has, pattern
from flows.nlu.understanding import Intent, Understanding
from flows.nlu.when import birthdate_in, read, resolve

INTENT_TABLES: list[tuple[Intent, str]] = [
    (Intent.NEVER_MIND, "never_mind"), (Intent.RESCHEDULE, "reschedule"), (Intent.CANCEL, "cancel"),
    (Intent.CONFIRM, "confirm"), (Intent.OTHER_TIMES, "other_times"), (Intent.INFO, "info"), (Intent.BOOK, "book"),
    (Intent.GREETING, "greeting"), (Intent.THANKS, "thanks"),
]  # fmt: skip
KINDS: list[tuple[str, tuple[str, ...]]] = [
    ("emergency", ("emergency", "urgent", "urgencia", "emergencia", "urgence", "notfall", "طارئ", "طوارئ", "इमरजेंसी")),
    ("cleaning", ("cleaning", "clean", "hygiene", "hygienist", "limpieza", "higiene", "limpeza", "detartrage", "nettoyage",
                  "zahnreinigung", "reinigung", "prophylaxe", "تنظيف", "सफाई", "safai")),
    ("new_patient", ("new patient", "first visit", "paciente nuevo", "primera vez", "primera visita", "paciente novo",
                     "primeira consulta", "nouveau patient", "premiere visite", "neuer patient", "neupatient", "مريض جديد",
                     "नया मरीज", "naya patient")),
    ("consultation", ("checkup", "check-up", "check up", "exam", "consultation", "consult", "look at", "revision",
                      "chequeo", "consulta", "examen", "valoracion", "avaliacao", "controle", "kontrolle", "untersuchung",
                      "فحص", "كشف", "जांच", "jaanch")),
]  # fmt: skip
EMERGENCY = triggers.words(triggers.EMERGENCY)
PERSON_ALONE = frozenset(
    {"person", "a person", "persona", "pessoa", "personne", "mensch", "موظف", "व्यक्ति", "vyakti"}
)
"""The fallback's word for a person, written alone (in a sentence "in person" is not a request for staff)."""
BOOK_IT = ("book it", "book that", "book this", "schedule it", "reserve it", "reserve that", "reservala",
           "resérvala", "reserve-le", "buchen sie", "احجزه", "बुक कर दो", "book kar do")  # fmt: skip
NOT_A_NO = ("no problem", "why don't you", "why not", "no hay problema", "sem problema", "pas de probleme",
            "kein problem", "لا مشكله", "koi baat nahi", "कोई बात नहीं")  # fmt: skip
ORDINAL_PICK = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th|º|ª|a|o|e|er|re)?\s+(?:one|option|opcion|opcao|time|hora|horario|creneau|termin)\b",
    re.IGNORECASE,
)
ORDINALS = {fold(k): v for k, v in {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "last": -1, "primera": 1, "primero": 1, "segunda": 2, "segundo": 2, "tercera": 3,
            "tercero": 3, "cuarta": 4, "cuarto": 4, "quinta": 5, "quinto": 5, "ultima": -1, "ultimo": -1,
            "primeiro": 1, "terceiro": 3, "terceira": 3, "quarto": 4, "premier": 1, "premiere": 1, "deuxieme": 2,
            "troisieme": 3, "quatrieme": 4, "dernier": -1, "derniere": -1, "erste": 1, "ersten": 1, "erster": 1, "zweite": 2,
            "zweiten": 2, "dritte": 3, "dritten": 3, "vierte": 4, "letzte": -1, "letzten": -1, "الاول": 1, "الاولى": 1,
            "الثاني": 2, "الثانيه": 2, "الثالث": 3, "الثالثه": 3, "الاخير": -1, "الاخيره": -1, "पहला": 1, "पहली": 1,
            "दूसरा": 2, "दूसरी": 2, "तीसरा": 3, "तीसरी": 3, "pehla": 1, "pehli": 1, "pahla": 1, "dusra": 2, "doosra": 2,
            "dusri": 2, "teesra": 3, "tisra": 3, "aakhri": -1}.items()}  # fmt: skip
TOPICS: list[tuple[str, tuple[str, ...]]] = [
    ("hours", ("hours", "open", "close", "horario", "abren", "cierran", "funcionamento", "horaires", "offnungszeiten",
               "ساعات العمل", "متى تفتحون", "kab khulta", "समय क्या है")),
    ("address", ("address", "where", "located", "direccion", "donde", "endereco", "onde fica", "adresse",
                 "ou se trouve", "ou etes-vous", "wo sind sie", "العنوان", "وين", "اين", "पता", "कहां", "kahan")),
    ("parking", ("parking", "park", "estacionamiento", "aparcar", "aparcamiento", "parquear", "estacionar",
                 "estacionamento", "garer", "stationner", "stationnement", "parkplatz", "parkplatze", "parken",
                 "مواقف", "موقف", "ركن", "पार्किंग")),
    ("insurance", ("insurance", "delta dental", "cigna", "aetna", "metlife", "ppo", "dental plan", "seguro",
                   "convenio", "plano", "mutuelle", "assurance", "versicherung", "krankenkasse", "تامين", "बीमा")),
    ("bring", ("bring", "traer", "llevar", "trazer", "levar", "apporter", "mitbringen", "احضر", "लाना", "lana")),
]  # fmt: skip
"""Practice information patients ask about, each with its words; one message may ask several."""
GENERIC_WHERE = ("where", "donde", "onde", "ou", "wo", "وين", "اين", "कहां", "kahan")
""""Where" alone asks for the address only when no other topic says where to what ("where do I park")."""
NAME_STOPWORDS = {"my", "name", "is", "i", "am", "im", "me", "llamo", "mi", "nombre", "es", "soy", "and", "y", "born",
                  "nacido", "nacida", "el", "la", "de", "dob", "birthday", "for", "para", "it's", "its", "the", "visit",
                  "can", "could", "please", "yes", "no", "hi", "hello", "hola", "next", "this", "on", "at", "a", "an",
                  "book", "we", "she", "he", "her", "his", "son", "daughter", "hijo", "hija", "quiero", "ok",
                  "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "lunes", "martes",
                  "miercoles", "jueves", "viernes", "sabado", "domingo", "today", "tomorrow", "hoy", "manana"}  # fmt: skip


class Vocabulary(NamedTuple):
    intents: list[tuple[Intent, tuple[str, ...]]]
    yes: tuple[str, ...]
    no: tuple[str, ...]
    not_now: tuple[str, ...]
    confirm_verbs: tuple[str, ...]
    visit: tuple[str, ...]


@cache
def vocabulary(language: str) -> Vocabulary:
    """The words read in a message: its language's and English's (patients mix in English words)."""
    tables = [LEXICONS[code] for code in dict.fromkeys((language, "en")) if code in LEXICONS]
    intents = [(Intent.HUMAN, triggers.words(triggers.HUMAN))] + [
        (intent, fuzzy.fold_apostrophes(tuple(w for table in tables for w in getattr(table, field))))
        for intent, field in INTENT_TABLES
    ]
    return Vocabulary(
        intents=intents,
        yes=tuple(w for table in tables for w in table.yes),
        no=tuple(w for table in tables for w in table.no),
        not_now=tuple(w for table in tables for w in table.not_now),
        confirm_verbs=tuple(w for table in tables for w in table.confirm_verbs),
        visit=tuple(w for table in tables for w in table.visit),
    )


def understand(text: str, now: datetime, *, language: str = "en", typos: bool = True) -> Understanding:
    """Read one turn's text (several messages joined), written in `language`, into an Understanding; with
    `typos`, misspelt vocabulary words are read as the words they miss (flows/nlu/fuzzy.py)."""
    t = fold(text).strip()
    t = fuzzy.correct(t, language) if typos else t
    words = vocabulary(language)
    day_first = language != "en"
    deferred = find(t, words.not_now)
    # "Not right now" puts the visit off: its "now" is not a time to book.
    source = t[: deferred.start()] + " " + t[deferred.end() :] if deferred else t
    source, either_day = _either_day(source, language)
    dates = read(source, language)
    birthdate = birthdate_in(dates, day_first=day_first, today=now.date())
    # "The 2nd one" picks an offered option; it is not the 2nd of the month.
    picked = ORDINAL_PICK.search(t)
    if picked:
        dates = read(ORDINAL_PICK.sub(" ", source), language)
    # Every date is read, a date of birth too: the conversation ignores a past date as a visit (nodes.understand).
    when = resolve(dates, now, day_first=day_first, language=language)
    intent = next((i for i, phrases in words.intents if has(t, phrases)), None)
    if intent in (None, Intent.BOOK) and has(t, words.confirm_verbs) and has(t, words.visit):
        intent = Intent.CONFIRM  # "je confirme mon rendez-vous", "ich bestätige meinen Termin": not a booking
    if t.strip(" .!?¡¿") in PERSON_ALONE:
        intent = Intent.HUMAN  # the word the fallback tells the patient to write to reach a person
    yes = False if deferred else _yes_no(t, words)
    if intent in (Intent.GREETING, Intent.THANKS) and yes is None and len(t.split()) > 4:
        intent = _main_intent(t, words) or intent
    if has(t, BOOK_IT) and not has(t, ("appointment", "book an", "book a")):
        # "Yes, book it" answers what was offered; "no, book it on Thursday" and "actually, book it on the 11th"
        # correct it: none is a new request, and only the first is a yes.
        intent = None if intent is Intent.BOOK else intent
        if yes is None and not when.has_when:
            yes = True
    topics = info_topics(t)
    if intent is None and topics and not (when.has_when or has(t, tuple(k for _, ks in KINDS for k in ks))):
        intent = Intent.INFO  # "where do i park", "qué tengo que llevar": a question, not a request
    first, last = _names(text)
    return Understanding(
        **when.model_dump(),
        intent=intent,
        yes=yes,
        kind=next((k for k, phrases in KINDS if has(t, phrases)), None),
        # "February twenty second" is a date, not the second option.
        choice=int(picked.group(1)) if picked else (_choice(t) if when.start is None else None),
        first_name=first,
        last_name=last,
        birthdate=birthdate,
        info_topic=topics[0] if topics and intent is Intent.INFO else None,
        info_topics=topics if intent is Intent.INFO else [],
        emergency=has(t, EMERGENCY),
        out_of_scope=_out_of_scope(t),
        either_day=either_day and when.has_when,
    )


def _either_day(t: str, language: str) -> tuple[str, bool]:
    """Hindi "kal" is tomorrow, or yesterday beside a verb in the past ("kal raat ka match dekha"): the text with
    such a "kal" written as yesterday, and whether the message's day rests on the word at all."""
    lexicon = LEXICONS.get(language)
    if lexicon is None or not lexicon.either_day or not has(t, lexicon.either_day):
        return t, False
    if lexicon.yesterday and has(t, lexicon.past):
        for word in lexicon.either_day:
            t = pattern(word).sub(lexicon.yesterday[0], t)
    return t, True


def info_topics(t: str) -> list[str]:
    """Every practice topic a folded message asks about, in the table's order."""
    found = [topic for topic, phrases in TOPICS if has(t, phrases)]
    if len(found) > 1 and "address" in found:
        address = dict(TOPICS)["address"]
        if not has(t, tuple(w for w in address if w not in GENERIC_WHERE)):
            found.remove("address")
    return found


def _out_of_scope(t: str) -> str | None:
    """Billing disputes and clinical questions are for staff, whatever else the message asks."""
    return next(
        (topic.value for topic, table in triggers.OUT_OF_SCOPE.items() if has(t, triggers.words(table))), None
    )


def _main_intent(t: str, words: Vocabulary) -> Intent | None:
    for intent, phrases in words.intents:
        if intent not in (Intent.GREETING, Intent.THANKS) and has(t, phrases):
            return intent
    return None


def _yes_no(t: str, words: Vocabulary) -> bool | None:
    if has(t, words.no) and not has(t, NOT_A_NO):
        return False
    if has(t, words.yes) or t in ("👍", "👌", "✅"):
        return True
    return None


def _choice(t: str) -> int | None:
    words = re.findall(r"[^\W\d_]+|\d+", t)
    for word in words:
        if word in ORDINALS:
            return ORDINALS[word]
    if match := re.fullmatch(
        r"\s*(?:option|number|opcion|opcao|numero|nummer|la|el|a|o|le|رقم|नंबर|#)?\s*(\d{1,2})\s*[.)]?\s*", t
    ):
        return int(match.group(1))
    return None


def _names(text: str) -> tuple[str | None, str | None]:
    """First and last name from a message like "Sofia Garcia, 2014-07-02" (capitalised words, not keywords)."""
    words = [w for w in re.findall(r"[^\W\d_]+(?:['-][^\W\d_]+)*", text) if fold(w) not in NAME_STOPWORDS]
    names = [
        w for w in words if w[0].isupper() and fold(w) not in _MONTH_WORDS and fold(w) not in NAME_STOPWORDS
    ]
    if not names:
        return None, None
    return names[0], (" ".join(names[1:]) or None)


# Calendar and everyday words of every language: capitalised at the start of a message, they are not names.
_MONTH_WORDS = {
    word
    for lexicon in LEXICONS.values()
    for table in (
        *lexicon.months,
        *lexicon.weekdays,
        lexicon.markers,
        lexicon.greeting,
        lexicon.thanks,
        lexicon.yes,
    )
    for word in table
}
