"""An idle worker's start-up time and memory, with the demo's single practice and with a generated file of many.

Starts its own redis-server on a free loopback port, then `python -m bot worker` on it once per practices file,
and measures the time from launch to "Worker consuming the inbound queue" and the process's resident memory a
second later (VmRSS, from /proc). Each figure is the median of `--rounds` starts. Prints a table, then one
line of JSON.

    python -m tests.bench.worker_start [--practices 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.settings import demo_practices_file
from tests.bench.webhook import ROOT, free_port, practices_file, web_process_env
from tests.redis_server import start_redis

READY = "Worker consuming the inbound queue"


def resident_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return round(int(line.split()[1]) / 1024, 1)


def start_once(redis_port: int, practices: Path) -> dict[str, float]:
    """Launch a worker, wait for it to say it consumes, read its memory once idle, stop it."""
    env = web_process_env(redis_port, PRACTICES_FILE=str(practices))
    started = time.monotonic()
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout is not None
        line = worker.stdout.readline()
        if READY not in line:
            raise RuntimeError(f"the worker did not start: {line!r} (exit {worker.poll()})")
        seconds = time.monotonic() - started
        time.sleep(1.0)  # idle: its first reads of the queue are done
        return {"start_s": round(seconds, 2), "rss_mb": resident_mb(worker.pid)}
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def main(practices: int, rounds: int) -> None:
    redis_port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="bench-worker-"))
    redis = start_redis(redis_port, workdir, aof=True)  # `worker` refuses a Redis that keeps nothing
    files = {1: demo_practices_file(), practices: practices_file(practices, workdir)}
    try:
        runs = {count: [start_once(redis_port, path) for _ in range(rounds)] for count, path in files.items()}
    finally:
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    figures: dict[str, object] = {"rounds": rounds}
    print("| practices | start s | idle RSS MB |")
    print("|---|---|---|")
    for count, starts in runs.items():
        figure = {key: statistics.median(s[key] for s in starts) for key in starts[0]}
        figures[f"practices_{count}"] = figure
        print(f"| {count} | {figure['start_s']} | {figure['rss_mb']} |")
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--practices", type=int, default=1000, help="practices in the large file")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    main(args.practices, args.rounds)
