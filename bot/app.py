"""`create_app`: the one place where the process's parts are built and wired together.

Resources are cleanup contexts, entered in dependency order and closed in reverse: Redis (when configured),
then the Open Dental rate limiter that Redis backs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from bot.keys import LIMITER_KEY, PRACTICES_KEY, REDIS_KEY, SETTINGS_KEY
from bot.settings import Settings
from od_adapter.config import PracticesFile
from od_adapter.ratelimit import MemoryRateLimiter, RedisRateLimiter
from od_adapter.sandbox import SandboxSettings, create_sandbox_app

SANDBOX_OD_PREFIX = "/sandbox/od"


def create_app(
    settings: Settings, practices: PracticesFile, *, sandbox: SandboxSettings | None = None
) -> web.Application:
    """Build the web application; with `sandbox`, the Open Dental sandbox is mounted at /sandbox/od."""
    app = web.Application()
    app[SETTINGS_KEY] = settings
    app[PRACTICES_KEY] = practices
    app.cleanup_ctx.append(redis_ctx)
    app.cleanup_ctx.append(limiter_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if sandbox is not None:
        app.add_subapp(SANDBOX_OD_PREFIX, create_sandbox_app(sandbox))
    return app


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    url = app[SETTINGS_KEY].redis_url
    client = Redis.from_url(url, socket_timeout=5) if url else None
    app[REDIS_KEY] = client
    yield
    if client is not None:
        await client.aclose()


async def limiter_ctx(app: web.Application) -> AsyncIterator[None]:
    redis = app[REDIS_KEY]
    app[LIMITER_KEY] = RedisRateLimiter(redis) if redis is not None else MemoryRateLimiter()
    yield


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
