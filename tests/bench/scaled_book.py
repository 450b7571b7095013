"""What a large practice costs to read: the demo practice at `--scale 1` and `--scale 50` (or those given).

For each scale, starts the Open Dental sandbox with that scale and no throttle, counts its rows (the whole book,
and the two weeks from today), then does the cold two-week read the book cache does before a first search
(providers, operatories, appointment types, then the schedules and the appointments of those days, each paged
100 rows at a time as on Open Dental's Remote API) and counts its requests per endpoint. At the real throttle
of 1 request/s, the requests are the seconds that read takes. Prints a table, then the figures as one JSON line.

    python -m tests.bench.scaled_book [SCALE ...]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import date, timedelta
from typing import Any

from aiohttp.test_utils import TestServer

from bot.practices import load_practices
from bot.sandbox.demo import scale_demo_practices
from bot.settings import demo_practices_file
from od_adapter.book_cache import BookCache
from od_adapter.sandbox import SandboxSettings, create_sandbox_app
from od_adapter.sandbox.keys import SANDBOX_KEY
from od_adapter.store import MemoryStore
from tests.conftest import make_client

DAYS = 14


async def measure(scale: int) -> dict[str, Any]:
    app = create_sandbox_app(SandboxSettings(scale=scale, throttle_seconds=0, readonly_throttle_seconds=0))
    sandbox = app[SANDBOX_KEY]
    office = sandbox.offices[1]
    start = date.today()
    end = start + timedelta(days=DAYS - 1)
    figures: dict[str, Any] = {
        "scale": scale,
        "providers": len(office.providers),
        "operatories": len(office.operatories),
        "patients": len(office.patients),
        "appointments": len(office.appointments),
        "schedules": len(office.schedules),
        "appointments_two_weeks": sum(
            1
            for a in office.appointments.values()
            if a.apt_date_time and start <= a.apt_date_time.date() <= end
        ),
        "schedules_two_weeks": sum(
            1 for s in office.schedules.values() if s.sched_date and start <= s.sched_date <= end
        ),
    }
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        practice = scale_demo_practices(load_practices(demo_practices_file()), scale).practices[0]
        async with make_client(server) as od:
            cache = BookCache(od, MemoryStore(), practice.od)
            sandbox.counters.clear()
            started = time.perf_counter()
            book = await cache.book(start, end)
            figures["cold_read_seconds_unthrottled"] = round(time.perf_counter() - started, 2)
            figures["cold_read_requests"] = od.stats.requests
            figures["cold_read_by_endpoint"] = dict(sandbox.counters)
            assert len(book.appointments) == figures["appointments_two_weeks"]
    finally:
        await server.close()
    return figures


async def main(scales: list[int]) -> None:
    results = [await measure(scale) for scale in scales]
    print(f"{'scale':>5} {'appointments':>12} {'schedules':>9} {'2-week apts':>11} {'2-week scheds':>13} {'cold read requests':>18}")  # fmt: skip
    for r in results:
        print(f"{r['scale']:>5} {r['appointments']:>12} {r['schedules']:>9} {r['appointments_two_weeks']:>11} {r['schedules_two_weeks']:>13} {r['cold_read_requests']:>18}")  # fmt: skip
    print(json.dumps({"scaled_book": results}))


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [1, 50]))
