"""The console's pages: server-rendered with Jinja2, refreshed in place by a small polling script."""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel.dates import format_datetime

from bot.console import dashboard, live, openings, problems, reminders
from bot.console.accounts import USERNAME, AccountError, Role
from bot.console.hashing import HashQueueFull
from bot.console.security import (
    DEVICE_COOKIE,
    SESSION_COOKIE,
    client_address,
    csrf,
    csrf_token,
    form_limit,
    read_form,
    remember_device,
    security_headers,
    signed_in,
    start_session,
)
from bot.console.service import FILTERS, Busy, Query, trace_summary
from bot.console.signin import SignedIn, Throttled
from bot.keys import CONSOLE_KEY, OPERATOR_KEY, SESSION_KEY
from bot.practices import Practice
from bot.records.charts import chart_title, masked_phone
from bot.records.conversations import TranscriptEntry
from bot.settings import Settings
from flows.handoff import REASONS
from locales.catalog import LANGUAGES, regional, twelve_hour

HERE = Path(__file__).parent


def create_console(settings: Settings) -> web.Application:
    """The `/console` sub-application; its dependencies come from the parent app's `CONSOLE_KEY`."""
    app = web.Application(
        middlewares=[security_headers(settings.console_hsts_seconds), form_limit, signed_in, csrf]
    )
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        context_processors=[aiohttp_jinja2.request_processor, _common],
    )
    env.filters["at"] = _at
    env.filters["trace_summary"] = trace_summary
    app.router.add_static("/static/", HERE / "static", name="static")
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", conversations)
    app.router.add_get("/c/{conversation}", conversation)
    app.router.add_post("/c/{conversation}/take-over", take_over)
    app.router.add_post("/c/{conversation}/reply", reply)
    app.router.add_post("/c/{conversation}/template", template)
    app.router.add_post("/c/{conversation}/release", release)
    app.router.add_post("/c/{conversation}/retry", retry)
    app.router.add_get("/operators", operators)
    app.router.add_post("/operators", add_operator)
    app.router.add_post("/operators/remove", remove_operator)
    app.router.add_get("/sessions", sessions)
    app.router.add_post("/sessions/end", end_sessions)
    app.router.add_get("/access-log", access_log)
    app.router.add_get("/alerts", live.alerts)
    app.router.add_get("/problems", problems.problems)
    app.router.add_get("/dashboard", dashboard.dashboard)
    app.router.add_get("/dashboard.csv", dashboard.dashboard_csv)
    app.router.add_get("/reminders", reminders.reminders)
    app.router.add_get("/openings", openings.openings)
    app.router.add_post("/problems/od-writes/retry", problems.retry_write)
    live.stop_streams(app)
    return app


async def _common(request: web.Request) -> dict[str, Any]:
    return {"operator": request.get(OPERATOR_KEY), "csrf": await csrf_token(request)}


def _at(timestamp: float, where: Practice | str | None = "UTC", *, named: bool = False) -> str:
    """A moment in the practice's zone, on its region's clock ("Tue, Dec 1, 10:58 PM" in the US)."""
    if not timestamp:
        return "-"
    practice = where if isinstance(where, Practice) else None
    zone = practice.timezone if practice else (where if isinstance(where, str) else "UTC")
    local = datetime.fromtimestamp(timestamp, UTC).astimezone(ZoneInfo(zone))
    locale = regional("en", practice.region) if practice else "en"
    clock = "h:mm a" if twelve_hour(locale) else "HH:mm"
    pattern = ("EEE, MMM d, " if locale == "en_US" else "EEE d MMM ") + clock
    return format_datetime(local, pattern, locale=locale) + (local.strftime(" %Z") if named else "")


# -- signing in -------------------------------------------------------------------------------------------------


async def login_form(request: web.Request) -> web.Response:
    return aiohttp_jinja2.render_template("login.html", request, {"error": ""})


async def login(request: web.Request) -> web.Response:
    console = request.config_dict[CONSOLE_KEY]
    form = await read_form(request)
    address = client_address(request)
    try:
        outcome = await console.guard.sign_in(
            str(form.get("username", "")),
            str(form.get("password", "")),
            address,
            request.cookies.get(DEVICE_COOKIE, ""),
        )
    except HashQueueFull:
        return _login_page(request, "The console is busy. Try again in a few seconds.", 429, retry_after=2)
    if isinstance(outcome, SignedIn):
        operator = outcome.operator
        agent = request.headers.get("User-Agent", "")
        session_id, _ = await console.sessions.start(operator.username, operator.created_at, address, agent)
        response = web.HTTPSeeOther("/console/")
        start_session(request, response, session_id)
        remember_device(request, response, console.guard.devices.issue(operator.username))
        raise response
    if isinstance(outcome, Throttled):
        seconds = math.ceil(outcome.retry_after)
        where = {"address": "from this address", "account": "for this account", "device": "from this browser"}
        error = f"Too many failed sign-ins {where[outcome.scope]}. Try again in {seconds} seconds."
        return _login_page(request, error, 429, retry_after=seconds)
    return _login_page(request, "Wrong username or password.", 401)


def _login_page(request: web.Request, error: str, status: int, retry_after: int = 0) -> web.Response:
    response = aiohttp_jinja2.render_template("login.html", request, {"error": error}, status=status)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


async def logout(request: web.Request) -> web.Response:
    session = request[SESSION_KEY]
    await request.config_dict[CONSOLE_KEY].sessions.end(session.username, session.handle)
    response = web.HTTPSeeOther("/console/login")
    response.del_cookie(SESSION_COOKIE, path="/console")
    raise response


# -- conversations ----------------------------------------------------------------------------------------------


async def conversations(request: web.Request) -> web.Response:
    console, operator = request.config_dict[CONSOLE_KEY], request[OPERATOR_KEY]
    query = Query(
        filter=request.query.get("filter", "all") if request.query.get("filter") in FILTERS else "all",
        practice=request.query.get("practice", ""),
        language=request.query.get("language", ""),
        search=request.query.get("q", "")[:80],
        page=int(request.query.get("page", "1")) if request.query.get("page", "1").isdecimal() else 1,
    )
    listing = await console.listing(operator, query)
    context = {
        "listing": listing,
        "query": query,
        "filters": list(FILTERS),
        "practices": console.visible(operator),
        "names": {p.phone_number_id: p.name for p in console.practices.practices},
        "zones": console.by_id,
        "languages": LANGUAGES,
        "reasons": REASONS,
        "od_writes": await console.od_writes.backlog({p.phone_number_id for p in console.visible(operator)}),
    }
    name = "_rows.html" if request.query.get("partial") else "conversations.html"
    return aiohttp_jinja2.render_template(name, request, context)


async def conversation(request: web.Request) -> web.Response:
    console, operator = request.config_dict[CONSOLE_KEY], request[OPERATOR_KEY]
    record = await console.open(operator, request.match_info["conversation"])
    if record is None:
        raise web.HTTPNotFound(text="No such conversation.")
    partial = bool(request.query.get("partial"))
    if not partial:  # each opening of the page is a view; its live refreshes are part of the same view
        await console.access.record(operator.username, "view", record.conversation, record.practice_id)
    practice = console.by_id[record.practice_id]
    entries = await console.transcript(record.conversation)
    delivery = {e.wamid: e.status for e in entries if e.direction == "status"}
    shown = [e for e in entries if e.direction != "status"]
    context = {
        "record": record,
        "chart": chart_title(record.session.conversation.members),
        "members": record.session.conversation.members,
        "practice": practice,
        "status": record.session.handoff,
        "reasons": REASONS,
        "entries": shown,
        "tapped": tapped(shown),
        "delivery": delivery,
        "window_open": console.window_open(record),
        "dead_letters": await console.broker.buried(record.conversation),
        "language": record.session.conversation.language or practice.default_language,
        "message": request.query.get("message", ""),
    }
    name = "_transcript.html" if partial else "conversation.html"
    return aiohttp_jinja2.render_template(name, request, context)


def tapped(entries: list[TranscriptEntry]) -> dict[int, str]:
    """For each message with buttons or rows (by position), the title the patient tapped in answer to it."""
    found: dict[int, str] = {}
    offered: int | None = None
    for i, entry in enumerate(entries):
        if entry.direction == "out" and entry.choices:
            offered = i
        elif entry.direction == "in" and offered is not None:
            titles = {c.title for c in entries[offered].choices}
            if entry.type in ("interactive", "button") and entry.text in titles:
                found[offered] = entry.text
            offered = None
    return found


async def _acting(request: web.Request) -> tuple[Any, Any, Any]:
    console, operator = request.config_dict[CONSOLE_KEY], request[OPERATOR_KEY]
    record = await console.open(operator, request.match_info["conversation"])
    if record is None:
        raise web.HTTPNotFound(text="No such conversation.")
    return console, operator, record


def _back(record: Any, message: str = "") -> web.HTTPSeeOther:
    suffix = f"?message={message}" if message else ""
    return web.HTTPSeeOther(f"/console/c/{record.conversation}{suffix}")


async def take_over(request: web.Request) -> web.Response:
    console, operator, record = await _acting(request)
    try:
        await console.take_over(operator, record)
    except Busy:
        raise _back(record, "busy") from None
    raise _back(record)


async def reply(request: web.Request) -> web.Response:
    console, operator, record = await _acting(request)
    text = str((await read_form(request)).get("text", "")).strip()
    if not text:
        raise _back(record, "empty")
    if not console.window_open(record):
        raise _back(record, "window_closed")
    try:
        sent = await console.reply(operator, record, text)
    except Busy:
        raise _back(record, "busy") from None
    raise _back(record, "sent" if sent.state == "sent" else "queued")


async def template(request: web.Request) -> web.Response:
    console, operator, record = await _acting(request)
    if console.by_id[record.practice_id].handoff.reengagement_template is None:
        raise _back(record, "no_template")
    try:
        sent = await console.send_template(operator, record)
    except Busy:
        raise _back(record, "busy") from None
    raise _back(record, "sent" if sent.state == "sent" else "queued")


async def release(request: web.Request) -> web.Response:
    console, operator, record = await _acting(request)
    try:
        await console.release(operator, record)
    except Busy:
        raise _back(record, "busy") from None
    raise _back(record, "released")


async def retry(request: web.Request) -> web.Response:
    """Queue again the messages that kept failing (after a fix, or when the cause has passed)."""
    console, operator, record = await _acting(request)
    await console.retry(operator, record)
    raise _back(record, "retried")


# -- administration ---------------------------------------------------------------------------------------------


def _admin(request: web.Request) -> Any:
    if request[OPERATOR_KEY].role is not Role.ADMIN:
        raise web.HTTPForbidden(text="Only an integrator administrator can do this.")
    return request.config_dict[CONSOLE_KEY]


async def operators(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    console = _admin(request)
    context = {
        "operators": await console.accounts.all(),
        "me": request[OPERATOR_KEY].username,
        "practices": console.practices.practices,
        "error": error,
        "roles": list(Role),
    }
    return aiohttp_jinja2.render_template("operators.html", request, context, status=status)


async def add_operator(request: web.Request) -> web.Response:
    console = _admin(request)
    form = await read_form(request)
    try:
        await console.accounts.add(
            str(form.get("username", "")),
            str(form.get("password", "")),
            Role(str(form.get("role", "operator"))),
            [str(p) for p in form.getall("practice", [])],
        )
    except (AccountError, ValueError) as exc:
        return await operators(request, error=str(exc).splitlines()[0], status=400)
    except HashQueueFull:
        return await operators(request, error="The console is busy. Try again in a few seconds.", status=429)
    raise web.HTTPSeeOther("/console/operators")


async def remove_operator(request: web.Request) -> web.Response:
    """Delete an account; its sessions end with it."""
    console = _admin(request)
    username = str((await read_form(request)).get("username", "")).lower()
    if username == request[OPERATOR_KEY].username:
        return await operators(request, error="You cannot remove your own account.", status=400)
    if not await console.accounts.remove(username):
        return await operators(request, error="No such operator.", status=404)
    await console.access.record(request[OPERATOR_KEY].username, "remove_operator", "", "", detail=username)
    raise web.HTTPSeeOther("/console/operators")


async def sessions(request: web.Request) -> web.Response:
    """Every live console session, by operator, for an administrator to end."""
    console = _admin(request)
    found = [s for o in await console.accounts.all() for s in await console.sessions.of(o.username)]
    found.sort(key=lambda s: s.last_seen, reverse=True)
    context = {"sessions": found, "mine": request[SESSION_KEY].handle}
    return aiohttp_jinja2.render_template("sessions.html", request, context)


async def end_sessions(request: web.Request) -> web.Response:
    """End one session (`handle`) or every session of `username` (no handle)."""
    console = _admin(request)
    form = await read_form(request)
    username, handle = str(form.get("username", "")).lower(), str(form.get("handle", ""))
    if not re.match(USERNAME, username):
        raise web.HTTPBadRequest(text="No such operator.")
    ended = (
        await console.sessions.end(username, handle) if handle else await console.sessions.end_all(username)
    )
    detail = f"{username}: {'one session' if handle else 'every session'} ({int(ended)} ended)"
    await console.access.record(request[OPERATOR_KEY].username, "end_session", "", "", detail=detail)
    raise web.HTTPSeeOther("/console/sessions")


async def access_log(request: web.Request) -> web.Response:
    """The log as people read it: whose chart (or a masked number), which practice, the practice's time."""
    console = _admin(request)
    entries = await console.access.latest()
    who: dict[str, str] = {}
    for conversation in {e.conversation for e in entries if e.conversation}:
        record = await console.conversations.load(conversation)
        if record is not None:
            chart = chart_title(record.session.conversation.members)
            who[conversation] = chart or masked_phone(record.user_key)
    context = {
        "entries": entries,
        "who": who,
        "practices": console.by_id,
        "now": time.time(),
    }
    return aiohttp_jinja2.render_template("access_log.html", request, context)
