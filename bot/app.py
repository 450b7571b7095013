"""`create_app`: the one place where the process's parts are built and wired together.

Resources are cleanup contexts, entered in dependency order and closed in reverse: Redis (when configured),
the Open Dental rate limiter it backs, the inbound pipeline, the console, the worker that consumes the
pipeline, and the separate `/metrics` listener (never a route of this public app).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
from collections.abc import AsyncIterator

from aiohttp import web
from redis.exceptions import RedisError

from bot import webhook
from bot.console.access_log import AccessLog
from bot.console.accounts import Accounts, Role
from bot.console.hashing import PasswordHashing
from bot.console.service import Console
from bot.console.sessions import Sessions
from bot.console.signin import Backoff, DeviceCookies, SignInGuard
from bot.console.views import create_console
from bot.conversation import build_conversation_handler
from bot.keys import (
    BROKER_KEY,
    CONSOLE_KEY,
    LIMITER_KEY,
    METRICS_KEY,
    PIPELINE_KEY,
    PRACTICES_KEY,
    REDIS_KEY,
    SEALER_KEY,
    SETTINGS_KEY,
)
from bot.metrics import Metrics
from bot.metrics_listener import metrics_listener_ctx
from bot.pipeline import build_pipeline
from bot.sandbox.phone import add_phone_simulator
from bot.sandbox.whatsapp import add_whatsapp_sandbox
from bot.settings import Settings
from bot.turns import TurnHandler
from od_adapter.config import PracticesFile
from od_adapter.ratelimit import MemoryRateLimiter, RedisRateLimiter
from od_adapter.sandbox import SandboxSettings, create_sandbox_app

SANDBOX_OD_PREFIX = "/sandbox/od"
MAX_WEBHOOK_BYTES = 3 * 1024 * 1024  # Meta's largest payload
HANDLER_KEY = web.AppKey("turn_handler", object)


def create_app(
    settings: Settings,
    practices: PracticesFile,
    *,
    od_sandbox: SandboxSettings | None = None,
    whatsapp_sandbox: bool = False,
    run_worker: bool = True,
    handler: TurnHandler | None = None,
    demo_operator: tuple[str, str] | None = None,
) -> web.Application:
    """Build the web application: the webhook, health checks, the sandboxes on request, and a worker."""
    app = web.Application(client_max_size=MAX_WEBHOOK_BYTES)
    app[SETTINGS_KEY] = settings
    app[PRACTICES_KEY] = practices
    app[HANDLER_KEY] = handler
    app[METRICS_KEY] = Metrics()
    app.cleanup_ctx.append(redis_ctx)
    app.cleanup_ctx.append(limiter_ctx)
    app.cleanup_ctx.append(pipeline_ctx)
    app.cleanup_ctx.append(functools.partial(console_ctx, demo_operator=demo_operator))
    if run_worker:
        app.cleanup_ctx.append(worker_ctx)
    app.cleanup_ctx.append(metrics_listener_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/webhook/whatsapp", webhook.verify)
    app.router.add_post("/webhook/whatsapp", webhook.receive)
    app.add_subapp("/console", create_console(settings))
    if whatsapp_sandbox:
        assert settings.whatsapp_app_secret is not None
        add_whatsapp_sandbox(app, settings.whatsapp_app_secret.get_secret_value())
        add_phone_simulator(app, practices)
    if od_sandbox is not None:
        app.add_subapp(SANDBOX_OD_PREFIX, create_sandbox_app(od_sandbox))
    return app


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS_KEY]
    client = settings.redis(socket_timeout=5) if settings.redis_url else None
    app[REDIS_KEY] = client
    yield
    if client is not None:
        await client.aclose()


async def limiter_ctx(app: web.Application) -> AsyncIterator[None]:
    redis = app[REDIS_KEY]
    app[LIMITER_KEY] = RedisRateLimiter(redis) if redis is not None else MemoryRateLimiter()
    yield


async def pipeline_ctx(app: web.Application) -> AsyncIterator[None]:
    pipeline = build_pipeline(app[SETTINGS_KEY], app[REDIS_KEY], app[METRICS_KEY])
    app[PIPELINE_KEY] = pipeline
    app[BROKER_KEY] = pipeline.broker
    app[SEALER_KEY] = pipeline.sealer
    if app[REDIS_KEY] is not None:
        with contextlib.suppress(
            OSError, RedisError
        ):  # Redis down at start: /readyz says so, the webhook answers 503
            await pipeline.broker.setup()
    yield
    await pipeline.aclose()


async def console_ctx(
    app: web.Application, demo_operator: tuple[str, str] | None = None
) -> AsyncIterator[None]:
    pipeline, settings = app[PIPELINE_KEY], app[SETTINGS_KEY]
    session_seconds = settings.console_session_hours * 3600
    hashing = PasswordHashing(queue=settings.password_hash_queue)
    sessions = Sessions(pipeline.storage, pipeline.sealer, session_seconds)
    accounts = Accounts(pipeline.storage, pipeline.sealer, hashing, sessions)
    access = AccessLog(pipeline.storage, pipeline.sealer, pipeline.conversations.retention)
    assert settings.console_secret is not None, "the CLI and the demo always provide one"
    secret = settings.console_secret.get_secret_value()
    if demo_operator is not None:
        await accounts.add(*demo_operator, Role.ADMIN, [], replace=True)
    app[CONSOLE_KEY] = Console(
        accounts=accounts,
        access=access,
        conversations=pipeline.conversations,
        outbox=pipeline.outbox,
        broker=pipeline.broker,
        practices=app[PRACTICES_KEY],
        session_seconds=session_seconds,
        sessions=sessions,
        guard=SignInGuard(accounts, Backoff(pipeline.storage), DeviceCookies(secret), access),
        login_key=hashlib.sha256(f"console-login:{secret}".encode()).digest(),
        device_seconds=settings.console_device_days * 24 * 3600,
    )
    try:
        yield
    finally:
        hashing.close()


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    pipeline = app[PIPELINE_KEY]
    conversation = None
    handler = app[HANDLER_KEY]
    if handler is None:
        conversation = build_conversation_handler(
            app[PRACTICES_KEY],
            app[LIMITER_KEY],
            app[REDIS_KEY],
            pipeline.conversations,
            app[SETTINGS_KEY],
            app[METRICS_KEY],
        )
        handler = conversation
    worker = pipeline.worker(app[SETTINGS_KEY], handler)  # type: ignore[arg-type]
    task = asyncio.create_task(worker.run())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    if conversation is not None:
        await conversation.aclose()


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the practices are loaded and Redis, if configured, answers."""
    checks: dict[str, str] = {"practices": f"{len(request.app[PRACTICES_KEY].practices)} loaded"}
    redis = request.app[REDIS_KEY]
    ready = True
    if redis is not None:
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:  # any failure to answer means not ready; the type is enough for the probe
            checks["redis"] = f"unreachable ({type(exc).__name__})"
            ready = False
    return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)
