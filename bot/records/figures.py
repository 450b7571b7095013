"""A practice's daily figures for its dashboard, kept apart from transcripts so they outlive them.

Per practice and local day: counters in one hash (conversations, each outcome, handoffs by reason, languages,
Open Dental requests, WhatsApp's billable messages by pricing category) and lists of seconds for the medians
(first reply, first message to booking). Nothing in them names a patient: conversations are counted once a
day through keyed conversation ids, and the figures hold numbers only.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.records.storage import Storage

FIGURES_TTL = 800 * 24 * 3600
"""Two years and more: a year compared with the last."""
SEEN_TTL = 2 * 24 * 3600
MAX_DAYS = 366
OUTCOMES = ("booked", "rescheduled", "cancelled", "confirmed", "refilled")
"""The daily counts of what turns did; "refilled": a freed time taken by a patient offered it (also "rescheduled")."""
SAMPLES = ("first_reply", "to_booking")


@dataclass
class Period:
    """The figures of a run of days, summed, with the medians over all their samples."""

    days: list[date]
    daily: dict[date, dict[str, float]]
    samples: dict[str, list[float]] = field(default_factory=dict)
    daily_medians: dict[str, dict[date, float | None]] = field(default_factory=dict)

    def total(self, name: str) -> float:
        return sum(day.get(name, 0.0) for day in self.daily.values())

    def by_prefix(self, prefix: str) -> dict[str, float]:
        """Figures named `prefix:<x>`, summed over the period, largest first."""
        found: dict[str, float] = {}
        for figures in self.daily.values():
            for name, value in figures.items():
                if name.startswith(prefix + ":"):
                    found[name.split(":", 1)[1]] = found.get(name.split(":", 1)[1], 0.0) + value
        return dict(sorted(found.items(), key=lambda item: -item[1]))

    def median(self, name: str) -> float | None:
        values = self.samples.get(name, [])
        return statistics.median(values) if values else None

    @property
    def handled_alone(self) -> float | None:
        """The share of conversations the assistant handled without handing them to staff."""
        conversations = self.total("conversations")
        if not conversations:
            return None
        return max(0.0, 1 - self.total("handed_off") / conversations)


class Figures:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def add(self, practice_id: str, day: date, name: str, amount: float = 1.0) -> None:
        await self.storage.tally(_key(practice_id, day), name, amount, FIGURES_TTL)

    async def sample(self, practice_id: str, day: date, name: str, seconds: float) -> None:
        await self.storage.append(
            f"{_key(practice_id, day)}:{name}", str(round(seconds, 3)).encode(), FIGURES_TTL
        )

    async def first_today(self, practice_id: str, day: date, conversation: str, what: str, at: float) -> bool:
        """True the first time `what` happens to this conversation on this day (remembering when)."""
        return await self.storage.claim(f"figures-seen:{practice_id}:{day}:{what}:{conversation}", str(at).encode(), SEEN_TTL)  # fmt: skip

    async def seen_at(self, practice_id: str, day: date, conversation: str, what: str) -> float | None:
        raw = await self.storage.get(f"figures-seen:{practice_id}:{day}:{what}:{conversation}")
        return float(raw) if raw else None

    async def period(self, practice_id: str, first: date, last: date) -> Period:
        days = [first + timedelta(days=n) for n in range(min((last - first).days + 1, MAX_DAYS))]
        daily = {d: await self.storage.tallies(_key(practice_id, d)) for d in days}
        period = Period(days=days, daily=daily)
        for name in SAMPLES:
            period.samples[name] = []
            period.daily_medians[name] = {}
            for d in days:
                values = [float(v) for v in await self.storage.items(f"{_key(practice_id, d)}:{name}")]
                period.samples[name] += values
                period.daily_medians[name][d] = statistics.median(values) if values else None
        return period


def local_day(at: float, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(at, UTC).astimezone(zone).date()


def _key(practice_id: str, day: date) -> str:
    return f"figures:{practice_id}:{day.isoformat()}"
