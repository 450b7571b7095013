"""The WhatsApp sandbox: a Graph API fake and a patient's side of the chat, for the demo and the tests.

- `POST /sandbox/graph/{version}/{phone_number_id}/messages` answers like Meta: a wamid per accepted message,
  Meta-shaped errors for invalid bodies and over-limit interactive messages, and errors injected on request.
  A read receipt (`"status": "read"`, optionally with `"typing_indicator": {"type": "text"}`) is checked for
  Meta's shape and answered `{"success": true}`, like Meta; it is not a message and gets no wamid.
- `GET /sandbox/whatsapp/outbox?to=` lists what was sent to a number; with `&typing=1` the typing indicators
  shown to it are listed too, in time order (see `outbox`).
- `POST /sandbox/whatsapp/inbound` turns `{"from", "text" | "button_id" | "list_id"}` into a real Cloud API
  webhook payload, signs it with the app secret and posts it to our own `/webhook/whatsapp`.
- `POST /sandbox/whatsapp/status` posts a status webhook (delivered, read, failed with a code) for a sent wamid.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from bot.keys import GRAPH_FAKE_KEY, WEBHOOK_SECRET_KEY
from bot.whatsapp import messages as limits
from bot.whatsapp.typing import META_TYPING_SECONDS
from bot.whatsapp.webhook import SIGNATURE_HEADER, sign

DEFAULT_WABA = "sandbox-waba"


@dataclass
class SentMessage:
    wamid: str
    phone_number_id: str
    to: str
    body: dict[str, Any]
    at: float


@dataclass(frozen=True)
class TypingShown:
    """A typing indicator the fake accepted: shown to `to` from `at` until a message to `to` or `at` + 25 s."""

    wamid: str
    """The patient's message it marked read."""
    to: str
    """The patient's number ("" for a message that did not come through `inbound`)."""
    at: float
    phone_number_id: str = ""


@dataclass
class GraphFake:
    """What the fake has been sent, and the errors it was told to answer with next."""

    sent: list[SentMessage] = field(default_factory=list)
    read_receipts: list[str] = field(default_factory=list)
    """The message ids marked read, with or without a typing indicator."""
    typing: list[TypingShown] = field(default_factory=list)
    next_errors: list[int] = field(default_factory=list)
    next_read_errors: list[int] = field(default_factory=list)
    """Error codes for the next read receipts and typing indicators (the sends' `next_errors` skip them)."""
    read_delay: float = 0.0
    """Seconds each read receipt or indicator takes to answer (a slow Graph API)."""
    senders: dict[str, str] = field(default_factory=dict)
    """Who wrote each message `inbound` delivered, so an indicator knows whose phone shows it."""
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def last_interactive(self, to: str) -> SentMessage | None:
        return next(
            (m for m in reversed(self.sent) if m.to == to and m.body.get("type") == "interactive"), None
        )


def add_whatsapp_sandbox(app: web.Application, app_secret: str) -> None:
    app[GRAPH_FAKE_KEY] = GraphFake()
    app[WEBHOOK_SECRET_KEY] = app_secret
    app.router.add_post("/sandbox/graph/{version}/{phone_number_id}/messages", graph_messages)
    app.router.add_get("/sandbox/whatsapp/outbox", outbox)
    app.router.add_post("/sandbox/whatsapp/inbound", inbound)
    app.router.add_post("/sandbox/whatsapp/status", status)
    app.router.add_post("/sandbox/whatsapp/fail-next", fail_next)


def _meta_error(code: int, details: str, http_status: int = 400) -> web.Response:
    error = {"message": f"(#{code}) {details}", "type": "OAuthException", "code": code, "error_data": {"messaging_product": "whatsapp", "details": details}, "fbtrace_id": uuid.uuid4().hex[:12]}  # fmt: skip
    return web.json_response({"error": error}, status=http_status)


def invalid(body: dict[str, Any]) -> str | None:
    """Why Meta would refuse this body, or None."""
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    kind = body.get("type")
    if kind == "text":
        text = (body.get("text") or {}).get("body", "")
        return None if 0 < len(text) <= limits.TEXT_MAX else "text body must be 1 to 4096 characters"
    if kind == "interactive":
        return _invalid_interactive(body.get("interactive") or {})
    if kind == "template":
        return None if (body.get("template") or {}).get("name") else "template name is required"
    return f"unsupported message type {kind!r}"


def _invalid_interactive(content: dict[str, Any]) -> str | None:
    if len((content.get("body") or {}).get("text", "")) > limits.BODY_MAX:
        return "body text is longer than 1024 characters"
    action = content.get("action") or {}
    if content.get("type") == "button":
        buttons = action.get("buttons") or []
        titles = [b.get("reply", {}).get("title", "") for b in buttons]
        if not 1 <= len(buttons) <= limits.BUTTONS_MAX:
            return "between 1 and 3 buttons are allowed"
        if any(not 0 < len(t) <= limits.BUTTON_TITLE_MAX for t in titles) or len(set(titles)) != len(titles):
            return "button titles must be unique and 1 to 20 characters"
        return None
    if content.get("type") == "list":
        rows = [row for section in action.get("sections") or [] for row in section.get("rows") or []]
        if not 1 <= len(rows) <= limits.ROWS_MAX:
            return "a list has 1 to 10 rows"
        if len(action.get("button", "")) > limits.LIST_BUTTON_MAX:
            return "the list button is longer than 20 characters"
        if any(len(r.get("title", "")) > limits.ROW_TITLE_MAX for r in rows):
            return "row titles are at most 24 characters"
        if any(len(r.get("description", "")) > limits.ROW_DESCRIPTION_MAX for r in rows):
            return "row descriptions are at most 72 characters"
        return None
    return "unsupported interactive type"


async def graph_messages(request: web.Request) -> web.Response:
    fake = request.app[GRAPH_FAKE_KEY]
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return _meta_error(190, "Invalid OAuth access token", 401)
    try:
        body = await request.json()
    except ValueError:
        return _meta_error(100, "Invalid JSON payload")
    if "status" in body:
        return await _mark_read(fake, body, request.match_info["phone_number_id"])
    if fake.next_errors:
        code = fake.next_errors.pop(0)
        return _meta_error(code, "injected by the sandbox", 500 if code in (1, 2, 131000) else 400)
    if reason := invalid(body):
        return _meta_error(131009, f"Parameter value is not valid: {reason}")
    wamid = f"wamid.SBX{next(fake._counter):08d}{uuid.uuid4().hex[:8]}"
    to = str(body.get("to", "")).lstrip("+")
    fake.sent.append(SentMessage(wamid, request.match_info["phone_number_id"], to, body, time.time()))
    return web.json_response(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body.get("to"), "wa_id": to}],
            "messages": [{"id": wamid}],
        }
    )


def invalid_read(body: dict[str, Any]) -> str | None:
    """Why Meta would refuse this read receipt (or typing indicator), or None."""
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    if body.get("status") != "read":
        return "status must be read"
    if not isinstance(body.get("message_id"), str) or not body["message_id"]:
        return "message_id is required"
    typing = body.get("typing_indicator")
    if typing is not None and typing != {"type": "text"}:
        return 'typing_indicator must be {"type": "text"}'
    return None


async def _mark_read(fake: GraphFake, body: dict[str, Any], phone_number_id: str) -> web.Response:
    """Mark read (and show typing) as Meta does; an unknown message_id is accepted, leniently."""
    if reason := invalid_read(body):
        return _meta_error(100, f"Invalid parameter: {reason}")
    if fake.read_delay:
        await asyncio.sleep(fake.read_delay)
    if fake.next_read_errors:
        code = fake.next_read_errors.pop(0)
        return _meta_error(code, "injected by the sandbox", 500 if code in (1, 2, 131000) else 400)
    wamid = body["message_id"]
    fake.read_receipts.append(wamid)
    if "typing_indicator" in body:
        fake.typing.append(TypingShown(wamid, fake.senders.get(wamid, ""), time.time(), phone_number_id))
    return web.json_response({"success": True})


async def outbox(request: web.Request) -> web.Response:
    """What was sent to `to` (everyone without it), oldest first, each `{"kind": "message", "wamid",
    "phone_number_id", "to", "body", "at"}`. With `typing=1` the typing indicators shown are interleaved by
    `at`, each `{"kind": "typing", "wamid" (the patient's message marked read), "phone_number_id", "to", "at",
    "until"}`: "typing…" shows from `at` until the next message to that number or `until`, whichever is first.
    Indicators are never messages: without `typing=1` the feed is the messages alone."""
    fake = request.app[GRAPH_FAKE_KEY]
    to = request.query.get("to", "").lstrip("+")
    items: list[dict[str, Any]] = [
        {"kind": "message", **m.__dict__} for m in fake.sent if not to or m.to == to
    ]
    if request.query.get("typing") in ("1", "true"):
        items += [
            {"kind": "typing", **t.__dict__, "until": t.at + META_TYPING_SECONDS}
            for t in fake.typing
            if not to or t.to == to
        ]
        items.sort(key=lambda item: float(item["at"]))
    return web.json_response(items)


async def fail_next(request: web.Request) -> web.Response:
    """Make the next sends fail with these Meta error codes, in order (`{"codes": [130429, 131056]}`)."""
    codes = (await request.json()).get("codes", [])
    request.app[GRAPH_FAKE_KEY].next_errors.extend(int(c) for c in codes)
    return web.json_response({"queued": len(codes)})


def inbound_payload(fake: GraphFake, request_body: dict[str, Any], wamid: str) -> dict[str, Any]:
    """A Cloud API webhook for one patient message, as Meta would deliver it."""
    sender = str(request_body["from"]).lstrip("+")
    phone_number_id = str(request_body.get("phone_number_id", ""))
    message: dict[str, Any] = {"from": sender, "id": wamid, "timestamp": str(int(time.time()))}
    if "text" in request_body:
        message |= {"type": "text", "text": {"body": str(request_body["text"])}}
    else:
        chosen = str(request_body.get("button_id") or request_body.get("list_id"))
        last = fake.last_interactive(sender)
        context_id = request_body.get("context_id") or (last.wamid if last else "")
        title = _title_of(last.body if last else {}, chosen)
        if "button_id" in request_body:
            message |= {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": chosen, "title": title}}}  # fmt: skip
        else:
            message |= {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": chosen, "title": title}}}  # fmt: skip
        message["context"] = {"from": phone_number_id, "id": context_id}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": phone_number_id, "phone_number_id": phone_number_id},
        "contacts": [
            {"profile": {"name": str(request_body.get("name", "Sandbox Patient"))}, "wa_id": sender}
        ],
        "messages": [message],
    }
    return {"object": "whatsapp_business_account", "entry": [{"id": DEFAULT_WABA, "changes": [{"field": "messages", "value": value}]}]}  # fmt: skip


def _title_of(body: dict[str, Any], choice_id: str) -> str:
    action = (body.get("interactive") or {}).get("action") or {}
    for button in action.get("buttons") or []:
        if button["reply"]["id"] == choice_id:
            return str(button["reply"]["title"])
    for section in action.get("sections") or []:
        for row in section.get("rows") or []:
            if row["id"] == choice_id:
                return str(row["title"])
    return choice_id


async def _post_webhook(request: web.Request, payload: dict[str, Any]) -> int:
    raw = json.dumps(payload, ensure_ascii=True).encode()  # Meta escapes non-ASCII, so do we
    headers = {
        SIGNATURE_HEADER: sign(request.app[WEBHOOK_SECRET_KEY], raw),
        "Content-Type": "application/json",
    }
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            str(request.url.with_path("/webhook/whatsapp").with_query(None)), content=raw, headers=headers
        )
    return response.status_code


async def inbound(request: web.Request) -> web.Response:
    body = await request.json()
    if "from" not in body or not any(k in body for k in ("text", "button_id", "list_id")):
        return web.json_response(
            {"error": 'give "from" and one of "text", "button_id", "list_id"'}, status=400
        )
    wamid = f"wamid.IN{uuid.uuid4().hex[:20]}"
    request.app[GRAPH_FAKE_KEY].senders[wamid] = str(body["from"]).lstrip("+")
    status_code = await _post_webhook(request, inbound_payload(request.app[GRAPH_FAKE_KEY], body, wamid))
    return web.json_response({"wamid": wamid, "webhook_status": status_code})


def status_payload(sent: SentMessage, status: str = "sent", error_code: int | None = None) -> dict[str, Any]:
    """A status webhook for a message we were sent, echoing its `biz_opaque_callback_data` as Meta does."""
    item: dict[str, Any] = {"id": sent.wamid, "status": status, "timestamp": str(int(time.time())), "recipient_id": sent.to}  # fmt: skip
    if callback := sent.body.get("biz_opaque_callback_data"):
        item["biz_opaque_callback_data"] = callback
    # Like Meta's per-message pricing: replies inside the service window are free, templates are billed.
    if status != "failed":
        template = sent.body.get("type") == "template"
        kind = "regular" if template else "free_customer_service"
        item["pricing"] = {"billable": template, "pricing_model": "PMP", "type": kind, "category": "utility" if template else "service"}  # fmt: skip
    if error_code:
        item["errors"] = [{"code": int(error_code), "title": "sandbox", "message": "sandbox", "error_data": {"details": "sandbox"}}]  # fmt: skip
    value = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": sent.phone_number_id, "phone_number_id": sent.phone_number_id}, "statuses": [item]}  # fmt: skip
    return {"object": "whatsapp_business_account", "entry": [{"id": DEFAULT_WABA, "changes": [{"field": "messages", "value": value}]}]}  # fmt: skip


async def status(request: web.Request) -> web.Response:
    """Deliver a status webhook for a message we sent: `{"wamid", "status", "error_code"?}`."""
    body = await request.json()
    sent = next((m for m in request.app[GRAPH_FAKE_KEY].sent if m.wamid == body.get("wamid")), None)
    if sent is None:
        return web.json_response({"error": "no such sent message"}, status=404)
    payload = status_payload(sent, body.get("status", "delivered"), body.get("error_code"))
    return web.json_response({"webhook_status": await _post_webhook(request, payload)})
