"""Pure parts of refill, as tables: which change reports free time, and who is offered an opening, best first."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.practices import RefillSettings
from bot.refill import Opening, fits, freed_visit, ranked, worth_offering
from od_adapter import Appointment, AptStatus, BookChange

AT = datetime(2026, 12, 8, 14, 0)
NOW = datetime(2026, 12, 8, 9, 0)
RULES = RefillSettings(enabled=True)


def visit(apt: int, pat: int, start: datetime | None, *, status: AptStatus = AptStatus.SCHEDULED, minutes: int = 60, prov: int = 3, op: int = 3) -> Appointment:  # fmt: skip
    return Appointment(AptNum=apt, PatNum=pat, AptStatus=status, AptDateTime=start, Pattern="X" * (minutes // 5), ProvNum=prov, Op=op)  # type: ignore[call-arg]  # fmt: skip


OPENING = Opening(
    id="o", practice_id="p", start=AT, minutes=60, op=3, prov_num=3, freed_by=1, found_at=0, due=0
)
BEFORE = visit(10, 1, AT)
UNSCHEDULED_BEFORE = visit(10, 1, AT - timedelta(days=1), status=AptStatus.UNSCHED_LIST)


@pytest.mark.parametrize(
    ("change", "cause"),
    [
        (BookChange("broken", visit(10, 1, AT, status=AptStatus.BROKEN), BEFORE), "broken"),
        (BookChange("changed", visit(10, 1, AT, status=AptStatus.UNSCHED_LIST), BEFORE), "unscheduled"),
        (BookChange("deleted", BEFORE), "deleted"),
        (BookChange("moved", visit(10, 1, AT + timedelta(days=3)), BEFORE), "moved"),
        (BookChange("added", BEFORE), None),
        (BookChange("changed", visit(10, 1, AT), BEFORE), None),
        (BookChange("deleted", visit(10, 1, AT, status=AptStatus.BROKEN)), None),
        (BookChange("moved", visit(10, 1, AT), UNSCHEDULED_BEFORE), None),
    ],
)
def test_what_frees_time(change: BookChange, cause: str | None) -> None:
    found = freed_visit(change)
    assert (found[1] if found else None) == cause
    if found:
        assert found[0].apt_date_time == AT, "the time freed is the one the visit held before"


@pytest.mark.parametrize(("ahead", "worth"), [(timedelta(hours=5), True), (timedelta(minutes=120), True), (timedelta(minutes=119), False), (-timedelta(hours=1), False)])  # fmt: skip
def test_only_slots_beyond_the_lead_time_are_worth_offering(ahead: timedelta, worth: bool) -> None:
    assert worth_offering(visit(1, 1, NOW + ahead), RULES, NOW) is worth


@pytest.mark.parametrize(
    ("candidate", "fit"),
    [
        (visit(20, 2, AT + timedelta(days=9)), True),
        (visit(20, 2, AT + timedelta(days=9), minutes=40), True),
        (visit(20, 2, AT + timedelta(days=9), minutes=70), False),
        (visit(20, 2, AT - timedelta(hours=1)), False),
        (visit(20, 2, AT + timedelta(days=9), prov=1), False),
        (visit(20, 2, AT + timedelta(days=9), status=AptStatus.UNSCHED_LIST), False),
        (visit(20, 2, None), False),
    ],
)
def test_a_visit_fits_when_shorter_later_and_with_the_provider(candidate: Appointment, fit: bool) -> None:
    assert fits(OPENING, candidate, RULES) is fit


def test_any_provider_lets_another_providers_visit_fit() -> None:
    other = visit(20, 2, AT + timedelta(days=9), prov=1)
    assert fits(OPENING, other, RULES.model_copy(update={"any_provider": True}))


def test_ranked_by_time_gained_one_per_patient_never_the_one_who_freed_it() -> None:
    asap = [
        visit(20, 2, AT + timedelta(days=5)),
        visit(21, 3, AT + timedelta(days=40)),
        visit(22, 1, AT + timedelta(days=60)),  # freed it
        visit(23, 4, AT + timedelta(days=20)),
        visit(24, 2, AT + timedelta(days=50)),  # patient 2's other ASAP visit gains more
        visit(25, 5, AT + timedelta(days=30)),  # offered already
        visit(26, 6, AT + timedelta(days=45)),  # another visit within 30 days
    ]
    booked = {6: [NOW + timedelta(days=10)]}
    found = ranked(OPENING, asap, RULES, offered=[5], booked=booked, now=NOW)
    assert [v.apt_num for v in found] == [24, 21, 23]
