"""What simulated patients found (issue #18), one graph turn at a time over the in-memory office: no dead end,
typed choices, several info topics, the fallback's way out, catalog examples that are nobody's data; each in
English, Spanish and Arabic or Hindi."""

from __future__ import annotations

from datetime import date

import pytest

from flows.nearest import rank, searched, wider
from flows.ports import OptionInfo, PatientInfo
from flows.state import Wanted
from locales.catalog import message
from od_adapter.sandbox.seed import build_office, load_seed
from tests.flows.test_graph import NOW, PRACTICE, Chat, office

PARK = PRACTICE.model_copy(update={"info": {"address": "1 Main St", "parking": "Behind the building", "insurance": "Delta Dental"}})  # fmt: skip

DEAD_ENDS = [
    ("en", "can I get a cleaning on Tuesday after 2pm"),
    ("es", "una limpieza el martes después de las 14"),
    ("hi", "मंगलवार को 2 बजे के बाद सफ़ाई चाहिए"),
]


@pytest.mark.parametrize(("language", "words"), DEAD_ENDS)
async def test_nothing_free_says_what_was_searched_and_offers_the_nearest_times(
    language: str, words: str
) -> None:
    chat = Chat(office())  # the fake office has only 9:00 and 11:00: nothing after 2 pm
    chat.session.conversation.language = language
    keys = await chat.send(words)
    assert keys == ["offer.searched.day_part", "offer.nearest"], keys
    assert chat.conv.awaiting == "option" and chat.rows()
    first = chat.conv.offered[0]
    assert first.start.date() == NOW.date().replace(day=8)  # the same Tuesday, at another time, comes first
    assert chat.office.calls.count("options") == 2  # the asked search and one wider one, nothing more


async def test_the_nearest_times_are_one_tap_away() -> None:
    chat = Chat(office())
    await chat.send("can I get a cleaning on Tuesday after 2pm")
    assert await chat.send(tap=chat.rows()[0]) == ["confirm.book"]


def test_the_nearest_are_the_same_day_then_the_same_part_of_day_nearby_then_the_earliest() -> None:
    asked = Wanted(start=NOW.date().replace(day=8), end=NOW.date().replace(day=8), part_of_day="afternoon")

    def at(day: int, hour: int) -> OptionInfo:
        start = NOW.replace(day=day, hour=hour, tzinfo=None)
        return OptionInfo(id=f"{day}-{hour}", start=start, minutes=30, provider="Dr")

    options = [at(7, 9), at(9, 9), at(10, 14), at(9, 15), at(8, 10)]
    assert [o.id for o in rank(options, asked)] == ["8-10", "9-15", "10-14", "7-9", "9-9"]
    assert wider(asked, NOW.date()) == Wanted(start=NOW.date(), end=NOW.date().replace(day=11))
    reply = searched(asked)
    assert (
        reply is not None
        and reply.key == "offer.searched.day_part"
        and reply.params["part"] == "part.afternoon"
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "whats ur address and do u take delta dental"),
        ("es", "¿cuál es la dirección y aceptan seguro?"),
        ("ar", "ما هو العنوان وهل تقبلون التأمين؟"),
    ],
)
async def test_several_topics_in_one_message_are_all_answered(language: str, words: str) -> None:
    chat = Chat(office())
    chat.session.conversation.language = language
    chat.practice = PARK
    assert await chat.send(words) == ["info.answer", "info.answer"]
    assert chat.last is not None
    assert [r.params["answer"] for r in chat.last.replies] == ["1 Main St", "Delta Dental"]


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "where do i park"), ("es", "donde puedo aparcar?"), ("hi", "parking kahan hai?")],
)
async def test_where_to_park_is_answered_from_the_practice_files_parking(language: str, words: str) -> None:
    chat = Chat(office())
    chat.session.conversation.language = language
    chat.practice = PARK
    assert await chat.send(words) == ["info.answer"]
    assert chat.last is not None and chat.last.replies[0].params["answer"] == "Behind the building"


@pytest.mark.parametrize("language", ["en", "es", "ar"])
async def test_the_fallback_offers_the_menu_the_topics_and_a_person(language: str) -> None:
    chat = Chat(office())
    chat.session.conversation.language = language
    chat.practice = PARK
    assert await chat.send("blorp") == ["fallback"]
    assert chat.last is not None
    reply = chat.last.replies[0]
    assert [b.id for b in reply.buttons] == ["menu:book", "menu:reschedule", "menu:cancel"]
    assert reply.params["topics"] == "topic.address|topic.insurance|topic.parking"
    assert "{topics}" in message("fallback", language)


def test_catalog_examples_name_nobody_in_the_demo_seed() -> None:
    seed = build_office(load_seed())
    names = {p.f_name for p in seed.patients.values()} | {p.l_name for p in seed.patients.values()}
    born = {f"{p.birthdate:%m/%d/%Y}" for p in seed.patients.values()} | {f"{p.birthdate:%d/%m/%Y}" for p in seed.patients.values()}  # fmt: skip
    for language in ("en", "es", "pt", "fr", "de", "ar", "hi"):
        for key in ("ask.details", "ask.who_again"):
            example = message(key, language).rsplit(":", 1)[-1]
            words = set(example.replace(")", " ").replace("।", " ").split())
            assert not words & names and not any(b in example for b in born), (language, key, example)


# Next week the fake office offers Mon 14, Tue 15 and Wed 16 December at 9:00 and 11:00: rows 1 to 6.
TYPED_CHOICES = [
    ("en", "the second one", 2), ("en", "the 2nd", 2), ("en", "the wed 16th one pls", None),
    ("en", "wed 16th at 11am", 6), ("en", "tuesday at 9am", 3), ("en", "option 3", 3),
    ("es", "la segunda", 2), ("es", "la número 3", 3), ("es", "el miércoles a las 11:00", 6), ("es", "la 6", 6),
    ("pt", "a segunda", 2), ("pt", "quarta às 9:00", 5), ("fr", "la deuxième", 2), ("fr", "mercredi à 11h00", 6),
    ("de", "den zweiten", 2), ("de", "Mittwoch um 11:00", 6),
    ("ar", "الثاني", 2), ("ar", "الخيار 3", 3), ("hi", "दूसरा वाला", 2), ("hi", "3 number", 3),
]  # fmt: skip


@pytest.mark.parametrize(("language", "words", "row"), TYPED_CHOICES)
async def test_a_typed_choice_names_its_row(language: str, words: str, row: int | None) -> None:
    chat = Chat(office())
    chat.session.conversation.language = language
    await chat.send("I'd like a check-up next week")
    offered = list(chat.conv.offered)
    keys = await chat.send(words)
    if row is None:  # two rows on Wednesday 16th: the patient is asked again, nothing is chosen for them
        assert chat.conv.pending is None and "confirm.book" not in keys
        return
    assert keys == ["confirm.book"], keys
    assert chat.conv.pending == offered[row - 1].id


@pytest.mark.parametrize(
    ("language", "words", "hour"),
    [("en", "the one at 11", 11), ("es", "la de las 11", 11), ("fr", "celle de 11h", 11), ("de", "die um 11", 11),
     ("pt", "a das 11", 11), ("hi", "11 बजे वाला", 11), ("ar", "الساعة 11", 11), ("en", "10am works", 10)],
)  # fmt: skip
def test_the_one_at_an_hour_names_the_only_row_at_that_hour(language: str, words: str, hour: int) -> None:
    from datetime import datetime

    from flows.nlu.picking import pick

    starts = [
        datetime(2026, 12, 8, 9),
        datetime(2026, 12, 8, 10),
        datetime(2026, 12, 9, 11),
        datetime(2026, 12, 9, 14),
    ]
    assert pick(words, starts, language) == next(i for i, s in enumerate(starts, 1) if s.hour == hour)


# -- family phones, new patients ------------------------------------------------------------------------------------

SOFIA = PatientInfo(
    pat_num=3, first_name="Sofía", last_name="García", birthdate=date(2014, 7, 2), guarantor=2
)
MARIA = PatientInfo(
    pat_num=2, first_name="María", last_name="García", birthdate=date(1985, 3, 14), guarantor=2
)
FAMILY_ASKS = [
    ("en", "I'd like a check-up next week for my daughter", "sofia garcia, 07/02/2014"),
    ("es", "quiero una revisión la semana que viene para mi hija", "sofia garcia, 2 de julio 2014"),
    ("ar", "أريد فحص الأسبوع القادم لابنتي", "Sofia 02/07/2014"),
]


@pytest.mark.parametrize(("language", "ask", "who"), FAMILY_ASKS)
async def test_a_family_phone_asks_whom_and_names_them_in_the_question_and_in_booked(
    language: str, ask: str, who: str
) -> None:
    chat = Chat(office(family=(MARIA, SOFIA)))
    chat.session.conversation.language = language
    assert await chat.send(ask) == ["ask.who"]
    assert await chat.send(who) == ["offer.list"]  # lower case, no accent: still Sofía
    assert chat.conv.patient == 3
    assert await chat.send(tap=chat.rows()[0]) == ["confirm.book_for"]
    assert chat.last is not None and chat.last.replies[0].params["name"] == "Sofía"
    assert await chat.send(tap=chat.buttons()[0]) == ["booked_for"]
    assert chat.last is not None and chat.last.replies[0].params["name"] == "Sofía"


@pytest.mark.parametrize(("language", "words"), [("en", "my son knocked out a tooth and it's bleeding a lot"), ("es", "mi hija se rompió un diente y sangra mucho"), ("hi", "मेरे बेटे का दांत टूट गया है और खून आ रहा है")])  # fmt: skip
async def test_an_emergency_on_a_family_phone_gives_the_safety_message_at_once_and_notes_every_chart(
    language: str, words: str
) -> None:
    chat = Chat(office(family=(MARIA, SOFIA)))
    chat.session.conversation.language = language
    keys = await chat.send(words)
    assert keys[0] == "emergency" and "ask.who" not in keys
    assert sorted(pat for pat, _ in chat.office.notes) == [2, 3]


@pytest.mark.parametrize(
    ("language", "first", "then", "missing"),
    [("en", "03/14/1990", "Lena Okafor", "ask.details_name"), ("es", "Lena Okafor", "14/03/1990", "ask.details_birthdate"),
     ("ar", "14/03/1990", "Lena Okafor", "ask.details_name")],
)  # fmt: skip
async def test_a_new_patient_is_asked_only_for_what_is_missing(
    language: str, first: str, then: str, missing: str
) -> None:
    chat = Chat(office(family=()))
    chat.session.conversation.language = language
    await chat.send("I'd like to book a cleaning")
    assert await chat.send(first) == [missing]
    assert await chat.send(then) == ["details.read_back"]
    assert chat.conv.details.first_name == "Lena" and chat.conv.details.last_name == "Okafor"


# -- Hindi in Latin letters ---------------------------------------------------------------------------------------


async def test_hindi_in_latin_letters_is_a_sticky_script_variant_of_hindi() -> None:
    chat = Chat(office())
    assert await chat.send("mujhe agle hafte mangalvar ko safai ka appointment chahiye") == ["offer.list"]
    assert (chat.conv.language, chat.conv.script) == ("hi", "Latn")
    await chat.send("ok")
    assert chat.conv.script == "Latn"  # one short message changes nothing
    await chat.send("मुझे अगले हफ्ते सफ़ाई का अपॉइंटमेंट चाहिए")
    assert (chat.conv.language, chat.conv.script) == (
        "hi",
        None,
    )  # Hindi in Devanagari: answered in Devanagari


def test_the_latin_hindi_catalog_answers_in_latin_letters_and_dates_follow() -> None:
    from datetime import datetime

    from bot.conversation.render import render
    from flows.replies import text
    from locales.catalog import catalog_language

    language = catalog_language("hi", "Latn")
    assert language == "hi-Latn" and catalog_language("es", "Latn") == "es"
    body = render([text("booked", when=datetime(2026, 12, 8, 10, 30), provider="Dr. Lee")], language, "+1555")
    assert (
        body[0]["text"]["body"]
        == "Book ho gaya! Mangalwaar, 8 December, 10:30, Dr. Lee ke saath. Tab milte hain."
    )
    assert message("booked", "hi").startswith("बुक")


# -- chit-chat and day numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "lol ok, did you see the game last night?"), ("es", "jaja ok, oye y el partido de anoche?"),
     ("ar", "هههه طيب، هل شاهدت المباراة أمس؟"), ("hi", "haha ok, kal raat ka match dekha?"),
     ("hi", "कल रात मैच देखा?"), ("hi", "kal barish hogi kya?"), ("hi", "कल मौसम कैसा रहेगा?")],
)  # fmt: skip
async def test_chitchat_about_a_past_day_starts_no_booking(language: str, words: str) -> None:
    chat = Chat(office())
    chat.session.conversation.language = language
    keys = await chat.send(words)
    assert not {"offer.list", "ask.kind", "offer.nearest", "offer.none"} & set(keys), keys
    assert chat.conv.intent is None and "options" not in chat.office.calls


@pytest.mark.parametrize(
    "words",
    ["mujhe kal subah safai ka appointment chahiye", "kal 5 baje aa sakta hoon?", "कल सुबह सफ़ाई का अपॉइंटमेंट चाहिए",
     "kl subah appointment chahiye"],
)  # fmt: skip
async def test_kal_in_a_request_to_book_is_tomorrow(words: str) -> None:
    chat = Chat(office())
    chat.session.conversation.language = "hi"
    keys = await chat.send(words)
    assert chat.conv.wanted.start == date(2026, 12, 8), keys  # NOW is Monday 7 December
    assert chat.conv.intent == "book" and keys[-1] in ("ask.kind", "offer.list"), keys


@pytest.mark.parametrize(
    ("words", "day"),
    [("haha ok, kal raat ka match dekha?", 6), ("कल क्या हुआ था", 6), ("kal subah", 8), ("कल शाम 5 बजे", 8)],
)
def test_kal_beside_a_verb_in_the_past_is_yesterday_else_tomorrow(words: str, day: int) -> None:
    from flows.nlu.rules import understand

    u = understand(words, NOW.replace(tzinfo=None), language="hi")
    assert (u.start, u.either_day) == (date(2026, 12, day), True)
    assert understand("next tuesday", NOW.replace(tzinfo=None), language="hi").either_day is False


async def test_kal_answering_a_booking_question_is_tomorrow() -> None:
    chat = Chat(office())
    chat.session.conversation.language = "hi"
    await chat.send("mujhe safai ka appointment chahiye")
    await chat.send("kal subah")
    assert (chat.conv.wanted.start, chat.conv.wanted.part_of_day) == (date(2026, 12, 8), "morning")


@pytest.mark.parametrize(
    ("language", "words"),
    [("es", "el lunes 21 por la mañana"), ("en", "monday 21 in the morning"), ("ar", "الاثنين 21 صباحا"),
     ("hi", "सोमवार 21 को सुबह")],
)  # fmt: skip
def test_a_weekday_and_its_day_of_month_is_a_day_not_a_time(language: str, words: str) -> None:
    from flows.nlu.rules import understand

    u = understand(words, NOW.replace(tzinfo=None), language=language)
    assert (u.start, u.part_of_day, u.at) == (date(2026, 12, 21), "morning", None)


@pytest.mark.parametrize(("language", "word"), [("en", "person"), ("es", "persona"), ("ar", "موظف"), ("hi", "व्यक्ति"), ("hi", "vyakti")])  # fmt: skip
async def test_the_word_the_fallback_offers_reaches_a_person(language: str, word: str) -> None:
    chat = Chat(office())
    chat.session.conversation.language = language
    keys = await chat.send(word)
    assert keys[0].startswith("handoff"), keys


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "the friday 11th one"), ("es", "la del viernes 11"), ("ar", "موعد الجمعة 11")],
)
async def test_the_visit_to_move_named_by_its_day_is_moved_not_booked_again(
    language: str, words: str
) -> None:
    from tests.flows.test_graph import FRIDAY, MONDAY

    chat = Chat(office(FRIDAY, MONDAY))
    chat.session.conversation.language = language
    assert await chat.send("I need to reschedule my appointment") == ["ask.which"]
    assert await chat.send(words) == ["reschedule.current", "offer.list"]
    assert (chat.conv.intent, chat.conv.target) == ("reschedule", FRIDAY.apt_num)


@pytest.mark.parametrize(("language", "words"), [("en", "the mon 14th one"), ("es", "la del lunes 14"), ("hi", "सोमवार 14 वाला")])  # fmt: skip
async def test_a_visit_named_by_its_day_and_ordinal_date_is_that_visit_not_that_row(
    language: str, words: str
) -> None:
    from tests.flows.test_graph import FRIDAY, MONDAY

    chat = Chat(office(FRIDAY, MONDAY))
    chat.session.conversation.language = language
    assert await chat.send("I need to cancel my appointment") == ["ask.which"]
    assert await chat.send(words) == ["cancel.ask"]
    assert chat.conv.target == MONDAY.apt_num
