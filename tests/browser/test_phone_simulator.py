"""A browser books through the phone simulator page (Playwright driving Debian's Chromium) and saves a screenshot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

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
        first_row = page.locator(".msg.bot .choices button").first
        await first_row.wait_for(timeout=20_000)
        await first_row.click()
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
