"""Who is offered an opening: ASAP visits that fit it, best first. Pure; the scheduler adds what needs Redis
(opt-outs, offers today) and the patient directory (a WhatsApp number).

A visit fits when it is scheduled later than the opening, no longer than it, with the opening's provider (or any
provider where the practice allows), and its patient is not the one who freed it, was not offered it yet and
has no other visit within `skip_if_visit_within_days`. Ranked by time gained (how much earlier the opening is
than the visit), then Open Dental's order of the ASAP list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.practices import RefillSettings
from bot.refill.ledger import Opening
from od_adapter import Appointment, AptStatus


def provider_of(appointment: Appointment) -> int:
    return appointment.prov_hyg if appointment.is_hygiene and appointment.prov_hyg else appointment.prov_num


def fits(opening: Opening, visit: Appointment, rules: RefillSettings) -> bool:
    if visit.apt_status is not AptStatus.SCHEDULED or visit.apt_date_time is None:
        return False
    if visit.apt_date_time <= opening.start or visit.minutes > opening.minutes:
        return False
    if visit.is_hygiene != opening.hygiene:
        return False
    return rules.any_provider or provider_of(visit) == opening.prov_num


def ranked(
    opening: Opening,
    asap: list[Appointment],
    rules: RefillSettings,
    *,
    offered: Iterable[int] = (),
    booked: dict[int, list[datetime]] | None = None,
    now: datetime,
) -> list[Appointment]:
    """The ASAP visits that fit the opening, the most time gained first (`booked`: each patient's other visits)."""
    skip = {opening.freed_by, *offered}
    soon = now + timedelta(days=rules.skip_if_visit_within_days)
    found = []
    for order, visit in enumerate(asap):
        if visit.pat_num in skip or not fits(opening, visit, rules):
            continue
        others = [at for at in (booked or {}).get(visit.pat_num, []) if at != visit.apt_date_time]
        if any(now <= at <= soon for at in others):
            continue
        assert visit.apt_date_time is not None
        found.append((-(visit.apt_date_time - opening.start).total_seconds(), order, visit))
    found.sort(key=lambda f: (f[0], f[1]))
    best: dict[int, Appointment] = {}
    for _, _, visit in found:  # one offer per patient: for their visit that gains most
        best.setdefault(visit.pat_num, visit)
    return list(best.values())
