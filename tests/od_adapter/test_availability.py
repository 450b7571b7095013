"""The availability algorithm on hand-built books, one rule per test."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from od_adapter.availability import (
    Book,
    PartOfDay,
    Preferences,
    UnknownAppointmentType,
    find_openings,
    openings_from_slots,
    rank,
)
from od_adapter.config import AppointmentTypeRule, BookingRules
from od_adapter.models import (
    Appointment,
    AppointmentType,
    AptStatus,
    Operatory,
    Provider,
    SchedType,
    Schedule,
    Slot,
)
from od_adapter.options import InvalidOption, Option, parse_option_id

ZONE = ZoneInfo("America/New_York")
KEY = b"test-choice-id-secret"
MONDAY = date(2030, 3, 4)
NOW = datetime(2030, 3, 1, 9, 0, tzinfo=ZONE)
EXAM = AppointmentTypeRule(name="Exam", kind="checkup")
CLEANING = AppointmentTypeRule(name="Cleaning", kind="cleaning", hygiene=True)
EMERGENCY = AppointmentTypeRule(name="Emergency", kind="emergency")
TYPES = [
    AppointmentType(appointment_type_num=1, appointment_type_name="Exam", pattern="/XXXX/"),
    AppointmentType(appointment_type_num=2, appointment_type_name="Cleaning", pattern="/XXXXXXXXXX/"),
    AppointmentType(
        appointment_type_num=3,
        appointment_type_name="Emergency",
        pattern="/XXXX/",
        blockout_types="Emergency",
    ),
]
PROVIDERS = [
    Provider(prov_num=1, abbr="DOC1"),
    Provider(prov_num=2, abbr="DOC2"),
    Provider(prov_num=3, abbr="HYG1", is_secondary=True),
]
ASAP = Preferences(asap=True)
OPERATORIES = [Operatory(operatory_num=n, item_order=n) for n in (1, 2, 3)]


def rules(**changes: object) -> BookingRules:
    base = {
        "appointment_types": [EXAM, CLEANING, EMERGENCY],
        "grid_minutes": 30,
        "lead_time_minutes": 120,
        "horizon_days": 30,
        "earliest": time(7, 0),
        "latest": time(19, 0),
    }
    return BookingRules.model_validate({**base, **changes})


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock))


def provider_day(
    prov: int, ops: list[int], start: str = "09:00", stop: str = "17:00", day: date = MONDAY
) -> Schedule:
    return Schedule(
        schedule_num=0,
        sched_date=day,
        start_time=time.fromisoformat(start),
        stop_time=time.fromisoformat(stop),
        sched_type=SchedType.PROVIDER,
        prov_num=prov,
        operatories=ops,
    )


def blockout(ops: list[int], start: str, stop: str, kind: str = "Lunch", day: date = MONDAY) -> Schedule:
    return Schedule(
        schedule_num=0,
        sched_date=day,
        start_time=time.fromisoformat(start),
        stop_time=time.fromisoformat(stop),
        sched_type=SchedType.BLOCKOUT,
        blockout_type=60,
        blockout_type_name=kind,
        operatories=ops,
    )


def day_note(note: str, day: date = MONDAY) -> Schedule:
    return Schedule(
        schedule_num=0,
        sched_date=day,
        start_time=time(0),
        stop_time=time(0),
        sched_type=SchedType.PRACTICE,
        note=note,
    )


def appointment(
    start: datetime,
    minutes: int,
    op: int,
    prov: int,
    *,
    hyg: int = 0,
    status: AptStatus = AptStatus.SCHEDULED,
) -> Appointment:
    return Appointment(
        apt_num=0,
        pat_num=1,
        apt_date_time=start,
        pattern="X" * (minutes // 5),
        op=op,
        prov_num=prov,
        prov_hyg=hyg,
        is_hygiene=bool(hyg),
        apt_status=status,
    )


def openings(
    schedules: list[Schedule],
    appointments: list[Appointment] = (),  # type: ignore[assignment]
    *,
    type_rule: AppointmentTypeRule = EXAM,
    prefs: Preferences = ASAP,
    now: datetime = NOW,
    limit: int = 100,
    **rule_changes: object,
) -> list[Option]:
    book = Book(PROVIDERS, OPERATORIES, TYPES, schedules, list(appointments))
    return find_openings(book, rules(**rule_changes), type_rule, prefs, now=now, zone=ZONE, limit=limit)


def starts(options: list[Option]) -> list[str]:
    return [o.start.strftime("%H:%M") for o in options]


def test_a_free_morning_on_the_grid() -> None:
    found = openings([provider_day(1, [1], "09:00", "11:00")])
    assert starts(found) == ["09:00", "09:30", "10:00", "10:30"]
    assert {(o.op, o.prov_num, o.minutes, o.appointment_type_num) for o in found} == {(1, 1, 30, 1)}


def test_lunch_blockout_is_closed() -> None:
    found = openings([provider_day(1, [1], "11:00", "14:00"), blockout([1], "12:00", "13:00")])
    assert starts(found) == ["11:00", "11:30", "13:00", "13:30"]


def test_a_provider_in_two_operatories_is_never_in_two_chairs() -> None:
    schedules = [provider_day(1, [1, 2], "09:00", "11:00")]
    busy = [appointment(at(MONDAY, "09:00"), 30, 1, 1), appointment(at(MONDAY, "10:00"), 30, 1, 2)]
    found = openings(schedules, busy)
    assert [(o.start.strftime("%H:%M"), o.op) for o in found] == [("09:30", 1), ("10:00", 2), ("10:30", 1)]


def test_an_appointment_spanning_the_end_of_the_schedule_and_visits_must_fit() -> None:
    schedules = [provider_day(1, [1], "15:00", "17:00")]
    busy = [appointment(at(MONDAY, "16:00"), 90, 1, 1)]
    assert starts(openings(schedules, busy)) == ["15:00", "15:30"]
    assert starts(openings(schedules, type_rule=AppointmentTypeRule(name="Cleaning", kind="x"))) == [
        "15:00",
        "15:30",
        "16:00",
    ]


@pytest.mark.parametrize(("allow_overlap", "expected"), [(False, ["09:30"]), (True, ["09:00", "09:30"])])
def test_a_chair_holds_one_appointment_unless_overlap_is_allowed(
    allow_overlap: bool, expected: list[str]
) -> None:
    schedules = [provider_day(1, [1], "09:00", "10:00")]
    other_provider_in_chair = [appointment(at(MONDAY, "09:00"), 30, 1, 2)]
    assert starts(openings(schedules, other_provider_in_chair, allow_overlap=allow_overlap)) == expected


@pytest.mark.parametrize(
    ("status", "occupies"),
    [
        (AptStatus.SCHEDULED, True),
        (AptStatus.COMPLETE, True),
        (AptStatus.BROKEN, True),
        (AptStatus.PT_NOTE, True),
        (AptStatus.UNSCHED_LIST, False),
        (AptStatus.PLANNED, False),
    ],
)
def test_which_statuses_occupy_time(status: AptStatus, occupies: bool) -> None:
    found = openings(
        [provider_day(1, [1], "09:00", "10:00")], [appointment(at(MONDAY, "09:00"), 30, 1, 1, status=status)]
    )
    assert ("09:00" not in starts(found)) is occupies


def test_a_holiday_closes_the_day_and_a_plain_note_does_not() -> None:
    assert openings([provider_day(1, [1]), day_note("Holiday: Presidents' Day")]) == []
    assert openings([provider_day(1, [1]), day_note("Office CLOSED for training")]) == []
    assert len(openings([provider_day(1, [1]), day_note("Staff birthday")])) == 16


def test_dst_gap_times_do_not_exist_and_lead_time_counts_real_hours() -> None:
    spring_forward = date(2030, 3, 10)  # 02:00 EST jumps to 03:00 EDT
    schedules = [provider_day(1, [1], "01:00", "05:00", day=spring_forward)]
    all_day = openings(schedules, earliest=time(0, 0))
    assert starts(all_day) == ["01:00", "01:30", "03:00", "03:30", "04:00", "04:30"]
    # 00:30 EST plus two hours is 03:30 EDT, not 02:30: an option at 03:00 would be inside the lead time.
    just_after_midnight = datetime(2030, 3, 10, 0, 30, tzinfo=ZONE)
    assert starts(openings(schedules, now=just_after_midnight, earliest=time(0, 0)))[0] == "03:30"


def test_lead_time() -> None:
    now = datetime.combine(MONDAY, time(9, 10), tzinfo=ZONE)
    assert starts(openings([provider_day(1, [1], "09:00", "13:00")], now=now)) == ["11:30", "12:00", "12:30"]


def test_horizon() -> None:
    later = date(2030, 4, 29)  # 59 days after NOW
    schedules = [provider_day(1, [1], "09:00", "10:00"), provider_day(1, [1], "09:00", "10:00", day=later)]
    assert {o.start.date() for o in openings(schedules)} == {MONDAY}
    assert {o.start.date() for o in openings(schedules, horizon_days=60)} == {MONDAY, later}


def test_hygiene_visits_occupy_the_hygienist_not_the_dentist() -> None:
    schedules = [provider_day(1, [1], "09:00", "10:00"), provider_day(3, [3], "09:00", "11:00")]
    hygiene_visit = [appointment(at(MONDAY, "09:00"), 60, 3, 1, hyg=3)]
    assert starts(openings(schedules, hygiene_visit)) == ["09:00", "09:30"]  # the dentist is free
    cleanings = openings(schedules, hygiene_visit, type_rule=CLEANING)
    assert starts(cleanings) == ["10:00"] and cleanings[0].hygiene and cleanings[0].prov_num == 3


def test_a_blockout_listed_by_the_type_is_reserved_for_it() -> None:
    schedules = [provider_day(1, [1], "08:00", "09:30"), blockout([1], "08:00", "08:30", kind="Emergency")]
    assert starts(openings(schedules)) == ["08:30", "09:00"]
    assert starts(openings(schedules, type_rule=EMERGENCY)) == ["08:00", "08:30", "09:00"]


def test_type_rules_restrict_operatories_and_providers() -> None:
    schedules = [provider_day(1, [1, 2], "09:00", "10:00"), provider_day(2, [2], "09:00", "10:00")]
    only_op_2 = AppointmentTypeRule(name="Exam", kind="checkup", operatories=[2])
    assert {o.op for o in openings(schedules, type_rule=only_op_2)} == {2}
    only_doc_2 = AppointmentTypeRule(name="Exam", kind="checkup", providers=[2])
    assert {o.prov_num for o in openings(schedules, type_rule=only_doc_2)} == {2}


def test_preferences_narrow_the_search() -> None:
    week = [provider_day(1, [1], "08:00", "19:00", day=date(2030, 3, d)) for d in range(4, 9)]
    wednesday_afternoons = openings(
        week, prefs=Preferences(asap=True, weekdays=frozenset({2}), part_of_day=PartOfDay.AFTERNOON)
    )
    assert {o.start.date() for o in wednesday_afternoons} == {date(2030, 3, 6)}
    assert starts(wednesday_afternoons)[0] == "12:00" and starts(wednesday_afternoons)[-1] == "16:30"
    after_four = openings(
        week, prefs=Preferences(asap=True, earliest_start=time(16, 0), start=date(2030, 3, 7))
    )
    assert starts(after_four)[:3] == ["16:00", "16:30", "17:00"] and after_four[0].start.date() == date(
        2030, 3, 7
    )
    before_ten = openings(week, prefs=Preferences(asap=True, latest_start=time(10, 0), end=date(2030, 3, 4)))
    assert starts(before_ten) == ["08:00", "08:30", "09:00", "09:30", "10:00"]


def test_a_preferred_provider_wins_a_shared_start_and_a_required_one_is_the_only_one() -> None:
    schedules = [provider_day(1, [1], "09:00", "10:00"), provider_day(2, [2], "09:00", "10:00")]
    assert {o.prov_num for o in openings(schedules)} == {1}
    assert {o.prov_num for o in openings(schedules, prefs=Preferences(asap=True, preferred_prov_num=2))} == {
        2
    }
    assert {o.prov_num for o in openings(schedules, prefs=Preferences(asap=True, prov_num=2))} == {2}


def test_ranking_is_earliest_first_and_spread_over_days() -> None:
    week = [provider_day(1, [1], "08:00", "17:00", day=date(2030, 3, d)) for d in range(4, 9)]
    spread = openings(week, prefs=Preferences(), limit=10)
    assert len(spread) == 10
    assert spread[0].start == at(MONDAY, "08:00")
    assert len({o.start.date() for o in spread}) == 5  # every day of the week
    same_day = [o.start for o in spread if o.start.date() == MONDAY]
    assert same_day[1] - same_day[0] >= (at(MONDAY, "09:00") - at(MONDAY, "08:00"))
    assert [o.start for o in spread] == sorted(o.start for o in spread)
    asap = openings(week, prefs=Preferences(asap=True), limit=10)
    assert {o.start.date() for o in asap} == {MONDAY}


def test_late_takes_each_days_latest_openings_first() -> None:
    week = [provider_day(1, [1], "08:00", "17:00", day=date(2030, 3, d)) for d in range(4, 9)]
    late = openings(week, prefs=Preferences(late=True), limit=5)
    assert {o.start.date() for o in late} == {date(2030, 3, d) for d in range(4, 9)}
    early = openings(week, prefs=Preferences(), limit=5)
    assert all(o.start.time() > e.start.time() for o, e in zip(late, early, strict=True))
    assert [o.start for o in late] == sorted(o.start for o in late)


def test_rank_keeps_short_lists_whole() -> None:
    options = openings([provider_day(1, [1], "09:00", "10:00")], prefs=Preferences())
    assert rank(options, limit=10) == options


def test_an_unknown_appointment_type_is_an_error() -> None:
    with pytest.raises(UnknownAppointmentType, match="Whitening"):
        openings([provider_day(1, [1])], type_rule=AppointmentTypeRule(name="Whitening", kind="x"))


def test_openings_from_slots_for_single_provider_offices() -> None:
    slots = [
        Slot(date_time_start=at(MONDAY, "09:00"), date_time_end=at(MONDAY, "10:15"), prov_num=1, op_num=1),
        Slot(date_time_start=at(MONDAY, "06:00"), date_time_end=at(MONDAY, "07:30"), prov_num=1, op_num=1),
    ]
    found = openings_from_slots(slots, rules(), TYPES[0], EXAM, Preferences(asap=True), now=NOW, zone=ZONE)
    assert starts(found) == ["07:00", "09:00", "09:30"]


def test_option_ids_round_trip_and_belong_to_one_practice() -> None:
    option = openings([provider_day(3, [3], "09:00", "10:00")], type_rule=CLEANING)[0]
    option_id = option.id_for("100000000000001", KEY)
    assert len(option_id) < 200 and "." in option_id
    assert parse_option_id(option_id, "100000000000001", [KEY]) == option
    with pytest.raises(InvalidOption):
        parse_option_id(option_id, "100000000000002", [KEY])
    tampered = option_id.replace(".3.3.", ".1.1.")
    with pytest.raises(InvalidOption):
        parse_option_id(tampered, "100000000000001", [KEY])
    with pytest.raises(InvalidOption):
        parse_option_id("book me at 9", "100000000000001", [KEY])


def test_an_option_id_signed_with_only_the_public_practice_id_is_refused() -> None:
    """The old ids were MAC'd with the phone_number_id alone: anyone who knew the number could make one."""
    option = openings([provider_day(3, [3], "09:00", "10:00")], type_rule=CLEANING)[0]
    practice = "100000000000001"
    payload = option.id_for(practice, KEY).rsplit(".", 1)[0].removeprefix("o1.")
    for forged_key, message in ((practice.encode(), payload), (practice.encode(), f"{practice}:{payload}")):
        digest = hmac.new(forged_key, message.encode(), hashlib.sha256).digest()
        forged = f"o1.{payload}.{base64.urlsafe_b64encode(digest[:9]).decode()}"
        with pytest.raises(InvalidOption):
            parse_option_id(forged, practice, [KEY])
    with pytest.raises(InvalidOption):
        parse_option_id(option.id_for(practice, b"a guess"), practice, [KEY])
    with pytest.raises(ValueError, match="non-empty key"):
        parse_option_id(option.id_for(practice, KEY), practice, [b""])


def test_option_ids_signed_with_the_previous_key_are_accepted_while_it_is_configured() -> None:
    option = openings([provider_day(3, [3], "09:00", "10:00")], type_rule=CLEANING)[0]
    old_id = option.id_for("100000000000001", b"old key")
    assert parse_option_id(old_id, "100000000000001", [KEY, b"old key"]) == option, "during the rotation"
    with pytest.raises(InvalidOption):
        parse_option_id(old_id, "100000000000001", [KEY])  # the window closed: the old key was dropped
