"""When nothing matches what the patient asked: what was searched, and the nearest times instead.

A receptionist says "Tuesday afternoon is full; the closest are Tuesday 10:00, Wednesday 14:00, Thursday 13:30".
So: one wider search around the asked days with no time-of-day filter (`wider`), then the options ranked as a
person would (`rank`): the same day at other times first, then the same part of the day on the nearest days,
then the earliest. Both are pure; the search step does the one read.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from flows.ports import OptionInfo
from flows.replies import Reply, text
from flows.state import Wanted

AROUND = timedelta(days=3)
"""How far either side of the asked days the wider search looks."""
SHOWN = 5
NOON, EVENING = time(12), time(17)


def wider(wanted: Wanted, today: date) -> Wanted:
    """The asked days widened by a few days either side, with every time filter dropped."""
    if wanted.start is None:
        return Wanted()
    end = wanted.end or wanted.start
    return Wanted(start=max(today, wanted.start - AROUND), end=end + AROUND)


def _asked_day(wanted: Wanted, day: date) -> bool:
    start, end = wanted.start, wanted.end or wanted.start
    in_range = start is None or (start <= day <= (end or start))
    return in_range and (not wanted.weekdays or day.weekday() in wanted.weekdays)


def _fits_time(wanted: Wanted, at: time) -> bool:
    part = wanted.part_of_day
    if (part == "morning" and at >= NOON) or (part == "afternoon" and not NOON <= at < EVENING):
        return False
    if part == "evening" and at < EVENING:
        return False
    if wanted.earliest is not None and at < wanted.earliest:
        return False
    return not (wanted.latest is not None and at > wanted.latest)


def _window(wanted: Wanted) -> tuple[time, time]:
    earliest, latest = wanted.earliest or time(0), wanted.latest or time(23, 59)
    if wanted.part_of_day == "morning":
        latest = min(latest, NOON)
    elif wanted.part_of_day == "afternoon":
        earliest, latest = max(earliest, NOON), min(latest, EVENING)
    elif wanted.part_of_day == "evening":
        earliest = max(earliest, EVENING)
    return earliest, latest


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _time_gap(wanted: Wanted, at: time) -> int:
    """Minutes between a start and the asked part of the day (0 inside it)."""
    earliest, latest = _window(wanted)
    return max(0, _minutes(earliest) - _minutes(at), _minutes(at) - _minutes(latest))


def _distance(wanted: Wanted, day: date) -> int:
    start, end = wanted.start, wanted.end or wanted.start
    if start is None or end is None:
        return 0
    return (start - day).days if day < start else max(0, (day - end).days)


def rank(options: list[OptionInfo], wanted: Wanted, shown: int = SHOWN) -> list[OptionInfo]:
    """The options a person would offer first: same day other times (nearest to the asked time first), same
    time nearby days, then earliest."""

    def order(option: OptionInfo) -> tuple[int, int, float]:
        day, at = option.start.date(), option.start.time()
        if _asked_day(wanted, day):
            return 0, _time_gap(wanted, at), option.start.timestamp()
        if _fits_time(wanted, at):
            return 1, _distance(wanted, day), option.start.timestamp()
        return 2, 0, option.start.timestamp()

    return sorted(options, key=order)[:shown]


def part_key(wanted: Wanted) -> str | None:
    """The part of the day the patient asked for, as a catalog key ("part.afternoon"), if any."""
    if wanted.part_of_day in ("morning", "afternoon", "evening"):
        return f"part.{wanted.part_of_day}"
    if wanted.earliest is not None and wanted.earliest >= NOON:
        return "part.afternoon"
    if wanted.latest is not None and wanted.latest <= NOON:
        return "part.morning"
    return None


def searched(wanted: Wanted) -> Reply | None:
    """What was searched, said back ("Nothing is free on Tuesday 8 December in the afternoon."), if it can be."""
    part = part_key(wanted)
    with_part = {"part": part} if part else {}
    suffix = "_part" if part else ""
    if wanted.start is not None and (wanted.end is None or wanted.end == wanted.start):
        return text(f"offer.searched.day{suffix}", day=wanted.start, **with_part)
    if wanted.start is not None and wanted.end is not None:
        return text(f"offer.searched.range{suffix}", start=wanted.start, end=wanted.end, **with_part)
    if part:
        return text("offer.searched.part", part=part)
    return None
