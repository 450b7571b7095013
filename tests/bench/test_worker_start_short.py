"""The worker start-up benchmark's short run, so the script cannot rot: both practices files start and every
figure is there. The full run is on demand (`python -m tests.bench.worker_start`); its figures are in
docs/performance.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_a_short_worker_start_run_reports_every_figure() -> None:
    command = [sys.executable, "-m", "tests.bench.worker_start", "--practices", "20", "--rounds", "1"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    for count in (1, 20):
        assert figures[f"practices_{count}"]["start_s"] > 0 and figures[f"practices_{count}"]["rss_mb"] > 0
