"""Typos in the lexicon's words (flows/nlu/fuzzy.py): what they fix, and the bound on what they may add.

The bound: on a fixed set of chit-chat (over 50 messages per language that ask for nothing), reading typos adds
an intent, a kind or a yes/no to at most 1% of messages. The shared evaluation figures are held by
tests/flows/test_understanding.py."""

from __future__ import annotations

from datetime import datetime
from itertools import product

import pytest

from flows.nlu.rules import understand
from flows.nlu.understanding import Intent

NOW = datetime(2026, 12, 2, 9, 0)

TYPOS = [
    ("es", "quiero una limpiesa para mi hija el jueves por la mañana", Intent.BOOK, "cleaning"),
    ("en", "can i get a claening next week", Intent.BOOK, "cleaning"),
    ("en", "i need to cancle my appointment", Intent.CANCEL, None),
    ("en", "yes ill be there tomorrow at 3:30", Intent.CONFIRM, None),
    ("fr", "Je dois dépalcer mon rendez-vous", Intent.RESCHEDULE, None),
    ("de", "ich möchte mit einem Meschen sprechen", Intent.HUMAN, None),
    ("es", "conffirmo mi cita de mañana", Intent.CONFIRM, None),
    ("pt", "preciso cancelr minha consulta", Intent.CANCEL, None),
    ("hi", "mujhe apna appointmnet cancel karna hai", Intent.CANCEL, None),
    ("ar", "أريد إلغاء موعدي", Intent.CANCEL, None),
]


@pytest.mark.parametrize(("language", "words", "intent", "kind"), TYPOS)
def test_a_typo_in_a_vocabulary_word_is_read_as_the_word(
    language: str, words: str, intent: Intent, kind: str | None
) -> None:
    u = understand(words, NOW, language=language)
    assert (u.intent, u.kind) == (intent, kind) if kind else u.intent == intent


# fmt: off
SUBJECTS = {
    "en": [
        "my dog",
        "the weather",
        "my sister",
        "the traffic",
        "this song",
        "my neighbour",
        "the coffee",
        "my phone",
        "the movie",
        "our team",
    ],
    "es": [
        "mi perro",
        "el tiempo",
        "mi hermana",
        "el tráfico",
        "esta canción",
        "mi vecino",
        "el café",
        "mi móvil",
        "la película",
        "nuestro equipo",
    ],
    "pt": [
        "meu cachorro",
        "o tempo",
        "minha irmã",
        "o trânsito",
        "essa música",
        "meu vizinho",
        "o café",
        "meu celular",
        "o filme",
        "nosso time",
    ],
    "fr": [
        "mon chien",
        "la météo",
        "ma sœur",
        "la circulation",
        "cette chanson",
        "mon voisin",
        "le café",
        "mon téléphone",
        "le film",
        "notre équipe",
    ],
    "de": [
        "mein Hund",
        "das Wetter",
        "meine Schwester",
        "der Verkehr",
        "dieses Lied",
        "mein Nachbar",
        "der Kaffee",
        "mein Handy",
        "der Film",
        "unser Team",
    ],
    "ar": ["كلبي", "الطقس", "أختي", "الزحمة", "هذه الأغنية", "جاري", "القهوة", "هاتفي", "الفيلم", "فريقنا"],
    "hi": [
        "मेरा कुत्ता",
        "मौसम",
        "मेरी बहन",
        "ट्रैफिक",
        "यह गाना",
        "मेरा पड़ोसी",
        "कॉफी",
        "मेरा फोन",
        "फिल्म",
        "हमारी टीम",
    ],
}
PREDICATES = {
    "en": [
        "{} is so funny lol",
        "haha {} is crazy",
        "did you hear about {}?",
        "{} was amazing",
        "ugh {} again",
    ],
    "es": [
        "jaja {} es muy gracioso",
        "qué locura {}",
        "¿viste lo de {}?",
        "{} estuvo genial",
        "uf otra vez {}",
    ],
    "pt": ["kkk {} é muito engraçado", "que loucura {}", "você viu {}?", "{} foi incrível", "aff {} de novo"],
    "fr": ["mdr {} est trop drôle", "c'est fou {}", "tu as vu {} ?", "{} était génial", "pff encore {}"],
    "de": [
        "haha {} ist so lustig",
        "verrückt, {}",
        "hast du {} gesehen?",
        "{} war toll",
        "boah schon wieder {}",
    ],
    "ar": ["هههه {} مضحك جدا", "{} شيء غريب", "هل رأيت {}؟", "{} كان رائعا", "أوف {} مرة أخرى"],
    "hi": ["हाहा {} बहुत मज़ेदार है", "{} पागलपन है", "क्या तुमने {} देखा?", "{} शानदार था", "उफ़ {} फिर से"],
}
# fmt: on
CHITCHAT = {lang: [p.format(s) for p, s in product(PREDICATES[lang], SUBJECTS[lang])] for lang in SUBJECTS}


def _reads(words: str, language: str, *, typos: bool) -> tuple[object, ...]:
    u = understand(words, NOW, language=language, typos=typos)
    return u.intent, u.kind, u.yes, u.emergency


@pytest.mark.parametrize("language", sorted(CHITCHAT))
def test_typos_add_at_most_one_percent_intents_to_chitchat(language: str) -> None:
    messages = CHITCHAT[language]
    assert len(messages) >= 50
    added = [m for m in messages if _reads(m, language, typos=True) != _reads(m, language, typos=False)]
    assert len(added) <= len(messages) * 0.01, added
