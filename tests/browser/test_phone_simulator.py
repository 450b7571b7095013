"""A browser books through the phone simulator page (Playwright driving Debian's Chromium) and saves a screenshot."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from bot.whatsapp import messages
from tests.flows.test_conversations import open_clinic

SCREENSHOTS = Path(__file__).parents[2] / "build" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


async def test_a_booking_through_the_phone_page(monkeypatch: pytest.MonkeyPatch) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed: run .ci/run, or apt-get install chromium")
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
    async with open_clinic() as clinic, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 1100, "height": 800})
        await page.goto(f"{clinic.base}/sandbox/phone")
        await page.fill("#text", "Hi, I'd like a check-up next week please")
        await page.click("form#send button")
        await page.locator(".msg.bot .open-list").first.click(timeout=20_000)  # the rows open behind it
        await page.locator("#sheet button.row").first.click()
        await page.get_by_text("Shall I book it?").wait_for(timeout=20_000)
        await page.locator(".msg.bot .choices button", has_text="Yes, book it").last.click()
        await page.get_by_text("Booked!").wait_for(timeout=20_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "phone-simulator-booking.png"), full_page=True)
        await browser.close()
        booked = [
            a
            for a in await clinic.appointments_of(1)
            if "WhatsApp" in a["Note"] and a["AptStatus"] == "Scheduled"
        ]
        assert len(booked) == 1


async def test_the_phone_keeps_its_shape_its_messages_and_the_patients_script(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A custom number scrolls nothing sideways, Arabic bubbles read right to left, a reload keeps the
    patient's own messages (with ticks), a US practice's times are on the 12-hour clock, and the book jumps
    to the day just booked with the patient's name, without a request on the practice's Open Dental key."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed: run .ci/run, or apt-get install chromium")
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
    async with open_clinic() as clinic, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 1100, "height": 800})
        await page.goto(f"{clinic.base}/sandbox/phone")
        await page.fill("#custom", "+1 503 555 2000 0000 0000 0000 00")
        await page.fill("#custom", "+15035552000")
        await page.dispatch_event("#custom", "change")
        await page.fill("#text", "مرحبا، أريد تنظيف الأسنان الأسبوع القادم " + "طويل" * 30)
        await page.click("form#send button")
        arabic = page.locator(".msg.bot", has_text="ال").first
        await arabic.wait_for(timeout=20_000)
        assert await arabic.evaluate("e => getComputedStyle(e).direction") == "rtl"
        wide = await page.evaluate(
            "() => [...document.querySelectorAll('.phone, #chat, .msg')].filter(e => e.scrollWidth > e.clientWidth + 1).length"
        )
        assert wide == 0, "something in the phone scrolls sideways"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "phone-simulator-rtl.png"))

        await page.select_option("#who", "+15035551234")
        await page.fill("#custom", "")
        await page.dispatch_event("#who", "change")
        await page.fill("#text", "Hi, I'd like a check-up next week please")
        await page.click("form#send button")
        await page.locator(".msg.bot .open-list").first.click(timeout=20_000)
        row = page.locator("#sheet button.row").first
        title = (await row.inner_text()).splitlines()[0]
        assert title.endswith(("AM", "PM")) and len(title) <= 24, title
        await row.click()
        await page.get_by_text("Shall I book it?").wait_for(timeout=20_000)
        await page.locator(".msg.bot .choices button", has_text="Yes, book it").last.click()
        await page.get_by_text("Booked!").wait_for(timeout=20_000)
        booked = page.locator("#apts tr.just")
        await booked.wait_for(timeout=10_000)
        assert "Jane Smith" in await booked.inner_text() and (await booked.inner_text()).split("\t")[
            0
        ].endswith(("AM", "PM"))
        assert await page.locator("#apts th").nth(6).inner_text() == "Confirmation"
        assert await booked.locator("td.confirmation").inner_text() == "Not Called", "a new visit's status"
        await page.reload()
        await page.get_by_text("Hi, I'd like a check-up next week please").wait_for(timeout=10_000)
        assert await page.locator(".msg.me .ticks.read").count() >= 2
        await page.screenshot(path=str(SCREENSHOTS / "phone-simulator-us-booked.png"))
        await browser.close()
        async with httpx.AsyncClient() as client:
            log = (await client.get(f"{clinic.base}/sandbox/od/_admin/requests")).json()
        # The page used to read `GET /appointments?date=` with the practice's key; the assistant never does.
        assert not [r for r in log if "date" in r["query"]], "the page spent the practice's throttle"


async def test_a_reminder_template_shows_filled_with_quick_replies_that_tap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A template the practice sent shows its registered body with the parameters filled in and its quick-reply
    buttons; a tap posts the button's payload and text, as WhatsApp sends a template button tap."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed: run .ci/run, or apt-get install chromium")
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
    async with open_clinic() as clinic, async_playwright() as playwright:
        clinic.fake.approve(
            "appointment_reminder", "en_US", "Hi {{1}}, your visit is {{2}} at {{3}}. Can you make it?",
            ["Confirm", "Change", "Cancel"],
        )  # fmt: skip
        reminder = messages.template(
            "+15035551234", "appointment_reminder", "en_US", ["Jane", "Tuesday", "2:00 PM"],
            ["confirm:42", "change:42", "cancel:42"],
        )  # fmt: skip
        unregistered = messages.template("+15035551234", "recall_notice", "en_US", ["Jane"])
        clinic.fake.approve("recall_notice", "en_US", "Time for a check-up, {{1}}!", category="marketing")
        clinic.fake.enforce_window = True  # Jane has not written: a free-form message fails (131047)
        lost = messages.text("+15035551234", "This never reaches the phone")
        async with httpx.AsyncClient() as client:
            for body in (reminder, unregistered, lost):
                sent = await client.post(
                    f"{clinic.base}/sandbox/graph/v25.0/100000000000001/messages",
                    json=body,
                    headers={"Authorization": "Bearer sandbox"},
                )
                assert sent.status_code == 200, sent.text
        del clinic.fake.templates[
            ("recall_notice", "en_US")
        ]  # the page falls back to its name and parameters
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 1100, "height": 800})
        await page.goto(f"{clinic.base}/sandbox/phone")
        shown = page.locator(".msg.bot.template").first
        await shown.wait_for(timeout=10_000)
        assert (await shown.inner_text()).startswith(
            "Hi Jane, your visit is Tuesday at 2:00 PM. Can you make it?"
        )
        assert await shown.locator(".choices button").all_inner_texts() == ["Confirm", "Change", "Cancel"]
        assert await page.locator(".msg.bot.template").nth(1).inner_text() == "[recall_notice] Jane"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "phone-simulator-template.png"))
        async with page.expect_request("**/sandbox/whatsapp/inbound") as posted:
            await shown.locator(".choices button", has_text="Confirm").click()
        assert json.loads((await posted.value).post_data or "{}") == {
            "from": "15035551234", "phone_number_id": "100000000000001",
            "button_payload": "confirm:42", "button_text": "Confirm",
        }  # fmt: skip
        await page.locator(".msg.me", has_text="Confirm").wait_for(timeout=10_000)
        await page.locator(".msg.bot:not(.template)").first.wait_for(timeout=20_000)  # the assistant answered
        await page.screenshot(path=str(SCREENSHOTS / "phone-simulator-template-tapped.png"))
        assert await page.get_by_text("This never reaches the phone").count() == 0
        await browser.close()
    sent = [m for m in clinic.fake.sent if m.to == "15035551234"]
    # The two templates, the lost text, and the assistant's answer to the tap (the tap opened the window).
    assert [m.error_code for m in sent] == [None, None, 131047, None]


async def test_the_book_opens_on_the_practices_tomorrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 03:00 UTC on 9 December it is still the 8th in Portland: the book opens on the practice's
    tomorrow (the 9th), not UTC's or the browser's (Tokyo's) tomorrow (the 10th)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed: run .ci/run, or apt-get install chromium")
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
    async with open_clinic() as clinic, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        context = await browser.new_context(timezone_id="Asia/Tokyo")
        page = await context.new_page()
        await page.clock.set_fixed_time(datetime(2026, 12, 9, 3, 0, tzinfo=UTC))
        await page.goto(f"{clinic.base}/sandbox/phone")
        assert await page.input_value("#day") == "2026-12-09"
        await browser.close()
