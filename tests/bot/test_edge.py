"""The WhatsApp edge end to end: signed webhooks in, queue, workers, turns, outbox, the Graph API fake out."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.keys import GRAPH_FAKE_KEY, PIPELINE_KEY
from bot.practices import load_practices
from bot.queue.pipeline import Pipeline
from bot.queue.turns import Turn, TurnResult
from bot.records.crypto import DEMO_CONVERSATION_KEY, conversation_id
from bot.sandbox.demo import create_demo_app
from bot.sandbox.whatsapp import GraphFake
from bot.settings import DEMO_APP_SECRET, DEMO_VERIFY_TOKEN, Settings
from bot.whatsapp.events import events_from
from bot.whatsapp.payloads import Envelope
from bot.whatsapp.webhook import sign
from tests.conftest import FIXTURES, free_port
from tests.deliveries import text_delivery
from tests.fakes.echo import EchoHandler

ROOT = Path(__file__).parents[2]
PRACTICES = load_practices(ROOT / "od_adapter/sandbox/data/demo_practices.toml")
PRACTICE_ID = "100000000000001"
PATIENT = "15035551234"
DELIVERIES = json.loads((FIXTURES / "whatsapp" / "deliveries.json").read_text())


class Crash(BaseException):
    """A process dying: nothing in the worker catches it, so the turn stops where it is."""


class RecordingHandler:
    """The echo handler, remembering every turn it was given."""

    def __init__(self) -> None:
        self.turns: list[list[str]] = []
        self.echo = EchoHandler()
        self.crash_next = False

    async def __call__(self, turn: Turn) -> TurnResult:
        self.turns.append([m.wamid for m in turn.messages])
        if self.crash_next:
            self.crash_next = False
            raise Crash("the process dies while the graph runs")
        if any(m.text == "poison" for m in turn.messages):
            raise RuntimeError("a bug this message triggers")
        result = await self.echo(turn)
        if any(m.text == "hinglish" for m in turn.messages):
            # A conversation the graph would have settled as Hindi typed in Latin letters.
            conv = turn.session.conversation.model_copy(update={"language": "hi", "script": "Latn"})
            result = TurnResult(
                session=turn.session.model_copy(update={"conversation": conv}), replies=result.replies
            )
        return result


@dataclass
class Edge:
    server: TestServer
    base: str
    handler: RecordingHandler
    settings: Settings

    @property
    def fake(self) -> GraphFake:
        return self.server.app[GRAPH_FAKE_KEY]

    @property
    def pipeline(self) -> Pipeline:
        return self.server.app[PIPELINE_KEY]

    async def post(
        self,
        payload: Any = None,
        *,
        raw: bytes | None = None,
        secret: str = DEMO_APP_SECRET,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = raw if raw is not None else json.dumps(payload).encode()
        all_headers = {
            "X-Hub-Signature-256": sign(secret, body),
            "Content-Type": "application/json",
            **(headers or {}),
        }
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(f"{self.base}/webhook/whatsapp", content=body, headers=all_headers)

    async def say(self, **message: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                f"{self.base}/sandbox/whatsapp/inbound",
                json={"from": PATIENT, "phone_number_id": PRACTICE_ID, **message},
            )
        return response.json()

    def sent_to(self, user: str = PATIENT) -> list[dict[str, Any]]:
        return [m.body for m in self.fake.sent if m.to == user]


async def start_edge(
    redis_url: str | None, *, run_worker: bool = True, **settings: Any
) -> tuple[TestServer, Edge]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    values = {
        "INBOUND_DEBOUNCE_SECONDS": 0.3,
        "CLAIM_IDLE_SECONDS": 1.0,
        "CONVERSATION_LOCK_SECONDS": 3.0,
        "METRICS_ADDRESS": "127.0.0.1:0",  # any free port: tests run side by side
        **settings,
    }
    config = Settings(_env_file=None, REDIS_URL=redis_url, **values).with_demo_defaults(base)
    handler = RecordingHandler()
    # Deliveries here are posted to the webhook directly: no window opens in the WhatsApp sandbox.
    app = create_demo_app(
        config, PRACTICES, operator=None, run_worker=run_worker, handler=handler, enforce_window=False
    )
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    return server, Edge(server, base, handler, config)


@pytest.fixture(name="edge", params=["redis", "memory"])
async def fixture_edge(
    request: pytest.FixtureRequest, redis_server: str, redis: Redis
) -> AsyncIterator[Edge]:
    server, edge = await start_edge(redis_server if request.param == "redis" else None)
    yield edge
    await server.close()


@pytest.fixture(name="redis_edge")
async def fixture_redis_edge(redis_server: str, redis: Redis) -> AsyncIterator[Edge]:
    server, edge = await start_edge(redis_server)
    yield edge
    await server.close()


async def eventually(check: Callable[[], Awaitable[bool] | bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while True:
        result = check()
        if await result if asyncio.iscoroutine(result) else result:
            return
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def fresh(delivery: dict[str, Any]) -> dict[str, Any]:
    """A fixture delivery with today's timestamps, so the 24-hour window is open."""
    delivery = json.loads(json.dumps(delivery))
    for message in delivery["entry"][0]["changes"][0]["value"].get("messages", []):
        message["timestamp"] = str(int(time.time()))
    return delivery


# -- verification and signatures --------------------------------------------------------------------------------


async def test_verification_handshake(edge: Edge) -> None:
    async with httpx.AsyncClient() as client:
        good = await client.get(
            f"{edge.base}/webhook/whatsapp",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": DEMO_VERIFY_TOKEN,
                "hub.challenge": "1158201444",
            },
        )
        assert (good.status_code, good.text, good.headers["Content-Type"].split(";")[0]) == (
            200,
            "1158201444",
            "text/plain",
        )
        for params in (
            {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
            {"hub.mode": "unsubscribe", "hub.verify_token": DEMO_VERIFY_TOKEN, "hub.challenge": "1"},
            {},
        ):
            assert (await client.get(f"{edge.base}/webhook/whatsapp", params=params)).status_code == 403


async def test_signatures_are_checked_on_the_raw_bytes(edge: Edge) -> None:
    payload = text_delivery("wamid.SIG1", "hola, ¿mañana?")
    raw = json.dumps(payload, ensure_ascii=False).encode()  # non-ASCII bytes, signed as sent
    async with httpx.AsyncClient() as client:
        missing = await client.post(f"{edge.base}/webhook/whatsapp", content=raw)
    assert missing.status_code == 401
    assert (await edge.post(raw=raw, secret="another-secret")).status_code == 403
    forged = await edge.post(raw=raw, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert forged.status_code == 403
    tampered = raw.replace("mañana".encode(), b"tarde")
    assert (
        await edge.post(raw=tampered, headers={"X-Hub-Signature-256": sign(DEMO_APP_SECRET, raw)})
    ).status_code == 403
    assert edge.handler.turns == []
    assert (await edge.post(raw=raw)).status_code == 200
    await eventually(lambda: edge.handler.turns == [["wamid.SIG1"]])


async def test_bad_bodies_are_acknowledged_and_never_processed(edge: Edge) -> None:
    for raw in (
        b"not json",
        b"[1, 2, 3]",
        b'{"object": "whatsapp_business_account", "entry": "nope"}',
        b"\xff\xfe\x00",
    ):
        assert (await edge.post(raw=raw)).status_code == 200
    assert (await edge.post(text_delivery("wamid.OTHER", "hi", practice_id="999"))).status_code == 200
    assert (await edge.pipeline.broker.backlog())["stream"] == 0
    too_big = b'{"object": "whatsapp_business_account", "pad": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    assert (await edge.post(raw=too_big)).status_code == 413


async def test_a_poison_turn_apologises_goes_to_the_dead_letters_and_lets_later_messages_through(
    edge: Edge,
) -> None:
    conversation = conversation_id(DEMO_CONVERSATION_KEY, PRACTICE_ID, PATIENT)
    await edge.say(text="poison")
    await eventually(lambda: any("went wrong on my side" in json.dumps(b) for b in edge.sent_to()), within=10)
    await eventually(lambda: len(edge.handler.turns) >= 3, within=20)
    broker = edge.pipeline.broker
    await eventually(lambda: broker.buried(conversation), within=10)
    assert len(edge.handler.turns) == 3 and await broker.buried(conversation) == 1
    assert len([b for b in edge.sent_to() if "went wrong" in json.dumps(b)]) == 1, (
        "one apology, not one per try"
    )
    await edge.say(text="hello again")
    await eventually(lambda: any("You said: hello again" in json.dumps(b) for b in edge.sent_to()))
    assert edge.handler.turns[-1] != edge.handler.turns[0], "the later message is not merged with the poison"
    assert await broker.revive(conversation) == 1  # staff retry it: it is queued again, and fails again
    await eventually(lambda: len(edge.handler.turns) >= 5, within=10)


async def test_the_retry_apology_to_hindi_typed_in_latin_letters_is_in_latin_letters() -> None:
    server, edge = await start_edge(None)
    try:
        await edge.say(text="hinglish")
        await eventually(lambda: any("You said: hinglish" in json.dumps(b) for b in edge.sent_to()))
        await edge.say(text="poison")
        await eventually(lambda: len(edge.sent_to()) >= 2, within=10)
        apology = edge.sent_to()[1]["text"]["body"]
        assert apology.startswith("Maaf kijiye"), apology  # the hi-Latn catalog's, not the Devanagari one
        assert not any("\u0900" <= c <= "\u097f" for c in apology)
    finally:
        await server.close()


def crash_once(target: object, method: str) -> None:
    """The next call of `target.method` kills the turn, as a SIGKILL between two of its steps would."""
    original = getattr(target, method)

    async def crashing(*args: Any, **kwargs: Any) -> Any:
        setattr(target, method, original)
        raise Crash(f"killed at {method}")

    setattr(target, method, crashing)


CRASH_POINTS = {
    "after loading the state": lambda e: setattr(e.handler, "crash_next", True),
    "after the graph": lambda e: crash_once(e.pipeline.conversations, "save"),
    "after saving the state": lambda e: crash_once(e.pipeline.outbox, "record"),
    "after recording the replies": lambda e: crash_once(e.pipeline.conversations, "add"),
    "after the ack": lambda e: crash_once(e.pipeline.outbox, "deliver"),
    "mid-send": lambda e: crash_once(e.pipeline.outbox.cloud_api, "send"),
}


@pytest.mark.parametrize("point", list(CRASH_POINTS))
async def test_a_crash_at_each_step_of_a_turn_then_another_message_loses_and_doubles_nothing(
    redis_edge: Edge, point: str
) -> None:
    edge = redis_edge
    CRASH_POINTS[point](edge)
    await edge.say(text="first words")
    await asyncio.sleep(0.6)  # the turn has crashed; the patient writes again before the replay
    await edge.say(text="second words")

    def said(words: str) -> int:
        return sum(json.dumps(body).count(words) for body in edge.sent_to())

    await eventually(lambda: said("first words") >= 1 and said("second words") >= 1, within=20)
    await asyncio.sleep(1.5)  # a double would have been sent by now
    assert (said("first words"), said("second words")) == (1, 1), edge.sent_to()


@pytest.mark.parametrize("backend", ["redis", "memory"])
async def test_a_message_arriving_while_its_conversations_task_finishes_is_not_left_for_the_reclaim(
    redis_server: str, redis: Redis, backend: str
) -> None:
    server, edge = await start_edge(redis_server if backend == "redis" else None, CLAIM_IDLE_SECONDS=30.0)
    try:
        broker = edge.pipeline.broker
        looked = broker.waiting
        window = asyncio.Event()
        empty_looks = 0

        async def slow_last_look(conversation: str) -> list[str]:
            nonlocal empty_looks
            found = await looked(conversation)
            empty_looks += not found
            if (
                empty_looks == 2 and not found
            ):  # the look after the unlock: keep it open while a message is filed
                window.set()
                await asyncio.sleep(0.5)
            return found

        broker.waiting = slow_last_look  # type: ignore[method-assign]
        await edge.say(text="first")
        await asyncio.wait_for(window.wait(), 10)
        await edge.say(text="second")
        started = time.monotonic()
        await eventually(lambda: any("You said: second" in json.dumps(b) for b in edge.sent_to()), within=25)
        assert time.monotonic() - started < 5, "the second message waited for the reclaim"
    finally:
        await server.close()


async def test_a_timestamp_that_is_not_a_number_is_still_queued(edge: Edge) -> None:
    delivery = fresh(DELIVERIES["text"])
    delivery["entry"][0]["changes"][0]["value"]["messages"][0].update(id="wamid.TS1", timestamp="soon")
    assert (await edge.post(delivery)).status_code == 200
    await eventually(lambda: edge.handler.turns == [["wamid.TS1"]])


async def test_every_message_type_is_accepted_and_unsupported_ones_get_a_polite_reply(edge: Edge) -> None:
    for name in ("voice", "sticker", "location", "unsupported", "future_type", "status_sent"):
        assert (await edge.post(fresh(DELIVERIES[name]))).status_code == 200
    await eventually(lambda: len(edge.sent_to()) >= 1, within=15)
    await asyncio.sleep(0.6)
    replies = edge.sent_to()
    assert len(replies) == 1, "one combined reply for the burst"
    assert "only read text" in replies[0]["text"]["body"]


# -- exactly once, bursts and order -----------------------------------------------------------------------------


async def test_a_delivery_posted_five_times_at_once_is_one_turn(edge: Edge) -> None:
    payload = text_delivery("wamid.DUP1", "book me please")
    responses = await asyncio.gather(*(edge.post(payload) for _ in range(5)))
    assert [r.status_code for r in responses] == [200] * 5
    await eventually(lambda: len(edge.sent_to()) == 1)
    await asyncio.sleep(0.8)
    assert edge.handler.turns == [["wamid.DUP1"]]
    assert len(edge.sent_to()) == 1
    assert (await edge.pipeline.broker.backlog())["pending"] == 0


async def test_a_burst_of_three_messages_is_one_turn_in_order(edge: Edge) -> None:
    for n, text in enumerate(("hi", "I need a cleaning", "next week")):
        await edge.post(text_delivery(f"wamid.B{n}", text))
        await asyncio.sleep(0.05)
    await eventually(lambda: len(edge.sent_to()) == 1)
    assert edge.handler.turns == [["wamid.B0", "wamid.B1", "wamid.B2"]]
    assert edge.sent_to()[0]["interactive"]["body"]["text"] == "You said: hi / I need a cleaning / next week"


async def test_a_burst_delivered_out_of_order_is_read_in_the_order_it_was_written(edge: Edge) -> None:
    written = int(time.time()) - 10
    for n, text in ((2, "next week"), (0, "hi"), (1, "I need a cleaning")):  # Meta's order, not the patient's
        await edge.post(text_delivery(f"wamid.R{n}", text, timestamp=written + n))
        await asyncio.sleep(0.05)
    await eventually(lambda: len(edge.sent_to()) == 1)
    assert edge.handler.turns == [["wamid.R0", "wamid.R1", "wamid.R2"]]
    assert edge.sent_to()[0]["interactive"]["body"]["text"] == "You said: hi / I need a cleaning / next week"


async def test_turns_of_one_conversation_keep_their_order(edge: Edge) -> None:
    for n in range(4):
        await edge.post(text_delivery(f"wamid.O{n}", f"message {n}"))
        await asyncio.sleep(0.5)  # longer than the debounce: each message is its own turn
    await eventually(lambda: len(edge.handler.turns) == 4)
    assert [turn[0] for turn in edge.handler.turns] == [f"wamid.O{n}" for n in range(4)]
    await eventually(lambda: len(edge.sent_to()) == 4)
    texts = [m["interactive"]["body"]["text"] for m in edge.sent_to()]
    assert texts == [f"You said: message {n}" for n in range(4)]


async def test_conversations_of_different_patients_run_side_by_side(edge: Edge) -> None:
    started = time.monotonic()
    await asyncio.gather(
        *(edge.post(text_delivery(f"wamid.P{n}", "hello", sender=f"1503555{n:04d}")) for n in range(10))
    )
    await eventually(lambda: sum(len(edge.sent_to(f"1503555{n:04d}")) for n in range(10)) == 10)
    assert time.monotonic() - started < 5, "ten patients must not wait for each other's debounce"


async def test_a_button_tap_through_the_sandbox_refers_to_the_last_interactive_message(edge: Edge) -> None:
    await edge.say(text="hi")
    await eventually(lambda: len(edge.fake.sent) == 1)
    await edge.say(button_id="echo:done")
    await eventually(lambda: len(edge.fake.sent) == 2)
    turns = await edge.pipeline.conversations.transcript(
        conversation_id(DEMO_CONVERSATION_KEY, PRACTICE_ID, PATIENT)
    )
    inbound = [t for t in turns if t.direction == "in"]
    assert [t.text for t in inbound] == ["hi", "That's all"]
    assert edge.sent_to()[1]["interactive"]["body"]["text"] == "You said: That's all"
    assert edge.fake.read_receipts, "the worker marks messages read"


async def test_a_replayed_turn_runs_its_handler_once(edge: Edge) -> None:
    payload = text_delivery("wamid.R1", "hello")
    await edge.post(payload)
    await eventually(lambda: len(edge.sent_to()) == 1)
    # As if a worker recorded the turn and died before acknowledging it: the same event comes round again.
    [event] = events_from(Envelope.model_validate(payload))
    sealed = edge.pipeline.sealer.seal(event.model_dump_json().encode())
    assert await edge.pipeline.broker.enqueue("as-if-never-acknowledged", sealed)

    async def drained() -> bool:
        return (await edge.pipeline.broker.backlog()) == {"stream": 0, "pending": 0}

    await eventually(drained)
    await asyncio.sleep(0.5)
    assert edge.handler.turns == [["wamid.R1"]]
    assert len(edge.sent_to()) == 1


async def test_a_turn_replayed_before_its_state_was_saved_reuses_the_first_result(edge: Edge) -> None:
    # As if a worker ran the turn and recorded its replies, then died before saving the state: the replay must
    # not run the handler again (its new offers would not match the list the patient already got).
    handler = RecordingHandler()
    worker = edge.pipeline.worker(edge.settings, handler)
    [event] = events_from(Envelope.model_validate(text_delivery("wamid.T1", "hello")))
    turn = Turn(conversation="c", practice_id=event.practice_id, user_key=event.user_key, name="", messages=[event])  # fmt: skip
    first = await worker._run("turn-1", turn)
    assert await worker._stored_result("turn-1") == first
    assert handler.turns == [["wamid.T1"]]


# -- the outbox -------------------------------------------------------------------------------------------------


async def test_retryable_send_errors_are_retried_and_final_ones_recorded(edge: Edge) -> None:
    edge.fake.next_errors.extend([130429, 131056])
    await edge.post(text_delivery("wamid.E1", "first"))
    await eventually(lambda: len(edge.sent_to()) == 1, within=20)
    edge.fake.next_errors.append(131026)
    await edge.post(text_delivery("wamid.E2", "second"))
    conversation = conversation_id(DEMO_CONVERSATION_KEY, PRACTICE_ID, PATIENT)

    async def failure_noted() -> bool:
        entries = await edge.pipeline.conversations.transcript(conversation)
        return any(e.direction == "note" and "131026" in e.text for e in entries)

    await eventually(failure_noted, within=10)
    await asyncio.sleep(1.5)
    assert len(edge.sent_to()) == 1, "131026 is not retried"


async def test_a_failed_status_arriving_later_is_recorded(edge: Edge) -> None:
    await edge.post(text_delivery("wamid.S1", "hello"))
    await eventually(lambda: len(edge.fake.sent) == 1)
    wamid = edge.fake.sent[0].wamid
    async with httpx.AsyncClient() as client:
        for status in ("delivered", "failed"):
            body = {"wamid": wamid, "status": status, "error_code": 131047 if status == "failed" else None}
            assert (await client.post(f"{edge.base}/sandbox/whatsapp/status", json=body)).json()[
                "webhook_status"
            ] == 200
    conversation = conversation_id(DEMO_CONVERSATION_KEY, PRACTICE_ID, PATIENT)

    async def both_recorded() -> bool:
        statuses = [
            (e.status, e.text)
            for e in await edge.pipeline.conversations.transcript(conversation)
            if e.direction == "status"
        ]
        return statuses == [("delivered", ""), ("failed", "131047")]

    await eventually(both_recorded)


async def test_free_form_replies_wait_for_a_template_outside_the_24_hour_window(edge: Edge) -> None:
    old = text_delivery("wamid.W1", "hello from yesterday")
    old["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(int(time.time()) - 25 * 3600)
    await edge.post(old)
    conversation = conversation_id(DEMO_CONVERSATION_KEY, PRACTICE_ID, PATIENT)

    async def waiting_for_template() -> bool:
        entries = await edge.pipeline.conversations.transcript(conversation)
        return any(e.status == "needs_template" for e in entries)

    await eventually(waiting_for_template)
    assert edge.sent_to() == []


# -- PHI at rest ------------------------------------------------------------------------------------------------


async def test_nothing_in_redis_shows_the_number_or_the_words(redis_edge: Edge, redis: Redis) -> None:
    await redis_edge.post(text_delivery("wamid.PHI1", "my secret toothache"))
    await eventually(lambda: len(redis_edge.sent_to()) == 1)
    dump = b""
    async for key in redis.scan_iter():
        dump += key
        kind = (await redis.type(key)).decode()
        if kind == "string":
            dump += await redis.get(key) or b""
        elif kind == "list":
            dump += b"".join(await redis.lrange(key, 0, -1))
        elif kind == "stream":
            dump += b"".join(v for _, fields in await redis.xrange(key) for v in fields.values())
    assert PATIENT.encode() not in dump and b"toothache" not in dump


# -- a worker killed mid-turn -----------------------------------------------------------------------------------


def worker_process(edge: Edge, redis_url: str, **env: str) -> asyncio.subprocess.Process:
    settings = edge.settings
    variables = {
        **os.environ,
        "REDIS_URL": redis_url,
        "WHATSAPP_APP_SECRET": DEMO_APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": DEMO_VERIFY_TOKEN,
        "WHATSAPP_TOKEN": "sandbox-token",
        "DATA_ENCRYPTION_KEYS": settings.encryption_keys[0],
        "CONVERSATION_KEY": DEMO_CONVERSATION_KEY,
        "CONSOLE_SECRET": "console-secret",
        "CHOICE_ID_SECRET": "test-choice-id-secret",
        "METRICS_ADDRESS": "127.0.0.1:0",
        "GRAPH_API_BASE_URL": settings.graph_api_base_url,
        "CLAIM_IDLE_SECONDS": "1",
        "CONVERSATION_LOCK_SECONDS": "2",
        "DEMO_OD_DEVELOPER_KEY": "sandbox-dev",
        "DEMO_OD_CUSTOMER_KEY": "sandbox-customer",
        **env,
    }
    return asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "worker",
        cwd=ROOT,
        env=variables,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # type: ignore[return-value]


async def test_a_worker_killed_mid_turn_loses_nothing(redis_server: str, redis: Redis) -> None:
    server, edge = await start_edge(redis_server, run_worker=False)
    try:
        doomed = await worker_process(edge, redis_server, INBOUND_DEBOUNCE_SECONDS="3")
        await asyncio.sleep(1.5)  # let it start and join the group
        await edge.post(text_delivery("wamid.K1", "are you there"))

        async def taken_by_the_doomed_worker() -> bool:
            return (await redis.xpending("wa:inbound", "workers"))["pending"] == 1

        await eventually(taken_by_the_doomed_worker)
        doomed.send_signal(signal.SIGKILL)  # mid-turn: it holds the lock and waits out the debounce
        await doomed.wait()
        assert edge.sent_to() == []
        rescuer = await worker_process(edge, redis_server, INBOUND_DEBOUNCE_SECONDS="0.2")
        try:
            await eventually(lambda: len(edge.sent_to()) == 1, within=20)
            await asyncio.sleep(2.0)
            assert len(edge.sent_to()) == 1
            record = await edge.pipeline.conversations.load(
                conversation_id(DEMO_CONVERSATION_KEY, PRACTICE_ID, PATIENT)
            )
            assert record is not None and record.turns == 1
            assert (await redis.xpending("wa:inbound", "workers"))["pending"] == 0
        finally:
            rescuer.send_signal(signal.SIGTERM)
            await rescuer.wait()
    finally:
        await server.close()


async def test_the_webhook_answers_503_when_redis_is_down() -> None:
    server, edge = await start_edge(f"redis://127.0.0.1:{free_port()}/0", run_worker=False)
    try:
        assert (await edge.post(text_delivery("wamid.DOWN", "hello"))).status_code == 503
    finally:
        await server.close()
