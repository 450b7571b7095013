"""The console's guards: every page needs a live server-side session, every form a CSRF token, every body a
size limit, every response strict headers (HSTS included).

The session cookie holds only an opaque id; the session itself is in `Sessions`, so signing out, an
administrator, or a change to the account ends it everywhere. A new id is issued at sign-in, so an id planted
before it (fixation) is worthless. Before sign-in the form's CSRF token is an HMAC of a random cookie (signed
double submit), so nothing is stored for anonymous visitors. Whatever a client sends (a malformed or forged
cookie, a body too large, a form that does not parse, a wrong token) gets a refusal, never a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from multidict import MultiDictProxy

from bot.console.accounts import Operator
from bot.console.sessions import ConsoleSession
from bot.keys import CONSOLE_KEY, LOGIN_TOKEN_KEY, OPERATOR_KEY, SESSION_KEY, SETTINGS_KEY

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SESSION_COOKIE = "console_session"
LOGIN_COOKIE = "console_login"
DEVICE_COOKIE = "console_device"
PUBLIC = ("/console/login", "/console/static/")
MAX_FORM_BYTES = 64 * 1024  # a staff reply is at most 4096 characters
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def security_headers(hsts_seconds: int) -> Middleware:
    """A middleware that puts the strict headers (and HSTS unless `hsts_seconds` is 0) on every answer."""
    values = dict(HEADERS)
    if hsts_seconds:
        values["Strict-Transport-Security"] = f"max-age={hsts_seconds}; includeSubDomains"

    @web.middleware
    async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers.update(values)
            raise
        response.headers.update(values)
        return response

    return headers


@web.middleware
async def form_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse bodies beyond a form's size before reading them (the parent app allows Meta's 3 MB)."""
    if request.method == "POST" and (request.content_length or 0) > MAX_FORM_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_FORM_BYTES, actual_size=request.content_length or 0)
    return await handler(request)


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pages redirect to the sign-in form; the live-update fragments (fetched by script) answer 401."""
    found = await _session(request)
    if request.path.startswith(PUBLIC):
        if found is not None:  # a signed-in operator on the sign-in page keeps their session's token
            request[SESSION_KEY], request[OPERATOR_KEY] = found
            return await handler(request)
        return await _anonymous(request, handler)
    if found is None:
        if request.query.get("partial"):
            raise web.HTTPUnauthorized(text="sign in again")
        redirect = web.HTTPFound("/console/login")
        if SESSION_COOKIE in request.cookies:
            redirect.del_cookie(SESSION_COOKIE, path="/console")
        raise redirect
    request[SESSION_KEY], request[OPERATOR_KEY] = found
    return await handler(request)


async def _anonymous(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.cookies.get(LOGIN_COOKIE, "")
    fresh = not TOKEN.match(token)
    if fresh:
        token = secrets.token_urlsafe(32)
    request[LOGIN_TOKEN_KEY] = token
    if not fresh:
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _set_cookie(request, exc, LOGIN_COOKIE, token, max_age=None)
        raise
    _set_cookie(request, response, LOGIN_COOKIE, token, max_age=None)
    return response


async def _session(request: web.Request) -> tuple[ConsoleSession, Operator] | None:
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if not session_id:
        return None
    console = request.config_dict[CONSOLE_KEY]
    session = await console.sessions.get(session_id)
    if session is None:
        return None
    # The account is re-read on every request: a removed or replaced operator is out at once, even if ending
    # their sessions was missed (an account replaced by an older version of the CLI).
    operator = await console.accounts.get(session.username)
    if operator is None or operator.created_at != session.account_stamp:
        await console.sessions.end(session.username, session.handle)
        return None
    return session, operator


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every POST carries the session's token in a form field; SameSite=Strict cookies are a second line."""
    if request.method == "POST":
        form = await read_form(request)
        sent = str(form.get("csrf", ""))
        expected = await csrf_token(request)
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            if OPERATOR_KEY in request:  # a forged form aimed at a signed-in operator is worth knowing about
                await request.config_dict[CONSOLE_KEY].access.record(
                    request[OPERATOR_KEY].username, "csrf_refused", "", "", detail=f"POST {request.path}"
                )
            raise web.HTTPForbidden(text="This form has expired. Go back, reload the page and try again.")
    return await handler(request)


async def read_form(request: web.Request) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """The posted form, or 400 when it does not parse (a broken multipart body, bytes that are not UTF-8)."""
    try:
        return await request.post()
    except web.HTTPException:
        raise
    except ValueError as exc:  # UnicodeDecodeError is one
        raise web.HTTPBadRequest(text="This form could not be read.") from exc


async def csrf_token(request: web.Request) -> str:
    if SESSION_KEY in request:
        return request[SESSION_KEY].csrf
    key = request.config_dict[CONSOLE_KEY].login_key
    return hmac.new(key, request.get(LOGIN_TOKEN_KEY, "").encode(), hashlib.sha256).hexdigest()


def client_address(request: web.Request) -> str:
    """The socket's peer, or the last entry of the trusted proxy's header when one is configured."""
    header = request.config_dict[SETTINGS_KEY].console_client_ip_header
    if header and (value := request.headers.get(header, "")):
        return value.rsplit(",", 1)[-1].strip()[:64] or "unknown"
    return request.remote or "unknown"


def start_session(request: web.Request, response: web.StreamResponse, session_id: str) -> None:
    _set_cookie(
        request,
        response,
        SESSION_COOKIE,
        session_id,
        max_age=request.config_dict[CONSOLE_KEY].session_seconds,
    )


def remember_device(request: web.Request, response: web.StreamResponse, value: str) -> None:
    _set_cookie(
        request, response, DEVICE_COOKIE, value, max_age=request.config_dict[CONSOLE_KEY].device_seconds
    )


def _set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: float | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(max_age) if max_age is not None else None,
        path="/console",
        httponly=True,
        samesite="Strict",
        secure=request.config_dict[SETTINGS_KEY].console_secure_cookies,
    )
