"""When each reminder of a visit goes, or why it does not: pure functions of the visit, the rules and the clock.

A step's nominal time (`days_before` at `at`, or `hours_before`) is moved to the latest open moment of the send
window at or before it (closed days and dates skipped), and never later than `min_lead_minutes` before the visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.practices import ReminderSettings, ReminderStep

SEARCH_DAYS = 14
END_MARGIN = timedelta(minutes=15)
"""A step moved to the window's end is planned this long before it, so it still goes while the window is open."""


@dataclass(frozen=True)
class Visit:
    """What planning needs of an appointment (local, naive times as Open Dental keeps them)."""

    apt_num: int
    pat_num: int
    start: datetime
    scheduled: bool
    confirmed: bool
    created: datetime | None = None


@dataclass(frozen=True)
class Planned:
    step: ReminderStep
    due: datetime
    """Aware, in the practice's zone."""
    skip: str | None = None


@dataclass(frozen=True)
class Window:
    start: time
    end: time
    closed_weekdays: frozenset[int]
    closed_dates: frozenset[date]
    zone: ZoneInfo

    @classmethod
    def of(
        cls, rules: ReminderSettings, zone: ZoneInfo, start: time | None = None, end: time | None = None
    ) -> Window:
        return cls(
            start or rules.window_start,
            end or rules.window_end,
            frozenset(rules.closed_weekdays),
            frozenset(rules.closed_dates),
            zone,
        )

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return self._open_day(local.date()) and self.start <= local.time() <= self.end

    def _open_day(self, day: date) -> bool:
        return day.weekday() not in self.closed_weekdays and day not in self.closed_dates

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        """The latest open moment at or before `moment` (None if the window is shut for two weeks before)."""
        local = moment.astimezone(self.zone)
        for back in range(SEARCH_DAYS):
            day = local.date() - timedelta(days=back)
            if not self._open_day(day):
                continue
            opens, closes = self._at(day, self.start), self._at(day, self.end)
            # A tick comes a few seconds (a simulated step: minutes) after the due time: aim inside the window.
            closes = max(opens, closes - END_MARGIN)
            if back == 0 and local < opens:
                continue
            return min(local, closes) if back == 0 else closes
        return None

    def earliest_at_or_after(self, moment: datetime) -> datetime | None:
        local = moment.astimezone(self.zone)
        for ahead in range(SEARCH_DAYS):
            day = local.date() + timedelta(days=ahead)
            if not self._open_day(day):
                continue
            opens, closes = self._at(day, self.start), self._at(day, self.end)
            if ahead == 0 and local > closes:
                continue
            return max(local, opens) if ahead == 0 else opens
        return None

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.zone)


def nominal(step: ReminderStep, start: datetime) -> datetime:
    """The step's time before the visit (`start` aware), before the window moves it."""
    if step.hours_before is not None:
        return start - timedelta(hours=step.hours_before)
    assert step.days_before is not None
    return datetime.combine(start.date() - timedelta(days=step.days_before), step.at, tzinfo=start.tzinfo)


def plan(visit: Visit, rules: ReminderSettings, window: Window, now: datetime) -> list[Planned]:
    """Every step of the sequence for this visit: its time, or why it is skipped.

    Steps already due are collapsed: only the latest of them goes (now, or when the window opens); a step due
    within `recent_booking_hours` of the visit being made is skipped while a later one remains."""
    start = visit.start.replace(tzinfo=window.zone) if visit.start.tzinfo is None else visit.start
    if not visit.scheduled:
        return [Planned(step, start, "not scheduled") for step in rules.steps]
    deadline = start - timedelta(minutes=rules.min_lead_minutes)
    timed: list[tuple[ReminderStep, datetime | None]] = []
    for step in rules.steps:
        fitted = window.latest_at_or_before(min(nominal(step, start), deadline))
        timed.append((step, fitted))
    overdue = [(s, d) for s, d in timed if d is not None and d <= now]
    latest_overdue = max(overdue, key=lambda sd: sd[1])[0] if overdue else None
    out: list[Planned] = []
    for step, due in timed:
        if due is None:
            out.append(Planned(step, start, "the send window is shut"))
            continue
        if due <= now:
            if step is not latest_overdue:
                out.append(Planned(step, due, "superseded by a later step"))
                continue
            due = window.earliest_at_or_after(now) or deadline + timedelta(seconds=1)
            if due > deadline:
                out.append(Planned(step, due, "too late to be useful"))
                continue
        out.append(Planned(step, due))
    return _skip_confirmed_and_recent(visit, rules, out, window.zone)


def _skip_confirmed_and_recent(
    visit: Visit, rules: ReminderSettings, planned: list[Planned], zone: ZoneInfo
) -> list[Planned]:
    created = (
        visit.created.replace(tzinfo=zone)
        if visit.created and visit.created.tzinfo is None
        else visit.created
    )
    recent = timedelta(hours=rules.recent_booking_hours)
    planned = sorted(planned, key=lambda q: q.due)
    out: list[Planned] = []
    for n, p in enumerate(planned):
        later = [q for q in planned[n + 1 :] if q.skip is None]
        if p.skip is None and p.step.ask_confirm and visit.confirmed:
            p = Planned(p.step, p.due, "already confirmed")
        elif p.skip is None and created is not None and later and p.due - created < recent:
            p = Planned(p.step, p.due, "booked recently")
        out.append(p)
    return out
