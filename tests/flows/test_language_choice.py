"""The detector and the rules that keep a conversation's language: local, restricted to the practice's languages,
sticky, switched only by a request or a run of messages."""

from __future__ import annotations

import pytest

from flows.nlu.language import Detection, LanguageDetector, requested, settle

ALL = ["en", "es", "pt", "fr", "de", "ar", "hi"]


@pytest.fixture(name="detector", scope="module")
def fixture_detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("Hi, I'd like to book a cleaning", "en"),
        ("quiero una cita para el martes", "es"),
        ("queria marcar uma consulta amanhã", "pt"),
        ("je voudrais un rendez-vous demain matin", "fr"),
        ("ich brauche einen Termin am Montag", "de"),
        ("أريد حجز موعد يوم الخميس", "ar"),
        ("मुझे कल अपॉइंटमेंट चाहिए", "hi"),
        ("mujhe kal subah appointment chahiye", "hi"),
    ],
)
def test_substantive_messages_are_detected(detector: LanguageDetector, message: str, language: str) -> None:
    latin = language == "hi" and message.isascii()  # Hindi in Latin letters: the hi-Latn script variant
    assert detector.detect(message, ALL) == Detection(language=language, substantive=True, latin=latin)


@pytest.mark.parametrize("message", ["ok", "2", "👍", "sí", "vale", "Hola", "merci"])
def test_short_messages_never_count_as_a_run(detector: LanguageDetector, message: str) -> None:
    found = detector.detect(message, ALL)
    assert found is None or not found.substantive


def test_detection_is_restricted_to_the_practices_languages(detector: LanguageDetector) -> None:
    assert detector.detect("quero marcar uma consulta para amanhã", ["en", "es"]) in (
        None,
        Detection(language="es", substantive=True),
    )
    arabic = detector.detect("أريد حجز موعد", ["en", "es"])
    assert arabic is None or arabic.language != "ar"


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("in English please", "en"),
        ("¿puedes hablar en español?", "es"),
        ("em português, por favor", "pt"),
        ("en français s'il vous plaît", "fr"),
        ("auf Deutsch bitte", "de"),
        ("بالعربي لو سمحت", "ar"),
        ("हिंदी में बात करें", "hi"),
        ("hindi me baat karo", "hi"),
    ],
)
def test_explicit_requests(message: str, language: str) -> None:
    assert requested(message, ALL) == language


def test_a_language_named_in_passing_is_not_a_request() -> None:
    assert (
        requested("my son only speaks a little English but he needs a cleaning next week please", ALL) is None
    )
    assert requested("in English please", ["es", "fr"]) is None


def test_settle_starts_sticks_and_switches_on_a_run() -> None:
    spanish = Detection(language="es", substantive=True)
    french = Detection(language="fr", substantive=True)
    assert settle(None, None, None, "en") == ("en", None)
    assert settle(None, None, Detection(language="es", substantive=False), "en") == ("es", None)
    assert settle("es", None, Detection(language="en", substantive=False), "en") == ("es", None)
    assert settle("es", None, french, "en") == ("es", ("fr", 1))
    assert settle("es", ("fr", 1), spanish, "en") == ("es", None)
    assert settle("es", ("fr", 1), french, "en") == ("fr", None)
    assert settle("es", ("fr", 1), None, "en") == ("es", ("fr", 1))
