"""Webhook acknowledgement throughput, latency and CPU, next to a bare aiohttp handler in the same run.

Starts its own redis-server on a free loopback port, two `python -m bot serve --no-worker` on it (one with the
demo's single practice, one with a generated file of `--practices` practices, 1,000 by default) and a bare
aiohttp app that answers 200 to anything. The same client then posts signed, unique deliveries with 10 and 50
requests in flight to each, and measures deliveries per second, the p50/p99 time to the 200, and the server
process's CPU per acknowledgement (user + system, from /proc). Each figure is the median of `--rounds` rounds;
the ratio to the bare handler is taken within each round, as it is the figure that holds across machines.
Prints a table, then one line of JSON.

    python -m tests.bench.webhook [--requests 4000] [--rounds 3] [--practices 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.records.crypto import new_key
from bot.settings import demo_practices_file
from bot.whatsapp.webhook import sign
from tests.deliveries import PRACTICE_ID, text_delivery
from tests.redis_server import start_redis

ROOT = Path(__file__).parents[2]
SECRET = "bench-secret"
IN_FLIGHT = (10, 50)
WARM_UP = 200
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


def delivery(n: int, practices: int = 1) -> bytes:
    """A unique text delivery; with `practices`, addressed to one of the generated practices in turn."""
    practice_id = str(int(PRACTICE_ID) + n % practices)
    body = text_delivery(
        f"wamid.BENCH{n:09d}",
        f"Can I book a cleaning next week? #{n}",
        practice_id=practice_id,
        sender=f"1503{n:07d}",
        name="Bench",
    )
    return json.dumps(body).encode()


def practices_file(count: int, directory: Path) -> Path:
    """The demo practice repeated `count` times, each under its own phone_number_id."""
    demo = demo_practices_file().read_text(encoding="utf-8")
    first = re.search(r"^\[\[practices\]\]", demo, flags=re.M)
    assert first is not None, "the demo practices file has a practice"
    block = demo[first.start() :]
    blocks = [
        re.sub(r'^phone_number_id = ".*"$', f'phone_number_id = "{int(PRACTICE_ID) + i}"', block, flags=re.M)
        for i in range(count)
    ]
    path = directory / f"practices-{count}.toml"
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


async def wait_for_port(
    port: int, deadline: float = 60.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process meant to listen on {port} exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


@dataclass
class Server:
    """A handler under benchmark: its port, its process (whose CPU is read), and the deliveries it accepts."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    practices: int = 1

    def cpu_seconds(self) -> float:
        """User + system CPU of the process so far (Linux /proc; fields 14 and 15 of its stat line)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(url: str, bodies: list[bytes], in_flight: int) -> dict[str, float]:
    """Post every body with `in_flight` requests outstanding; return throughput and latency percentiles."""
    latencies: list[float] = []
    failures = 0
    pending = [(body, sign(SECRET, body)) for body in reversed(bodies)]
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            nonlocal failures
            while pending:
                body, signature = pending.pop()
                headers = {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
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


class Counter:
    """Delivery numbers never reused across runs, so the webhook's dedupe never skips one."""

    def __init__(self) -> None:
        self.next = 0

    def take(self, count: int) -> range:
        self.next += count
        return range(self.next - count, self.next)


async def run(server: Server, in_flight: int, requests: int, numbers: Counter) -> dict[str, float]:
    """One warmed-up run against one server; adds its CPU per acknowledgement in µs."""
    url = f"http://127.0.0.1:{server.port}/webhook/whatsapp"
    await load(url, [delivery(n, server.practices) for n in numbers.take(WARM_UP)], in_flight)
    bodies = [delivery(n, server.practices) for n in numbers.take(requests)]
    cpu = server.cpu_seconds()
    figure = await load(url, bodies, in_flight)
    figure["cpu_us_per_ack"] = round((server.cpu_seconds() - cpu) / requests * 1e6)
    return figure


async def measure(servers: list[Server], requests: int, rounds: int) -> list[dict[str, dict[str, float]]]:
    """Every round runs every handler at every depth, interleaved, so they share the machine's noise."""
    for server in servers:
        await wait_for_port(server.port, process=server.process)
    numbers = Counter()
    results = []
    for _ in range(rounds):
        figures: dict[str, dict[str, float]] = {}
        for in_flight in IN_FLIGHT:
            for server in servers:
                figures[f"{server.name}_{in_flight}"] = await run(server, in_flight, requests, numbers)
        results.append(figures)
    return results


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


def start_servers(redis_port: int, workdir: Path, practices: int) -> list[Server]:
    def serve(name: str, count: int, **extra: str) -> Server:
        port = free_port()
        command = [sys.executable, "-m", "bot", "serve", "--no-worker", "--port", str(port)]
        env = web_process_env(redis_port, **extra)
        return Server(
            name, port, subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL), count
        )

    bare_port = free_port()
    bare = subprocess.Popen([sys.executable, "-c", BARE_APP, str(bare_port)], stdout=subprocess.DEVNULL)
    large = practices_file(practices, workdir)
    return [
        Server("bare", bare_port, bare),
        serve("bot", 1),
        serve("large", practices, PRACTICES_FILE=str(large)),
    ]


def main(requests: int, rounds: int, practices: int) -> None:
    redis_port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    redis = start_redis(redis_port, workdir, aof=True)  # `serve` refuses a Redis that keeps nothing
    servers = start_servers(redis_port, workdir, practices)
    try:
        results = asyncio.run(measure(servers, requests, rounds))
    finally:
        for process in [s.process for s in servers] + [redis]:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    report(summarise(results, requests, practices))


def summarise(results: list[dict[str, dict[str, float]]], requests: int, practices: int) -> dict[str, Any]:
    """Medians over the rounds of every figure, and of the per-round ratios to the bare handler."""
    figures: dict[str, Any] = {"requests": requests, "rounds": len(results), "practices": practices}
    for key in results[0]:
        figures[key] = {f: statistics.median([r[key][f] for r in results]) for f in results[0][key]}
    for n in IN_FLIGHT:
        ratios = [r[f"bot_{n}"]["deliveries_per_s"] / r[f"bare_{n}"]["deliveries_per_s"] for r in results]
        figures[f"bot_over_bare_throughput_{n}"] = round(statistics.median(ratios), 2)
    figures["cpu_us_per_ack_1_practice"] = figures["bot_10"]["cpu_us_per_ack"]
    figures[f"cpu_us_per_ack_{practices}_practices"] = figures["large_10"]["cpu_us_per_ack"]
    return figures


def report(figures: dict[str, Any]) -> None:
    labels = {
        "bare": "bare aiohttp 200",
        "bot": "webhook, 1 practice",
        "large": f"webhook, {figures['practices']} practices",
    }
    print("| in flight | handler | deliveries/s | p50 ms | p99 ms | CPU µs/ack | failures |")
    print("|---|---|---|---|---|---|---|")
    for key, figure in figures.items():
        if isinstance(figure, dict):
            name, in_flight = key.split("_")
            print(
                f"| {in_flight} | {labels[name]} | {figure['deliveries_per_s']:.0f} | {figure['p50_ms']} "
                f"| {figure['p99_ms']} | {figure['cpu_us_per_ack']:.0f} | {figure['failures']:.0f} |"
            )
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4000, help="deliveries per run, after a warm-up")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--practices", type=int, default=1000, help="practices in the large configuration")
    args = parser.parse_args()
    main(args.requests, args.rounds, args.practices)
