"""The demo's pages never spend the practice's Open Dental throttle: the same booking, made over real HTTP,
costs Open Dental exactly the same requests with the phone simulator and the console open and polling in
Chromium as with no page open (counted by the Open Dental sandbox's `/_admin/counters`).

The practice's requests all take turns at its CustomerKey's throttle (1 a second), so a page that polled the
book through the API (as the simulator once did, `GET /appointments?date=` every 3 s) made a booking turn
wait behind it: 9.0 s with the page open against 4.9 s without. The background loader's sync is slowed
right down here so that only the booking and the pages could make requests while they are counted.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from bot.console.accounts import Role
from bot.keys import CONSOLE_KEY
from tests.browser.test_phone_simulator import CHROMIUM_FLAGS
from tests.browser.test_staff import PASSWORD, shot, signed_in
from tests.flows.test_conversations import PRACTICE_ID, Clinic, open_clinic
from tests.flows.test_handoff import JANE

QUIET_SECONDS = 2.5
"""Longer than any poll of the pages could be apart and still spend requests unseen (the book's is 3 s,
but a window of quiet must hold while the pages keep polling): counters unchanged this long = quiet."""
LINGER_SECONDS = 7.0
"""After the booking, the pages keep polling this long (two of the book's polls, ten of the chat's)."""


@pytest.fixture(name="browser")
async def fixture_browser() -> AsyncIterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed: run .ci/run, or apt-get install chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        await browser.close()


async def counters(clinic: Clinic) -> Counter[str]:
    async with httpx.AsyncClient() as client:
        body = (await client.get(f"{clinic.base}/sandbox/od/_admin/counters")).json()
    return Counter(body["by_endpoint"])


async def quiet(clinic: Clinic, *, within: float = 60.0) -> Counter[str]:
    """The sandbox's counters once they have not moved for QUIET_SECONDS (the book loaded, writes done)."""
    deadline = time.monotonic() + within
    last, since = await counters(clinic), time.monotonic()
    while time.monotonic() - since < QUIET_SECONDS:
        assert time.monotonic() < deadline, "Open Dental never went quiet: something keeps spending requests"
        await asyncio.sleep(0.25)
        now = await counters(clinic)
        if now != last:
            last, since = now, time.monotonic()
    return last


async def book(clinic: Clinic) -> None:
    jane = clinic.patient(JANE)
    await jane.say("Hi, I'd like a check-up next week please")
    await jane.tap(jane.rows[0]["id"])
    assert "Booked!" in await jane.tap(jane.buttons[0])


async def requests_of_a_booking(browser: Browser | None) -> Counter[str]:
    """Open Dental's requests per endpoint from before Jane's first message until all is quiet again; with
    `browser`, the phone simulator (showing Jane's chat and the book) and the console list poll meanwhile."""
    async with open_clinic(BOOK_SYNC_SECONDS=3600) as clinic:
        await clinic.app[CONSOLE_KEY].accounts.add("maria", PASSWORD, Role.OPERATOR, [PRACTICE_ID])
        context = None
        if browser is not None:
            context = await browser.new_context(viewport={"width": 1100, "height": 800})
            console, phone = await context.new_page(), await context.new_page()
            await signed_in(clinic, console)
            await phone.goto(f"{clinic.base}/sandbox/phone")
            await phone.locator("#apts tr").first.wait_for(timeout=10_000)  # its book is polling
        before = await quiet(clinic)
        await book(clinic)
        if context is not None:
            await phone.get_by_text("Booked!").wait_for(timeout=10_000)
            await phone.locator("#apts tr.just").wait_for(timeout=10_000)  # it saw the booking in the book
        await asyncio.sleep(LINGER_SECONDS)
        after = await quiet(clinic)
        if context is not None:
            await shot(phone, "phone-simulator-throttle.png")
            await context.close()
    spent = after - before
    assert spent, "the booking made no Open Dental request: nothing was measured"
    return spent


async def test_open_pages_spend_none_of_the_practices_open_dental_requests(
    browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
    idle = await requests_of_a_booking(None)
    watched = await requests_of_a_booking(browser)
    assert watched == idle, f"with the pages open: {dict(watched)}; with none: {dict(idle)}"
