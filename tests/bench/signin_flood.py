"""Webhook latency with and without a concurrent flood of console sign-ins, in one run.

Starts its own redis-server on a free loopback port and `python -m bot serve --no-worker` on it, then measures
the time to the webhook's 200 for signed, unique deliveries (N in flight), alternately alone and while clients
post sign-ins with random usernames from random addresses (the trusted proxy header is configured, so the
per-address limit does not stop them: the worst case, a distributed attack, where only the bounded hashing
queue stands between the flood and the event loop). Three rounds of each, figures are medians of the rounds.
Everything targets 127.0.0.1 only; the flood is bounded in count and in time. Prints a table, then one line
of JSON.

    python -m tests.bench.signin_flood [--deliveries 600] [--flooders 24] [--rate 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from bot.whatsapp.webhook import sign
from tests.bench.webhook import SECRET, delivery, free_port, wait_for_port, web_process_env
from tests.redis_server import start_redis

ROOT = Path(__file__).parents[2]
HOST = "127.0.0.1"
MAX_SIGN_INS = 5000  # per flood, whatever its duration
MAX_FLOOD_SECONDS = 60.0
IN_FLIGHT = 10
ROUNDS = 3


async def webhook_round(port: int, first: int, count: int) -> dict[str, float]:
    """Post `count` deliveries with IN_FLIGHT outstanding; latency percentiles in ms."""
    latencies: list[float] = []
    failures = 0
    pending = list(range(first, first + count))
    url = f"http://{HOST}:{port}/webhook/whatsapp"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=IN_FLIGHT)) as session:

        async def client() -> None:
            nonlocal failures
            while pending:
                body = delivery(pending.pop())
                headers = {"X-Hub-Signature-256": sign(SECRET, body), "Content-Type": "application/json"}
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    failures += response.status != 200
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(client() for _ in range(IN_FLIGHT)))
    ordered = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "failures": failures,
    }


async def flood(port: int, flooders: int, rate: float, stop: asyncio.Event) -> Counter[int]:
    """Sign-ins with random usernames from random addresses, `rate` a second from up to `flooders` connections,
    until `stop` (bounded in count and time)."""
    statuses: Counter[int] = Counter()
    next_at = time.monotonic()
    base = f"http://{HOST}:{port}/console"
    jar = aiohttp.CookieJar(unsafe=True)  # the login cookie is set for an IP address
    deadline = time.monotonic() + MAX_FLOOD_SECONDS
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(f"{base}/login") as form:
            text = await form.text()
        token = text.split('name="csrf" value="', 1)[1].split('"', 1)[0]

        async def flooder() -> None:
            nonlocal next_at
            while not stop.is_set() and sum(statuses.values()) < MAX_SIGN_INS and time.monotonic() < deadline:
                slot, next_at = next_at, max(next_at, time.monotonic() - 1.0) + 1 / rate
                await asyncio.sleep(max(0.0, slot - time.monotonic()))
                data = {
                    "username": f"x{random.getrandbits(40):x}",
                    "password": "guessing-guessing",
                    "csrf": token,
                }
                address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
                async with session.post(
                    f"{base}/login", data=data, headers={"X-Forwarded-For": address}, allow_redirects=False
                ) as response:
                    await response.read()
                    statuses[response.status] += 1

        await asyncio.gather(*(flooder() for _ in range(flooders)))
    return statuses


async def run_flooder(port: int, flooders: int, rate: float) -> None:
    """The flood in a process of its own (so its clients do not delay the measuring client): it floods until
    its stdin closes, then prints the status counts as JSON."""
    stop = asyncio.Event()
    attack = asyncio.create_task(flood(port, flooders, rate, stop))
    await asyncio.to_thread(sys.stdin.read)
    stop.set()
    print(json.dumps(await attack))


async def measure(port: int, deliveries: int, flooders: int, rate: float) -> dict[str, Any]:
    await wait_for_port(port)
    await webhook_round(port, 0, 200)  # warm-up
    quiet: list[dict[str, float]] = []
    flooded: list[dict[str, float]] = []
    sign_ins: Counter[int] = Counter()
    counter = 1000
    command = [
        sys.executable,
        "-m",
        "tests.bench.signin_flood",
        "--flood-port",
        str(port),
        "--flooders",
        str(flooders),
    ]
    for _ in range(ROUNDS):
        quiet.append(await webhook_round(port, counter, deliveries))
        counter += deliveries
        attack = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        await asyncio.sleep(
            1.0
        )  # the flood is running and the hashing queue full before the webhook is measured
        flooded.append(await webhook_round(port, counter, deliveries))
        counter += deliveries
        out, _ = await asyncio.wait_for(attack.communicate(b""), MAX_FLOOD_SECONDS + 10)
        sign_ins += Counter({int(k): v for k, v in json.loads(out).items()})
    return {
        "without_flood": _medians(quiet),
        "with_flood": _medians(flooded),
        "sign_in_statuses": {str(k): v for k, v in sorted(sign_ins.items())},
        "rate": rate,
    }


def _medians(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(r[key] for r in rounds), 2) for key in rounds[0]}


def main(deliveries: int, flooders: int, rate: float) -> None:
    redis_port, bot_port = free_port(), free_port()
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    redis = start_redis(redis_port, Path(workdir), aof=True)  # `serve` refuses a Redis that keeps nothing
    env = web_process_env(
        redis_port,
        CONSOLE_CLIENT_IP_HEADER="X-Forwarded-For",
        CONSOLE_SECURE_COOKIES="false",  # plain HTTP on the loopback
    )
    serve = [sys.executable, "-m", "bot", "serve", "--no-worker", "--host", HOST, "--port", str(bot_port)]
    bot = subprocess.Popen(serve, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        figures = asyncio.run(measure(bot_port, deliveries, flooders, rate))
    finally:
        for process in (bot, redis):
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    report(figures)


def report(figures: dict[str, Any]) -> None:
    print(
        f"| webhook ({IN_FLIGHT} in flight, medians of {ROUNDS} rounds) | p50 ms | p99 ms | max ms | failures |"
    )
    print("|---|---|---|---|---|")
    for name in ("without_flood", "with_flood"):
        f = figures[name]
        print(
            f"| {name.replace('_', ' ')} | {f['p50_ms']} | {f['p99_ms']} | {f['max_ms']} | {f['failures']} |"
        )
    print(f"sign-in answers during the floods: {figures['sign_in_statuses']}")
    figures["flood_rate_per_s"] = figures.pop("rate")
    figures["p50_ratio"] = round(figures["with_flood"]["p50_ms"] / figures["without_flood"]["p50_ms"], 2)
    figures["p99_ratio"] = round(figures["with_flood"]["p99_ms"] / figures["without_flood"]["p99_ms"], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=600)
    parser.add_argument("--flooders", type=int, default=24)
    parser.add_argument("--rate", type=float, default=200.0, help="sign-ins per second during a flood")
    parser.add_argument("--flood-port", type=int, help=argparse.SUPPRESS)  # the flood's own process
    args = parser.parse_args()
    if args.flood_port:
        asyncio.run(run_flooder(args.flood_port, args.flooders, args.rate))
    else:
        main(args.deliveries, args.flooders, args.rate)
