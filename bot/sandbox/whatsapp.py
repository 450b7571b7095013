"""The WhatsApp sandbox: a Graph API fake and a patient's side of the chat, for the demo and the tests.

- `POST /sandbox/graph/{version}/{phone_number_id}/messages` answers like Meta: a wamid per accepted message,
  Meta-shaped errors for invalid bodies and over-limit interactive messages, and errors injected on request.
  A read receipt (`"status": "read"`, optionally with `"typing_indicator": {"type": "text"}`) is checked for
  Meta's shape and answered `{"success": true}`, like Meta; it is not a message and gets no wamid.
  A template send is checked against the templates registered (see `bot.sandbox.templates`: 132001 unknown
  name or language, 132000 wrong number of body parameters, 131009 a button the template lacks, 132015 paused,
  132016 disabled). With `GraphFake.enforce_window` on (the demo), a free-form message (text, interactive) to a
  number that has not written in 24 hours is accepted with a wamid, then fails asynchronously, as Meta reports
  it: a `failed` status webhook with error 131047. Templates go out at any time.
- `GET /sandbox/whatsapp/outbox?to=` lists what was sent to a number; with `&typing=1` the typing indicators
  shown to it are listed too, in time order (see `outbox`).
- `POST /sandbox/whatsapp/inbound` turns `{"from", "text" | "button_id" | "list_id"}` into a real Cloud API
  webhook payload, signs it with the app secret and posts it to our own `/webhook/whatsapp`; it opens (renews)
  the number's 24-hour window. `{"from", "button_payload", "button_text"}` (either one is enough) is a tap on
  a template's quick-reply button: Meta's `type: "button"` message, `"button": {"payload", "text"}`, whose
  `context` names the last template sent to that number (or `context_id`). A missing `button_text` is the
  title of the button the payload belongs to; a missing `button_payload` is that button's payload (its text
  when the send gave none, as Meta does).
- `POST /sandbox/whatsapp/templates` registers a template like an approved one on the account (`{"name",
  "language", "body", "buttons", "category", "status"}`; again to change it), `GET /sandbox/whatsapp/templates`
  lists them.
- `POST /sandbox/whatsapp/status` posts a status webhook (delivered, read, failed with a code) for a sent wamid.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from bot.keys import GRAPH_FAKE_KEY, WEBHOOK_SECRET_KEY
from bot.sandbox.templates import (
    Category,
    Template,
    TemplateStatus,
    refusal,
    tap,
    view,
)
from bot.whatsapp import messages as limits
from bot.whatsapp.typing import META_TYPING_SECONDS
from bot.whatsapp.webhook import SIGNATURE_HEADER, sign

logger = logging.getLogger(__name__)

DEFAULT_WABA = "sandbox-waba"
WINDOW_SECONDS = 24 * 3600
"""Meta's customer-service window: free-form messages only within 24 hours of the patient's last message."""
ERROR_TITLES = {
    131047: (
        "Re-engagement message",
        "More than 24 hours have passed since the recipient last replied to the sender number.",
    ),
}


@dataclass
class SentMessage:
    wamid: str
    phone_number_id: str
    to: str
    body: dict[str, Any]
    at: float
    category: str = "service"
    """Meta's pricing category: "service" for free-form messages, the template's category for a template."""
    error_code: int | None = None
    """Set when Meta accepted the message and then reported it failed (131047: the window was closed)."""


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
    templates: dict[tuple[str, str], Template] = field(default_factory=dict)
    """The account's templates by (name, language code)."""
    windows: dict[str, float] = field(default_factory=dict)
    """When each number last wrote (through `inbound`, or `opened_window`): its 24-hour window."""
    enforce_window: bool = False
    """Fail free-form messages outside the window with 131047, as Meta does. Off unless asked for (the demo
    turns it on): tests that post webhooks straight to the product never open a window through the fake."""
    failure_delay: float = 0.2
    """Seconds between accepting a message and reporting it failed (Meta reports 131047 asynchronously)."""
    clock: Callable[[], float] = time.time
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def last_interactive(self, to: str) -> SentMessage | None:
        return next(
            (m for m in reversed(self.sent) if m.to == to and m.body.get("type") == "interactive"), None
        )

    def last_template(self, to: str) -> SentMessage | None:
        return next((m for m in reversed(self.sent) if m.to == to and m.body.get("type") == "template"), None)

    def approve(
        self,
        name: str,
        language: str,
        body: str,
        buttons: list[str] | tuple[str, ...] = (),
        category: Category = "utility",
        status: TemplateStatus = "APPROVED",
    ) -> Template:
        """Register a template as approved on the account (or replace it); ValueError for one Meta would not
        accept (placeholders not {{1}}..{{n}}, over ten buttons, a button text over 25 characters)."""
        template = Template(name, language, body, tuple(buttons), category, status)
        self.templates[(name, language)] = template
        return template

    def set_template_status(self, name: str, language: str, status: TemplateStatus) -> Template:
        """Pause, disable or approve again a registered template (KeyError for an unknown one)."""
        template = self.templates[(name, language)]
        self.templates[(name, language)] = changed = Template(
            template.name, template.language, template.body, template.buttons, template.category, status
        )
        return changed

    def template_of(self, sent: SentMessage) -> Template | None:
        content = sent.body.get("template") or {}
        return self.templates.get((content.get("name", ""), (content.get("language") or {}).get("code", "")))

    def opened_window(self, number: str, at: float | None = None) -> None:
        """The patient at `number` wrote at `at` (now by default): free-form messages may go for 24 hours."""
        self.windows[number.lstrip("+")] = self.clock() if at is None else at

    def window_open(self, number: str) -> bool:
        last = self.windows.get(number.lstrip("+"))
        return last is not None and self.clock() - last < WINDOW_SECONDS

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background, owned by the fake: the app's cleanup cancels what is left."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def add_whatsapp_sandbox(app: web.Application, app_secret: str, *, enforce_window: bool = False) -> GraphFake:
    """Mount the fake on `app`; `enforce_window` makes it fail free-form messages outside the 24-hour window."""
    fake = app[GRAPH_FAKE_KEY] = GraphFake(enforce_window=enforce_window)
    app[WEBHOOK_SECRET_KEY] = app_secret
    app.cleanup_ctx.append(_background)
    app.router.add_post("/sandbox/graph/{version}/{phone_number_id}/messages", graph_messages)
    app.router.add_get("/sandbox/whatsapp/outbox", outbox)
    app.router.add_post("/sandbox/whatsapp/inbound", inbound)
    app.router.add_get("/sandbox/whatsapp/templates", list_templates)
    app.router.add_post("/sandbox/whatsapp/templates", register_template)
    app.router.add_post("/sandbox/whatsapp/status", status)
    app.router.add_post("/sandbox/whatsapp/fail-next", fail_next)
    return fake


async def _background(app: web.Application) -> AsyncIterator[None]:
    yield
    tasks = list(app[GRAPH_FAKE_KEY]._tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


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
    category = "service"
    if body["type"] == "template":
        content = body["template"]
        template = fake.templates.get((content["name"], (content.get("language") or {}).get("code", "")))
        if refused := refusal(content, template):
            return _meta_error(refused.code, refused.details)
        assert template is not None
        category = template.category
    wamid = f"wamid.SBX{next(fake._counter):08d}{uuid.uuid4().hex[:8]}"
    to = str(body.get("to", "")).lstrip("+")
    sent = SentMessage(wamid, request.match_info["phone_number_id"], to, body, time.time(), category)
    fake.sent.append(sent)
    if fake.enforce_window and category == "service" and not fake.window_open(to):
        # Meta accepts it, then reports it failed: the answer alone never says the window was closed.
        sent.error_code = 131047
        fake.later(_fail_later(fake, _webhook_target(request), sent))
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
        {"kind": "message", **m.__dict__, **_template_view(fake, m)}
        for m in fake.sent
        if not to or m.to == to
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


def _template_view(fake: GraphFake, sent: SentMessage) -> dict[str, Any]:
    """For a template message, what the patient's phone shows (`templates.view`); nothing for other messages."""
    template = fake.template_of(sent) if sent.body.get("type") == "template" else None
    return {"template": view(sent.body["template"], template)} if template else {}


def inbound_payload(fake: GraphFake, request_body: dict[str, Any], wamid: str) -> dict[str, Any]:
    """A Cloud API webhook for one patient message, as Meta would deliver it."""
    sender = str(request_body["from"]).lstrip("+")
    phone_number_id = str(request_body.get("phone_number_id", ""))
    message: dict[str, Any] = {"from": sender, "id": wamid, "timestamp": str(int(time.time()))}
    if "text" in request_body:
        message |= {"type": "text", "text": {"body": str(request_body["text"])}}
    elif "button_payload" in request_body or "button_text" in request_body:
        last = fake.last_template(sender)
        template = fake.template_of(last) if last else None
        given = request_body.get("button_payload"), request_body.get("button_text")
        payload, text = tap(last.body["template"] if last else {}, template, *given)
        message |= {"type": "button", "button": {"payload": payload, "text": text}}
        message["context"] = {"from": phone_number_id, "id": request_body.get("context_id") or (last.wamid if last else "")}  # fmt: skip
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


def _webhook_target(request: web.Request) -> tuple[str, str]:
    """Where our webhook listens (this process) and the app secret to sign for it."""
    return str(request.url.with_path("/webhook/whatsapp").with_query(None)), request.app[WEBHOOK_SECRET_KEY]


async def _deliver(target: tuple[str, str], payload: dict[str, Any]) -> int:
    url, secret = target
    raw = json.dumps(payload, ensure_ascii=True).encode()  # Meta escapes non-ASCII, so do we
    headers = {SIGNATURE_HEADER: sign(secret, raw), "Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(url, content=raw, headers=headers)
    return response.status_code


async def _post_webhook(request: web.Request, payload: dict[str, Any]) -> int:
    return await _deliver(_webhook_target(request), payload)


async def _fail_later(fake: GraphFake, target: tuple[str, str], sent: SentMessage) -> None:
    await asyncio.sleep(fake.failure_delay)
    try:
        await _deliver(target, status_payload(sent, "failed", sent.error_code))
    # The app is stopping or our webhook is down: Meta would retry, the sandbox drops it.
    except httpx.HTTPError as exc:
        logger.warning("the sandbox could not deliver a failed status: %s", type(exc).__name__)


async def inbound(request: web.Request) -> web.Response:
    body = await request.json()
    kinds = ("text", "button_id", "list_id", "button_payload", "button_text")
    if "from" not in body or not any(k in body for k in kinds):
        return web.json_response(
            {
                "error": 'give "from" and one of "text", "button_id", "list_id", "button_payload", "button_text"'
            },
            status=400,
        )
    wamid = f"wamid.IN{uuid.uuid4().hex[:20]}"
    fake = request.app[GRAPH_FAKE_KEY]
    fake.senders[wamid] = str(body["from"]).lstrip("+")
    fake.opened_window(str(body["from"]))  # the patient wrote: the 24-hour window opens again
    status_code = await _post_webhook(request, inbound_payload(request.app[GRAPH_FAKE_KEY], body, wamid))
    return web.json_response({"wamid": wamid, "webhook_status": status_code})


def status_payload(sent: SentMessage, status: str = "sent", error_code: int | None = None) -> dict[str, Any]:
    """A status webhook for a message we were sent, echoing its `biz_opaque_callback_data` as Meta does."""
    item: dict[str, Any] = {"id": sent.wamid, "status": status, "timestamp": str(int(time.time())), "recipient_id": sent.to}  # fmt: skip
    if callback := sent.body.get("biz_opaque_callback_data"):
        item["biz_opaque_callback_data"] = callback
    # Like Meta's per-message pricing: replies inside the service window are free, templates are billed in
    # their category (since October 2026 a utility template is billed inside the window too).
    if status != "failed":
        billable = sent.category != "service"
        kind = "regular" if billable else "free_customer_service"
        item["pricing"] = {
            "billable": billable,
            "pricing_model": "PMP",
            "type": kind,
            "category": sent.category,
        }
    if error_code:
        title, details = ERROR_TITLES.get(int(error_code), ("sandbox", "sandbox"))
        item["errors"] = [{"code": int(error_code), "title": title, "message": title, "error_data": {"details": details}}]  # fmt: skip
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


async def list_templates(request: web.Request) -> web.Response:
    """The account's templates, each `{"name", "language", "body", "buttons", "category", "status"}`."""
    return web.json_response([t.as_json() for t in request.app[GRAPH_FAKE_KEY].templates.values()])


async def register_template(request: web.Request) -> web.Response:
    """Register (or replace) a template: `{"name", "language", "body", "buttons"?, "category"?, "status"?}`."""
    body = await request.json()
    try:
        template = request.app[GRAPH_FAKE_KEY].approve(
            str(body["name"]),
            str(body["language"]),
            str(body["body"]),
            [str(b) for b in body.get("buttons") or []],
            body.get("category", "utility"),
            body.get("status", "APPROVED"),
        )
    except KeyError as missing:
        return web.json_response({"error": f"{missing} is required"}, status=400)
    except ValueError as bad:
        return web.json_response({"error": str(bad)}, status=400)
    return web.json_response(template.as_json(), status=201)
