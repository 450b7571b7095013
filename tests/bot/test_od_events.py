"""Open Dental API Events at the bot: `od-subscribe` against the sandbox, and `/od/events/<token>` over real
HTTP (the secret path token, the bare CustomerKey, malformed bodies, duplicates in Redis or memory), up to
the nudge the practice's book loader takes; the embedded sandbox's own deliveries reach it end to end."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.cli import parse_args
from bot.errors import ConfigError
from bot.keys import BOOK_STORE_KEY
from bot.od_events import endpoint_url, path_token
from bot.od_subscribe import sync_subscriptions
from bot.practices import PracticesFile, load_practices
from bot.sandbox.demo import SANDBOX_OD_PREFIX, create_demo_app, point_at_demo_sandbox
from bot.settings import DEMO_OD_EVENTS_SECRET, Settings
from od_adapter import BookNudge, MemoryRateLimiter, NewSubscription, Nudge, OpenDentalClient
from tests.conftest import free_port
from tests.fakes.echo import EchoHandler

from .test_edge import ROOT

PRACTICE_ID = "100000000000001"
KEY = "sandbox-customer"
APPOINTMENT = {"AptNum": 18, "PatNum": 17, "AptStatus": "Scheduled", "AptDateTime": "2030-07-31 08:30:00"}


@dataclass
class Bot:
    server: TestServer
    base: str
    settings: Settings
    practices: PracticesFile

    @property
    def url(self) -> str:
        return endpoint_url(self.settings, self.practices.practices[0])

    async def post(
        self,
        body: Any,
        *,
        key: str | None = KEY,
        table: str | None = "Appointment",
        url: str | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json", "Workstation": "ODSERVER"}
        if key is not None:
            headers["Authorization"] = key
        if table is not None:
            headers["Event-Type"] = table if ":" in table else f"WatchTable: {table}"
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(url or self.url, content=raw, headers=headers)

    async def nudge(self) -> Nudge | None:
        return await BookNudge(self.server.app[BOOK_STORE_KEY], PRACTICE_ID).take()


async def start_bot(redis_url: str | None, **values: Any) -> tuple[TestServer, Bot]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    values = {"METRICS_ADDRESS": "127.0.0.1:0", **values}
    settings = Settings(_env_file=None, REDIS_URL=redis_url, **values).with_demo_defaults(base)
    practices = point_at_demo_sandbox(
        load_practices(ROOT / "od_adapter/sandbox/data/demo_practices.toml"), "127.0.0.1", port
    )
    app = create_demo_app(settings, practices, operator=None, handler=EchoHandler())
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    return server, Bot(server, base, settings, practices)


@pytest.fixture(name="bot", params=["redis", "memory"])
async def fixture_bot(request: pytest.FixtureRequest, redis_server: str, redis: Redis) -> AsyncIterator[Bot]:
    server, bot = await start_bot(redis_server if request.param == "redis" else None)
    yield bot
    await server.close()


def od_client(bot: Bot) -> OpenDentalClient:
    practice = bot.practices.practices[0]
    return OpenDentalClient.for_practice(
        practice.open_dental, MemoryRateLimiter(), keys=bot.settings.open_dental_keys(practice.open_dental)
    )


# -- the endpoint -----------------------------------------------------------------------------------------------


async def test_a_valid_event_nudges_the_practices_book(bot: Bot) -> None:
    response = await bot.post([APPOINTMENT])
    assert (response.status_code, response.json()) == (200, {"nudged": True})
    nudge = await bot.nudge()
    assert nudge is not None and nudge.days == [], "a change shows in the DateTStamp read: no day to reread"
    deleted = await bot.post([APPOINTMENT, {**APPOINTMENT, "AptNum": 19}], table="AppointmentDeleted")
    assert deleted.status_code == 200
    nudge = await bot.nudge()
    assert nudge is not None and nudge.days == [date(2030, 7, 31)], "a deletion's day is read whole"
    older = await bot.post([{**APPOINTMENT, "AptNum": 20}], table=None)  # before 22.4.35: no Event-Type
    assert older.status_code == 200 and (await bot.nudge()) is not None


async def test_the_path_token_and_the_customer_key_are_both_required(bot: Bot) -> None:
    assert bot.url.startswith(f"{bot.base}/od/events/")
    wrong_token = bot.url[:-4] + "0000"
    assert (await bot.post([APPOINTMENT], url=wrong_token)).status_code == 404
    assert (await bot.post([APPOINTMENT], url=f"{bot.base}/od/events/{PRACTICE_ID}")).status_code == 404
    for key in (None, "", "sandbox-readonly", f"ODFHIR sandbox-dev/{KEY}", KEY + "x"):
        assert (await bot.post([APPOINTMENT], key=key)).status_code == 401, key
    assert await bot.nudge() is None, "nothing refused was taken as a hint"


@pytest.mark.parametrize(
    ("body", "table"),
    [
        (b"not json", "Appointment"),
        (b"", "Appointment"),
        ({"AptNum": 18}, "Appointment"),
        ([1, 2], "Appointment"),
        ([{"AptNum": "eighteen"}], "Appointment"),
        ([{"AptNum": 18, "AptDateTime": "31/07/2030"}], "AppointmentDeleted"),
        ([APPOINTMENT], "UiEventType: PatientSelected"),
    ],
)
async def test_malformed_events_are_400_and_nudge_nothing(bot: Bot, body: Any, table: str) -> None:
    response = await bot.post(body, table=table)
    assert response.status_code == 400
    assert await bot.nudge() is None


async def test_a_duplicate_is_a_no_op_and_another_table_is_ignored(bot: Bot) -> None:
    assert (await bot.post([APPOINTMENT])).json() == {"nudged": True}
    assert await bot.nudge() is not None
    again = await bot.post([APPOINTMENT])  # the same event from a second workstation
    assert (again.status_code, again.json()) == (200, {"duplicate": True})
    assert await bot.nudge() is None
    other = await bot.post([APPOINTMENT], table="AppointmentDeleted")  # same rows, another event
    assert other.json() == {"nudged": True}
    patient = await bot.post([{"PatNum": 17, "LName": "Smith"}], table="Patient")
    assert (patient.status_code, patient.json()) == (200, {"ignored": "Patient"})


async def test_duplicates_expire_after_their_ttl(redis_server: str, redis: Redis) -> None:
    server, bot = await start_bot(redis_server, OD_EVENTS_DEDUPE_SECONDS=0.2)
    try:
        assert (await bot.post([APPOINTMENT])).json() == {"nudged": True}
        keys = [k async for k in redis.scan_iter("od:odevents:*")]
        assert len(keys) == 1 and 0 < await redis.pttl(keys[0]) <= 200
        await redis.delete(*keys)
        assert (await bot.post([APPOINTMENT])).json() == {"nudged": True}
    finally:
        await server.close()


async def test_without_a_secret_the_endpoint_answers_404(redis_server: str, redis: Redis) -> None:
    server, bot = await start_bot(redis_server, OD_EVENTS_SECRET=" ")
    try:
        token = path_token(DEMO_OD_EVENTS_SECRET, PRACTICE_ID)
        response = await bot.post([APPOINTMENT], url=f"{bot.base}/od/events/{token}")
        assert response.status_code == 404
    finally:
        await server.close()


# -- od-subscribe and delivery end to end -------------------------------------------------------------------


async def test_od_subscribe_is_idempotent_and_remove_deletes_only_ours(bot: Bot) -> None:
    lines: list[str] = []
    limiter = MemoryRateLimiter()
    async with od_client(bot) as od:
        foreign = await od.create_subscription(
            NewSubscription(
                end_point_url="https://other.example/hook", watch_table="Patient", polling_seconds=60
            )
        )
        assert (
            await sync_subscriptions(bot.settings, bot.practices, limiter, remove=False, say=lines.append)
            == 0
        )
        assert [line.split(":")[1].strip() for line in lines] == [
            "Appointment subscribed (#2)",
            "AppointmentDeleted subscribed (#3)",
        ]
        ours = [s for s in await od.subscriptions() if s.subscription_num != foreign.subscription_num]
        assert {(s.watch_table, s.end_point_url, s.workstation, s.polling_seconds) for s in ours} == {
            ("Appointment", bot.url, "ODSERVER", 5),
            ("AppointmentDeleted", bot.url, "ODSERVER", 5),
        }
        lines.clear()
        assert (
            await sync_subscriptions(bot.settings, bot.practices, limiter, remove=False, say=lines.append)
            == 0
        )
        assert all("already subscribed" in line for line in lines) and len(lines) == 2
        assert len(await od.subscriptions()) == 3, "a second run creates nothing"
        moved = bot.practices.practices[0]
        moved = moved.model_copy(
            update={"od_events": moved.od_events.model_copy(update={"workstation": "NEWSERVER"})}
        )
        lines.clear()
        await sync_subscriptions(
            bot.settings, PracticesFile(practices=[moved]), limiter, remove=False, say=lines.append
        )
        assert [line.split()[0] for line in lines] == ["DEL", "NEW", "DEL", "NEW"]
        assert {
            s.workstation for s in await od.subscriptions() if s.watch_table.startswith("Appointment")
        } == {"NEWSERVER"}
        lines.clear()
        assert (
            await sync_subscriptions(bot.settings, bot.practices, limiter, remove=True, say=lines.append) == 0
        )
        assert [line.split()[0] for line in lines] == ["DEL", "DEL"]
        assert [s.subscription_num for s in await od.subscriptions()] == [foreign.subscription_num]


async def test_od_subscribe_needs_its_settings_and_reports_a_failing_practice(bot: Bot) -> None:
    limiter = MemoryRateLimiter()
    with pytest.raises(ConfigError, match="OD_EVENTS_BASE_URL"):
        await sync_subscriptions(
            bot.settings.model_copy(update={"od_events_base_url": None}), bot.practices, limiter, remove=False
        )
    with pytest.raises(ConfigError, match="OD_EVENTS_SECRET"):
        await sync_subscriptions(
            bot.settings.model_copy(update={"od_events_secret": None}), bot.practices, limiter, remove=False
        )
    practice = bot.practices.practices[0]
    unreachable = practice.open_dental.model_copy(
        update={"base_url": f"http://127.0.0.1:{free_port()}/api/v1", "max_retries": 0}
    )
    broken = PracticesFile(practices=[practice.model_copy(update={"open_dental": unreachable})])
    lines: list[str] = []
    assert await sync_subscriptions(bot.settings, broken, limiter, remove=False, say=lines.append) == 1
    assert lines[0].startswith("FAIL")
    assert parse_args(["od-subscribe", "--remove"]).remove is True
    assert parse_args(["od-subscribe"]).remove is False


async def test_a_break_in_open_dental_reaches_the_endpoint_and_nudges_the_book(bot: Bot) -> None:
    async with od_client(bot) as od:
        assert (
            await sync_subscriptions(
                bot.settings, bot.practices, MemoryRateLimiter(), remove=False, say=lambda _: None
            )
            == 0
        )
        asap = await od.asap_appointments()
        await od.break_appointment(asap[0].apt_num, send_to_unscheduled_list=True)
        async with httpx.AsyncClient(base_url=f"{bot.base}{SANDBOX_OD_PREFIX}/_admin/") as admin:
            assert (await admin.delete(f"offices/1/appointments/{asap[1].apt_num}")).status_code == 200
            sent = (await admin.post("events/deliver")).json()
            assert sorted((d["watch_table"], d["status"]) for d in sent) == [
                ("Appointment", 200),
                ("AppointmentDeleted", 200),
            ]
    nudge = await bot.nudge()
    assert nudge is not None
    assert asap[1].apt_date_time is not None and nudge.days == [asap[1].apt_date_time.date()]
