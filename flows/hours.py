"""Opening hours of the front desk, per weekday: when staff answer, and when they next will."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(BaseModel):
    """When staff answer messages, per weekday as "08:00-18:00" (a day left out is closed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: dict[Weekday, str] = Field(default_factory=lambda: dict.fromkeys(WEEKDAYS[:5], "09:00-17:00"))

    @field_validator("days")
    @classmethod
    def _ranges(cls, value: dict[str, str]) -> dict[str, str]:
        for day, span in value.items():
            try:
                start, end = _span(span)
            except ValueError as exc:
                raise ValueError(f"{day}: {span!r} is not a range like 08:00-18:00") from exc
            if start >= end:
                raise ValueError(f"{day}: {span!r} ends before it starts")
        return value

    def next_open(self, now: datetime) -> datetime | None:
        """None when staff are in now; else when they next are (now is aware, in the practice's zone)."""
        for ahead in range(8):
            day = (now + timedelta(days=ahead)).date()
            span = self.days.get(WEEKDAYS[day.weekday()])
            if span is None:
                continue
            start, end = _span(span)
            opens = datetime.combine(day, start, now.tzinfo)
            closes = datetime.combine(day, end, now.tzinfo)
            if ahead == 0 and opens <= now < closes:
                return None
            if opens > now:
                return opens
        return None


def _span(span: str) -> tuple[time, time]:
    start, end = span.split("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
