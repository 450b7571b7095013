"""What happens to every sandbox API request before its handler: log, errors, auth, content type, throttle, faults.

The order matters and mirrors the real path: a request is logged whatever happens to it; keys are checked
before anything else (401, where a missing permission is also 401); then the Content-Type rule (400); then the
CustomerKey's throttle; then injected faults; then the handler.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from od_adapter.sandbox.http import ApiError
from od_adapter.sandbox.keys import GRANT_KEY, OFFICE_KEY, SANDBOX_KEY
from od_adapter.sandbox.state import DEVELOPER_KEY, RequestRecord, retry_after_header
from od_adapter.wire import endpoint_name

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
API_PREFIX = "/api/v1/"
WRITE_METHODS = ("POST", "PUT", "DELETE")


def requires(permission: str) -> Callable[[Handler], Handler]:
    """Mark the API permission a handler needs (read, comm, appointments, patients)."""

    def mark(handler: Handler) -> Handler:
        handler.od_permission = permission  # type: ignore[attr-defined]
        return handler

    return mark


def _is_api(request: web.Request) -> bool:
    return API_PREFIX in request.path


def _api_path(request: web.Request) -> str:
    return request.path.split(API_PREFIX, 1)[1]


@web.middleware
async def log_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_api(request):
        return await handler(request)
    sandbox = request.app[SANDBOX_KEY]
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        grant = request.get(GRANT_KEY)
        name = endpoint_name(request.method, _api_path(request))
        sandbox.counters[name] += 1
        sandbox.log.append(
            RequestRecord(
                at=time.time(),
                office_id=grant.office_id if grant else None,
                method=request.method,
                path=_api_path(request),
                endpoint=name,
                query=dict(request.query),
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )
        )


@web.middleware
async def render_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return _render(request, exc)
    except web.HTTPNotFound:
        if _is_api(request):
            return _render(request, ApiError(404, "Not found"))
        raise


def _render(request: web.Request, exc: ApiError) -> web.Response:
    style = request.app[SANDBOX_KEY].settings.error_body
    if style == "text":
        return web.Response(status=exc.status, text=exc.message, headers=exc.headers)
    body = {"message": exc.message} if style == "object" else exc.message
    return web.Response(
        status=exc.status, text=json.dumps(body), content_type="application/json", headers=exc.headers
    )


@web.middleware
async def authorize(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_api(request):
        return await handler(request)
    sandbox = request.app[SANDBOX_KEY]
    scheme, _, keys = request.headers.get("Authorization", "").partition(" ")
    developer_key, _, customer_key = keys.strip().partition("/")
    grant = sandbox.grant(customer_key) if scheme == "ODFHIR" and developer_key == DEVELOPER_KEY else None
    if grant is None:
        raise ApiError(401, "Invalid or missing Authorization: ODFHIR {DeveloperKey}/{CustomerKey}")
    permission = getattr(request.match_info.handler, "od_permission", "read")
    if permission not in grant.permissions:
        raise ApiError(
            401, f"This API key does not have permission for {request.method} {_api_path(request)}"
        )
    request[GRANT_KEY] = grant
    request[OFFICE_KEY] = sandbox.offices[grant.office_id]
    if request.content_type != "application/json":
        raise ApiError(400, "Content-Type must be application/json")
    retry_after = await sandbox.throttle(customer_key, grant.spacing)
    if retry_after is not None:
        raise ApiError(429, "Too many requests", headers={"Retry-After": retry_after_header(retry_after)})
    return await _with_faults(request, handler)


async def _with_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    sandbox = request.app[SANDBOX_KEY]
    settings = sandbox.settings
    if settings.latency_ms:
        await asyncio.sleep(settings.latency_ms / 1000)
    if sandbox.roll(settings.share_504):
        await asyncio.sleep(settings.timeout_seconds)
        raise ApiError(504, "Gateway Time-out")
    if sandbox.roll(settings.share_5xx):
        raise ApiError(500, "An unexpected error occurred on the server")
    response = await handler(request)
    if (
        request.method in WRITE_METHODS
        and response.status < 400
        and sandbox.roll(settings.share_lost_response)
    ):
        await asyncio.sleep(settings.timeout_seconds)
        raise ApiError(504, "Gateway Time-out")
    return response
