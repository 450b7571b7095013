"""The `/metrics` listener: a separate aiohttp server on its own address (loopback by default), never routed on
the public port, so per-practice counters are only for whoever can reach that address (and holds the token,
when one is configured)."""

from __future__ import annotations

import contextlib
import hmac
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from redis.exceptions import RedisError

from bot.keys import BROKER_KEY, METRICS_KEY, METRICS_TOKEN_KEY, METRICS_URL_KEY, SETTINGS_KEY

logger = logging.getLogger(__name__)


def create_metrics_app(parent: web.Application, token: str) -> web.Application:
    """An app that serves the parent's registry; `token`, when not empty, must come as a bearer token."""
    app = web.Application(client_max_size=1024)
    app[METRICS_KEY] = parent[METRICS_KEY]
    app[BROKER_KEY] = parent[BROKER_KEY]
    app[METRICS_TOKEN_KEY] = token
    app.router.add_get("/metrics", metrics)
    return app


async def metrics(request: web.Request) -> web.Response:
    """Prometheus metrics; the queue backlog is read now, when Redis answers."""
    token = request.app[METRICS_TOKEN_KEY]
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            raise web.HTTPUnauthorized(
                text="metrics need the bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
    registry = request.app[METRICS_KEY]
    with contextlib.suppress(OSError, RedisError):
        for kind, count in (await request.app[BROKER_KEY].backlog()).items():
            registry.backlog.labels(kind).set(count)
    return web.Response(body=registry.render(), content_type="text/plain", charset="utf-8")


async def metrics_listener_ctx(app: web.Application) -> AsyncIterator[None]:
    """Serve `/metrics` on METRICS_ADDRESS for as long as the app runs; the bound URL goes in METRICS_URL_KEY."""
    settings = app[SETTINGS_KEY]
    app[METRICS_URL_KEY] = ""
    if settings.metrics_address in ("", "off"):
        yield
        return
    host, port = settings.metrics_address.rsplit(":", 1)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    runner = web.AppRunner(create_metrics_app(app, token), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host.strip("[]") or "127.0.0.1", int(port)).start()
    except OSError as exc:
        # Several web processes on one host: the first one serves metrics, the others still serve webhooks.
        logger.warning("metrics listener not started on %s: %s", settings.metrics_address, exc)
        await runner.cleanup()
        yield
        return
    bound = runner.addresses[0]
    app[METRICS_URL_KEY] = f"http://{bound[0]}:{bound[1]}/metrics"
    logger.info("metrics on %s", app[METRICS_URL_KEY])
    try:
        yield
    finally:
        await runner.cleanup()
