"""The simulated patients' CI sample: a fixed seed, 100 conversations over ten sandbox offices through the real
webhook and processes, with every invariant checked against Open Dental. The full run and its figures are
`python -m tests.patients.run` (docs/understanding.md, "Simulated patients")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.patients import banks

ROOT = Path(__file__).parents[2]
SAMPLE = 100


def test_every_message_the_issue_quotes_is_in_a_bank() -> None:
    texts = {
        *(ask.text for asks in banks.BOOK.values() for ask in asks),
        *(t for bank in (banks.FAMILY_BOOK, banks.NEW_BOOK, banks.RESCHEDULE, banks.CANCEL, banks.CONFIRM,
                         banks.STAFF, banks.EMERGENCY, banks.YES, banks.CHOICES, banks.CHITCHAT, banks.WHO)
          for items in bank.values() for t in items),
        *(t for items in banks.INFO.values() for t, _ in items),
    }  # fmt: skip
    templated = {"10am works": "{h12} works", "the wed 9th one pls": "the {wd} {nth} one pls", "the one at 11": "the one at {hour}", "la de las 11": "la de las {hour}"}  # fmt: skip
    assert [m for m in banks.ISSUE_MESSAGES if m not in texts and templated.get(m) not in texts] == []


def test_the_halves_are_fixed_and_disjoint() -> None:
    for language, asks in banks.BOOK.items():
        dev, held = banks.half(asks, "dev"), banks.half(asks, "held")
        assert dev and held and not set(dev) & set(held), language


def test_a_fixed_sample_keeps_every_invariant_and_mostly_succeeds() -> None:
    command = [sys.executable, "-m", "tests.patients.run", "--conversations", str(SAMPLE), "--seed", "18"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])["change"]
    conversations = figures["dev"]["conversations"] + figures["held"]["conversations"]
    assert conversations == SAMPLE
    assert figures["violations_by_class"] == {}, done.stdout[-6000:]
    succeeded = sum(figures[h]["success"] * figures[h]["conversations"] for h in ("dev", "held"))
    assert succeeded / SAMPLE >= 0.9, (figures["failures_by_class"], done.stdout[-6000:])
