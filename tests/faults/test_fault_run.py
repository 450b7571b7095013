"""The CI sample of the fault run (`python -m tests.faults.run --short`): with AOF, killed workers, a killed web
process and a Redis restart lose nothing, double nothing and tell nothing false."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_the_short_fault_run_counts_zero_of_everything_that_matters() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.faults.run", "--short"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["worker_kills"] >= 1 and report["web_kills"] >= 1 and report["redis_restarts"] >= 1, report
    zero = (
        "messages_lost_or_stuck",
        "duplicates_sent",
        "double_bookings",
        "false_replies",
        "bookings_without_commlog",
    )
    assert {k: report[k] for k in zero} == dict.fromkeys(zero, 0), report
    assert report["reply_max_s"] < 45, "recovery from a worker kill to the patient's reply stays under 45 s"
