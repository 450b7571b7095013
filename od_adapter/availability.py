"""Openings the way Open Dental staff recommend finding them, as a pure function of one snapshot of the book.

Provider schedules (with their operatories), minus blockouts, minus occupying appointments (Scheduled,
Complete, Broken, PtNote; each `len(Pattern) * 5` minutes) per operatory and per provider, on the practice's
start-time grid, within its hours, lead time and horizon. A provider is never in two chairs at once; a chair
holds one appointment unless the practice allows overlap; on hygiene visits the hygienist is the one occupied.
A blockout whose type the appointment type lists in `BlockoutTypes` is reserved for that type, not closed to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from od_adapter.config import AppointmentTypeRule, BookingRules
from od_adapter.errors import UnknownAppointmentType
from od_adapter.models import Appointment, AppointmentType, Operatory, Provider, SchedType, Schedule, Slot
from od_adapter.options import Option

MAX_OPTIONS = 10  # a WhatsApp list holds ten rows
DEFAULT_MINUTES = 30


class PartOfDay(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


PART_OF_DAY_STARTS = {
    PartOfDay.MORNING: (time(0, 0), time(11, 59)),
    PartOfDay.AFTERNOON: (time(12, 0), time(16, 59)),
    PartOfDay.EVENING: (time(17, 0), time(23, 59)),
}


class Preferences(BaseModel):
    """What the patient asked for; every field narrows the search."""

    model_config = ConfigDict(frozen=True)

    start: date | None = None
    end: date | None = None
    weekdays: frozenset[int] = frozenset()
    """0 is Monday; empty means any day."""
    part_of_day: PartOfDay | None = None
    earliest_start: time | None = None
    latest_start: time | None = None
    prov_num: int | None = None
    """Only this provider."""
    preferred_prov_num: int | None = None
    """When several providers are free at one time, offer this one (the patient's own dentist)."""
    asap: bool = False
    """The earliest openings, without spreading them over days."""
    late: bool = False
    """Each day's latest openings first ("at the end of the day")."""


@dataclass(frozen=True)
class Book:
    """What availability reads: the practice set-up and the book for the dates in question.

    `days` is the same book split by day with each day's occupancy worked out (the book cache keeps these
    decoded between searches); a book built from lists alone is split on first use."""

    providers: list[Provider]
    operatories: list[Operatory]
    appointment_types: list[AppointmentType]
    schedules: list[Schedule] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    days: Mapping[date, DayBook] | None = None

    def appointment_type(self, name: str) -> AppointmentType:
        for apt_type in self.appointment_types:
            if apt_type.appointment_type_name == name and not apt_type.is_hidden:
                return apt_type
        raise UnknownAppointmentType(f"appointment type {name!r} is not in Open Dental")

    @cached_property
    def by_day(self) -> Mapping[date, DayBook]:
        if self.days is not None:
            return self.days
        schedules: dict[date, list[Schedule]] = defaultdict(list)
        appointments: dict[date, list[Appointment]] = defaultdict(list)
        for schedule in self.schedules:
            if schedule.sched_date:
                schedules[schedule.sched_date].append(schedule)
        for apt in self.appointments:
            if apt.apt_date_time:
                appointments[apt.apt_date_time.date()].append(apt)
        return {d: DayBook.of(schedules[d], appointments[d]) for d in schedules.keys() | appointments.keys()}


Interval = tuple[datetime, datetime]


@dataclass
class _Occupancy:
    """Busy intervals by operatory and by provider, and blockouts by operatory, for quick overlap checks."""

    chairs: dict[int, list[Interval]] = field(default_factory=lambda: defaultdict(list))
    providers: dict[int, list[Interval]] = field(default_factory=lambda: defaultdict(list))
    blockouts: dict[int, list[tuple[datetime, datetime, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def occupied_provider(appointment: Appointment) -> int:
    """On a hygiene visit the hygienist's time is taken; the dentist only drops in for the exam."""
    if appointment.is_hygiene and appointment.prov_hyg:
        return appointment.prov_hyg
    return appointment.prov_num


def _occupancy(schedules: Iterable[Schedule], appointments: Iterable[Appointment]) -> _Occupancy:
    occupancy = _Occupancy()
    for apt in appointments:
        if apt.apt_status.occupies_chair and apt.apt_date_time and apt.end:
            interval = (apt.apt_date_time, apt.end)
            occupancy.chairs[apt.op].append(interval)
            occupancy.providers[occupied_provider(apt)].append(interval)
    for schedule in schedules:
        if schedule.sched_type is SchedType.BLOCKOUT:
            for op in schedule.operatories:
                occupancy.blockouts[op].append((schedule.start, schedule.stop, schedule.blockout_type_name))
    return occupancy


def _minutes(moment: datetime, midnight: datetime) -> int:
    return max(0, int((moment - midnight).total_seconds() // 60))


def _mask(start: int, end: int) -> int:
    """A bit per minute of the day, set from `start` (inclusive) to `end` (exclusive)."""
    return ((1 << (end - start)) - 1) << start if end > start else 0


@dataclass(frozen=True)
class DayBook:
    """One day of the book, ready to search: provider schedules in search order, and what is occupied as one
    bit per minute (by provider, by chair), so a search's overlap checks are single integer operations."""

    schedules: tuple[Schedule, ...]
    appointments: tuple[Appointment, ...]
    providers_on: tuple[Schedule, ...]
    """The day's provider schedules by start, then ProvNum: the order a search tries them in."""
    midnight: datetime
    provider_busy: dict[int, int]
    chair_busy: dict[int, int]
    blockouts: dict[int, list[tuple[int, int, str]]]
    _closed: dict[tuple[int, frozenset[str]], int] = field(default_factory=dict)
    _shifts: dict[time, list[tuple[Schedule, datetime, datetime]]] = field(default_factory=dict)

    @classmethod
    def of(cls, schedules: Iterable[Schedule], appointments: Iterable[Appointment]) -> DayBook:
        schedules, appointments = tuple(schedules), tuple(appointments)
        providers_on = sorted(
            (s for s in schedules if s.sched_type is SchedType.PROVIDER), key=lambda s: (s.start, s.prov_num)
        )
        days = [s.sched_date for s in schedules if s.sched_date] + [
            a.apt_date_time.date() for a in appointments if a.apt_date_time
        ]
        midnight = datetime.combine(min(days) if days else date.min, time(0))
        provider_busy: dict[int, int] = defaultdict(int)
        chair_busy: dict[int, int] = defaultdict(int)
        for apt in appointments:
            if apt.apt_status.occupies_chair and apt.apt_date_time and apt.end:
                bits = _mask(_minutes(apt.apt_date_time, midnight), _minutes(apt.end, midnight))
                chair_busy[apt.op] |= bits
                provider_busy[occupied_provider(apt)] |= bits
        blockouts: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
        for schedule in schedules:
            if schedule.sched_type is SchedType.BLOCKOUT:
                span = (_minutes(schedule.start, midnight), _minutes(schedule.stop, midnight))
                for op in schedule.operatories:
                    blockouts[op].append((*span, schedule.blockout_type_name))
        return cls(
            schedules, appointments, tuple(providers_on), midnight, provider_busy, chair_busy, blockouts
        )

    def shifts(self, latest: time) -> list[tuple[Schedule, datetime, datetime]]:
        """The provider schedules in search order, each with its start and its end (no later than `latest`)."""
        if latest not in self._shifts:
            day_end = datetime.combine(self.midnight.date(), latest)
            self._shifts[latest] = [
                (s, s.start, min(s.stop, day_end)) for s in self.providers_on if s.sched_date
            ]
        return self._shifts[latest]

    def closed(self, op: int, reserved_for: frozenset[str]) -> int:
        """The minutes this chair is blocked out for a type that may use blockouts of `reserved_for`."""
        key = (op, reserved_for)
        if key not in self._closed:
            bits = 0
            for start, end, kind in self.blockouts.get(op, []):
                if kind not in reserved_for:
                    bits |= _mask(start, end)
            self._closed[key] = bits
        return self._closed[key]


def _overlaps(intervals: Iterable[Interval], start: datetime, end: datetime) -> bool:
    return any(s < end and start < e for s, e in intervals)


def closed_days(schedules: Iterable[Schedule], holiday_notes: list[str]) -> set[date]:
    """Practice-type day entries whose note names a holiday close the day (the API has no flag for it)."""
    words = [w.lower() for w in holiday_notes]
    return {
        s.sched_date
        for s in schedules
        if s.sched_type is SchedType.PRACTICE and s.sched_date and any(w in s.note.lower() for w in words)
    }


def local_instant(local: datetime, zone: ZoneInfo) -> datetime | None:
    """The instant of a naive office-local time, or None when that wall time does not exist (DST gap)."""
    aware = local.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        return None
    return aware


@dataclass(frozen=True)
class SearchWindow:
    """The dates and the earliest instant a search may offer, from the rules, the preferences and the clock."""

    first_day: date
    last_day: date
    not_before: datetime

    @classmethod
    def of(cls, rules: BookingRules, prefs: Preferences, now: datetime, zone: ZoneInfo) -> SearchWindow:
        today = now.astimezone(zone).date()
        horizon = today + timedelta(days=rules.horizon_days)
        first = max(prefs.start or today, today)
        last = min(prefs.end or horizon, horizon)
        # In UTC: Python adds and compares aware datetimes that share a zone by wall clock, which is wrong
        # across a daylight saving change.
        return cls(first, last, now.astimezone(UTC) + timedelta(minutes=rules.lead_time_minutes))

    def days(self) -> Iterator[date]:
        day = self.first_day
        while day <= self.last_day:
            yield day
            day += timedelta(days=1)


def start_allowed(start: datetime, rules: BookingRules, prefs: Preferences) -> bool:
    """The start-time rules that do not depend on the book: weekday, hours, part of day, explicit bounds."""
    clock = start.time()
    if prefs.weekdays and start.weekday() not in prefs.weekdays:
        return False
    if clock < rules.earliest:
        return False
    if prefs.part_of_day is not None:
        low, high = PART_OF_DAY_STARTS[prefs.part_of_day]
        if not low <= clock <= high:
            return False
    if prefs.earliest_start is not None and clock < prefs.earliest_start:
        return False
    return prefs.latest_start is None or clock <= prefs.latest_start


def grid_starts(window_start: datetime, window_end: datetime, minutes: int, grid: int) -> Iterator[datetime]:
    """Starts on the practice's grid (counted from midnight) for a visit that fits inside the window."""
    midnight = datetime.combine(window_start.date(), time(0))
    offset = -(-int((window_start - midnight).total_seconds() // 60) // grid) * grid
    start = midnight + timedelta(minutes=offset)
    while start + timedelta(minutes=minutes) <= window_end:
        yield start
        start += timedelta(minutes=grid)


def find_openings(
    book: Book,
    rules: BookingRules,
    type_rule: AppointmentTypeRule,
    prefs: Preferences,
    *,
    now: datetime,
    zone: ZoneInfo,
    limit: int = MAX_OPTIONS,
) -> list[Option]:
    """The best `limit` openings for one appointment type, ranked earliest first and spread over days.

    Days are searched in order and the search stops once later days could not change the ranking: `rank`
    takes one opening per day first, so `limit` days with openings are enough (`limit` openings with `asap`).
    """
    apt_type = book.appointment_type(type_rule.name)
    window = SearchWindow.of(rules, prefs, now, zone)
    search = _DaySearch(
        rules=rules,
        prefs=prefs,
        window=window,
        zone=zone,
        apt_type=apt_type,
        minutes=apt_type.minutes or DEFAULT_MINUTES,
        providers=_eligible_providers(book, type_rule, prefs),
        op_order={o.operatory_num: o.item_order for o in book.operatories if not o.is_hidden},
        type_ops=set(type_rule.operatories),
        hygiene=type_rule.hygiene,
        reserved_for=frozenset(apt_type.blockout_type_names),
    )
    found: list[Option] = []
    days_with_openings = 0
    for day in window.days():
        day_book = book.by_day.get(day)
        if day_book is None or day in closed_days(day_book.schedules, rules.holiday_notes):
            continue
        openings = search.day(day_book)
        found += openings
        days_with_openings += bool(openings)
        if (len(found) if prefs.asap else days_with_openings) >= limit:
            break
    return rank(found, limit=limit, asap=prefs.asap, late=prefs.late)


@dataclass(frozen=True)
class _DaySearch:
    """One search's fixed inputs, applied to one day at a time."""

    rules: BookingRules
    prefs: Preferences
    window: SearchWindow
    zone: ZoneInfo
    apt_type: AppointmentType
    minutes: int
    providers: set[int]
    op_order: dict[int, int]
    type_ops: set[int]
    hygiene: bool
    reserved_for: frozenset[str] = frozenset()
    """The blockout types this visit type may be booked into."""
    _chairs_of: dict[tuple[int, ...], list[int]] = field(default_factory=dict)

    def day(self, day: DayBook) -> list[Option]:
        """The day's openings, one per start time, earliest first.

        Start times are the outer loop: each is checked against the clock and the patient's wishes once, then
        given to the first provider schedule (by start, then ProvNum) that is free for it, or to the patient's
        own provider when that one is free too."""
        shifts = [shift for shift in day.shifts(self.rules.latest) if shift[0].prov_num in self.providers]
        if not shifts:
            return []
        preferred = self.prefs.preferred_prov_num
        found = []
        starts = grid_starts(min(s[1] for s in shifts), max(s[2] for s in shifts), self.minutes, self.rules.grid_minutes)  # fmt: skip
        for start in starts:
            if not start_allowed(start, self.rules, self.prefs) or not _after_lead_time(
                start, self.window, self.zone
            ):
                continue
            first = _minutes(start, day.midnight)
            bits = _mask(first, first + self.minutes)
            end = start + timedelta(minutes=self.minutes)
            chosen = None
            for schedule, shift_start, shift_end in shifts:
                if (
                    shift_start > start
                    or end > shift_end
                    or day.provider_busy.get(schedule.prov_num, 0) & bits
                ):
                    continue
                if chosen is not None and schedule.prov_num != preferred:
                    continue  # only the patient's own provider may still take this time
                if (op := self._chair(day, schedule, bits)) is None:
                    continue
                chosen = Option(
                    start=start,
                    minutes=self.minutes,
                    op=op,
                    prov_num=schedule.prov_num,
                    appointment_type_num=self.apt_type.appointment_type_num,
                    hygiene=self.hygiene,
                )
                if preferred in (None, schedule.prov_num):
                    break
            if chosen is not None:
                found.append(chosen)
        return found

    def _chair(self, day: DayBook, schedule: Schedule, bits: int) -> int | None:
        """The first chair of this schedule that is open and free for these minutes."""
        reserved_for = self.reserved_for
        for op in self._chairs(schedule):
            if day.closed(op, reserved_for) & bits:
                continue
            if self.rules.allow_overlap or not day.chair_busy.get(op, 0) & bits:
                return op
        return None

    def _chairs(self, schedule: Schedule) -> list[int]:
        """The schedule's chairs this visit type may use, in the practice's order (worked out once)."""
        key = tuple(schedule.operatories)
        if key not in self._chairs_of:
            allowed = (self.type_ops or set(self.op_order)) & set(self.op_order)
            self._chairs_of[key] = sorted((op for op in key if op in allowed), key=lambda o: self.op_order[o])
        return self._chairs_of[key]


def _eligible_providers(book: Book, type_rule: AppointmentTypeRule, prefs: Preferences) -> set[int]:
    eligible = {
        p.prov_num
        for p in book.providers
        if not p.is_hidden and p.prov_status == "Active" and p.is_hygienist == type_rule.hygiene
    }
    if type_rule.providers:
        eligible &= set(type_rule.providers)
    if prefs.prov_num is not None:
        eligible &= {prefs.prov_num}
    return eligible


def _after_lead_time(start: datetime, window: SearchWindow, zone: ZoneInfo) -> bool:
    instant = local_instant(start, zone)
    return instant is not None and instant.astimezone(UTC) >= window.not_before


def _chair_free(
    occupancy: _Occupancy,
    op: int,
    start: datetime,
    end: datetime,
    apt_type: AppointmentType,
    rules: BookingRules,
) -> bool:
    reserved_for = set(apt_type.blockout_type_names)
    for b_start, b_end, b_type in occupancy.blockouts[op]:
        if b_start < end and start < b_end and b_type not in reserved_for:
            return False
    return rules.allow_overlap or not _overlaps(occupancy.chairs[op], start, end)


def rank(
    options: list[Option], *, limit: int = MAX_OPTIONS, asap: bool = False, late: bool = False
) -> list[Option]:
    """Earliest first; unless `asap`, one per day first, then more per day kept apart, so the list has range.
    `late` takes each day's latest openings first."""
    if asap or len(options) <= limit:
        return options[:limit]
    by_day: dict[date, list[Option]] = defaultdict(list)
    for option in options:
        by_day[option.start.date()].append(option)
    if late:
        by_day = {day: day_options[::-1] for day, day_options in by_day.items()}
    chosen: dict[date, list[Option]] = defaultdict(list)
    count = 0
    while count < limit:
        added = False
        for day, day_options in by_day.items():
            if count == limit:
                break
            taken = chosen[day]
            gap = timedelta(minutes=max(60, day_options[0].minutes))
            pick = next((o for o in day_options if all(abs(o.start - t.start) >= gap for t in taken)), None)
            if pick is not None:
                taken.append(pick)
                count += 1
                added = True
        if not added:
            break
    return sorted((o for picks in chosen.values() for o in picks), key=lambda o: o.start)


def openings_from_slots(
    slots: list[Slot],
    rules: BookingRules,
    apt_type: AppointmentType,
    type_rule: AppointmentTypeRule,
    prefs: Preferences,
    *,
    now: datetime,
    zone: ZoneInfo,
    limit: int = MAX_OPTIONS,
) -> list[Option]:
    """The single-provider fallback: cut Open Dental's open blocks (from `/appointments/Slots`) into options."""
    minutes = apt_type.minutes or DEFAULT_MINUTES
    window = SearchWindow.of(rules, prefs, now, zone)
    found: dict[datetime, Option] = {}
    for slot in slots:
        if slot.date_time_start is None or slot.date_time_end is None:
            continue
        if not window.first_day <= slot.date_time_start.date() <= window.last_day:
            continue
        day_end = datetime.combine(slot.date_time_start.date(), rules.latest)
        for start in grid_starts(
            slot.date_time_start, min(slot.date_time_end, day_end), minutes, rules.grid_minutes
        ):
            if (
                start in found
                or not start_allowed(start, rules, prefs)
                or not _after_lead_time(start, window, zone)
            ):
                continue
            found[start] = Option(
                start=start,
                minutes=minutes,
                op=slot.op_num,
                prov_num=slot.prov_num,
                appointment_type_num=apt_type.appointment_type_num,
                hygiene=type_rule.hygiene,
            )
    return rank(sorted(found.values(), key=lambda o: o.start), limit=limit, asap=prefs.asap, late=prefs.late)


def conflicts(
    book: Book, option: Option, *, allow_overlap: bool, ignore: int | None = None
) -> list[Appointment]:
    """Occupying appointments that take this option's chair (unless overlap is allowed) or its provider."""
    found = []
    for apt in book.appointments:
        if apt.apt_num == ignore or not apt.apt_status.occupies_chair or not apt.apt_date_time or not apt.end:
            continue
        if not (apt.apt_date_time < option.end and option.start < apt.end):
            continue
        if occupied_provider(apt) == option.prov_num or (apt.op == option.op and not allow_overlap):
            found.append(apt)
    return sorted(found, key=lambda a: a.apt_num)


def is_open(
    book: Book,
    rules: BookingRules,
    type_rule: AppointmentTypeRule,
    option: Option,
    *,
    now: datetime,
    zone: ZoneInfo,
    ignore: int | None = None,
) -> bool:
    """Whether one option may still be booked: on its provider's schedule in its chair, and free."""
    apt_type = book.appointment_type(type_rule.name)
    day = option.start.date()
    if day in closed_days(book.schedules, rules.holiday_notes) or not _after_lead_time(
        option.start, SearchWindow.of(rules, Preferences(), now, zone), zone
    ):
        return False
    scheduled = any(
        s.sched_type is SchedType.PROVIDER
        and s.prov_num == option.prov_num
        and option.op in s.operatories
        and s.start <= option.start
        and option.end <= s.stop
        for s in book.schedules
    )
    if not scheduled or conflicts(book, option, allow_overlap=rules.allow_overlap, ignore=ignore):
        return False
    occupancy = _occupancy(book.schedules, [])
    return _chair_free(occupancy, option.op, option.start, option.end, apt_type, rules)
