"""Offline understanding: keywords and patterns in English and Spanish, no network, no cost, no PHI leaving.

Matching is on accent-folded, lowercased text with word boundaries. The order of the intent table matters: the
first intent whose words appear wins, so specific phrases ("change my appointment") come before general ones.
"""

from __future__ import annotations

import re
from datetime import datetime

from flows.nlu import triggers
from flows.nlu.understanding import Intent, Understanding
from flows.nlu.when import birthdate_in, fold, resolve

INTENTS: list[tuple[Intent, tuple[str, ...]]] = [
    (Intent.HUMAN, triggers.words(triggers.HUMAN)),
    (Intent.NEVER_MIND, ("never mind", "nevermind", "forget it", "stop", "start over", "olvidalo", "olvidelo", "dejalo",
                         "no importa", "empezar de nuevo")),
    (Intent.RESCHEDULE, ("reschedule", "move my", "change my appointment", "change the appointment", "different time",
                         "another day", "cambiar mi cita", "cambiar la cita", "mover mi cita", "reprogramar", "cambiar de hora",
                         "cambiar el dia")),
    (Intent.CANCEL, ("cancel", "call off", "can't make it", "cannot make it", "cancelar", "anular", "no podre ir", "no puedo ir")),
    (Intent.CONFIRM, ("confirm my", "confirm the appointment", "i'll be there", "i will be there", "see you then",
                      "confirmar mi", "confirmo", "ahi estare", "alli estare", "confirmar la cita")),
    (Intent.OTHER_TIMES, ("other times", "other time", "other options", "something else", "more times", "later times",
                          "anything else", "someone else", "anyone else", "another one", "any other", "otras horas",
                          "otros horarios", "otra hora", "mas opciones", "otro horario", "otra opcion")),
    (Intent.INFO, ("hours", "open", "close", "address", "where are you", "where are they", "located", "location",
                   "parking", "insurance", "bring", "phone number", "contact number", "their number", "do they offer",
                   "do you offer", "services", "horario", "abren", "cierran", "direccion", "donde estan", "estacionamiento",
                   "seguro", "traer", "telefono", "servicios")),
    (Intent.BOOK, ("book", "appointment", "schedule", "make an", "come in", "see the dentist", "see a dentist", "checkup",
                   "check-up", "check up", "cleaning", "available", "availability", "any time", "slot", "cita", "reservar",
                   "agendar", "turno", "consulta", "limpieza", "revision", "disponible", "hueco", "quiero ir")),
    (Intent.GREETING, ("hi", "hello", "hey", "good morning", "good afternoon", "hola", "buenos dias", "buenas tardes", "buenas")),
    (Intent.THANKS, ("thanks", "thank you", "thx", "bye", "goodbye", "that's all", "that is all", "nothing else",
                     "gracias", "muchas gracias", "adios", "eso es todo", "nada mas")),
]  # fmt: skip
KINDS: list[tuple[str, tuple[str, ...]]] = [
    ("emergency", ("emergency", "urgent", "urgencia", "emergencia")),
    ("cleaning", ("cleaning", "clean", "hygiene", "hygienist", "limpieza", "higiene")),
    ("new_patient", ("new patient", "first visit", "paciente nuevo", "primera vez", "primera visita")),
    ("consultation", ("checkup", "check-up", "check up", "exam", "consultation", "consult", "look at", "revision",
                      "chequeo", "consulta", "examen", "valoracion")),
]  # fmt: skip
EMERGENCY = triggers.words(triggers.EMERGENCY)
YES = ("yes", "yeah", "yep", "yup", "sure", "ok", "okay", "correct", "right", "that works", "works for me", "perfect",
       "sounds good", "please do", "confirm", "book it", "great", "fine", "alright", "all right", "agreeable", "agree",
       "go with", "that one works", "this one works", "reserve it", "si", "claro", "vale", "de acuerdo", "perfecto",
       "correcto", "esta bien", "me sirve", "dale", "confirmo", "genial")  # fmt: skip
NO = ("no", "nope", "nah", "not really", "doesn't work", "does not work", "don't", "negative", "no gracias", "no puedo",
      "no me sirve", "tampoco")  # fmt: skip
ORDINAL_PICK = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th|º|ª|a|o)?\s+(?:one|option|opcion|time|hora)\b", re.IGNORECASE
)
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "last": -1, "primera": 1, "primero": 1, "segunda": 2, "segundo": 2, "tercera": 3,
            "tercero": 3, "cuarta": 4, "cuarto": 4, "quinta": 5, "quinto": 5, "ultima": -1, "ultimo": -1}  # fmt: skip
TOPICS = [
    ("hours", ("hours", "open", "close", "horario", "abren", "cierran")),
    ("address", ("address", "where", "located", "direccion", "donde")),
    ("parking", ("parking", "park", "estacionamiento", "aparcar")),
    ("insurance", ("insurance", "seguro")),
    ("bring", ("bring", "traer", "llevar")),
]
SPANISH_MARKERS = ("hola", "quiero", "cita", "gracias", "por favor", "manana", "tarde", "semana", "necesito", "puedo",
                   "cuando", "buenos", "buenas", "limpieza", "para", "el lunes", "martes", "jueves", "viernes", "si,",
                   "dolor", "mi ", "una ", "hora", "de la")  # fmt: skip
NAME_STOPWORDS = {"my", "name", "is", "i", "am", "im", "me", "llamo", "mi", "nombre", "es", "soy", "and", "y", "born",
                  "nacido", "nacida", "el", "la", "de", "dob", "birthday", "for", "para", "it's", "its", "the", "visit",
                  "can", "could", "please", "yes", "no", "hi", "hello", "hola", "next", "this", "on", "at", "a", "an",
                  "book", "we", "she", "he", "her", "his", "son", "daughter", "hijo", "hija", "quiero", "ok",
                  "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "lunes", "martes",
                  "miercoles", "jueves", "viernes", "sabado", "domingo", "today", "tomorrow", "hoy", "manana"}  # fmt: skip


def has(t: str, phrases: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<![a-z]){re.escape(p)}(?![a-z])", t) for p in phrases)


def detect_language(text: str, allowed: tuple[str, ...] = ("en", "es")) -> str | None:
    """Spanish or English from marker words; None for messages too short to tell ("ok", "2", an emoji)."""
    t = fold(text)
    if len(re.findall(r"[a-z]+", t)) < 2 and not re.search(r"[¿¡ñ]", text.lower()):
        return None
    spanish = sum(1 for m in SPANISH_MARKERS if m in f" {t} ") + (
        2 if re.search(r"[¿¡ñ]", text.lower()) else 0
    )
    if "es" in allowed and spanish >= 2:
        return "es"
    return "en" if "en" in allowed else None


def understand(text: str, now: datetime, *, language: str = "en") -> Understanding:
    """Read one turn's text (several messages joined) into an Understanding."""
    t = fold(text).strip()
    birthdate = birthdate_in(text, day_first=language != "en")
    # "The 2nd one" picks an offered option; it is not the 2nd of the month.
    picked = ORDINAL_PICK.search(t)
    dated = ORDINAL_PICK.sub(" ", text) if picked else text
    # A message that gives a date of birth is about who the patient is, not when they want to come.
    when = resolve(dated, now, day_first=language != "en") if birthdate is None else resolve("", now)
    intent = next((i for i, words in INTENTS if has(t, words)), None)
    yes = _yes_no(t)
    if intent in (Intent.GREETING, Intent.THANKS) and yes is None and len(t.split()) > 4:
        intent = _main_intent(t) or intent
    first, last = _names(text)
    return Understanding(
        **when.model_dump(),
        intent=intent,
        yes=yes,
        kind=next((k for k, words in KINDS if has(t, words)), None),
        choice=int(picked.group(1)) if picked else _choice(t),
        first_name=first,
        last_name=last,
        birthdate=birthdate,
        info_topic=next((k for k, words in TOPICS if has(t, words)), None) if intent is Intent.INFO else None,
        emergency=has(t, EMERGENCY),
        out_of_scope=_out_of_scope(t),
        language=detect_language(text),
    )


def _out_of_scope(t: str) -> str | None:
    """Billing disputes and clinical questions are for staff, whatever else the message asks."""
    return next(
        (topic.value for topic, table in triggers.OUT_OF_SCOPE.items() if has(t, triggers.words(table))), None
    )


def _main_intent(t: str) -> Intent | None:
    for intent, words in INTENTS:
        if intent not in (Intent.GREETING, Intent.THANKS) and has(t, words):
            return intent
    return None


def _yes_no(t: str) -> bool | None:
    if has(t, NO) and not has(t, ("no problem", "no hay problema")):
        return False
    if has(t, YES) or t in ("👍", "👌", "✅"):
        return True
    return None


def _choice(t: str) -> int | None:
    words = re.findall(r"[a-z]+|\d+", t)
    for word in words:
        if word in ORDINALS:
            return ORDINALS[word]
    if match := re.fullmatch(r"\s*(?:option|number|opcion|numero|la|el|#)?\s*(\d{1,2})\s*[.)]?\s*", t):
        return int(match.group(1))
    return None


def _names(text: str) -> tuple[str | None, str | None]:
    """First and last name from a message like "Sofia Garcia, 2014-07-02" (capitalised words, not keywords)."""
    words = [w for w in re.findall(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ'-]+", text) if fold(w) not in NAME_STOPWORDS]
    names = [w for w in words if w[0].isupper() and fold(w) not in _MONTH_WORDS]
    if not names:
        return None, None
    return names[0], (" ".join(names[1:]) or None)


_MONTH_WORDS = {m for months in (
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"],
    ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"],
) for m in months}  # fmt: skip
