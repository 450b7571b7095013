"""The console's reminders page over real HTTP, with the ledger in a real Redis: the counts of a day range, the
skip reasons, the opt-outs with their conversations, tomorrow's call list with chart names, and another
practice's operator kept out."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from datetime import time as clock_time

import httpx
import pytest
from redis.asyncio import Redis

from bot.console.accounts import Role
from bot.keys import CONSOLE_KEY
from bot.reminders import Entry, reminder_id
from tests.bot.test_console import PASSWORD, browser, sign_in
from tests.flows.test_conversations import PRACTICE_ID, Clinic, open_clinic
from tests.flows.test_handoff import JANE, conversation_of, handoff


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")


@pytest.fixture(name="clinic")
async def fixture_clinic(redis: Redis, redis_server: str) -> AsyncIterator[Clinic]:
    async with open_clinic(handoff(), REDIS_URL=redis_server) as clinic:
        accounts = clinic.app[CONSOLE_KEY].accounts
        await accounts.add("maria", PASSWORD, Role.OPERATOR, [PRACTICE_ID])
        await accounts.add("other", PASSWORD, Role.OPERATOR, ["999999999999999"])
        yield clinic


def local_day(clinic: Clinic, ahead: int) -> date:
    return datetime.now(clinic.app[CONSOLE_KEY].by_id[PRACTICE_ID].zone).date() + timedelta(days=ahead)


def entry(day: date, hour: int, apt_num: int, pat_num: int, step: str = "confirm", **fields: object) -> Entry:
    start = datetime.combine(day, clock_time(hour))
    rid = reminder_id(PRACTICE_ID, apt_num, start, step)
    return Entry(id=rid, practice_id=PRACTICE_ID, apt_num=apt_num, pat_num=pat_num, start=start, step=step, due=time.time() + 3600, **fields)  # fmt: skip


async def seed(clinic: Clinic) -> None:
    """A day's worth of every state, tomorrow's visits among them, and one visit beyond the default range."""
    today, tomorrow, after = (local_day(clinic, n) for n in (0, 1, 2))
    sent = {"state": "sent", "sent_at": time.time() - 600}
    entries = [
        entry(tomorrow, 9, 101, 1, **sent),  # Jane: sent, no answer -> call
        entry(tomorrow, 9, 101, 1, "day_of"),  # its day-of reminder, still planned
        entry(tomorrow, 10, 102, 2, state="answered", outcome="confirmed", sent_at=1.0),
        entry(tomorrow, 11, 103, 99999, state="skipped", reason="no mobile number"),  # no chart -> PatNum
        entry(tomorrow, 12, 104, 3, state="skipped", reason="already confirmed"),
        entry(tomorrow, 13, 105, 4, **sent),  # sent, then moved: the call list leaves it out
        entry(tomorrow, 13, 105, 4, "day_of", state="cancelled", reason="the visit moved"),
        entry(tomorrow, 14, 106, 5, state="skipped", reason="opted out"),  # -> call
        entry(
            tomorrow, 15, 107, 2, "day_of", state="skipped", reason="no mobile number"
        ),  # not a confirm request
        entry(today, 16, 108, 3, "day_of", **sent),  # today: counted, never on tomorrow's list
        entry(after, 9, 109, 4, state="answered", outcome="changed", sent_at=1.0),
        entry(
            after, 9, 109, 4, "day_of", state="answered", outcome="changed", sent_at=2.0
        ),  # one visit changed
        entry(after, 10, 110, 5, state="answered", outcome="cancelled", sent_at=1.0),
        entry(local_day(clinic, 5), 9, 111, 1),  # beyond today and the next two days
    ]
    ledger = clinic.app[CONSOLE_KEY].ledger(PRACTICE_ID)
    for one in entries:
        await ledger.save(one)


def figure(page: str, name: str) -> str:
    return page.split(f'<strong id="r-{name}">')[1].split("<")[0]


def calls(page: str) -> list[list[str]]:
    body = page.split('<table class="log" id="calls">')[1].split("</tbody>")[0].split("<tbody>")[1]
    rows = body.split("<tr>")[1:]
    # Babel's clock may put a (narrow) no-break space before AM/PM.
    cells = [[c.split("</td>")[0] for c in row.split("<td>")[1:]] for row in rows]
    return [[c.replace("\u202f", " ").replace("\xa0", " ") for c in row] for row in cells]


async def reminders_page(client: httpx.AsyncClient, within: float = 30.0, **query: str) -> str:
    """The page once the patient sync has read the charts (Jane's name shows on the call list)."""
    deadline = time.monotonic() + within
    while True:
        response = await client.get("/reminders", params=query)
        assert response.status_code == 200, response.text
        if "Jane Smith" in response.text or time.monotonic() > deadline:
            return response.text
        await asyncio.sleep(0.3)


async def test_counts_opt_outs_and_tomorrows_call_list(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await clinic.patient(JANE).say("Hi, can I get a cleaning next week?")  # her conversation names her chart
    optouts = clinic.app[CONSOLE_KEY].optouts
    assert optouts is not None
    await optouts.stop(PRACTICE_ID, JANE, conversation_of(clinic, JANE))
    await seed(clinic)
    async with browser(clinic) as client:
        await sign_in(client, "maria")
        page = await reminders_page(client)
        assert '<a href="/console/reminders">Reminders</a>' in page, "in the console's navigation"
        counts = {n: figure(page, n) for n in ("planned", "sent", "confirmed", "changed", "cancelled", "skipped", "withdrawn", "optouts")}  # fmt: skip
        assert counts == {"planned": "1", "sent": "7", "confirmed": "1", "changed": "1", "cancelled": "1", "skipped": "4", "withdrawn": "1", "optouts": "1"}  # fmt: skip
        assert "<td>no mobile number</td><td>2</td>" in page and "<td>opted out</td><td>1</td>" in page
        assert "<td>already confirmed</td><td>1</td>" in page and "<td>the visit moved</td><td>1</td>" in page
        listed = calls(page)
        assert [row[1:] for row in listed] == [
            ['Jane Smith <span class="muted">PatNum 1</span>', "confirm", "sent, no answer"],
            ["PatNum 99999", "confirm", "skipped: no mobile number"],
            [listed[2][1], "confirm", "skipped: opted out"],
        ]
        assert listed[0][0].endswith("9:00 AM") and listed[2][0].endswith("2:00 PM"), "the practice's clock"
        optout_row = page.split('<table class="log" id="optouts">')[1].split("</table>")[0]
        assert f'<a href="/console/c/{conversation_of(clinic, JANE)}">Jane Smith</a>' in optout_row

        # A range of its own: the day after tomorrow alone; the call list is still tomorrow's.
        after = local_day(clinic, 2).isoformat()
        later = await reminders_page(client, **{"from": after, "to": after})
        assert (figure(later, "sent"), figure(later, "changed"), figure(later, "confirmed")) == (
            "3",
            "1",
            "0",
        )
        assert len(calls(later)) == 3
        far = await reminders_page(client, **{"from": local_day(clinic, 5).isoformat(), "to": "garbage"})
        assert figure(far, "planned") == "1"
        for query in ({"from": "2001-01-01", "to": "2999-01-01"}, {"from": "x", "to": "y"}):
            assert (await client.get("/reminders", params=query)).status_code == 200
    # httpx and httpcore log request URLs at INFO; the product's logging holds them to WARNING (bot.monitoring.logs).
    ours = [
        f"{r.name}: {r.getMessage()}" for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    ]
    leaked = [line for line in ours if any(phi in line for phi in ("Jane", "Smith", "99999", "5551234"))]
    assert not leaked, leaked


async def test_another_practices_operator_sees_none_of_it(clinic: Clinic) -> None:
    await seed(clinic)
    async with browser(clinic) as client:
        assert (await client.get("/reminders")).headers["Location"] == "/console/login"
        await sign_in(client, "other")
        for query in ({}, {"practice": PRACTICE_ID}):
            response = await client.get("/reminders", params=query)
            assert response.status_code == 404 and "PatNum" not in response.text


async def test_the_dashboard_shows_reminders_sent_confirmed_and_the_rate(clinic: Clinic) -> None:
    """The figures the schedulers and the answer hook count (tests/reminders/test_scheduler.py), per day."""
    figures = clinic.app[CONSOLE_KEY].figures
    yesterday, today = local_day(clinic, -1), local_day(clinic, 0)
    for day, sent, requests, confirmed in ((yesterday, 5, 4, 1), (today, 3, 2, 2)):
        await figures.add(PRACTICE_ID, day, "reminders_sent", sent)
        await figures.add(PRACTICE_ID, day, "reminder_confirm_requests", requests)
        await figures.add(PRACTICE_ID, day, "reminders_confirmed", confirmed)
    async with browser(clinic) as client:
        await sign_in(client, "maria")
        page = (await client.get("/dashboard")).text
        assert '<strong id="f-reminders-sent">8</strong>' in page
        assert '<strong id="f-reminders-confirmed">3</strong>' in page
        assert '<strong id="f-reminder-rate">50%</strong>' in page and "(6 confirm requests)" in page
        assert f"<tr><td>{yesterday}</td><td>5</td><td>4</td><td>1</td><td>25%</td></tr>" in page
        assert f"<tr><td>{today}</td><td>3</td><td>2</td><td>2</td><td>100%</td></tr>" in page
        lines = (await client.get("/dashboard.csv")).text.splitlines()
        header = lines[1].split(",")
        day_row = dict(zip(header, next(x for x in lines if x.startswith(yesterday.isoformat())).split(","), strict=True))  # fmt: skip
        assert [day_row[c] for c in ("reminders_sent", "reminder_confirm_requests", "reminders_confirmed", "reminder_confirmation_rate")] == ["5", "4", "1", "0.25"]  # fmt: skip
