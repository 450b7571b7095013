"""Freed time in the book's change reports: pure functions of the change, the rules and the clock.

A visit broken, deleted, sent to the Unscheduled List (Open Dental reports a Break to the list as `changed` with
AptStatus UnschedList) or moved away leaves its old chair and time free. Only a slot at least `lead_minutes`
ahead is worth offering; the send window is the scheduler's to check when each batch goes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.practices import RefillSettings
from od_adapter import Appointment, AptStatus, BookChange

FREEING = (AptStatus.BROKEN, AptStatus.UNSCHED_LIST)


def freed_visit(change: BookChange) -> tuple[Appointment, str] | None:
    """The visit as it stood before the change, and why its time is free now; None if nothing was freed."""
    now, before = change.appointment, change.previous
    if change.kind == "deleted":
        return (now, "deleted") if now.apt_status is AptStatus.SCHEDULED else None
    if before is None or before.apt_status is not AptStatus.SCHEDULED:
        return None
    if change.kind == "broken" or (change.kind == "changed" and now.apt_status in FREEING):
        return before, "broken" if now.apt_status is AptStatus.BROKEN else "unscheduled"
    if change.kind == "moved" and before.apt_date_time is not None:
        return before, "moved"
    return None


def worth_offering(visit: Appointment, rules: RefillSettings, now: datetime) -> bool:
    """The freed visit is at least the lead time ahead (`now` local and naive, as Open Dental's times)."""
    start = visit.apt_date_time
    return start is not None and start - now >= timedelta(minutes=rules.lead_minutes) and visit.minutes > 0
