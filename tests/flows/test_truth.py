"""Every reply true: random sequences of booking, cancelling, moving, confirming, repeated and stale taps and
staff changes, over the whole stack and the Open Dental sandbox. After every message, what the assistant said
happened is what Open Dental shows for that patient, and no yes ever made two appointments."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.flows.test_conversations import Clinic, Patient, next_monday_at, open_clinic

ACTIONS = ("book", "book_same", "cancel", "reschedule", "confirm", "repeat_yes", "stale_yes", "staff_cancel")
# The demo practice is in the US: "Thursday, December 10, 2:00 PM".
WHEN = re.compile(r"(January|February|March|April|May|June|July|August|September|October|November|December) (\d{1,2}), (\d{1,2}:\d{2} [AP]M)")  # fmt: skip
MONTHS = {m: n for n, m in enumerate(("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"), 1)}  # fmt: skip
PHONES = itertools.count(5557300)


@pytest.fixture(name="clinic")
async def fixture_clinic(od_keys: None) -> AsyncIterator[Clinic]:
    async with open_clinic() as clinic:
        yield clinic


@dataclass
class Story:
    clinic: Clinic
    patient: Patient
    pat_num: int
    yeses: list[str] = field(default_factory=list)
    booked_rows: list[str] = field(default_factory=list)

    async def tap_yes(self) -> None:
        yes = next((b for b in self.patient.buttons if b.split(":")[0] == "yes"), None)
        if yes is not None:
            self.yeses.append(yes)
            await self.step(tap=yes)

    async def step(self, text: str | None = None, tap: str | None = None) -> None:
        if text is not None:
            await self.patient.say(text)
        else:
            assert tap is not None
            await self.patient.tap(tap)
        await self.check()

    async def visits(self) -> list[dict[str, Any]]:
        return await self.clinic.appointments_of(self.pat_num)

    async def check(self) -> None:
        """The reply's claims against Open Dental, and never two visits in one chair-time for this patient."""
        said = self.patient.text
        visits = await self.visits()
        scheduled = [v for v in visits if v["AptStatus"] == "Scheduled"]
        times = [v["AptDateTime"] for v in scheduled]
        assert len(times) == len(set(times)), f"two appointments at one time: {times}"
        for claim, pattern in (("booked", "Booked! "), ("moved", "is now on "), ("cancelled", "is cancelled"), ("confirmed", "is confirmed")):  # fmt: skip
            if pattern not in said:
                continue
            match = WHEN.search(said)
            assert match, said
            day, month = int(match[2]), MONTHS[match[1]]
            clock = datetime.strptime(match[3], "%I:%M %p").strftime("%H:%M")
            at = [v for v in visits if int(v["AptDateTime"][8:10]) == day and int(v["AptDateTime"][5:7]) == month and v["AptDateTime"][11:16] == clock]  # fmt: skip
            if claim in ("booked", "moved"):
                assert any(v["AptStatus"] == "Scheduled" for v in at), (
                    f"said {said!r}; Open Dental shows {visits}"
                )
            elif claim == "cancelled":
                assert not any(v["AptStatus"] == "Scheduled" for v in at), f"said {said!r}; Open Dental: {at}"
            else:
                assert any(v["confirmed"] == "Confirmed" for v in at), f"said {said!r}; Open Dental: {at}"

    async def act(self, action: str) -> None:
        p = self.patient
        if action in ("book", "book_same"):
            await self.step("I'd like to book a cleaning next week")
            rows = [r["id"] for r in p.rows if r["id"].startswith("opt:")]
            if rows:
                again = [r for r in rows if r in self.booked_rows]
                row = again[0] if action == "book_same" and again else rows[0]
                self.booked_rows.append(row)
                await self.step(tap=row)
                await self.tap_yes()
        elif action in ("cancel", "reschedule", "confirm"):
            words = {"cancel": "I need to cancel my appointment", "reschedule": "I need to reschedule my appointment", "confirm": "I want to confirm my appointment"}  # fmt: skip
            await self.step(words[action])
            if [r for r in p.rows if r["id"].startswith("apt:")]:
                await self.step(tap=p.rows[0]["id"])
            if action == "reschedule" and [r for r in p.rows if r["id"].startswith("opt:")]:
                await self.step(tap=p.rows[0]["id"])
            if action != "confirm":
                await self.tap_yes()
        elif action in ("repeat_yes", "stale_yes") and self.yeses:
            await self.step(tap=self.yeses[-1] if action == "repeat_yes" else self.yeses[0])
        elif action == "staff_cancel":
            scheduled = [v for v in await self.visits() if v["AptStatus"] == "Scheduled"]
            if scheduled:
                await self.clinic.od.put(f"appointments/{scheduled[-1]['AptNum']}/Break", json={"sendToUnscheduledList": True})  # fmt: skip


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True)  # fmt: skip
@given(actions=st.lists(st.sampled_from(ACTIONS), min_size=3, max_size=7))
async def test_every_reply_matches_what_open_dental_shows(clinic: Clinic, actions: list[str]) -> None:
    phone = f"1503{next(PHONES)}"
    pat_num, _ = await clinic.new_patient_with_visit(
        "Truth", f"({phone[1:4]}) {phone[4:7]}-{phone[7:]}", next_monday_at(9)
    )
    story = Story(clinic, clinic.patient(phone), pat_num)
    for action in actions:
        await story.act(action)
