"""The console's guards: every page needs a signed-in operator, every form a CSRF token, every response strict
headers. Sessions live in encrypted, signed cookies (aiohttp-session with Fernet), renewed at sign-in so a
session id planted before it (fixation) is worthless."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp_session import Session, get_session, new_session, setup
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bot.console.accounts import Operator
from bot.keys import CONSOLE_KEY

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OPERATOR_KEY = web.RequestKey("operator", Operator)
PUBLIC = ("/console/login", "/console/static/")
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def use_sessions(app: web.Application, secret: str, *, secure: bool, max_age_hours: float) -> None:
    key = hashlib.sha256(f"console-session:{secret}".encode()).digest()
    storage = EncryptedCookieStorage(
        key,
        cookie_name="console_session",
        httponly=True,
        secure=secure,
        samesite="Strict",
        max_age=int(max_age_hours * 3600),
        path="/console",
    )
    setup(app, storage)


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(HEADERS)
        raise
    response.headers.update(HEADERS)
    return response


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pages redirect to the sign-in form; the live-update fragments (fetched by script) answer 401."""
    if request.path.startswith(PUBLIC):
        return await handler(request)
    session = await get_session(request)
    operator = await _operator(request, session)
    if operator is None:
        if request.query.get("partial"):
            raise web.HTTPUnauthorized(text="sign in again")
        raise web.HTTPFound("/console/login")
    request[OPERATOR_KEY] = operator
    return await handler(request)


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every POST carries the session's token in a form field; SameSite=Strict cookies are a second line."""
    if request.method == "POST":
        session = await get_session(request)
        form = await request.post()
        sent = str(form.get("csrf", ""))
        expected = str(session.get("csrf", ""))
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise web.HTTPForbidden(text="This form has expired. Go back, reload the page and try again.")
    return await handler(request)


async def _operator(request: web.Request, session: Session) -> Operator | None:
    username = session.get("username")
    if not username:
        return None
    if time.time() - float(session.get("since", 0)) > request.config_dict[CONSOLE_KEY].session_seconds:
        session.invalidate()
        return None
    # The account is re-read on every request, so a removed operator is out at once.
    return await request.config_dict[CONSOLE_KEY].accounts.get(username)


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


async def start_session(request: web.Request, operator: Operator) -> None:
    session = await new_session(request)
    session["username"] = operator.username
    session["since"] = time.time()
    session["csrf"] = secrets.token_urlsafe(32)
