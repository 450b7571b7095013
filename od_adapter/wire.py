"""Open Dental's wire conventions as pydantic types.

Booleans travel as the strings "true"/"false" (any case), dates as `yyyy-MM-dd` and datetimes as
`yyyy-MM-dd HH:mm:ss` in office-local time with no offset, and the empty date is `0001-01-01`. The Schedules
resource sends its numbers as strings. Each type here parses what Open Dental sends and serialises back to
exactly that, so the client and the sandbox share one definition of the format.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
TIME_FORMAT = "%H:%M:%S"
EMPTY_DATE = "0001-01-01"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
EMPTY_DATETIME = "0001-01-01 00:00:00"


def parse_bool(value: Any) -> bool:
    """Accept Open Dental's "true"/"false" strings in any case, and real booleans."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"expected 'true' or 'false', got {value!r}")


def parse_date(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    text = str(value).strip()
    if text in ("", EMPTY_DATE) or text.startswith(EMPTY_DATE):
        return None
    if _ISO_DATE.fullmatch(text[:10]):
        return date.fromisoformat(text[:10])
    return datetime.strptime(text[:10], DATE_FORMAT).date()


def parse_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    text = str(value).strip()
    if text in ("", EMPTY_DATE) or text.startswith(EMPTY_DATE):
        return None
    if _ISO_DATETIME.fullmatch(text):
        return datetime.fromisoformat(text)  # strptime's cost dominated reading a cached book back
    if len(text) == 10:
        return datetime.strptime(text, DATE_FORMAT)
    return datetime.strptime(text, DATETIME_FORMAT)


def parse_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    return datetime.strptime(str(value).strip(), TIME_FORMAT).time()


def parse_int_list(value: Any) -> list[int]:
    """Schedules list their operatories as a comma string such as "5,6"."""
    if isinstance(value, list):
        return [int(v) for v in value]
    text = str(value or "").strip()
    return [int(part) for part in text.split(",") if part.strip()]


def parse_short_date(value: Any) -> date | None:
    """The Recall List's `M/d/yyyy` dates ("3/16/2022"); blank is no date."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    return datetime.strptime(text, "%m/%d/%Y").date()


def format_short_date(value: date | None) -> str:
    return f"{value.month}/{value.day}/{value.year}" if value else ""


def format_date(value: date | None) -> str:
    return value.strftime(DATE_FORMAT) if value else EMPTY_DATE


def format_datetime(value: datetime | None) -> str:
    return value.strftime(DATETIME_FORMAT) if value else EMPTY_DATETIME


ODBool = Annotated[bool, BeforeValidator(parse_bool), PlainSerializer(lambda v: "true" if v else "false")]
ODDate = Annotated[date | None, BeforeValidator(parse_date), PlainSerializer(format_date)]
ODDateTime = Annotated[datetime | None, BeforeValidator(parse_datetime), PlainSerializer(format_datetime)]
ODTime = Annotated[time, BeforeValidator(parse_time), PlainSerializer(lambda v: v.strftime(TIME_FORMAT))]
StrInt = Annotated[int, BeforeValidator(lambda v: int(str(v).strip() or 0)), PlainSerializer(str)]
ShortDate = Annotated[date | None, BeforeValidator(parse_short_date), PlainSerializer(format_short_date)]
BlankInt = Annotated[
    int, BeforeValidator(lambda v: int(str(v).strip() or 0)), PlainSerializer(lambda v: str(v) if v else "")
]
"""A count the Recall List sends as a string, blank for none ("", "1")."""
IntList = Annotated[
    list[int], BeforeValidator(parse_int_list), PlainSerializer(lambda v: ",".join(str(i) for i in v))
]


def endpoint_name(method: str, path: str) -> str:
    """`PUT /appointments/{id}/Confirm` style names: ids out, so counters stay low-cardinality."""
    parts = ["{id}" if part.isdecimal() else part for part in path.strip("/").split("/")]
    return f"{method} /{'/'.join(parts)}"
