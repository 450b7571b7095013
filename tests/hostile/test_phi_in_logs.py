"""PHI discipline, checked on the logs themselves: a whole conversation (a new patient gives a name and a date
of birth, books, asks for a person, writes while handed off) runs with logging at DEBUG; nothing at INFO or
above may carry the phone number, the name, the date of birth or a message's text."""

from __future__ import annotations

import logging

import pytest

from bot.keys import CONSOLE_KEY
from bot.monitoring.logs import configure_logging
from tests.flows.test_conversations import open_clinic
from tests.flows.test_handoff import ADMIN, conversation_of, handoff, post_quietly

PHONE = "15035558877"
SECRETS = ["5035558877", "503-555-8877", "Lopezova", "Anastasia", "1985-03-14", "03/14/1985", "overcharged",
           "Anastasia Lopezova", "I'd like to book an appointment", "bleeding gums since Tuesday"]  # fmt: skip


async def test_no_phi_at_info_or_above(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("DEBUG", "json")  # the product's own logging set-up, at its most verbose
    root.addHandler(caplog.handler)
    try:
        await converse()
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        for noisy in ("httpx", "httpcore"):
            logging.getLogger(noisy).setLevel(logging.NOTSET)
    loud = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert loud, "the run logged nothing at INFO: the check would prove nothing"
    assert any(r.levelno == logging.DEBUG for r in caplog.records), "DEBUG was not on"
    leaks = [(r.name, r.getMessage()) for r in loud for s in SECRETS if s.lower() in r.getMessage().lower()]
    assert leaks == []


async def converse() -> None:
    async with open_clinic(handoff()) as clinic:
        ana = clinic.patient(PHONE)
        assert "first visit" in await ana.say("hi, I'd like to book an appointment")
        assert "Anastasia Lopezova, born March 14, 1985" in await ana.say("Anastasia Lopezova 03/14/1985")
        assert "I found" in await ana.say("yes")
        await ana.tap(ana.rows[0]["id"])
        assert "Booked!" in await ana.tap("yes")
        assert "member of our team" in await ana.say("I was overcharged, let me talk to a person")
        await post_quietly(clinic, PHONE, "bleeding gums since Tuesday")
        console = clinic.app[CONSOLE_KEY]  # an operator reads and answers: the access log writes at INFO
        record = await console.conversations.load(conversation_of(clinic, PHONE))
        await console.reply(ADMIN, record, "We will call you about the bill, Anastasia.")
