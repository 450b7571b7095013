"""Reminders through the whole product: staff make a visit in the Open Dental sandbox, the book sync and the
scheduler send its reminder over the WhatsApp sandbox, and the patient's taps write back to Open Dental."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any

import httpx
from redis.asyncio import Redis

from bot.alerts import Alert
from bot.keys import ALERTS_KEY, CONSOLE_KEY
from bot.practices import ReminderSettings, load_practices
from bot.sandbox.whatsapp import SentMessage
from tests.flows.test_conversations import PRACTICE_ID, ROOT, Clinic, open_clinic

DEMO = load_practices(ROOT / "od_adapter/sandbox/data/demo_practices.toml").practices[0]
FAST = {
    "BOOK_SYNC_SECONDS": 0.3,
    "PATIENT_SYNC_SECONDS": 0.5,
    "REMINDER_TICK_SECONDS": 0.2,
    "REMINDERS": True,
}


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    """Tomorrow in the demo practice's zone, as Open Dental keeps its times (naive, local)."""
    return datetime.combine(datetime.now(DEMO.zone).date() + timedelta(days=1), clock_time(hour, minute))


@contextlib.asynccontextmanager
async def reminding_clinic(redis_server: str, **rules: Any) -> AsyncIterator[Clinic]:
    async with open_clinic(practice_update={"reminders": _rules(**rules)}, REDIS_URL=redis_server, **FAST) as clinic:  # fmt: skip
        yield clinic


def _rules(**changes: Any) -> ReminderSettings:
    """The demo's reminders (any hour, visits made from now on) without its showcase patients."""
    return DEMO.reminders.model_copy(update={"showcase_patients": [], **changes})


async def arrives(clinic: Clinic, phone: str, count: int = 1, within: float = 60.0) -> list[SentMessage]:
    deadline = time.monotonic() + within
    while True:
        sent = [m for m in clinic.fake.sent if m.to == phone]
        if len(sent) >= count:
            await asyncio.sleep(0.2)
            return [m for m in clinic.fake.sent if m.to == phone]
        assert time.monotonic() < deadline, f"{count} messages did not reach {phone} (got {len(sent)})"
        await asyncio.sleep(0.1)


async def until(done: Callable[[], Awaitable[bool]], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not await done():
        assert time.monotonic() < deadline, "it did not happen in time"
        await asyncio.sleep(0.2)


async def tap(clinic: Clinic, phone: str, payload: str = "", text: str = "") -> None:
    body = {"from": phone, "phone_number_id": PRACTICE_ID, "button_payload": payload, "button_text": text}
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{clinic.base}/sandbox/whatsapp/inbound", json={k: v for k, v in body.items() if v}
        )
    assert response.json()["webhook_status"] == 200


def payloads(message: SentMessage) -> list[str]:
    return [
        c["parameters"][0]["payload"] for c in message.body["template"]["components"] if c["type"] == "button"
    ]


def words(message: SentMessage) -> str:
    body = message.body
    if body["type"] == "text":
        return str(body["text"]["body"])
    if body["type"] == "interactive":
        return str(body["interactive"]["body"]["text"])
    return " | ".join(p["text"] for c in body["template"]["components"] if c["type"] == "body" for p in c["parameters"])  # fmt: skip


async def book(clinic: Clinic, pat_num: int, when: datetime) -> int:
    visit = {"PatNum": pat_num, "Op": 1, "ProvNum": 1, "AptDateTime": f"{when:%Y-%m-%d %H:%M:%S}", "Pattern": "//XX//"}  # fmt: skip
    response = await clinic.od.post("appointments", json=visit)
    assert response.status_code == 201, response.text
    return int(response.json()["AptNum"])


async def requests_since(clinic: Clinic, mark: int) -> list[str]:
    """The Open Dental requests made after the `mark`-th, as "METHOD path"."""
    async with httpx.AsyncClient() as client:
        rows = (await client.get(f"{clinic.base}/sandbox/od/_admin/requests")).json()
    return [f"{r['method']} {r['path']}" for r in rows[mark:]]


async def request_count(clinic: Clinic) -> int:
    async with httpx.AsyncClient() as client:
        return len((await client.get(f"{clinic.base}/sandbox/od/_admin/requests")).json())


async def _confirm_writes_back(clinic: Clinic) -> None:
    pat, apt = await clinic.new_patient_with_visit("Nora", "503-555-8101", tomorrow_at(11))
    [reminder] = await arrives(clinic, "15035558101")
    template = reminder.body["template"]
    assert (template["name"], template["language"]["code"]) == ("appointment_confirm", "en_US")
    assert words(reminder).startswith("Nora | ") and "Dr. Miller" in words(reminder)
    assert [p.rsplit(":", 1)[1] for p in payloads(reminder)] == ["confirm", "change", "cancel"]
    visit = (await clinic.od.get(f"appointments/{apt}")).json()
    for _ in range(50):  # the "Sent" status goes through the write queue
        if (visit := (await clinic.od.get(f"appointments/{apt}")).json())["confirmed"] != "Not Called":
            break
        await asyncio.sleep(0.1)
    assert visit["confirmed"] == "eConfirmSent", "Open Dental's own texting sees the reminder went"
    mark = await request_count(clinic)
    await tap(clinic, "15035558101", text="Confirm")  # the tap carries the payload of that template
    [*_, answer] = await arrives(clinic, "15035558101", 2)
    assert words(answer).startswith("Thank you! Your appointment on")
    assert (await clinic.od.get(f"appointments/{apt}")).json()["confirmed"] == "Confirmed"
    notes = [c["Note"] for c in await clinic.commlogs_of(pat)]
    assert any(n.startswith("Patient confirmed by WhatsApp") for n in notes)
    await asyncio.sleep(1.0)  # the commlog drains
    writes = [r for r in await requests_since(clinic, mark) if not r.startswith("GET")]
    assert writes == [f"PUT appointments/{apt}/Confirm", "POST commlogs"], "two requests per confirmation"
    # The dashboard's figures: the confirm request went, and the visit was confirmed through WhatsApp.
    today = datetime.now(DEMO.zone).date()
    period = await clinic.app[CONSOLE_KEY].figures.period(PRACTICE_ID, today, today)
    assert period.total("reminder_confirm_requests") == 1 and period.total("reminders_confirmed") == 1


async def _change_cancel_and_a_stale_tap(clinic: Clinic) -> None:
    _, moving = await clinic.new_patient_with_visit("Omar", "503-555-8102", tomorrow_at(9))
    _, going = await clinic.new_patient_with_visit("Pia", "503-555-8103", tomorrow_at(14), language="spa")
    [omar] = await arrives(clinic, "15035558102")
    [pia] = await arrives(clinic, "15035558103")
    assert pia.body["template"]["language"]["code"] == "es_MX"
    await tap(clinic, "15035558102", payloads(omar)[1], "Change")
    [*_, offer] = await arrives(clinic, "15035558102", 2)
    assert words(offer).startswith("Your appointment is on") and offer.body["interactive"]["type"] == "list"
    await tap(clinic, "15035558103", payloads(pia)[2], "Cancelar")
    [*_, question] = await arrives(clinic, "15035558103", 2)
    assert words(question).startswith("¿Cancelo tu cita")
    assert (await clinic.od.get(f"appointments/{going}")).json()["AptStatus"] == "Scheduled", (
        "only after the yes"
    )
    # Staff move Omar's visit: his old Confirm now names a time that no longer holds.
    later = tomorrow_at(16)
    await clinic.od.put(f"appointments/{moving}", json={"AptDateTime": f"{later:%Y-%m-%d %H:%M:%S}"})
    before = len([m for m in clinic.fake.sent if m.to == "15035558102"])
    # The sync sees the move and re-plans: the new time's confirm request goes (the window is open).
    [*_, again] = await arrives(clinic, "15035558102", before + 1)
    assert "4:00" in words(again)
    await tap(clinic, "15035558102", payloads(omar)[0], "Confirm")
    [*_, stale] = await arrives(clinic, "15035558102", before + 2)
    assert words(stale).startswith("That visit changed: it is now on"), words(stale)
    assert (await clinic.od.get(f"appointments/{moving}")).json()["confirmed"] != "Confirmed"


async def _stop_and_start(clinic: Clinic) -> None:
    pat, _ = await clinic.new_patient_with_visit("Quinn", "503-555-8104", tomorrow_at(10))
    await arrives(clinic, "15035558104")
    stop = await clinic.patient("15035558104").say("STOP")
    assert stop.startswith("Done: Bright Smile Dental will send you no more reminders here")
    await asyncio.sleep(1.0)
    assert any("wrote STOP on WhatsApp" in c["Note"] for c in await clinic.commlogs_of(pat))
    await book(clinic, pat, tomorrow_at(15))
    await asyncio.sleep(2.5)
    assert len([m for m in clinic.fake.sent if m.to == "15035558104"]) == 2, "no reminder after STOP"
    assert (await clinic.patient("15035558104").say("start")).startswith("Done: Bright Smile Dental will send you reminders")  # fmt: skip


async def test_send_errors_131047_131026_and_a_paused_template(
    od_keys: None, redis_server: str, redis: Redis
) -> None:
    async with reminding_clinic(redis_server) as clinic:
        # 131047 after the send: the patient wrote (our record has the window open), but Meta's window closed.
        rosa = clinic.patient("15035558105")
        pat, _ = await clinic.new_patient_with_visit("Rosa", "503-555-8105", tomorrow_at(12))
        await arrives(clinic, "15035558105")
        await rosa.say("hi")
        clinic.fake.enforce_window = True
        clinic.fake.opened_window("15035558105", time.time() - 25 * 3600)
        await book(clinic, pat, tomorrow_at(17))
        sent = await arrives(clinic, "15035558105", 4)
        kinds = [(m.body["type"], m.error_code) for m in sent[-2:]]
        assert kinds == [("interactive", 131047), ("template", None)], "the template goes instead"
        # 131026: not on WhatsApp: staff are asked to call, and that number gets no more reminders.
        clinic.fake.next_errors.append(131026)
        pat, _ = await clinic.new_patient_with_visit("Sam", "503-555-8106", tomorrow_at(13))

        async def asked_to_call() -> bool:
            return any("please call them" in c["Note"] for c in await clinic.commlogs_of(pat))

        await until(asked_to_call)
        # A paused template: the operators hear of it.
        alerts: list[Alert] = []

        async def listen() -> None:
            async for alert in clinic.app[ALERTS_KEY].listen():
                alerts.append(alert)

        listening = asyncio.create_task(listen())
        await asyncio.sleep(0.1)
        clinic.fake.set_template_status("appointment_confirm", "en_US", "PAUSED")
        await clinic.new_patient_with_visit("Tess", "503-555-8107", tomorrow_at(15))

        async def alerted() -> bool:
            return bool(alerts)

        await until(alerted)
        listening.cancel()
        assert [a.reason for a in alerts] == ["template_paused"]


async def _template_languages(clinic: Clinic) -> None:
    for n, (language, code) in enumerate([("hin", "hi"), ("fra", "fr")]):
        await clinic.new_patient_with_visit(f"Uma{n}", f"503-555-812{n}", tomorrow_at(10), language=language)
        [reminder] = await arrives(clinic, f"1503555812{n}")
        assert reminder.body["template"]["language"]["code"] == code


async def test_reminders_through_the_product(od_keys: None, redis_server: str, redis: Redis) -> None:
    """One clinic (starting one takes a while), several patients one after the other:
    - a visit staff make brings its reminder, and the Confirm tap writes back in two requests;
    - Change and Cancel lead into their conversations, and a stale tap changes nothing;
    - STOP stops the next reminders with a commlog, START resumes them;
    - each patient's template is in their language."""
    async with reminding_clinic(redis_server) as clinic:
        await _confirm_writes_back(clinic)
        await _change_cancel_and_a_stale_tap(clinic)
        await _stop_and_start(clinic)
        await _template_languages(clinic)
