"""The offline rules on the forms patients write, and the scorer on the shared evaluation data."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path

import pytest

from flows.nlu.evaluate import evaluate_recognizers, evaluate_sgd
from flows.nlu.rules import understand
from flows.nlu.understanding import Intent

NOW = datetime(2019, 3, 1, 9, 0)  # a Friday, the SGD reference
EVAL = Path(__file__).parents[3] / "shared" / "eval"


@pytest.mark.parametrize(
    ("text", "language", "start", "at"),
    [
        ("tuesday next week", "en", date(2019, 3, 5), None),
        ("next Friday at 10 am", "en", date(2019, 3, 8), time(10, 0)),
        ("the 7th at quarter to 3 in the afternoon", "en", date(2019, 3, 7), time(14, 45)),
        ("afternoon 2:15", "en", None, time(14, 15)),
        ("three pm", "en", None, time(15, 0)),
        ("pasado mañana a las 10", "es", date(2019, 3, 3), time(10, 0)),
        ("el martes a las 3 de la tarde", "es", date(2019, 3, 5), time(15, 0)),
    ],
)
def test_dates_and_times(text: str, language: str, start: date | None, at: time | None) -> None:
    u = understand(text, NOW, language=language)
    assert (u.start, u.at) == (start, at)


def test_february_29_never_crashes() -> None:
    assert understand("February 29", datetime(2016, 3, 1), language="en").start == date(2020, 2, 29)


@pytest.mark.parametrize(
    ("text", "intent", "yes"),
    [
        ("I'd like to make an appointment", Intent.BOOK, None),
        ("Anyone else?", Intent.OTHER_TIMES, None),
        ("what is their phone number?", Intent.INFO, None),
        ("That works for me", None, True),
        ("no, that doesn't work", None, False),
        ("thanks, bye", Intent.THANKS, None),
    ],
)
def test_intents_and_answers(text: str, intent: Intent | None, yes: bool | None) -> None:
    u = understand(text, NOW, language="en")
    assert (u.intent, u.yes) == (intent, yes)


def test_the_scorer_on_the_shared_data_never_crashes_and_reports_counts() -> None:
    sgd = evaluate_sgd(json.loads(line) for line in (EVAL / "sgd_dentist.jsonl").read_text().splitlines())
    assert sgd["date"]["total"] == 344 and sgd["time"]["total"] == 676 and sgd["act"]["total"] > 2000
    assert sgd["date"]["accuracy"] >= 95 and sgd["time"]["accuracy"] >= 95 and sgd["act"]["accuracy"] >= 70
    recognizers = evaluate_recognizers(
        json.loads(line) for line in (EVAL / "recognizers_datetime.jsonl").read_text().splitlines()
    )
    assert set(recognizers["per_language"]) >= {"en", "es"}
    assert recognizers["per_language"]["en"]["total"] > 100
