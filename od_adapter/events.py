"""Open Dental's API Events as they arrive: the body and headers of a database event, parsed and checked.

A database event is a POST of a JSON array of rows of the watched table (`Event-Type: WatchTable: Appointment`,
22.4.35+; older versions send no Event-Type) with the bare CustomerKey as `Authorization`. Only the fields
the receiver uses to aim its own reads are read here (an appointment's AptNum and day): an event is a hint,
never data to keep. A body that is not such an array, or a header that is not such a type, is malformed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from pydantic import ConfigDict, ValidationError

from od_adapter.models import ODModel
from od_adapter.wire import ODDateTime

WATCH_PREFIX = "WatchTable:"
APPOINTMENT_TABLES = ("Appointment", "AppointmentDeleted")


class MalformedEvent(ValueError):
    """The delivery is not an Open Dental database event."""


class EventRow(ODModel):
    model_config = ConfigDict(extra="ignore")

    apt_num: int | None = None
    apt_date_time: ODDateTime = None


@dataclass(frozen=True)
class ApiEvent:
    watch_table: str | None
    """The table named in Event-Type; None when Open Dental sent none (before 22.4.35)."""
    rows: list[EventRow]

    @property
    def about_appointments(self) -> bool:
        return self.watch_table is None or self.watch_table in APPOINTMENT_TABLES

    @property
    def days(self) -> list[date]:
        """The days the rows name, for reading those days again (sorted, once each)."""
        return sorted({r.apt_date_time.date() for r in self.rows if r.apt_date_time is not None})


def parse_event(body: bytes, event_type: str | None) -> ApiEvent:
    """The event in a delivery, or MalformedEvent."""
    table = None
    if event_type is not None and event_type.strip():
        kind, _, name = event_type.partition(":")
        if f"{kind.strip()}:" != WATCH_PREFIX or not name.strip():
            raise MalformedEvent("Event-Type is not a WatchTable event")
        table = name.strip()
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedEvent("the body is not JSON") from exc
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise MalformedEvent("the body is not an array of rows")
    try:
        rows = [EventRow.model_validate(row) for row in data]
    except ValidationError as exc:
        raise MalformedEvent("a row's AptNum or AptDateTime is malformed") from exc
    return ApiEvent(watch_table=table, rows=rows)
