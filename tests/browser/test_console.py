"""An operator in a real browser (Playwright driving Debian's Chromium): sign in, open a handed-off conversation,
reply, release; the patient gets the reply and the assistant answers the next message. Saves a screenshot."""

from __future__ import annotations

import shutil

import pytest
from playwright.async_api import async_playwright

from bot.console.accounts import Role
from bot.keys import CONSOLE_KEY
from tests.browser.test_phone_simulator import CHROMIUM_FLAGS, SCREENSHOTS
from tests.flows.test_conversations import open_clinic
from tests.flows.test_handoff import JANE, handoff, post_quietly

PASSWORD = "front-desk-password"


async def test_an_operator_replies_and_releases_in_the_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed: run .ci/run, or apt-get install chromium")
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
    async with open_clinic(handoff()) as clinic, async_playwright() as playwright:
        await clinic.app[CONSOLE_KEY].accounts.add("maria", PASSWORD, Role.OPERATOR, ["100000000000001"])
        jane = clinic.patient(JANE)
        await jane.say("I'd like a cleaning next week")
        await jane.say("actually can I talk to a person?")
        await post_quietly(clinic, JANE, "it's about my insurance")

        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 1000, "height": 900})
        await page.goto(f"{clinic.base}/console/")
        await page.fill("input[name=username]", "maria")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("#login button")
        await page.get_by_text("needs a human").first.wait_for(timeout=10_000)
        await page.locator(".row.urgent a").first.click()
        await page.get_by_text("it's about my insurance").wait_for(timeout=10_000)
        await page.fill("textarea[name=text]", "Hi Jane, Maria here. Your plan is covered, see you soon!")
        await page.click("#send")
        await page.locator("#notice", has_text="Sent.").wait_for(timeout=10_000)
        await page.get_by_text("Maria here").first.wait_for(timeout=10_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "console-conversation.png"), full_page=True)
        await page.click("#release")
        await page.locator("#notice", has_text="answers this patient again").wait_for(timeout=10_000)
        await browser.close()

        staff = [m.body for m in clinic.fake.sent if m.to == JANE and m.body["type"] == "text"]
        assert staff[-1]["text"]["body"] == "Hi Jane, Maria here. Your plan is covered, see you soon!"
        assert "I found" in await jane.say("book a cleaning next week please")
