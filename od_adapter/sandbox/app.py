"""`create_sandbox_app`: the Open Dental API simulator as one aiohttp application."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from od_adapter.sandbox import (
    admin,
    appointments,
    book_view,
    commlogs,
    history,
    patients,
    practice,
    recalls,
    slots,
    subscriptions,
    tasks,
)
from od_adapter.sandbox.events import EVENTS_KEY, EventSender, events_ctx
from od_adapter.sandbox.keys import SANDBOX_KEY
from od_adapter.sandbox.middleware import authorize, log_requests, render_errors
from od_adapter.sandbox.office import Clock, system_clock
from od_adapter.sandbox.seed import load_seed
from od_adapter.sandbox.state import Sandbox, SandboxSettings

# Open Dental accepts bodies up to 16.8 million characters.
MAX_BODY_BYTES = 17 * 1024 * 1024


def create_sandbox_app(
    settings: SandboxSettings | None = None,
    *,
    seed_path: Path | None = None,
    clock: Clock = system_clock,
) -> web.Application:
    app = web.Application(
        middlewares=[log_requests, render_errors, authorize], client_max_size=MAX_BODY_BYTES
    )
    sandbox = Sandbox(settings or SandboxSettings(), load_seed(seed_path), clock=clock)
    app[SANDBOX_KEY] = sandbox
    app[tasks.TASKS_KEY] = tasks.TaskBook()
    app[EVENTS_KEY] = EventSender(sandbox)
    app.cleanup_ctx.append(events_ctx)
    # Slots before the other appointment routes, so "/appointments/Slots" is never read as an AptNum.
    modules = (slots, appointments, patients, practice, commlogs, tasks, recalls, history, subscriptions)
    for module in (*modules, admin, book_view):
        app.router.add_routes(module.routes)
    return app
