"""The LLM path against an OpenAI-compatible fake over real HTTP: scripted output, an invalid output and a timeout
along one booking, which still completes; the model sees no other patient's data."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from tests.fakes.openai_server import FAKE_OPENAI_KEY, FakeOpenAI, create_fake_openai
from tests.flows.test_conversations import Clinic, open_clinic, row_time


@pytest.fixture(name="llm")
async def fixture_llm() -> AsyncIterator[tuple[TestServer, FakeOpenAI]]:
    app = create_fake_openai()
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, app[FAKE_OPENAI_KEY]
    await server.close()


@pytest.fixture(name="clinic")
async def fixture_clinic(
    monkeypatch: pytest.MonkeyPatch, llm: tuple[TestServer, FakeOpenAI]
) -> AsyncIterator[Clinic]:
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
    server, _ = llm
    settings = {
        "OPENAI_API_KEY": "test-key",
        "OPENAI_BASE_URL": str(server.make_url("/v1")),
        "LLM_TIMEOUT_SECONDS": 1.0,
    }
    async with open_clinic(**settings) as clinic:
        yield clinic


async def test_a_booking_completes_through_scripted_invalid_and_slow_model_answers(
    clinic: Clinic, llm: tuple[TestServer, FakeOpenAI]
) -> None:
    _, fake = llm
    fake.answer({"intent": "book", "kind": "consultation", "part_of_day": "morning"})
    fake.answer("this is not JSON")  # the rules read "the first one"
    fake.answer({"yes": True}, delay=2.0)  # slower than the timeout: the rules read "yes"
    jane = clinic.patient("15035551234")
    assert "I found" in await jane.say("I'd like to come in for a check-up some morning")
    assert jane.rows and all(row_time(r) < "12:00" for r in jane.rows)
    first = jane.rows[0]
    day, clock = first["title"].rsplit(", ", 1)  # a US practice: rows "Mon, Nov 23, 9:30 AM"
    assert f" {day.split()[-1]}, {clock} with" in await jane.say(
        "the first one"
    )  # "November 23, 9:30 AM with"
    assert "Booked!" in await jane.say("yes")
    assert len(fake.requests) == 3
    prompts = [
        m["content"] for request in fake.requests for m in request["messages"] if m["role"] == "system"
    ]
    assert "Times offered to the patient: none" in prompts[0]
    assert "1. " in prompts[1] and "We are waiting for: option" in prompts[1]
    assert all(name not in " ".join(prompts) for name in ("Smith", "Jane", "Garcia", "5035551234"))
    assert fake.requests[0]["response_format"]["type"] == "json_schema"
