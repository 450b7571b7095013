"""The offline rules on the forms patients write, and the scorer on the shared evaluation data."""

from __future__ import annotations

import json
import os
import warnings
from datetime import date, datetime, time
from pathlib import Path

import pytest

from flows.nlu.evaluate import evaluate_recognizers, evaluate_sgd
from flows.nlu.rules import understand
from flows.nlu.understanding import Intent

NOW = datetime(2019, 3, 1, 9, 0)  # a Friday, the SGD reference


def eval_data() -> Path:
    """The external evaluation data lives outside the repository, so its place comes from EVAL_DATA_DIR.

    Unset, the scorer test is skipped (a fresh clone elsewhere has no data); set, as .ci/run sets it, a missing
    file is an error, so CI cannot pass without having scored the rules.
    """
    where = os.environ.get("EVAL_DATA_DIR")
    if not where:
        pytest.skip(
            "EVAL_DATA_DIR is not set: point it at the project's shared eval/ folder (sgd_dentist.jsonl,"
            " recognizers_datetime.jsonl), e.g. EVAL_DATA_DIR=$(cd .. && pwd)/shared/eval; see docs/understanding.md"
        )
    return Path(where)


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
        ("el jueves de la semana que viene a las 17:30", "es", date(2019, 3, 7), time(17, 30)),
        ("amanhã às 3 da tarde", "pt", date(2019, 3, 2), time(15, 0)),
        ("segunda-feira às 9h30", "pt", date(2019, 3, 4), time(9, 30)),
        ("depois de amanhã de manhã", "pt", date(2019, 3, 3), None),
        ("mardi prochain à 15h", "fr", date(2019, 3, 5), time(15, 0)),
        ("après-demain vers 10h30", "fr", date(2019, 3, 3), time(10, 30)),
        ("le 12 mars à 9 heures et demie", "fr", date(2019, 3, 12), time(9, 30)),
        ("morgen um 10 Uhr", "de", date(2019, 3, 2), time(10, 0)),
        ("übermorgen halb drei", "de", date(2019, 3, 3), time(14, 30)),
        ("am Dienstag, 12. März um 16:15", "de", date(2019, 3, 12), time(16, 15)),
        ("بكرة الساعة ١٠ صباحا", "ar", date(2019, 3, 2), time(10, 0)),
        ("يوم الخميس الساعة 5 مساء", "ar", date(2019, 3, 7), time(17, 0)),
        ("بعد غد الساعة ٣ و نص", "ar", date(2019, 3, 3), time(15, 30)),
        ("कल शाम ५ बजे", "hi", date(2019, 3, 2), time(17, 0)),
        ("परसों सुबह साढ़े दस बजे", "hi", date(2019, 3, 3), time(10, 30)),
        ("agle somvar 11 baje", "hi", date(2019, 3, 4), time(11, 0)),
        ("kal dopahar 2 baje", "hi", date(2019, 3, 2), time(14, 0)),
        ("the day after tomorrow at 14:00", "en", date(2019, 3, 3), time(14, 0)),
        ("sat 9th, 11:30am", "en", date(2019, 3, 9), time(11, 30)),
    ],
)
def test_dates_and_times(text: str, language: str, start: date | None, at: time | None) -> None:
    u = understand(text, NOW, language=language)
    assert (u.start, u.at) == (start, at)


@pytest.mark.parametrize(
    ("text", "language", "start", "at"),
    [
        # spans counted in weeks, months and years, forward from a base or back ("ago")
        ("in two months", "en", date(2019, 5, 1), None),
        ("in a fortnight", "en", date(2019, 3, 15), None),
        ("dentro de 3 meses", "es", date(2019, 6, 1), None),
        ("tres semanas a partir de mañana", "es", date(2019, 3, 23), None),
        ("daqui a um ano", "pt", date(2020, 3, 1), None),
        ("dans deux semaines", "fr", date(2019, 3, 15), None),
        ("in drei Wochen", "de", date(2019, 3, 22), None),
        ("vor 2 Monaten", "de", date(2019, 1, 1), None),
        ("kal se 2 hafte", "hi", date(2019, 3, 16), None),
        ("hace 30 minutos", "es", date(2019, 3, 1), time(8, 30)),
        ("il y a 2 heures", "fr", date(2019, 3, 1), time(7, 0)),
        ("en 2 h", "es", date(2019, 3, 1), time(11, 0)),
        ("dans 2 h", "fr", date(2019, 3, 1), time(11, 0)),
        ("à 16h", "fr", None, time(16, 0)),
        # holidays, fixed, counted from Easter, and lunar; a holiday named after a weekday is not that weekday
        ("2 days after Easter", "en", date(2019, 4, 23), None),
        ("black friday", "en", date(2019, 11, 29), None),
        ("last christmas", "en", date(2018, 12, 25), None),
        ("easter 2020", "en", date(2020, 4, 12), None),
        ("el viernes santo", "es", date(2019, 4, 19), None),
        ("Navidad del año que viene", "es", date(2020, 12, 25), None),
        ("sexta-feira santa", "pt", date(2019, 4, 19), None),
        ("à la Toussaint", "fr", date(2019, 11, 1), None),
        ("am Ostermontag um 10 Uhr", "de", date(2019, 4, 22), time(10, 0)),
        ("بعد عيد الفطر", "ar", date(2019, 6, 5), None),
        ("दिवाली के बाद", "hi", date(2019, 10, 28), None),
        ("am Totensonntag", "de", date(2019, 11, 24), None),
        # clock words
        ("um Mitternacht", "de", None, time(0, 0)),
        ("a las 12 de la noche", "es", None, time(0, 0)),
        ("anoche a las 8", "es", date(2019, 2, 28), time(20, 0)),
        ("11ish", "en", None, time(11, 0)),
        ("nine a m", "en", None, time(9, 0)),
        ("15.03.2019 14:30", "de", date(2019, 3, 15), time(14, 30)),
        ("20190315", "en", date(2019, 3, 15), None),
        # a weekday named with a counted span is that weekday of the counted day's week
        ("Tuesday, three weeks from now", "en", date(2019, 3, 19), None),
        ("the 10th of next month", "en", date(2019, 4, 10), None),
        # German ordinals written as words are day and month, as "7.4." is
        ("am siebten vierten", "de", date(2019, 4, 7), None),
        ("Johannistag", "de", date(2019, 6, 24), None),
        # month first in English, day first elsewhere, for a date with its year
        ("04/05/2019", "en", date(2019, 4, 5), None),
        ("04/05/2019", "fr", date(2019, 5, 4), None),
        ("Dec31, 2019", "en", date(2019, 12, 31), None),
        # a weekday settles an ambiguous date: the year in which it falls on that weekday, or this month's day
        ("Sunday, March 3", "en", date(2019, 3, 3), None),
        ("Friday, February 22", "en", date(2019, 2, 22), None),
        ("Friday, June 21", "en", date(2019, 6, 21), None),
        # "this coming" and "this past" weekday
        ("este próximo viernes", "es", date(2019, 3, 8), None),
        ("este miércoles pasado", "es", date(2019, 2, 27), None),
    ],
)
def test_spans_holidays_and_clock_words(
    text: str, language: str, start: date | None, at: time | None
) -> None:
    u = understand(text, NOW, language=language)
    assert (u.start, u.at) == (start, at)


@pytest.mark.parametrize(
    ("text", "language", "born"),
    [
        ("born on January twenty five nineteen eighty six", "en", date(1986, 1, 25)),
        ("March 3 nineteen oh five", "en", date(1905, 3, 3)),
        ("nací el diez de octubre de mil novecientos noventa y dos", "es", date(1992, 10, 10)),
        ("nasci em 23 de maio de mil novecentos e oitenta e dois", "pt", date(1982, 5, 23)),
        ("née le quatre octobre deux mille un", "fr", date(2001, 10, 4)),
    ],
)
def test_years_written_in_words(text: str, language: str, born: date) -> None:
    assert understand(text, NOW, language=language).birthdate == born


def test_a_number_word_beside_a_month_is_a_day_not_a_year() -> None:
    assert understand("twenty five January", NOW, language="en").start == date(2020, 1, 25)
    assert understand("dos mil pesos el 3 de marzo", NOW, language="es").start == date(2019, 3, 3)


def test_a_weekday_and_a_day_just_past_name_the_day_past_not_one_months_away() -> None:
    # On Friday the 28th, "Tuesday the 25th" is three days ago (the conversation then says so), not December.
    friday = datetime(2018, 9, 28, 10, 0)
    assert understand("Tuesday the 25th", friday, language="en").start == date(2018, 9, 25)
    assert understand("martes el día 25", friday, language="es").start == date(2018, 9, 25)
    assert understand("Tuesday the 30th", friday, language="en").start == date(2018, 10, 30)


@pytest.mark.parametrize(
    ("text", "language", "start"),
    [
        ("at the end of the day tomorrow", "en", date(2019, 3, 2)),
        ("last appointment of the day on Monday", "en", None),
        ("al final del martes", "es", date(2019, 3, 5)),
        ("lo más tarde posible", "es", None),
        ("no fim do dia", "pt", None),
        ("fin de demain", "fr", date(2019, 3, 2)),
        ("am Ende des Tages", "de", None),
        ("كل يوم في اخر النهار", "ar", None),
        ("कल के अंत में", "hi", date(2019, 3, 2)),
    ],
)
def test_the_end_of_a_day_asks_for_its_latest_openings(text: str, language: str, start: date | None) -> None:
    u = understand(text, NOW, language=language)
    assert u.late and u.at is None
    if start is not None:
        assert u.start == start


def test_the_end_of_a_week_is_not_late_in_a_day() -> None:
    assert not understand("end of this week", NOW, language="en").late
    assert not understand("el fin de semana", NOW, language="es").late


@pytest.mark.parametrize(
    ("text", "language"),
    [("Not right now", "en"), ("ahora no, gracias", "es"), ("agora não", "pt"), ("pas maintenant", "fr"),
     ("jetzt nicht", "de"), ("مش الحين", "ar"), ("abhi nahi", "hi")],
)  # fmt: skip
def test_putting_it_off_is_a_no_and_now_is_not_a_time_to_book(text: str, language: str) -> None:
    u = understand(text, NOW, language=language)
    assert u.yes is False and not u.has_when


def test_a_lunar_holiday_beyond_its_calendar_has_no_date_and_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert understand("diwali 2099", NOW, language="en").start is None
        assert understand("eid al fitr 1900", NOW, language="en").start is None


@pytest.mark.parametrize(
    ("text", "language", "start", "end"),
    [
        ("after Christmas", "en", date(2019, 12, 26), None),
        ("después de Navidad", "es", date(2019, 12, 26), None),
        ("nach Ostern", "de", date(2019, 4, 22), None),
        ("from Monday", "en", date(2019, 3, 4), None),
        ("before Friday", "en", None, date(2019, 3, 7)),
        ("antes del 15 de marzo", "es", None, date(2019, 3, 14)),
        ("सोमवार से पहले", "hi", None, date(2019, 3, 3)),
        ("after 4 on Friday", "en", date(2019, 3, 8), date(2019, 3, 8)),
        ("3 weeks after Christmas", "en", date(2020, 1, 15), date(2020, 1, 15)),
    ],
)
def test_after_or_before_a_day_is_open_ended(
    text: str, language: str, start: date | None, end: date | None
) -> None:
    u = understand(text, NOW, language=language)
    assert (u.start, u.end) == (start, end)


def test_from_9_to_5_is_a_range_not_ten_to_five() -> None:
    assert understand("from 9 to 5 on Monday", NOW, language="en").earliest == time(9, 0)
    assert understand("ten to five", NOW, language="en").at == time(16, 50)


def test_a_weekday_with_day_zero_is_the_coming_weekday() -> None:
    assert understand("thursday 0", NOW, language="en").start == date(2019, 3, 7)


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
        ("Not now, maybe next month", None, False),
        ("Why don't you try 11:45 am", None, None),
        ("hold off for now", None, False),
        ("Yes, book it", None, True),
        ("Actually, book it on the 11th", None, None),
        ("Please keep looking", Intent.OTHER_TIMES, None),
    ],
)
def test_intents_and_answers(text: str, intent: Intent | None, yes: bool | None) -> None:
    u = understand(text, NOW, language="en")
    assert (u.intent, u.yes) == (intent, yes)


@pytest.mark.parametrize(
    ("text", "language", "intent", "yes", "choice"),
    [
        ("quiero reservar una limpieza", "es", Intent.BOOK, None, None),
        ("sí, la segunda", "es", None, True, 2),
        ("queria remarcar minha consulta", "pt", Intent.RESCHEDULE, None, None),
        ("não, obrigado", "pt", Intent.THANKS, False, None),
        ("je voudrais annuler mon rendez-vous", "fr", Intent.CANCEL, None, None),
        ("oui, le premier", "fr", None, True, 1),
        ("Ich möchte einen Termin verschieben", "de", Intent.RESCHEDULE, None, None),
        ("nein, andere Zeiten bitte", "de", Intent.OTHER_TIMES, False, None),
        ("أريد حجز موعد", "ar", Intent.BOOK, None, None),
        ("نعم، الثاني", "ar", None, True, 2),
        ("मुझे अपॉइंटमेंट रद्द करना है", "hi", Intent.CANCEL, None, None),
        ("haan ji, pehla wala", "hi", None, True, 1),
        ("nahi, koi aur time", "hi", Intent.OTHER_TIMES, False, None),
    ],
)
def test_intents_answers_and_choices_in_every_language(
    text: str, language: str, intent: Intent | None, yes: bool | None, choice: int | None
) -> None:
    u = understand(text, NOW, language=language)
    assert (u.intent, u.yes, u.choice) == (intent, yes, choice)


def test_the_scorer_on_the_shared_data_never_crashes_and_reports_counts() -> None:
    data = eval_data()
    sgd = evaluate_sgd(json.loads(line) for line in (data / "sgd_dentist.jsonl").read_text().splitlines())
    assert sgd["date"]["total"] == 344 and sgd["time"]["total"] == 676 and sgd["act"]["total"] > 2000
    assert sgd["date"]["accuracy"] >= 95 and sgd["time"]["accuracy"] >= 95 and sgd["act"]["accuracy"] >= 90
    recognizers = evaluate_recognizers(
        json.loads(line) for line in (data / "recognizers_datetime.jsonl").read_text().splitlines()
    )
    assert set(recognizers["per_language"]) >= {"en", "es", "pt", "fr", "de", "ar", "hi"}
    assert recognizers["per_language"]["en"]["total"] > 100
    # The targets the offline rules must hold (docs/understanding.md), so a change that loses a class of forms fails here.
    floors = {"en": 90, "es": 90, "pt": 90, "fr": 90, "de": 90, "ar": 80, "hi": 80}
    assert {
        lang: recognizers["per_language"][lang]["accuracy"] >= floor for lang, floor in floors.items()
    } == {lang: True for lang in floors}
