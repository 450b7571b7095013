"""Front-desk staff in a real browser (Playwright driving Debian's Chromium): find a family by its last name
typed without accents, reply and see the commlog on the chart, and watch a handoff arrive in a second tab
as an alert while Open Dental gets a task. Saves screenshots under build/screenshots/."""

from __future__ import annotations

import shutil
import time
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright

from bot.console.accounts import Role
from bot.keys import CONSOLE_KEY, PIPELINE_KEY
from bot.whatsapp.events import StatusEvent
from tests.bot.test_console_reminders import seed
from tests.bot.test_console_staff import GARCIA, book_a_cleaning, commlogs_with, tasks_for
from tests.browser.test_phone_simulator import CHROMIUM_FLAGS, SCREENSHOTS
from tests.flows.test_conversations import PRACTICE_ID, Clinic, open_clinic
from tests.flows.test_handoff import JANE, conversation_of, handoff

PASSWORD = "front-desk-password"


@pytest.fixture(name="browser")
async def fixture_browser() -> AsyncIterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed: run .ci/run, or apt-get install chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        await browser.close()


async def signed_in(clinic: Clinic, page: Page) -> None:
    await page.goto(f"{clinic.base}/console/")
    await page.fill("input[name=username]", "maria")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login button")
    await page.locator("#live").wait_for(timeout=10_000)


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


async def test_staff_find_reply_and_are_alerted(browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
    async with open_clinic(handoff(task_list_num=1)) as clinic:
        await clinic.app[CONSOLE_KEY].accounts.add("maria", PASSWORD, Role.OPERATOR, [PRACTICE_ID])
        await clinic.patient(GARCIA).say("Hola, quiero una limpieza la próxima semana")
        jane = clinic.patient(JANE)
        await jane.say("Hi, can I get a cleaning next week?")
        offered = [row["title"] for row in jane.rows]
        await jane.tap(jane.rows[1]["id"])
        context = await browser.new_context(viewport={"width": 1000, "height": 800})
        page = await context.new_page()
        await signed_in(clinic, page)

        # Search by last name, typed without the accent: the family's chart names are the title.
        await page.fill("input[name=q]", "garcia")
        await page.click("form.filters button")
        title = page.locator(".row .title")
        await title.first.wait_for(timeout=10_000)
        assert await title.all_inner_texts() == ["María, Mateo, Sofía García"]
        when = await page.locator(".row .right").first.inner_text()
        assert when.endswith(("AM", "PM")), f"a US practice's console reads the 12-hour clock, not {when!r}"
        await shot(page, "console-search-garcia.png")

        # A second tab watches the list; Jane asks for a person; the alert arrives there.
        watcher = await context.new_page()
        await watcher.goto(f"{clinic.base}/console/")
        await watcher.locator("#live").wait_for(timeout=10_000)
        await watcher.wait_for_timeout(300)  # its alert stream is open
        await jane.say("can I talk to a real person please")
        await watcher.locator("#alert-badge", has_text="1").wait_for(timeout=10_000)
        await watcher.locator("#alert-banner", has_text="asked for a person").wait_for(timeout=10_000)
        assert (await watcher.title()).startswith("(1) Needs a human")
        await watcher.locator(".row.urgent .title", has_text="Jane Smith").wait_for(timeout=10_000)
        await shot(watcher, "console-handoff-alert.png")
        [task] = await tasks_for(clinic, 1, 1)
        assert task["TaskListNum"] == 1 and "asked for a person" in task["Descript"]

        # Staff answer from the alert, under the transcript, which shows the list as Jane saw it and her tap.
        await watcher.click("#alert-banner a")
        listed = watcher.locator(".msg.assistant .choices.list .choice .t")
        await listed.first.wait_for(timeout=10_000)
        assert await listed.all_inner_texts() == offered
        assert await watcher.locator(".choice.tapped .t").inner_text() == offered[1]
        await watcher.locator(".msg.assistant", has=watcher.locator(".choices.list")).screenshot(
            path=str(SCREENSHOTS / "console-transcript-rows.png")
        )
        assert await watcher.locator(".msg.patient.tap").first.inner_text() != ""
        buttons = watcher.locator(".msg.assistant .choices:not(.list) .choice .t")
        assert "Yes, book it" in await buttons.all_inner_texts()
        await watcher.fill("textarea[name=text]", "Hi Jane, Maria here. Calling you in five minutes.")
        await watcher.click("#send")
        await watcher.locator("#notice", has_text="Sent.").wait_for(timeout=10_000)
        await shot(watcher, "console-staff-reply.png")
        [commlog] = await commlogs_with(clinic, 1, "Calling you in five minutes", 1)
        assert commlog["SentOrReceived"] == "Sent" and "staff maria replied on WhatsApp" in commlog["Note"]
        await context.close()


async def test_the_dashboard_and_its_csv(browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
    async with open_clinic(handoff()) as clinic:
        await clinic.app[CONSOLE_KEY].accounts.add("maria", PASSWORD, Role.OPERATOR, [PRACTICE_ID])
        await book_a_cleaning(clinic, JANE)
        await clinic.patient(GARCIA).say("Hola, quiero hablar con una persona por favor")
        # Meta's statuses: two replies charged as utility ($0.004 each in the demo), one as service (no rate).
        outbox, at = clinic.app[PIPELINE_KEY].outbox, int(time.time())
        for sent, category in zip(clinic.fake.sent[:3], ("utility", "utility", "service"), strict=True):
            await outbox.apply_status(StatusEvent(practice_id=PRACTICE_ID, wamid=sent.wamid, status="delivered", timestamp=at, billable=True, category=category))  # fmt: skip
        page = await browser.new_page(viewport={"width": 1000, "height": 900})
        await signed_in(clinic, page)
        await page.click("a[href='/console/dashboard']")
        await page.locator("#figures").wait_for(timeout=10_000)
        figures = {
            name: await page.locator(f"#f-{name}").inner_text()
            for name in ("conversations", "booked", "cancelled", "alone")
        }
        assert figures == {"conversations": "2", "booked": "1", "cancelled": "0", "alone": "50%"}
        assert await page.locator("svg.plot").count() == 3
        cost = await page.locator("#f-whatsapp-cost").inner_text()
        assert cost == "$0.008", f"the WhatsApp cost is money in the practice's currency, not {cost!r}"
        assert await page.locator("#whatsapp tbody tr").all_inner_texts() == [
            "utility\t2\t$0.008",
            "service\t1\t1 without a rate (whatsapp.rates.service)",
        ]
        await shot(page, "console-dashboard.png")
        async with page.expect_download() as download:
            await page.click("#csv")
        saved = SCREENSHOTS / "dashboard.csv"
        await (await download.value).save_as(saved)
        rows = saved.read_text().splitlines()
        assert rows[0].startswith("practice,Bright Smile Dental") and rows[1].startswith("date,conversations")
        assert rows[-1].split(",")[1:3] == ["2", "1"]
        assert rows[-1].split(",")[-4:] == ["3", "0.008", "USD", "1"]
        await page.close()


async def test_the_reminders_page_and_its_call_list(
    browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")
    async with open_clinic(handoff()) as clinic:
        console = clinic.app[CONSOLE_KEY]
        await console.accounts.add("maria", PASSWORD, Role.OPERATOR, [PRACTICE_ID])
        await clinic.patient(JANE).say("Hi, can I get a cleaning next week?")
        assert console.optouts is not None
        await console.optouts.stop(PRACTICE_ID, JANE, conversation_of(clinic, JANE))
        await seed(clinic)
        page = await browser.new_page(viewport={"width": 1000, "height": 900})
        await signed_in(clinic, page)
        await page.click("a[href='/console/reminders']")
        await page.locator("#reminder-figures").wait_for(timeout=10_000)
        for _ in range(60):  # the patient sync names the charts
            if "Jane Smith" in await page.locator("#calls").inner_text():
                break
            await page.wait_for_timeout(500)
            await page.reload()
        rows = await page.locator("#calls tbody tr").all_inner_texts()
        assert len(rows) == 3 and "Jane Smith" in rows[0] and "sent, no answer" in rows[0], rows
        assert "PatNum 99999" in rows[1] and "skipped: no mobile number" in rows[1]
        assert await page.locator("#r-sent").inner_text() == "7"
        assert await page.locator("#optouts tbody tr a").inner_text() == "Jane Smith"
        await shot(page, "console-reminders.png")
        await page.close()
