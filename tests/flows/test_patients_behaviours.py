"""What simulated patients found (issue #18), one graph turn at a time over the in-memory office: no dead end,
typed choices, several info topics, the fallback's way out, catalog examples that are nobody's data; each in
English, Spanish and Arabic or Hindi."""

from __future__ import annotations

import pytest

from flows.nearest import rank, searched, wider
from flows.ports import OptionInfo
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
    at = lambda day, hour: OptionInfo(
        id=f"{day}-{hour}", start=NOW.replace(day=day, hour=hour, tzinfo=None), minutes=30, provider="Dr"
    )  # noqa: E731
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
