"""The load benchmark's short run, so the script cannot rot: every conversation completes and every figure is
there. The full run is on demand (`python -m tests.bench.load`) and its figures are in the README."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_a_short_load_run_completes_every_conversation_and_reports_its_figures() -> None:
    command = [sys.executable, "-m", "tests.bench.load", "--practices", "2", "--patients", "4", "--workers", "1", "2", "--throttle", "0.2"]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert [run["workers"] for run in figures["runs"]] == [1, 2]
    for run in figures["runs"]:
        assert run["completed"] == run["conversations"] == 8, run["failed"]
        assert run["reply_ms"]["p50"] > 0 and run["od_requests_per_booking"] > 0
        assert run["redis_bytes_per_conversation"] > 0 and run["redis_book_cache_bytes_per_practice"] > 0
    assert figures["throughput_2w_over_1w_at_0.2s"] > 0
