"""`create_app`: the product's web application, its routes and the contexts of `bot.wiring`.

It mounts only the product (webhook, health, console); `bot.sandbox.demo.create_demo_app` adds the sandboxes
and the demo operator on top of it.
"""

from __future__ import annotations

from aiohttp import web

from bot import od_events
from bot.console.views import create_console
from bot.keys import PRACTICES_KEY, REDIS_KEY, SETTINGS_KEY
from bot.practices import PracticesFile
from bot.queue.turns import TurnHandler
from bot.records.durability import durability
from bot.settings import Settings
from bot.whatsapp import webhook
from bot.wiring import configure, contexts

MAX_WEBHOOK_BYTES = 3 * 1024 * 1024  # Meta's largest payload


def create_app(
    settings: Settings,
    practices: PracticesFile,
    *,
    run_worker: bool = True,
    handler: TurnHandler | None = None,
) -> web.Application:
    """The web process: the webhook, Open Dental's API Events, health checks, the console, and (unless told
    not to) a worker."""
    app = web.Application(client_max_size=MAX_WEBHOOK_BYTES)
    configure(app, settings, practices, handler=handler)
    app.cleanup_ctx.extend(contexts(web_process=True, worker=run_worker))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/webhook/whatsapp", webhook.verify)
    app.router.add_post("/webhook/whatsapp", webhook.receive)
    od_events.add_routes(app)
    app.add_subapp("/console", create_console(settings))
    return app


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the practices are loaded and Redis, if configured, answers and keeps what it is given."""
    checks: dict[str, str] = {"practices": f"{len(request.app[PRACTICES_KEY].practices)} loaded"}
    redis = request.app[REDIS_KEY]
    ready = True
    if redis is not None:
        try:
            found = await durability(redis, request.app[SETTINGS_KEY].redis_durability)
            checks["redis"] = "ok"
            checks["redis_durability"] = found.said
            ready = found.ok
        except Exception as exc:  # any failure to answer means not ready; the type is enough for the probe
            checks["redis"] = f"unreachable ({type(exc).__name__})"
            ready = False
    return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)
