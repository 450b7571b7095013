"""The WhatsApp sandbox as a WhatsApp Business Account: approved templates and Meta's refusals of a template
send, the 24-hour customer-service window (131047, reported asynchronously), and taps on a template's
quick-reply buttons, all over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.keys import GRAPH_FAKE_KEY
from bot.queue.turns import Turn, TurnResult
from bot.sandbox.demo import create_demo_app
from bot.sandbox.whatsapp import GraphFake, add_whatsapp_sandbox
from bot.settings import Settings
from bot.whatsapp import messages
from bot.whatsapp.events import InboundMessage
from bot.whatsapp.webhook import SIGNATURE_HEADER, sign
from tests.conftest import free_port
from tests.fakes.echo import EchoHandler

SECRET = "templates-test-secret"
PNID = "100000000000001"
JANE = "15035551234"
REMINDER_BODY = "Hi {{1}}, a reminder of your visit on {{2}} at {{3}} with {{4}}. Can you make it?"


@dataclass
class Sandbox:
    base: str
    fake: GraphFake
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    """What the sandbox posted to `/webhook/whatsapp`, signature checked."""

    async def send(self, body: dict[str, Any]) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(
                f"{self.base}/sandbox/graph/v25.0/{PNID}/messages",
                json=body,
                headers={"Authorization": "Bearer sandbox"},
            )

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(f"{self.base}{path}", json=body)

    def statuses(self) -> list[dict[str, Any]]:
        return [s for w in self.webhooks for s in w["entry"][0]["changes"][0]["value"].get("statuses", [])]

    def messages(self) -> list[dict[str, Any]]:
        return [m for w in self.webhooks for m in w["entry"][0]["changes"][0]["value"].get("messages", [])]


async def open_sandbox(*, enforce_window: bool) -> AsyncIterator[Sandbox]:
    app = web.Application()
    fake = add_whatsapp_sandbox(app, SECRET, enforce_window=enforce_window)
    fake.failure_delay = 0.01
    port = free_port()
    sandbox = Sandbox(f"http://127.0.0.1:{port}", fake)

    async def webhook(request: web.Request) -> web.Response:
        raw = await request.read()
        assert request.headers[SIGNATURE_HEADER] == sign(SECRET, raw)
        sandbox.webhooks.append(json.loads(raw))
        return web.Response(text="ok")

    app.router.add_post("/webhook/whatsapp", webhook)
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield sandbox
    finally:
        await server.close()


@pytest.fixture(name="sandbox")
async def fixture_sandbox() -> AsyncIterator[Sandbox]:
    async for sandbox in open_sandbox(enforce_window=False):
        yield sandbox


@pytest.fixture(name="strict")
async def fixture_strict() -> AsyncIterator[Sandbox]:
    """The sandbox as the demo runs it: free-form messages only inside the 24-hour window."""
    async for sandbox in open_sandbox(enforce_window=True):
        yield sandbox


async def eventually(check: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.02)


def reminder(
    parameters: list[str] | None = None, buttons: list[str] | None = None, language: str = "en_US"
) -> dict[str, Any]:
    return messages.template(
        "+" + JANE,
        "appointment_reminder",
        language,
        ["Jane", "Tuesday", "2:00 PM", "Dr. Miller"] if parameters is None else parameters,
        ["confirm:42", "change:42", "cancel:42"] if buttons is None else buttons,
    )


def approve_reminder(fake: GraphFake) -> None:
    fake.approve("appointment_reminder", "en_US", REMINDER_BODY, ["Confirm", "Change", "Cancel"])


# -- the builder ------------------------------------------------------------------------------------------------


def test_a_template_carries_its_quick_reply_payloads_as_meta_wants_them() -> None:
    body = reminder()
    components = body["template"]["components"]
    assert components[0]["type"] == "body" and len(components[0]["parameters"]) == 4
    assert components[1:] == [
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": str(i),
            "parameters": [{"type": "payload", "payload": p}],
        }
        for i, p in enumerate(["confirm:42", "change:42", "cancel:42"])
    ]
    assert "components" not in messages.template("+1", "follow_up", "en_US")["template"]
    only_buttons = messages.template("+1", "t", "en", buttons=["yes"])["template"]["components"]
    assert [c["type"] for c in only_buttons] == ["button"]


def test_a_payload_meta_would_not_take_is_refused_not_cut() -> None:
    messages.template("+1", "t", "en", buttons=["x" * messages.PAYLOAD_MAX])
    with pytest.raises(ValueError, match="payloads"):
        messages.template("+1", "t", "en", buttons=["x" * (messages.PAYLOAD_MAX + 1)])
    with pytest.raises(ValueError, match="payloads"):
        messages.template("+1", "t", "en", buttons=[""])
    with pytest.raises(ValueError, match="at most 10"):
        messages.template("+1", "t", "en", buttons=[str(i) for i in range(11)])


# -- the registry and Meta's refusals ---------------------------------------------------------------------------


async def test_templates_register_over_http_and_list(sandbox: Sandbox) -> None:
    posted = await sandbox.post(
        "/sandbox/whatsapp/templates",
        {"name": "appointment_reminder", "language": "es", "body": "Hola {{1}}", "buttons": ["Confirmar"]},
    )
    assert posted.status_code == 201
    assert posted.json() == {"name": "appointment_reminder", "language": "es", "body": "Hola {{1}}", "buttons": ["Confirmar"], "category": "utility", "status": "APPROVED"}  # fmt: skip
    skipped = await sandbox.post(
        "/sandbox/whatsapp/templates", {"name": "bad", "language": "en", "body": "Hi {{2}}"}
    )
    assert skipped.status_code == 400 and "{{1}}" in skipped.json()["error"]
    async with httpx.AsyncClient() as client:
        listed = (await client.get(f"{sandbox.base}/sandbox/whatsapp/templates")).json()
    assert [(t["name"], t["language"]) for t in listed] == [("appointment_reminder", "es")]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (reminder(), 0),
        (messages.template("+" + JANE, "no_such_template", "en_US", ["Jane"]), 132001),
        (reminder(language="fr"), 132001),
        (reminder(parameters=["Jane", "Tuesday"]), 132000),
        (reminder(parameters=[]), 132000),
        (reminder(buttons=["a", "b", "c", "d"]), 131009),
        (reminder(buttons=[]), 0),  # no payloads: a tap sends the button's text, as Meta does
    ],
)
async def test_a_template_send_is_refused_like_meta(
    sandbox: Sandbox, body: dict[str, Any], code: int
) -> None:
    approve_reminder(sandbox.fake)
    response = await sandbox.send(body)
    if code == 0:
        assert response.status_code == 200 and response.json()["messages"][0]["id"].startswith("wamid.")
        assert sandbox.fake.sent[-1].body == body and sandbox.fake.sent[-1].category == "utility"
    else:
        assert response.status_code == 400 and response.json()["error"]["code"] == code
        assert sandbox.fake.sent == []


@pytest.mark.parametrize(("status", "code"), [("PAUSED", 132015), ("DISABLED", 132016), ("PENDING", 132001)])
async def test_a_paused_or_disabled_template_is_refused(sandbox: Sandbox, status: Any, code: int) -> None:
    approve_reminder(sandbox.fake)
    sandbox.fake.set_template_status("appointment_reminder", "en_US", status)
    refused = await sandbox.send(reminder())
    assert refused.json()["error"]["code"] == code
    sandbox.fake.set_template_status("appointment_reminder", "en_US", "APPROVED")
    assert (await sandbox.send(reminder())).status_code == 200


async def test_a_template_status_webhook_is_billed_in_its_category(sandbox: Sandbox) -> None:
    approve_reminder(sandbox.fake)
    sandbox.fake.approve("recall", "en_US", "Time for your check-up, {{1}}!", category="marketing")
    reminded = (await sandbox.send(reminder())).json()["messages"][0]["id"]
    recalled = await sandbox.send(messages.template("+" + JANE, "recall", "en_US", ["Jane"]))
    recalled_id = recalled.json()["messages"][0]["id"]
    sandbox.fake.opened_window(JANE)
    text = (await sandbox.send(messages.text("+" + JANE, "See you then"))).json()["messages"][0]["id"]
    for wamid in (reminded, recalled_id, text):
        assert (await sandbox.post("/sandbox/whatsapp/status", {"wamid": wamid})).status_code == 200
    pricing = {s["id"]: s["pricing"] for s in sandbox.statuses()}
    assert pricing[reminded] == {
        "billable": True,
        "pricing_model": "PMP",
        "type": "regular",
        "category": "utility",
    }
    assert pricing[recalled_id] == {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "marketing"}  # fmt: skip
    assert pricing[text] == {"billable": False, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"}  # fmt: skip


# -- the 24-hour window -----------------------------------------------------------------------------------------


async def test_outside_the_window_free_form_fails_later_with_131047(strict: Sandbox) -> None:
    accepted = await strict.send(messages.text("+" + JANE, "Your visit is tomorrow"))
    assert accepted.status_code == 200  # Meta accepts it: the failure comes as a status
    wamid = accepted.json()["messages"][0]["id"]
    await eventually(lambda: strict.statuses())
    [failed] = strict.statuses()
    assert failed["id"] == wamid and failed["status"] == "failed" and failed["recipient_id"] == JANE
    assert (
        failed["errors"][0]["code"] == 131047 and "24 hours" in failed["errors"][0]["error_data"]["details"]
    )
    assert "pricing" not in failed
    assert strict.fake.sent[-1].error_code == 131047


async def test_a_message_from_the_patient_opens_the_window_for_24_hours(strict: Sandbox) -> None:
    said = await strict.post(
        "/sandbox/whatsapp/inbound", {"from": "+" + JANE, "phone_number_id": PNID, "text": "hi"}
    )
    assert said.status_code == 200
    buttons = messages.buttons("+" + JANE, "Shall I book it?", [("yes", "Yes"), ("no", "No")])
    for body in (messages.text("+" + JANE, "Hello!"), buttons):
        assert (await strict.send(body)).status_code == 200
    strict.fake.opened_window(JANE, time.time() - 24 * 3600 - 1)  # she last wrote just over a day ago
    await strict.send(messages.text("+" + JANE, "Still there?"))
    await eventually(lambda: strict.statuses())
    assert [s["status"] for s in strict.statuses()] == ["failed"]
    assert [m.error_code for m in strict.fake.sent] == [None, None, 131047]


async def test_templates_go_out_whatever_the_window(strict: Sandbox) -> None:
    approve_reminder(strict.fake)
    assert (await strict.send(reminder())).status_code == 200
    await asyncio.sleep(0.2)
    assert strict.statuses() == [] and strict.fake.sent[-1].error_code is None


async def test_without_enforcement_free_form_goes_to_anyone(sandbox: Sandbox) -> None:
    assert (await sandbox.send(messages.text("+" + JANE, "Hello"))).status_code == 200
    await asyncio.sleep(0.2)
    assert sandbox.statuses() == [] and sandbox.fake.sent[-1].error_code is None


# -- quick-reply taps -------------------------------------------------------------------------------------------


async def test_a_quick_reply_tap_is_metas_button_message_in_the_templates_context(sandbox: Sandbox) -> None:
    approve_reminder(sandbox.fake)
    wamid = (await sandbox.send(reminder())).json()["messages"][0]["id"]
    tapped = {"from": "+" + JANE, "phone_number_id": PNID}
    await sandbox.post(
        "/sandbox/whatsapp/inbound", tapped | {"button_payload": "change:42", "button_text": "Change"}
    )
    await sandbox.post("/sandbox/whatsapp/inbound", tapped | {"button_payload": "confirm:42"})
    await sandbox.post("/sandbox/whatsapp/inbound", tapped | {"button_text": "Cancel"})
    taps = sandbox.messages()
    assert [m["type"] for m in taps] == ["button"] * 3
    assert [m["button"] for m in taps] == [
        {"payload": "change:42", "text": "Change"},
        {"payload": "confirm:42", "text": "Confirm"},
        {"payload": "cancel:42", "text": "Cancel"},
    ]
    assert all(m["context"] == {"from": PNID, "id": wamid} for m in taps)
    async with httpx.AsyncClient() as client:
        feed = (await client.get(f"{sandbox.base}/sandbox/whatsapp/outbox", params={"to": JANE})).json()
    assert feed[0]["template"] == {
        "text": "Hi Jane, a reminder of your visit on Tuesday at 2:00 PM with Dr. Miller. Can you make it?",
        "buttons": [
            {"title": "Confirm", "payload": "confirm:42"},
            {"title": "Change", "payload": "change:42"},
            {"title": "Cancel", "payload": "cancel:42"},
        ],
    }


# -- through the product's webhook ------------------------------------------------------------------------------


class Recording(EchoHandler):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[InboundMessage] = []

    async def __call__(self, turn: Turn) -> TurnResult:
        self.seen.extend(turn.messages)
        return await super().__call__(turn)


async def test_the_assistant_reads_a_tap_as_the_buttons_payload(od_keys: None) -> None:
    """A tap posted to the demo's sandbox reaches the assistant's webhook signed, is queued, and comes to the
    turn as an InboundMessage whose choice_id is the payload and whose context is the template."""
    from tests.bot.test_edge import PRACTICES

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = Settings(
        _env_file=None, INBOUND_DEBOUNCE_SECONDS=0.1, METRICS_ADDRESS="127.0.0.1:0"
    ).with_demo_defaults(base)
    handler = Recording()
    app = create_demo_app(config, PRACTICES, operator=None, handler=handler)  # the window enforced
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        sandbox = Sandbox(base, app[GRAPH_FAKE_KEY])
        approve_reminder(sandbox.fake)
        wamid = (await sandbox.send(reminder())).json()["messages"][0]["id"]
        tap = {
            "from": JANE,
            "phone_number_id": PNID,
            "button_payload": "confirm:42",
            "button_text": "Confirm",
        }
        assert (await sandbox.post("/sandbox/whatsapp/inbound", tap)).json()["webhook_status"] == 200
        await eventually(lambda: handler.seen, 15)
        [message] = handler.seen
        assert (message.type, message.choice_id, message.text) == ("button", "confirm:42", "Confirm")
        assert message.context_id == wamid and message.understood
        # The tap opened the window: the assistant's free-form answer goes out and does not fail.
        await eventually(lambda: len([m for m in sandbox.fake.sent if m.to == JANE]) == 2, 15)
        assert sandbox.fake.sent[-1].error_code is None
    finally:
        await server.close()


def test_the_terminal_chat_numbers_a_templates_quick_replies(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.sandbox.chat import show

    view = {"text": "Hi Jane, see you Tuesday?", "buttons": [{"title": "Confirm", "payload": "confirm:42"}]}
    assert show({"body": reminder(), "template": view}) == [("button_payload", "confirm:42")]
    assert show({"body": messages.template("+1", "recall", "en_US", ["Jane"])}) == []
    assert show({"body": messages.text("+1", "lost"), "error_code": 131047}) == []
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "bot> Hi Jane, see you Tuesday?",
        "     #1 Confirm",
        "bot> [recall] Jane",
        "bot> (not delivered: WhatsApp error 131047)",
    ]
