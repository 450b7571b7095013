"""`/console/alerts`: handoffs pushed to the open console tabs as server-sent events.

Each stream carries only the practices its operator may see, and only PHI-free fields (the conversation id,
the reason, the practice's name). A stream lasts a few minutes and the browser reconnects on its own, so an
ended session or a removed account stops receiving at the next reconnect (the sign-in check runs on each).
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import web

from bot.alerts import Alert
from bot.console.security import HEADERS
from bot.keys import ALERTS_KEY, CLOSING_KEY, CONSOLE_KEY, OPERATOR_KEY
from flows.handoff import REASONS

KEEPALIVE_SECONDS = 15.0
STREAM_SECONDS = 300.0
TICK_SECONDS = 1.0
"""How often a stream looks whether its browser went away or the server is stopping (aiohttp does not
cancel a handler when its client leaves, and a shutdown waits for handlers)."""
RECONNECT_MS = 3000


async def alerts(request: web.Request) -> web.StreamResponse:
    """Stream handoff alerts until the stream's time is up or the browser goes away."""
    operator, console = request[OPERATOR_KEY], request.config_dict[CONSOLE_KEY]
    names = {p.phone_number_id: p.name for p in console.practices.practices}
    queue: asyncio.Queue[Alert] = asyncio.Queue()
    pump = asyncio.create_task(_pump(request, queue), name="console-alerts")
    response = web.StreamResponse(headers={**HEADERS, "Content-Type": "text/event-stream"})
    try:
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):  # the tab was closed
            await response.write(f"retry: {RECONNECT_MS}\n\n".encode())
            loop = asyncio.get_running_loop()
            deadline, quiet_since = loop.time() + STREAM_SECONDS, loop.time()
            while loop.time() < deadline and _open(request):
                try:
                    alert = await asyncio.wait_for(queue.get(), TICK_SECONDS)
                except TimeoutError:
                    if loop.time() - quiet_since > KEEPALIVE_SECONDS:
                        await response.write(b": keep-alive\n\n")
                        quiet_since = loop.time()
                    continue
                if operator.can_see(alert.practice_id):
                    await response.write(_event(alert, names.get(alert.practice_id, "")))
    finally:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
    return response


def _open(request: web.Request) -> bool:
    transport = request.transport
    return transport is not None and not transport.is_closing() and not request.app[CLOSING_KEY].is_set()


def stop_streams(app: web.Application) -> None:
    """At shutdown: every stream ends within a tick instead of holding the server for its lifetime."""
    app[CLOSING_KEY] = asyncio.Event()

    async def closing(app: web.Application) -> None:
        app[CLOSING_KEY].set()

    app.on_shutdown.append(closing)


async def _pump(request: web.Request, queue: asyncio.Queue[Alert]) -> None:
    async for alert in request.config_dict[ALERTS_KEY].listen():
        queue.put_nowait(alert)


def _event(alert: Alert, practice: str) -> bytes:
    data = {
        "conversation": alert.conversation,
        "reason": REASONS.get(alert.reason, alert.reason),
        "practice": practice,
        "at": alert.at,
    }
    return f"event: handoff\ndata: {json.dumps(data)}\n\n".encode()
