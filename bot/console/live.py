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
from bot.keys import ALERTS_KEY, CONSOLE_KEY, OPERATOR_KEY
from flows.handoff import REASONS

KEEPALIVE_SECONDS = 15.0
STREAM_SECONDS = 300.0
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
            deadline = asyncio.get_running_loop().time() + STREAM_SECONDS
            while asyncio.get_running_loop().time() < deadline:
                try:
                    alert = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if operator.can_see(alert.practice_id):
                    await response.write(_event(alert, names.get(alert.practice_id, "")))
    finally:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
    return response


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
