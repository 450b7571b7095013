"""The reminders benchmark's short run, so the script cannot rot and its promises are checked on every run:
each reminder due goes exactly once (a restart halfway included), none late or outside the window, at most one
Open Dental request per reminder and two per confirmation. The full run is on demand (docs/reminders.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_a_short_fortnight_sends_each_reminder_once_and_writes_the_confirmations_back() -> None:
    command = [sys.executable, "-m", "tests.bench.reminders", "--appointments", "24", "--days", "1", "--runs", "1", "--batch", "3"]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    run = figures["with_reminders"]
    assert run["sent"] > 0 and run["sent_exactly_once_share"] == 1.0
    assert run["sent_twice"] == run["missed"] == run["sent_too_late"] == run["sent_outside_window"] == 0
    assert run["od_requests_per_reminder_sent"] <= 1 and run["od_requests_per_confirmation"] <= 2
    assert run["confirmation_rate"] > figures["baseline"]["confirmation_rate"]
    assert figures["baseline"]["sent"] == 0
    assert figures["morning_batch_at_1_request_per_second"]["batch"] == 3
