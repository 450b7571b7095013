"""Refill through the whole product: staff break a visit through the Open Dental sandbox's API, the book sync and
the refill scheduler offer the freed time to a fitting ASAP patient on the WhatsApp sandbox, the patient taps
Yes, and Open Dental shows their visit moved there (a second patient's Yes hears it was just taken); the
dashboard counts it refilled and the console lists the opening with its offers and outcome."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
from redis.asyncio import Redis

from bot.console.accounts import Role
from bot.keys import CONSOLE_KEY, CONVERSATION_KEY
from bot.practices import RefillSettings
from bot.sandbox.whatsapp import SentMessage
from od_adapter import Preferences
from tests.bot.test_console import PASSWORD, browser, sign_in
from tests.flows.test_conversations import PRACTICE_ID, Clinic, open_clinic
from tests.reminders.test_whole_stack import DEMO, FAST, _rules, arrives, tap, words

RULES = RefillSettings(enabled=True, batch_size=3, asap_every_seconds=5, template=DEMO.refill.template)


async def asap_cleaning(clinic: Clinic, first: str, phone: str, when: datetime) -> tuple[int, int]:
    patient = (await clinic.od.post("patients", json={"LName": "Waiting", "FName": first, "WirelessPhone": phone, "PriProv": 1})).json()  # fmt: skip
    visit = {"PatNum": patient["PatNum"], "Op": 3, "ProvNum": 1, "ProvHyg": 3, "IsHygiene": "true", "AptDateTime": f"{when:%Y-%m-%d %H:%M:%S}", "Pattern": "X" * 12, "AppointmentTypeNum": 2, "Priority": "ASAP"}  # fmt: skip
    response = await clinic.od.post("appointments", json=visit)
    assert response.status_code == 201, response.text
    return patient["PatNum"], response.json()["AptNum"]


async def test_staff_break_a_visit_the_asap_patient_taps_yes_and_open_dental_shows_the_move(
    od_keys: None, redis_server: str, redis: Redis
) -> None:
    """(`redis` flushes the server: the ledger entries other tests sealed with their own keys are gone.)"""
    update = {"reminders": _rules(enabled=False), "refill": RULES}
    async with open_clinic(practice_update=update, REDIS_URL=redis_server, **FAST) as clinic:
        for waiting in (await clinic.od.get("appointments/ASAP")).json():  # only this test's patients wait
            await clinic.od.put(f"appointments/{waiting['AptNum']}", json={"Priority": "Normal"})
        today = datetime.now(DEMO.zone).date()
        book = clinic.app[CONVERSATION_KEY].practices[PRACTICE_ID].office.appointments
        soon = await book.find_options("cleaning", Preferences(start=today + timedelta(days=1), end=today + timedelta(days=7)))  # fmt: skip
        freed_at = next(o.start for o in soon if o.start.hour >= 12)
        far = Preferences(start=today + timedelta(days=25), end=today + timedelta(days=40))
        later = [o.start for o in await book.find_options("cleaning", far)]
        _, staffs = await asap_cleaning(clinic, "Kept", "503-555-8200", freed_at)
        await clinic.od.put(f"appointments/{staffs}", json={"Priority": "Normal"})
        ana_pat, ana_visit = await asap_cleaning(clinic, "Ana", "503-555-8201", later[0])
        ben_pat, ben_visit = await asap_cleaning(clinic, "Ben", "503-555-8202", later[-1])
        office = clinic.app[CONVERSATION_KEY].practices[PRACTICE_ID].office
        assert office.directory is not None
        for _ in range(300):  # the book sync has the visit and the patient sync the waiting patients' charts
            held = await book.cache.appointment(staffs)
            charts = [await office.directory.chart(p) for p in (ana_pat, ben_pat)]
            if held is not None and all(charts):
                break
            await asyncio.sleep(0.1)
        response = await clinic.od.put(f"appointments/{staffs}/Break", json={"sendToUnscheduledList": "true"})
        assert response.status_code == 200, response.text
        [ben] = await arrives(clinic, "15035558202", within=60)
        [ana] = await arrives(clinic, "15035558201", within=30)
        assert "Ben" in words(ben) and f"{freed_at:%-I:%M}" in words(ben)
        await answer(clinic, "15035558202", ben, "yes")
        [*_, done] = await arrives(clinic, "15035558202", 2)
        assert words(done).startswith("Done: your appointment is now on")
        moved = (await clinic.od.get(f"appointments/{ben_visit}")).json()
        assert (moved["AptDateTime"], moved["Op"]) == (f"{freed_at:%Y-%m-%d %H:%M:%S}", 3)
        await answer(clinic, "15035558201", ana, "yes")
        [*_, late] = await arrives(clinic, "15035558201", 2)
        assert words(late).startswith("Sorry, someone else just took that time")
        kept = (await clinic.od.get(f"appointments/{ana_visit}")).json()
        assert kept["AptDateTime"] == f"{later[0]:%Y-%m-%d %H:%M:%S}"
        handler = clinic.app[CONVERSATION_KEY]
        period = await handler.figures.period(PRACTICE_ID, today, today + timedelta(days=1))
        assert period.total("refilled") == 1, "the dashboard counts the freed time refilled"
        await clinic.app[CONSOLE_KEY].accounts.add("maria", PASSWORD, Role.OPERATOR, [PRACTICE_ID])
        async with browser(clinic) as client:
            await sign_in(client, "maria")
            page = (await client.get("/openings")).text
        assert f"{freed_at:%a %d %b %H:%M}" in page and "unscheduled" in page
        assert f"filled by PatNum {moved['PatNum']}" in page and ": taken" in page and ": accepted" in page


async def answer(clinic: Clinic, phone: str, offer: SentMessage, choice: str) -> None:
    """Tap the offer's Yes or No: the template's quick reply, or the interactive message's button."""
    body = offer.body
    if body["type"] == "template":
        ids = [c["parameters"][0]["payload"] for c in body["template"]["components"] if c["type"] == "button"]
        await tap(clinic, phone, next(i for i in ids if i.endswith(f":{choice}")))
        return
    ids = [b["reply"]["id"] for b in body["interactive"]["action"]["buttons"]]
    async with httpx.AsyncClient(timeout=30) as client:
        sent = {"from": phone, "phone_number_id": PRACTICE_ID, "button_id": next(i for i in ids if i.endswith(f":{choice}"))}  # fmt: skip
        response = await client.post(f"{clinic.base}/sandbox/whatsapp/inbound", json=sent)
    assert response.json()["webhook_status"] == 200
