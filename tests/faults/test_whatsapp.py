"""WhatsApp refusing our sends in the middle of a booking: its throughput limit (130429), the per-user pair limit
(131056) and server errors are retried until the reply goes out, once; a message Meta accepted and later reports
failed (131047, outside the 24-hour window) is marked failed and the conversation listed for staff."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from bot.keys import CONSOLE_KEY
from bot.records.outbox import OutboxRecord
from tests.flows.test_conversations import (
    PRACTICE_ID,
    Clinic,
    fixture_clinic,  # noqa: F401  (the whole stack)
)

CARLOS = "15035553000"  # PatNum 5


async def fail_next_sends(clinic: Clinic, *codes: int) -> None:
    async with httpx.AsyncClient() as client:
        await client.post(f"{clinic.base}/sandbox/whatsapp/fail-next", json={"codes": list(codes)})


def sent_texts(clinic: Clinic, phone: str) -> list[str]:
    return [
        m.body["text"]["body"] if m.body["type"] == "text" else m.body["interactive"]["body"]["text"]
        for m in clinic.fake.sent
        if m.to == phone
    ]


async def scheduled(clinic: Clinic, pat_num: int) -> int:
    return sum(a["AptStatus"] == "Scheduled" for a in await clinic.appointments_of(pat_num))


@pytest.mark.parametrize("codes", [(130429,), (131056, 131056), (131000,), (1, 2)])
async def test_a_refused_confirmation_is_retried_and_arrives_once(
    clinic: Clinic, codes: tuple[int, ...]
) -> None:
    before = await scheduled(clinic, 5)
    carlos = clinic.patient(CARLOS)
    await carlos.say("I need a check-up next week please")
    await carlos.tap(carlos.rows[0]["id"])
    await fail_next_sends(clinic, *codes)
    assert "Booked!" in await carlos.tap("yes")  # the patient's side waits out the retries
    await asyncio.sleep(1.5)  # time for a second copy, were one to be sent
    assert sum("Booked!" in text for text in sent_texts(clinic, CARLOS)) == 1
    assert await scheduled(clinic, 5) == before + 1
    assert clinic.fake.next_errors == []


async def test_a_message_reported_failed_later_is_recorded_and_listed(clinic: Clinic) -> None:
    carlos = clinic.patient(CARLOS)
    await carlos.say("what are your hours?")
    [reply] = [m for m in clinic.fake.sent if m.to == CARLOS]
    async with httpx.AsyncClient() as client:
        posted = await client.post(
            f"{clinic.base}/sandbox/whatsapp/status",
            json={"wamid": reply.wamid, "status": "failed", "error_code": 131047},
        )
    assert posted.json()["webhook_status"] == 200
    outbox = clinic.app[CONSOLE_KEY].outbox
    deadline = time.monotonic() + 10
    while True:
        record_id = reply.body["biz_opaque_callback_data"].removeprefix("outbox:")
        record = await outbox.load(record_id)
        if record is not None and record.state == "failed":
            break
        assert time.monotonic() < deadline, "the failed status was not recorded"
        await asyncio.sleep(0.05)
    assert record.error_code == 131047
    failed = await clinic.app[CONSOLE_KEY].conversations.listed(PRACTICE_ID, "failed", 50)
    assert record.conversation in {conversation for conversation, _ in failed}


async def interrupted_send(clinic: Clinic, record_id: str, *, confirmed: bool) -> None:
    """A sender that died after Meta accepted its message and before recording it; Meta's `sent` status
    (which echoes the record id) arrives or not."""
    outbox = clinic.app[CONSOLE_KEY].outbox
    body = {"messaging_product": "whatsapp", "to": CARLOS, "type": "text", "text": {"body": "See you soon"}}
    record = OutboxRecord(id=record_id, conversation="c1", practice_id=PRACTICE_ID, body=body, window_until=time.time() + 3600)  # fmt: skip
    await outbox.record([record])
    record.sending_since, record.attempts = time.time(), 1
    await outbox._save(record)
    await outbox.cloud_api.send(PRACTICE_ID, {**body, "biz_opaque_callback_data": f"outbox:{record_id}"})
    if confirmed:
        async with httpx.AsyncClient() as client:
            await client.post(f"{clinic.base}/sandbox/whatsapp/status", json={"wamid": clinic.fake.sent[-1].wamid, "status": "sent"})  # fmt: skip
        await asyncio.sleep(0.5)  # the worker files the status


def copies_of(clinic: Clinic, record_id: str) -> int:
    return sum(m.body.get("biz_opaque_callback_data") == f"outbox:{record_id}" for m in clinic.fake.sent)


async def test_a_send_interrupted_after_meta_accepted_it_is_adopted_not_repeated(clinic: Clinic) -> None:
    outbox = clinic.app[CONSOLE_KEY].outbox
    await interrupted_send(clinic, "t1:0", confirmed=True)
    outbox.unconfirmed_grace = 0.0
    record = await outbox.deliver("t1:0")
    assert record is not None and record.state == "sent" and record.wamid == clinic.fake.sent[-1].wamid
    assert copies_of(clinic, "t1:0") == 1


async def test_an_unconfirmed_interrupted_send_waits_for_a_status_then_goes_again(clinic: Clinic) -> None:
    outbox = clinic.app[CONSOLE_KEY].outbox
    await interrupted_send(clinic, "t2:0", confirmed=False)
    outbox.unconfirmed_grace = 60.0
    assert (await outbox.deliver("t2:0")).state == "pending"  # type: ignore[union-attr]
    assert copies_of(clinic, "t2:0") == 1
    outbox.unconfirmed_grace = 0.0  # no status came: losing the reply would be worse than a repeat
    assert (await outbox.deliver("t2:0")).state == "sent"  # type: ignore[union-attr]
    assert copies_of(clinic, "t2:0") == 2
