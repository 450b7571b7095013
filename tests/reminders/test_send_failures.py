"""What a message WhatsApp refused for good means for reminders, error code by error code (real Redis)."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from bot.alerts import Alert, MemoryAlerts
from bot.records.conversations import ConversationRecord, Conversations
from bot.records.crypto import Sealer, new_key
from bot.records.od_writes import OpenDentalWrites
from bot.records.outbox import OutboxRecord
from bot.records.storage import RedisStorage
from bot.reminders import OptOuts, Reminders
from flows.session import Session
from flows.state import ConversationState

PRACTICE = "100000000000001"


@pytest.fixture(name="parts")
async def fixture_parts(redis: Redis) -> tuple[Reminders, MemoryAlerts, OpenDentalWrites, Conversations]:
    storage, sealer = RedisStorage(redis), Sealer([new_key()])
    conversations = Conversations(storage, sealer)
    writes, alerts = OpenDentalWrites(storage, sealer), MemoryAlerts()
    reminders = Reminders({}, OptOuts(storage, sealer, lambda w: f"t{w}"), conversations, writes, alerts)
    state = ConversationState(family=[7], patient=7)
    await conversations.save(ConversationRecord(conversation="c1", practice_id=PRACTICE, user_key="15035550101", session=Session(conversation=state)))  # fmt: skip
    return reminders, alerts, writes, conversations


def failed(code: int) -> tuple[OutboxRecord, int]:
    return OutboxRecord(id="t:0", conversation="c1", practice_id=PRACTICE, body={"type": "template"}, window_until=0), code  # fmt: skip


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (132015, "template_paused"),
        (132016, "template_disabled"),
        (132001, "template_unknown"),
        (132000, "template_parameters"),
    ],
)
async def test_a_template_meta_refuses_alerts_the_operators(
    parts: tuple[Reminders, MemoryAlerts, OpenDentalWrites, Conversations], code: int, reason: str
) -> None:
    reminders, alerts, writes, _ = parts
    heard: list[Alert] = []

    async def listen() -> None:
        async for alert in alerts.listen():
            heard.append(alert)

    listening = asyncio.create_task(listen())
    await asyncio.sleep(0)
    await reminders.on_send_failed(*failed(code))
    await asyncio.sleep(0)
    listening.cancel()
    assert [(a.reason, a.conversation) for a in heard] == [(reason, "c1")]
    assert await writes.pending() == 0, "no call is asked for: the number is fine"


async def test_an_undeliverable_number_asks_staff_to_call_and_stops_reminders(
    parts: tuple[Reminders, MemoryAlerts, OpenDentalWrites, Conversations],
) -> None:
    reminders, _, writes, _ = parts
    await reminders.on_send_failed(*failed(131026))
    await reminders.on_send_failed(*failed(131026))  # reported twice (a retry's status): one commlog
    assert await writes.pending() == 1
    assert await reminders.optouts.reason(PRACTICE, "15035550101") == "undeliverable (131026)"


async def test_other_codes_change_nothing(parts: tuple[Reminders, MemoryAlerts, OpenDentalWrites, Conversations]) -> None:  # fmt: skip
    reminders, _, writes, _ = parts
    await reminders.on_send_failed(*failed(131056))
    assert await writes.pending() == 0 and await reminders.optouts.reason(PRACTICE, "15035550101") is None
