"""The README's own walkthrough books: its curl lines, read from README.md itself (not a copy), run with curl
against the demo (both sandboxes, on a free port instead of 8080), one line at a time as a person would, each
waiting for the reply before the next, and Open Dental must then hold the booking."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx

from tests.flows.test_conversations import Clinic, open_clinic

README = Path(__file__).parents[2] / "README.md"
DEMO = "http://127.0.0.1:8080"


def walkthrough() -> tuple[str, list[str]]:
    """The `say` function and the lines after it, from the README's first bash block that defines `say`."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    block = next(b for b in blocks if "say() {" in b)
    lines = [line for line in block.replace("\\\n", " ").splitlines() if line.strip()]  # continuations joined
    start = next(i for i, line in enumerate(lines) if line.startswith("say() {"))
    define = lines[start]
    steps = [
        line.split("  #")[0].strip() for line in lines[start + 1 :] if line.startswith(("say ", "curl "))
    ]
    return define, steps


async def run_line(define: str, line: str, base: str) -> str:
    script = f"{define}\n{line}".replace(DEMO, base)
    process = await asyncio.create_subprocess_exec(
        "bash", "-c", script, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def wait_for_reply(clinic: Clinic, before: int) -> None:
    deadline = time.monotonic() + 15
    while len(clinic.fake.sent) == before:
        assert time.monotonic() < deadline, "no reply"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)


async def test_the_readme_walkthrough_books(od_keys: None) -> None:
    define, steps = walkthrough()
    assert [s.split()[0] for s in steps][:4] == ["say", "curl", "say", "say"], steps
    async with open_clinic() as clinic:
        before = {a["AptNum"] for a in await clinic.appointments_of(1)}
        for line in steps:
            sent = len(clinic.fake.sent)
            await run_line(define, line, clinic.base)
            if line.startswith("say "):
                await wait_for_reply(clinic, sent)
        texts = [m.body.get("text", {}).get("body", "") for m in clinic.fake.sent]
        said = [m.body.get("text", m.body.get("interactive", {}).get("body", {})) for m in clinic.fake.sent]
        assert any(t.startswith("Booked!") for t in texts), said
        new = [a for a in await clinic.appointments_of(1) if a["AptNum"] not in before]
        assert len(new) == 1 and new[0]["AptStatus"] == "Scheduled"


async def od_counts(clinic: Clinic) -> dict[str, int]:
    async with httpx.AsyncClient() as client:
        return dict((await client.get(f"{clinic.base}/sandbox/od/_admin/counters")).json()["by_endpoint"])


async def test_the_nearest_times_cost_no_open_dental_request_beyond_the_search(od_keys: None) -> None:
    async with open_clinic() as clinic:
        jane = clinic.patient("15035551234")
        await jane.say("can I get a cleaning in the next 3 weeks?")  # the book for those days is now cached
        before = await od_counts(clinic)
        # The practice books until 18:00 (`booking.latest`): that evening is never free, whatever the book.
        said = await jane.say("can I get a cleaning next tuesday after 6pm?")
        after = await od_counts(clinic)
        assert said.startswith("Nothing is free on") and jane.rows, said
        spent = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
        # At most the one incremental refresh any search may make: the wider search reads the cache only.
        assert spent in ({}, {"GET /appointments": 1}), spent
