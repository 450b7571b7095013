"""Webhook acknowledgement throughput and latency, next to a bare aiohttp handler in the same run.

Starts its own redis-server on a free loopback port, `python -m bot serve --no-worker` on it, and a bare aiohttp
app that answers 200 to anything; then posts signed, unique deliveries with N requests in flight and measures
deliveries per second and the p50/p99 time to the 200. The ratio to the bare handler is the figure that holds
across machines. Prints a table, then one line of JSON.

    python -m tests.bench.webhook [--requests 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bot.records.crypto import new_key
from bot.whatsapp.webhook import sign
from tests.deliveries import text_delivery
from tests.redis_server import start_redis

ROOT = Path(__file__).parents[2]
SECRET = "bench-secret"
BARE_APP = """
import sys
from aiohttp import web
async def ok(request):
    await request.read()
    return web.Response(text="ok")
app = web.Application()
app.router.add_post("/webhook/whatsapp", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def delivery(n: int) -> bytes:
    body = text_delivery(
        f"wamid.BENCH{n:09d}", f"Can I book a cleaning next week? #{n}", sender=f"1503{n:07d}", name="Bench"
    )
    return json.dumps(body).encode()


async def wait_for_port(port: int, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


async def load(url: str, bodies: list[bytes], in_flight: int) -> dict[str, float]:
    """Post every body with `in_flight` requests outstanding; return throughput and latency percentiles."""
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            nonlocal failures
            while not queue.empty():
                body = queue.get_nowait()
                headers = {"X-Hub-Signature-256": sign(SECRET, body), "Content-Type": "application/json"}
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    failures += response.status != 200
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(in_flight)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "deliveries_per_s": round(len(bodies) / elapsed),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
        "failures": failures,
    }


async def measure(bot_port: int, bare_port: int, requests: int) -> dict[str, dict[str, float]]:
    await wait_for_port(bot_port)
    await wait_for_port(bare_port)
    figures: dict[str, dict[str, float]] = {}
    counter = 0
    for in_flight in (10, 50):
        for name, port in (("bare", bare_port), ("bot", bot_port)):
            bodies = [delivery(counter + i) for i in range(requests + 200)]
            counter += len(bodies)
            url = f"http://127.0.0.1:{port}/webhook/whatsapp"
            await load(url, bodies[:200], in_flight)  # warm-up
            figures[f"{name}_{in_flight}"] = await load(url, bodies[200:], in_flight)
    return figures


def web_process_env(redis_port: int, **extra: str) -> dict[str, str]:
    """The environment of a `python -m bot serve` under benchmark: its secrets, the bench's Redis, quiet logs."""
    return {
        **os.environ,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_VERIFY_TOKEN": "v",
        "WHATSAPP_TOKEN": "t",
        "DATA_ENCRYPTION_KEYS": new_key(),
        "CONVERSATION_KEY": "k",
        "CONSOLE_SECRET": "console-secret",
        "CHOICE_ID_SECRET": "bench-choice-id-secret",
        "METRICS_ADDRESS": "127.0.0.1:0",
        "DEMO_OD_DEVELOPER_KEY": "d",
        "DEMO_OD_CUSTOMER_KEY": "c",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def main(requests: int) -> None:
    redis_port, bot_port, bare_port = free_port(), free_port(), free_port()
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    redis = start_redis(redis_port, Path(workdir), aof=True)  # `serve` refuses a Redis that keeps nothing
    env = web_process_env(redis_port)
    serve = [sys.executable, "-m", "bot", "serve", "--no-worker", "--port", str(bot_port)]
    bot = subprocess.Popen(serve, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    bare = subprocess.Popen([sys.executable, "-c", BARE_APP, str(bare_port)], stdout=subprocess.DEVNULL)
    try:
        figures = asyncio.run(measure(bot_port, bare_port, requests))
    finally:
        for process in (bot, bare, redis):
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    report(figures)


def report(figures: dict[str, dict[str, float]]) -> None:
    print("| in flight | handler | deliveries/s | p50 ms | p99 ms | failures |")
    print("|---|---|---|---|---|---|")
    for key, figure in figures.items():
        name, in_flight = key.split("_")
        label = "bare aiohttp 200" if name == "bare" else "webhook (verify, parse, dedupe+enqueue in Redis)"
        print(
            f"| {in_flight} | {label} | {figure['deliveries_per_s']} | {figure['p50_ms']} | {figure['p99_ms']} "
            f"| {figure['failures']} |"
        )
    ratios = {
        f"bot_over_bare_throughput_{n}": round(
            figures[f"bot_{n}"]["deliveries_per_s"] / figures[f"bare_{n}"]["deliveries_per_s"], 2
        )
        for n in (10, 50)
    }
    print(json.dumps({**figures, **ratios}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4000)
    main(parser.parse_args().requests)
