"""The read receipt and the typing indicator, over real HTTP: the demo app, its worker, both sandboxes.

A turn that waits on Open Dental shows "typing…" before its reply and again while it runs; a fast turn is only
marked read; an indicator that fails or hangs changes nothing about the reply; none of it is a reply.
"""

from __future__ import annotations

import asyncio
import logging
import time
from itertools import pairwise
from typing import Any

import httpx
import pytest

from tests.flows.test_conversations import Clinic, open_clinic
from tests.flows.test_handoff import handoff

JANE = "15035551234"
BOOKING = "Hi, can I get a cleaning next week please?"
FAST = {"TYPING_AFTER_SECONDS": 0.2, "TYPING_EVERY_SECONDS": 0.5}


async def slow_open_dental(clinic: Clinic, latency_ms: float) -> None:
    """Every Open Dental request takes this long: the turn waits on Open Dental as at the real throttle."""
    response = await clinic.od.patch(
        f"{clinic.base}/sandbox/od/_admin/settings", json={"latency_ms": latency_ms}
    )
    assert response.status_code == 200


async def feed(clinic: Clinic, **params: Any) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=clinic.base, timeout=10) as client:
        response = await client.get("/sandbox/whatsapp/outbox", params={"to": JANE, **params})
    return list(response.json())


async def say(clinic: Clinic, text: str) -> tuple[str, float]:
    """Post the patient's message through the sandbox; its wamid and when it was posted."""
    async with httpx.AsyncClient(base_url=clinic.base, timeout=30) as client:
        response = await client.post(
            "/sandbox/whatsapp/inbound",
            json={"from": JANE, "phone_number_id": "100000000000001", "text": text},
        )
    assert response.json()["webhook_status"] == 200
    return str(response.json()["wamid"]), time.time()


async def first_reply_at(clinic: Clinic, within: float = 30.0) -> float:
    deadline = time.monotonic() + within
    while not (sent := [m for m in clinic.fake.sent if m.to == JANE]):
        assert time.monotonic() < deadline, "no reply"
        await asyncio.sleep(0.02)
    return sent[0].at


async def test_a_slow_turn_shows_typing_before_its_reply_and_again_while_it_runs(od_keys: None) -> None:
    async with open_clinic(**FAST) as clinic:
        await slow_open_dental(clinic, 400)  # a cold first search: several requests, two seconds or more
        wamid, posted = await say(clinic, BOOKING)
        replied = await first_reply_at(clinic)
        await asyncio.sleep(1.0)  # longer than the re-send interval: nothing may follow the reply
        typing = [t for t in clinic.fake.typing if t.wamid == wamid]
        assert clinic.fake.read_receipts[0] == wamid, "marked read first, before any indicator"
        assert len(typing) >= 2, typing
        assert all(posted < t.at < replied for t in typing), "every indicator comes before the reply"
        assert all(t.to == JANE and t.phone_number_id == "100000000000001" for t in typing)
        gaps = [b.at - a.at for a, b in pairwise(typing)]
        assert all(gap >= 0.45 for gap in gaps), gaps
        # The feed carries the indicators only when asked, in time order; they are never messages.
        messages = await feed(clinic)
        assert [m["kind"] for m in messages] == ["message"] * len(clinic.fake.sent)
        both = await feed(clinic, typing=1)
        kinds = [item["kind"] for item in both]
        assert kinds[: len(typing)] == ["typing"] * len(typing) and kinds.count("message") == len(messages)
        shown = both[0]
        assert shown["wamid"] == wamid and shown["until"] == pytest.approx(shown["at"] + 25)


async def test_a_fast_turn_is_marked_read_without_typing(od_keys: None) -> None:
    async with open_clinic(TYPING_AFTER_SECONDS=10) as clinic:
        wamid, _ = await say(clinic, "what are your hours?")
        await first_reply_at(clinic)
        await asyncio.sleep(0.3)
        assert clinic.fake.read_receipts == [wamid]
        assert clinic.fake.typing == []


@pytest.mark.parametrize("failure", ["refused", "hanging"])
async def test_a_failing_indicator_changes_nothing_about_the_reply(
    od_keys: None, failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_clinic(TYPING_AFTER_SECONDS=0, TYPING_EVERY_SECONDS=0.2) as clinic:
        if failure == "refused":
            clinic.fake.next_read_errors = [131000, 130429] * 20
        else:
            clinic.fake.read_delay = 4.0  # slower than the turn: the reply must not wait for it
        caplog.set_level(logging.DEBUG, logger="bot.whatsapp.typing")
        _, posted = await say(clinic, "what are your hours?")
        replied = await first_reply_at(clinic)
        assert replied - posted < 3.5, "the turn never waits for its read receipt or indicator"
        [reply] = [m.body for m in clinic.fake.sent if m.to == JANE]
        assert "Monday to Friday" in reply["text"]["body"]
        if failure == "refused":
            await asyncio.sleep(0.5)
            warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
            assert warnings and all("refused" in r.getMessage() for r in warnings)
            assert not any(JANE[1:] in r.getMessage() or "hours" in r.getMessage() for r in caplog.records)
            assert clinic.fake.typing == []
        else:
            assert clinic.fake.read_receipts == [], "the receipt was still under way when the reply went"


async def test_the_graph_sandbox_checks_a_typing_indicator_like_meta(od_keys: None) -> None:
    async with (
        open_clinic() as clinic,
        httpx.AsyncClient(
            base_url=f"{clinic.base}/sandbox/graph/v25.0/100000000000001/",
            headers={"Authorization": "Bearer t"},
        ) as graph,
    ):
        read = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.UNKNOWN"}
        typing = {**read, "typing_indicator": {"type": "text"}}
        assert (await graph.post("messages", json=typing)).json() == {"success": True}
        assert (await graph.post("messages", json=read)).json() == {"success": True}
        for wrong in (
            {**read, "typing_indicator": {"type": "audio"}},
            {**typing, "message_id": ""},
            {**typing, "messaging_product": "sms"},
        ):
            refused = await graph.post("messages", json=wrong)
            assert refused.status_code == 400 and refused.json()["error"]["code"] == 100
        assert clinic.fake.read_receipts == ["wamid.UNKNOWN"] * 2
        [shown] = clinic.fake.typing
        assert (shown.wamid, shown.to) == ("wamid.UNKNOWN", ""), "an unknown message is accepted, leniently"
        assert clinic.fake.sent == [], "neither is a message"


async def test_no_typing_while_staff_have_the_conversation(od_keys: None) -> None:
    """Staff answer then, or nobody does: "typing…" would promise a reply; the message is still marked read."""
    async with open_clinic(handoff(), TYPING_AFTER_SECONDS=0, TYPING_EVERY_SECONDS=0.2) as clinic:
        await say(clinic, "can I talk to a real person please")
        await first_reply_at(clinic)
        sent = len(clinic.fake.sent)
        wamid, _ = await say(clinic, "hello? anyone there?")
        await asyncio.sleep(1.0)
        assert len(clinic.fake.sent) == sent, "the assistant is quiet while staff have the conversation"
        assert wamid in clinic.fake.read_receipts
        assert [t for t in clinic.fake.typing if t.wamid == wamid] == []
