"""The webhook benchmark's short run, so the script cannot rot: every figure is there, for every handler and
depth, and no delivery failed. The full run is on demand (`python -m tests.bench.webhook`); its figures are in
docs/performance.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_a_short_webhook_run_reports_every_figure() -> None:
    command = [sys.executable, "-m", "tests.bench.webhook", "--requests", "300", "--rounds", "1", "--practices", "100"]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    for handler in ("bare", "bot", "large"):
        for in_flight in (10, 50):
            figure = figures[f"{handler}_{in_flight}"]
            assert figure["failures"] == 0, (handler, in_flight, figure)
            assert figure["deliveries_per_s"] > 0 and 0 < figure["p50_ms"] <= figure["p99_ms"]
            # The bare handler's CPU over 300 deliveries can be under one clock tick; ours cannot.
            assert figure["cpu_us_per_ack"] > 0 or handler == "bare"
    assert figures["bot_over_bare_throughput_10"] > 0 and figures["bot_over_bare_throughput_50"] > 0
    assert figures["cpu_us_per_ack_1_practice"] > 0 and figures["cpu_us_per_ack_100_practices"] > 0
