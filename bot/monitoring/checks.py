"""Check a practice's Open Dental connection and that its configured booking rules fit its Open Dental data."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import SecretStr

from bot.practices import Practice
from od_adapter import ConfigError as OdConfigError
from od_adapter import OpenDentalClient, OpenDentalError, RateLimiter


@dataclass
class PracticeReport:
    practice: str
    ok: bool = True
    facts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    requests: int = 0
    limiter_wait_seconds: float = 0.0

    def lines(self) -> list[str]:
        head = f"{'OK ' if self.ok else 'FAIL'} {self.practice} ({self.requests} Open Dental requests, "
        head += f"{self.limiter_wait_seconds:.1f}s waiting for the throttle)"
        return [head, *(f"     {fact}" for fact in self.facts), *(f"   ! {p}" for p in self.problems)]


async def check_practice(
    practice: Practice, limiter: RateLimiter, keys: tuple[SecretStr, SecretStr]
) -> PracticeReport:
    """Read the practice's set-up and the coming week's book; report what is missing or wrong."""
    report = PracticeReport(practice.name)
    try:
        async with OpenDentalClient.for_practice(practice.open_dental, limiter, keys=keys) as od:
            try:
                await _inspect(practice, od, report)
            finally:
                report.requests = od.stats.requests
                report.limiter_wait_seconds = od.stats.limiter_wait_seconds
    except OpenDentalError as exc:
        report.problems.append(str(exc))
    except (
        Exception
    ) as exc:  # a report line, not a crash: configuration checks must finish for every practice
        report.problems.append(f"{type(exc).__name__}: {exc}")
    report.ok = not report.problems
    return report


async def _inspect(practice: Practice, od: OpenDentalClient, report: PracticeReport) -> None:
    providers = [p for p in await od.providers() if not p.is_hidden]
    operatories = [o for o in await od.operatories() if not o.is_hidden]
    types = {t.appointment_type_name: t for t in await od.appointment_types() if not t.is_hidden}
    report.facts.append(
        f"{len(providers)} providers, {len(operatories)} operatories, {len(types)} appointment types"
    )
    known_ops = {o.operatory_num for o in operatories}
    known_providers = {p.prov_num for p in providers}
    for rule in practice.booking.appointment_types:
        if rule.name not in types:
            report.problems.append(f"appointment type {rule.name!r} is not in Open Dental")
        for op in set(rule.operatories) - known_ops:
            report.problems.append(f"appointment type {rule.name!r}: operatory {op} is not in Open Dental")
        for prov in set(rule.providers) - known_providers:
            report.problems.append(f"appointment type {rule.name!r}: provider {prov} is not in Open Dental")
    today = datetime.now(practice.zone).date()
    week = await od.appointments(start=today, end=today + timedelta(days=6))
    report.facts.append(f"{len(week)} appointments in the next 7 days")


async def ping_practice(
    practice: Practice, limiter: RateLimiter, keys: tuple[SecretStr, SecretStr]
) -> PracticeReport:
    """One cheap request (the practice's title preference) that proves keys, permissions and the route work."""
    report = PracticeReport(practice.name)
    started = time.perf_counter()
    try:
        async with OpenDentalClient.for_practice(practice.open_dental, limiter, keys=keys) as od:
            try:
                # A tuple, so the fallback is not read as a list of preferences: title is Preference | None.
                [title] = await od.preferences("PracticeTitle") or (None,)
            finally:
                report.requests = od.stats.requests
        label = title.value_string if title else "(no PracticeTitle)"
        report.facts.append(
            f"Open Dental answered in {(time.perf_counter() - started) * 1000:.0f} ms: {label}"
        )
    except (OpenDentalError, OdConfigError) as exc:
        report.problems.append(str(exc))
    report.ok = not report.problems
    return report
