"""Booking and cancelling in each of the seven languages through the whole stack, and a conversation's language
holding through short replies and taps until the patient asks for another one.

Every reply is checked against the language's catalog and its Babel date format; Arabic replies must open with a
right-to-left mark and isolate the dates they carry.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from locales.catalog import FSI, PDI, RLM, message, when
from tests.flows.test_conversations import Clinic, Patient, fixture_clinic, next_monday_at  # noqa: F401 (the clinic fixture)

SCRIPTS = {
    "en": ("I'd like a cleaning next week in the afternoon", "I need to cancel my appointment", "eng"),
    "es": ("Quiero una limpieza la semana que viene por la tarde", "Necesito cancelar mi cita", "spa"),
    "pt": ("Quero marcar uma limpeza na semana que vem à tarde", "Preciso cancelar minha consulta", "por"),
    "fr": ("Je voudrais un détartrage la semaine prochaine l'après-midi", "Je dois annuler mon rendez-vous", "fre"),
    "de": ("Ich möchte eine Zahnreinigung nächste Woche am Nachmittag", "Ich muss meinen Termin absagen", "ger"),
    "ar": ("أريد موعد تنظيف الأسبوع القادم بعد الظهر", "أريد إلغاء موعدي", "ara"),
    "hi": ("मुझे अगले हफ्ते दोपहर में दाँतों की सफ़ाई का अपॉइंटमेंट चाहिए", "मुझे अपना अपॉइंटमेंट रद्द करना है", "hin"),
}  # fmt: skip


def openings(key: str, language: str) -> set[str]:
    """The catalog text of a message up to its first placeholder, in each of its plural forms."""
    return {message(key, language, count).split("{")[0].strip() for count in (1, 2, 3, 11, 100)}


def assert_in_language(reply: str, key: str, language: str) -> None:
    assert any(o in reply for o in openings(key, language)), f"{key} not in {language}: {reply!r}"
    if language == "ar":
        assert reply.startswith(RLM)


async def charted(clinic: Clinic, first: str, number: str, chart_language: str) -> tuple[Patient, int, int]:
    """A patient on WhatsApp `1503<number>` whose chart (Language `chart_language`) holds one visit next Monday."""
    pat_num, apt_num = await clinic.new_patient_with_visit(
        first, f"(503) {number[:3]}-{number[3:]}", next_monday_at(10), chart_language
    )
    return clinic.patient(f"1503{number}"), pat_num, apt_num


@pytest.mark.parametrize("language", list(SCRIPTS))
async def test_book_and_cancel_in_each_language(clinic: Clinic, language: str) -> None:
    book, cancel, chart_language = SCRIPTS[language]
    patient, pat_num, apt_num = await charted(
        clinic, "Sam", f"55562{list(SCRIPTS).index(language):02d}", chart_language
    )

    assert_in_language(await patient.say(book), "offer.list", language)
    row = patient.rows[0]
    assert len(row["title"]) <= 24
    assert_in_language(await patient.tap(row["id"]), "confirm.book", language)
    booked_reply = await patient.tap("yes")
    assert_in_language(booked_reply, "booked", language)
    [booked] = [a for a in await clinic.appointments_of(pat_num) if a["AptNum"] != apt_num]
    start = datetime.fromisoformat(booked["AptDateTime"])
    written = when(start, language, region="US")  # the demo practice is in the US
    assert (f"{FSI}{written}{PDI}" if language == "ar" else written) in booked_reply

    # Two visits now (the seeded one and the new one): the patient picks which to cancel.
    assert_in_language(await patient.say(cancel), "ask.which", language)
    assert_in_language(await patient.tap(patient.rows[0]["id"]), "cancel.ask", language)
    assert_in_language(await patient.tap("yes"), "cancelled", language)


async def test_spanish_holds_through_short_replies_and_switches_on_request(clinic: Clinic) -> None:
    rosa, _, _ = await charted(clinic, "Rosa", "5556300", "spa")
    assert_in_language(await rosa.say("Hola, quiero una revisión la semana que viene"), "offer.list", "es")
    assert_in_language(await rosa.say("ok"), "fallback", "es")  # "ok" to a list picks nothing, in Spanish
    assert_in_language(await rosa.say("2"), "confirm.book", "es")
    assert_in_language(await rosa.tap("other"), "offer.list", "es")
    assert_in_language(await rosa.tap(rosa.rows[0]["id"]), "confirm.book", "es")
    assert_in_language(await rosa.say("👍"), "booked", "es")
    assert_in_language(await rosa.say("in English please"), "language.switched", "en")
    assert_in_language(await rosa.say("gracias"), "welcome", "en")


async def test_a_run_of_messages_in_another_language_switches(clinic: Clinic) -> None:
    marie, _, _ = await charted(clinic, "Marie", "5556301", "eng")
    assert_in_language(await marie.say("Hi, I'd like a check-up next week"), "offer.list", "en")
    assert_in_language(await marie.say("Je préfère le matin s'il vous plaît"), "offer.list", "en")
    assert_in_language(await marie.say("plutôt mardi matin, merci"), "offer.list", "fr")


async def test_a_first_message_that_cannot_tell_uses_the_charts_language(clinic: Clinic) -> None:
    """ "ok" says nothing about the language: the chart's Language ("ger") does, from the first reply on."""
    jonas, _, _ = await charted(clinic, "Jonas", "5556302", "ger")
    assert_in_language(await jonas.say("ok"), "fallback", "de")
    assert_in_language(await jonas.say("Ich möchte einen Termin nächste Woche"), "ask.kind", "de")
