"""The staff side of the console over real HTTP with Redis: chart names as titles, the sealed search index
(names, prefixes, accents, phone digits, PatNum, hostile queries), and what staff do reaching the chart."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from bot.console.accounts import Role
from bot.keys import CONSOLE_KEY
from bot.records.charts import chart_title, name_tokens, phone_tokens
from flows.state import Member
from tests.bot.test_console import PASSWORD, browser, csrf_in, sign_in
from tests.flows.test_conversations import PRACTICE_ID, Clinic, open_clinic
from tests.flows.test_handoff import JANE, conversation_of, handoff

GARCIA = "15035552000"  # María, Sofía and Mateo García share this phone in the demo office


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")


@pytest.fixture(name="clinic")
async def fixture_clinic(redis: Redis, redis_server: str) -> AsyncIterator[Clinic]:
    async with open_clinic(handoff(), REDIS_URL=redis_server) as clinic:
        await clinic.app[CONSOLE_KEY].accounts.add("maria", PASSWORD, Role.OPERATOR, [PRACTICE_ID])
        yield clinic


def test_a_family_title_names_the_shared_last_name_once() -> None:
    family = [Member(pat_num=n, first_name=f, last_name="García") for n, f in ((2, "María"), (3, "Sofía"))]
    assert chart_title(family) == "María, Sofía García"
    assert chart_title([*family, Member(pat_num=9, first_name="Ann", last_name="Lee")]) == (
        "María, Sofía García, Ann Lee"
    )
    assert {"n:garcia", "n:gar", "n:garc", "n:maria"} <= name_tokens("María García")
    assert "n:ga" not in name_tokens("García") and "p:1234" in phone_tokens("15035551234")


async def titles(client: httpx.AsyncClient, query: str) -> str:
    response = await client.get("/", params={"q": query})
    assert response.status_code == 200, response.text
    return response.text


async def test_search_by_chart_name_prefix_accent_phone_and_patnum(clinic: Clinic, redis: Redis) -> None:
    await clinic.patient(GARCIA).say("Hola, quiero una limpieza la próxima semana")
    await clinic.patient(JANE).say("Hi, can I get a cleaning next week?")
    async with browser(clinic) as client:
        await sign_in(client, "maria")
        page = await titles(client, "")
        assert "María, Mateo, Sofía García" in page and "Jane Smith" in page
        for query in ("garcia", "GARCÍA", "gar", "sofia mateo", "552000", "+1 (503) 555-2000", "3"):
            found = await titles(client, query)
            assert "Sofía García" in found and "Jane Smith" not in found, query
        for query in ("ga", "garcias", "smith garcia", "%", "'; DROP", "\u202e", "x" * 5000, "ñ" * 80):
            found = await titles(client, query)
            assert "Sofía García" not in found, query
        assert "Jane Smith" in await titles(client, "smi")
    keys = [k.decode() for k in await redis.keys("*find*")]
    assert keys and not any("garcia" in k.lower() or "2000" in k for k in keys)


async def commlogs_with(clinic: Clinic, pat_num: int, words: str, count: int) -> list[dict[str, Any]]:
    """The chart's commlogs containing `words`, once the write queue has written `count` of them."""
    for _ in range(100):
        found = [c for c in await clinic.commlogs_of(pat_num) if words in c["Note"]]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} commlogs with {words!r} never reached the chart")


async def test_take_over_reply_and_release_are_written_to_the_chart(clinic: Clinic) -> None:
    await clinic.patient(JANE).say("Hi, can I get a cleaning next week?")
    conversation = conversation_of(clinic, JANE)
    async with browser(clinic) as client:
        await sign_in(client, "maria")
        page = await client.get(f"/c/{conversation}")
        assert "Jane Smith" in page.text and "PatNum 1" in page.text
        token = csrf_in(page.text)
        await client.post(f"/c/{conversation}/take-over", data={"csrf": token})
        await client.post(f"/c/{conversation}/reply", data={"csrf": token, "text": "Hello Jane, Maria here."})
        await client.post(f"/c/{conversation}/release", data={"csrf": token})
    [took, replied, released] = await commlogs_with(clinic, 1, "staff maria", 3)
    assert "took the WhatsApp conversation over" in took["Note"]
    assert "replied on WhatsApp: Hello Jane, Maria here." in replied["Note"]
    assert (replied["SentOrReceived"], replied["Mode_"], replied["commType"]) == ("Sent", "Text", "Misc")
    assert "released the WhatsApp conversation" in released["Note"]


async def tasks_for(clinic: Clinic, pat_num: int, count: int) -> list[dict[str, Any]]:
    for _ in range(100):
        params = {"ObjectType": "Patient", "KeyNum": pat_num}
        found = (await clinic.od.get("tasks", params=params)).json()
        if len(found) >= count:
            return list(found)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no task for PatNum {pat_num} reached Open Dental")


async def test_a_handoff_adds_a_task_to_the_practices_list(redis: Redis, redis_server: str) -> None:
    async with open_clinic(handoff(task_list_num=1, task_user_num=3), REDIS_URL=redis_server) as clinic:
        await clinic.patient(JANE).say("can I talk to a real person please")
        [task] = await tasks_for(clinic, 1, 1)
        assert (task["TaskListNum"], task["ObjectType"], task["UserNum"], task["TaskStatus"]) == (
            1, "Patient", 3, "New",
        )  # fmt: skip
        assert "WhatsApp handoff" in task["Descript"] and "asked for a person" in task["Descript"]


async def test_a_task_open_dental_refuses_is_written_as_a_commlog(redis: Redis, redis_server: str) -> None:
    async with open_clinic(handoff(task_list_num=99), REDIS_URL=redis_server) as clinic:
        await clinic.patient(JANE).say("can I talk to a real person please")
        [commlog] = await commlogs_with(clinic, 1, "WhatsApp handoff at", 1)
        assert commlog["commType"] == "Misc"


async def test_the_access_log_names_the_chart_the_practice_and_its_time(clinic: Clinic) -> None:
    await clinic.app[CONSOLE_KEY].accounts.add("root", PASSWORD, Role.ADMIN, [])
    await clinic.patient(JANE).say("Hi, can I get a cleaning next week?")
    stranger = "15035559999"  # on no chart
    await clinic.patient(stranger).say("Hi, can I get a cleaning next week?")
    async with browser(clinic) as client:
        await sign_in(client, "maria")
        await client.get(f"/c/{conversation_of(clinic, JANE)}")
        await client.get(f"/c/{conversation_of(clinic, stranger)}")
    async with browser(clinic) as admin:
        await sign_in(admin, "root")
        log = (await admin.get("/access-log")).text
    zone = clinic.app[CONSOLE_KEY].by_id[PRACTICE_ID].zone
    abbreviation = datetime.now(zone).strftime("%Z")
    assert ">Jane Smith</a>" in log and ">+•••••9999</a>" in log and "5559999" not in log
    assert "<td>Bright Smile Dental</td>" in log and f" {abbreviation}</td>" in log


async def test_stuck_writes_and_dead_letters_are_listed_with_a_retry(clinic: Clinic) -> None:
    from bot.keys import PIPELINE_KEY
    from bot.queue.broker import Entry
    from bot.records.od_writes import PendingWrite
    from od_adapter import OdUnavailable

    await clinic.patient(JANE).say("Hi, can I get a cleaning next week?")
    conversation = conversation_of(clinic, JANE)
    pipeline = clinic.app[PIPELINE_KEY]
    await pipeline.broker.bury(conversation, [Entry("1-1", pipeline.sealer.seal(b"{}"))])
    writes = clinic.app[CONSOLE_KEY].od_writes
    future = [time.time() + 1e6]  # the app's own drainer never finds it due
    writes.clock = lambda: future[0]
    await writes.put(PRACTICE_ID, 1, "WhatsApp handoff at noon", kind="task")

    async def down(write: PendingWrite) -> int:
        raise OdUnavailable("Open Dental answered 500")

    for _ in range(5):
        await writes.drain({PRACTICE_ID: down})
        future[0] += 400
    async with browser(clinic) as client:
        await sign_in(client, "maria")
        page = (await client.get("/problems")).text
        assert 'href="/console/c/' + conversation + '">Jane Smith</a>' in page
        assert "<td>task</td><td>1</td><td>5</td><td>OdUnavailable</td>" in page
        key = page.split('name="key" value="')[1].split('"')[0]
        writes.clock = time.time  # now it is due, and the real drainer writes it
        retried = await client.post("/problems/od-writes/retry", data={"csrf": csrf_in(page), "key": key})
        assert retried.headers["Location"].endswith("message=retried")
        forged = await client.post(
            "/problems/od-writes/retry", data={"csrf": csrf_in(page), "key": "x" * 9999}
        )
        assert forged.status_code == 303 and forged.headers["Location"].endswith("message=gone")
    # This practice has no task list: the write becomes the task's commlog.
    await commlogs_with(clinic, 1, "WhatsApp handoff at noon", 1)


async def book_a_cleaning(clinic: Clinic, phone: str) -> None:
    patient = clinic.patient(phone)
    await patient.say("Hi, can I get a cleaning next week?")
    await patient.tap(patient.rows[0]["id"])
    assert "Booked!" in await patient.tap(patient.buttons[0])


async def test_the_dashboard_counts_what_the_assistant_did(redis: Redis, redis_server: str) -> None:
    update = {**handoff(), "name": '=HYPERLINK("http://evil")'}
    async with open_clinic(update, REDIS_URL=redis_server) as clinic:
        await clinic.app[CONSOLE_KEY].accounts.add("maria", PASSWORD, Role.OPERATOR, [PRACTICE_ID])
        await clinic.app[CONSOLE_KEY].accounts.add("other", PASSWORD, Role.OPERATOR, ["999999999999999"])
        await book_a_cleaning(clinic, JANE)
        await clinic.patient(GARCIA).say("Hola, quiero hablar con una persona por favor")
        await clinic.patient("15035553000").say("Hola, ¿cuál es su horario?")
        async with browser(clinic) as client:
            await sign_in(client, "maria")
            page = (await client.get("/dashboard")).text
            assert '<strong id="f-conversations">3</strong>' in page
            assert '<strong id="f-booked">1</strong>' in page and '<strong id="f-alone">67%</strong>' in page
            assert "<td>the patient asked for a person</td><td>1</td>" in page
            assert "<td>es</td><td>2</td>" in page and "<td>en</td><td>1</td>" in page
            assert "<svg" in page and "HYPERLINK" in page and "<script" not in page.split("</head>")[1]
            csv = await client.get("/dashboard.csv")
            assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
            lines = csv.text.splitlines()
            assert lines[0].startswith("practice,\"'=HYPERLINK("), lines[0]
            today = [line for line in lines if line.startswith(datetime.now(clinic.app[CONSOLE_KEY].by_id[PRACTICE_ID].zone).date().isoformat())]  # fmt: skip
            assert today and today[0].split(",")[1:6] == ["3", "1", "0", "0", "0"]
            for query in ({"from": "garbage", "to": "2026-13-45"}, {"from": "1999-01-01", "to": "2999-01-01"}, {"from": "2001-01-01", "to": "2001-01-02"}):  # fmt: skip
                assert (await client.get("/dashboard", params=query)).status_code == 200
                empty = await client.get("/dashboard.csv", params=query)
                assert empty.status_code == 200 and len(empty.text.splitlines()) <= 2 + 366
        async with browser(clinic) as other:
            await sign_in(other, "other")
            assert (await other.get("/dashboard", params={"practice": PRACTICE_ID})).status_code == 404


async def test_alerts_cross_processes_through_redis_and_survive_it_going_away(redis_server: str) -> None:
    from bot.alerts import Alert, RedisAlerts

    publisher, listener = Redis.from_url(redis_server), Redis.from_url(redis_server)
    alerts = RedisAlerts(listener)
    heard: asyncio.Queue[Alert] = asyncio.Queue()

    async def listen() -> None:
        async for alert in alerts.listen():
            heard.put_nowait(alert)

    task = asyncio.create_task(listen())
    try:
        alert = Alert(practice_id=PRACTICE_ID, conversation="c" * 32, reason="asked", at=time.time())
        for _ in range(50):  # until the subscription is in place
            await RedisAlerts(publisher).publish(alert)
            with contextlib.suppress(TimeoutError):
                assert await asyncio.wait_for(heard.get(), 0.1) == alert
                break
        else:
            raise AssertionError("no alert crossed Redis")
        await listener.client_kill_filter(_type="pubsub")  # Redis drops the subscriber, as a restart would
        for _ in range(50):
            await RedisAlerts(publisher).publish(alert)
            with contextlib.suppress(TimeoutError):
                assert await asyncio.wait_for(heard.get(), 0.2) == alert
                break
        else:
            raise AssertionError("the listener did not subscribe again")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await publisher.aclose()
        await listener.aclose()


async def test_a_practice_webhook_hears_of_a_handoff_without_phi_and_never_holds_the_reply(
    redis_server: str,
) -> None:
    """The webhook answers only once the test has seen the patient's reply: a turn that waited for it would
    reply only after the webhook's 3 s timeout, and the webhook would then never have been heard."""
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    bodies: list[dict[str, Any]] = []
    release = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        body = await request.json()
        await release.wait()
        bodies.append(body)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("/hook"))
        async with open_clinic(handoff(alert_webhook=url), REDIS_URL=redis_server) as clinic:
            started = time.monotonic()
            reply = await clinic.patient(JANE).say(
                "can I talk to a real person please, my name is Jane Smith"
            )
            replied_in = time.monotonic() - started
            release.set()
            for _ in range(100):
                if bodies:
                    break
                await asyncio.sleep(0.05)
    assert reply, "the patient heard nothing"
    assert replied_in < 2.5, f"the reply waited for the webhook ({replied_in:.1f} s)"
    [body] = bodies
    assert (
        body["event"] == "handoff" and body["reason"] == "asked" and body["practice"] == "Bright Smile Dental"
    )
    assert not any(phi in str(body) for phi in ("Jane", "Smith", "5551234", "person please"))


async def test_a_failing_webhook_is_retried_and_a_full_queue_drops_calls() -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from bot.alerts import Alert, AlertWebhooks

    answers = [503, 429, 200]
    heard: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        heard.append(answers[len(heard)] if len(heard) < len(answers) else 400)
        return web.json_response(
            {}, status=heard[-1], headers={"Retry-After": "0"} if heard[-1] == 429 else {}
        )

    app = web.Application()
    app.router.add_post("/hook", hook)
    alert = Alert(practice_id=PRACTICE_ID, conversation="c" * 32, reason="asked", at=time.time())
    webhooks = AlertWebhooks(backoff=0.01, queue_size=2, senders=1)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("/hook"))
        assert webhooks.tell(url, alert, "Bright Smile Dental") and webhooks.tell(
            url, alert, "Bright Smile Dental"
        )
        assert not webhooks.tell(url, alert, "Bright Smile Dental"), "a third call waits beyond the bound"
        task = asyncio.create_task(webhooks.run())
        try:
            await asyncio.wait_for(webhooks.queue.join(), 10)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await webhooks.aclose()
    # The first call is refused twice and heard the third time; the second is refused for good (400).
    assert heard == [503, 429, 200, 400]
    assert (webhooks.delivered, webhooks.failed, webhooks.dropped) == (1, 1, 1)


async def test_the_dashboard_prices_charged_messages_at_the_practices_rates(clinic: Clinic) -> None:
    """The demo practice's rates are in USD with utility at $0.004 and marketing at $0.025, and no rate for
    service: Meta's statuses say which messages it charged, and the dashboard shows what they cost."""
    from bot.keys import PIPELINE_KEY
    from bot.whatsapp.events import StatusEvent

    for text in ("hello", "what are your hours?", "where are you?"):
        await clinic.patient(JANE).say(text)
    utility, marketing, service = (m.wamid for m in clinic.fake.sent[-3:])
    outbox = clinic.app[PIPELINE_KEY].outbox
    at = int(time.time())

    async def status(wamid: str, category: str, *, billable: bool, status: str = "delivered") -> None:
        event = StatusEvent(practice_id=PRACTICE_ID, wamid=wamid, status=status, timestamp=at, billable=billable, category=category)  # fmt: skip
        await outbox.apply_status(event)

    for _ in range(2):  # Meta repeats pricing on each status: the message is counted and priced once
        await status(utility, "utility", billable=True)
    await status(utility, "utility", billable=True, status="read")
    await status(marketing, "marketing", billable=True)
    await status(service, "service", billable=True)  # charged, but the practice set no rate for it
    async with browser(clinic) as client:
        await sign_in(client, "maria")
        page = (await client.get("/dashboard")).text
        csv = (await client.get("/dashboard.csv")).text
    assert "<td>utility</td><td>1</td><td>$0.004</td>" in page, page
    assert "<td>marketing</td><td>1</td><td>$0.025</td>" in page
    assert '<td>service</td><td>1</td><td><span class="muted">1 without a rate' in page
    assert (
        '<strong id="f-whatsapp-cost">$0.029</strong> WhatsApp cost (and 1 charged message without a rate)'
        in page
    )
    header, *days = csv.splitlines()[1:]
    columns = header.split(",")
    today = dict(zip(columns, days[-1].split(","), strict=True))
    assert (today["whatsapp_billable"], today["whatsapp_cost"], today["whatsapp_currency"]) == (
        "3",
        "0.029",
        "USD",
    )
    assert today["whatsapp_unpriced"] == "1"


async def test_a_webhook_url_httpx_refuses_does_not_stop_the_senders() -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestServer
    from pydantic import ValidationError

    from bot.alerts import Alert, AlertWebhooks
    from bot.practices import HandoffSettings

    with pytest.raises(ValidationError):
        HandoffSettings(alert_webhook="ftp://example.com/hook")
    heard: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        heard.append(request.path)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    alert = Alert(practice_id=PRACTICE_ID, conversation="c" * 32, reason="asked", at=time.time())
    webhooks = AlertWebhooks(backoff=0.01, senders=1)
    async with TestServer(app, host="127.0.0.1") as server:
        webhooks.tell("http://[::1/hook", alert, "Bright Smile Dental")  # httpx: InvalidURL, not an HTTPError
        webhooks.tell(str(server.make_url("/hook")), alert, "Bright Smile Dental")
        task = asyncio.create_task(webhooks.run())
        try:
            await asyncio.wait_for(webhooks.queue.join(), 10)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await webhooks.aclose()
    assert heard == ["/hook"] and (webhooks.delivered, webhooks.failed) == (1, 1)


@pytest.mark.parametrize(
    ("pricing", "charged"),
    [
        ({"billable": True, "category": "utility"}, True),  # before Meta's `type`: billable says it
        ({"billable": False, "category": "service"}, False),
        ({"billable": True, "type": "regular", "category": "service"}, True),
        ({"billable": False, "type": "regular", "category": "marketing"}, True),  # `type` wins
        ({"billable": True, "type": "free_customer_service", "category": "utility"}, False),
        ({"billable": True, "type": "free_entry_point", "category": "referral_conversion"}, False),
    ],
)
def test_meta_charges_what_its_pricing_type_says(pricing: dict[str, Any], charged: bool) -> None:
    from bot.whatsapp.payloads import Pricing

    assert Pricing.model_validate({"pricing_model": "PMP", **pricing}).charged is charged


def test_a_practices_rates_name_metas_categories() -> None:
    from pydantic import ValidationError

    from bot.whatsapp.pricing import WhatsAppPricing

    assert WhatsAppPricing(rates={"utility": 0.0034}).micros("utility") == 3400
    assert WhatsAppPricing().micros("marketing") is None
    for bad in ({"rates": {"utilty": 0.004}}, {"currency": "usd"}, {"rates": {"marketing": -1}}):
        with pytest.raises(ValidationError):
            WhatsAppPricing.model_validate(bad)
