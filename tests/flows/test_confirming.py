"""Confirming a visit as patients write it (issue #18): the verb conjugated beside the word for the visit is a
confirmation, not a booking, in every language; and the menu offers "Confirm my visit" when there is one."""

from __future__ import annotations

import pytest

from flows.nlu.rules import understand
from flows.nlu.understanding import Intent
from od_adapter import OdUnavailable
from tests.flows.test_graph import FRIDAY, NOW, PRACTICE, Chat, office

EVERY_LANGUAGE = PRACTICE.model_copy(update={"languages": ["en", "es", "pt", "fr", "de", "ar", "hi"]})

CONFIRMING = [
    ("fr", "je confirme mon rendez-vous"),
    ("fr", "Bonjour, je confirme le rdv de vendredi"),
    ("fr", "je confimre mon rendezvous"),  # a swap and a missing hyphen
    ("es", "confirmo la cita del viernes"),
    ("pt", "confirmo minha consulta"),
    ("de", "ich bestätige meinen Termin"),
    ("ar", "أؤكد موعدي"),
    ("hi", "mera appointment confirm kar do"),
    ("hi", "मेरा अपॉइंटमेंट कन्फर्म कर दो"),
    ("en", "confirmed for my appointment friday"),
]


@pytest.mark.parametrize(("language", "words"), CONFIRMING)
def test_the_confirm_verb_with_the_visit_word_is_a_confirmation(language: str, words: str) -> None:
    assert understand(words, NOW.replace(tzinfo=None), language=language).intent is Intent.CONFIRM


@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", "je confirme"), ("fr", "je voudrais un rendez-vous"), ("de", "ich möchte einen Termin"),
     ("es", "quiero una cita"), ("en", "can I book an appointment")],
)  # fmt: skip
def test_the_verb_alone_is_a_yes_and_the_visit_word_alone_a_booking(language: str, words: str) -> None:
    u = understand(words, NOW.replace(tzinfo=None), language=language)
    assert u.intent is (None if words == "je confirme" else Intent.BOOK)


@pytest.mark.parametrize(("language", "words"), CONFIRMING[:3] + CONFIRMING[4:7])
async def test_confirming_the_visit_confirms_it_in_open_dental(language: str, words: str) -> None:
    chat = Chat(office(FRIDAY))
    chat.practice = EVERY_LANGUAGE
    chat.session.conversation.language = language
    assert await chat.send(words) == ["confirmed"]
    assert "confirm" in chat.office.calls and "options" not in chat.office.calls


# -- the menu offers to confirm a visit ahead ---------------------------------------------------------------------

MENU = ["menu:book", "menu:reschedule", "menu:cancel"]


@pytest.mark.parametrize(
    ("language", "words"), [("en", "hi"), ("es", "hola"), ("hi", "namaste"), ("fr", "bonjour")]
)
async def test_the_greeting_offers_to_confirm_a_visit_ahead(language: str, words: str) -> None:
    chat = Chat(office(FRIDAY))
    chat.practice = EVERY_LANGUAGE
    chat.session.conversation.language = language
    assert await chat.send(words) == ["greeting"]
    assert chat.rows() == [*MENU, "menu:confirm"] and chat.buttons() == []
    assert await chat.send(tap="menu:confirm") == ["confirmed"]  # the one visit: the tap names it
    assert chat.office.calls.count("confirm") == 1


@pytest.mark.parametrize("language", ["en", "es", "ar"])
async def test_the_fallback_offers_to_confirm_a_visit_ahead_and_counts_one_failure(language: str) -> None:
    chat = Chat(office(FRIDAY))
    chat.session.conversation.language = language
    assert await chat.send("blorp") == ["fallback"]
    assert chat.rows() == [*MENU, "menu:confirm"]
    assert chat.conv.failures == 1
    assert chat.last is not None and chat.last.replies[0].params["topics"] == "topic.address"


async def test_no_visit_ahead_or_a_confirmed_one_keeps_the_three_buttons() -> None:
    for visits in ((), (FRIDAY.model_copy(update={"confirmed": True}),)):
        chat = Chat(office(*visits))
        assert await chat.send("hi") == ["greeting"]
        assert chat.buttons() == MENU and chat.rows() == []


async def test_open_dental_failing_leaves_the_greeting_a_greeting() -> None:
    chat = Chat(office(FRIDAY))
    chat.office.fail["upcoming"] = OdUnavailable("down")
    assert await chat.send("hi") == ["greeting"]
    assert chat.buttons() == MENU
