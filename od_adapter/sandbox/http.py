"""Request parsing and responses shared by the sandbox's handlers.

Query parameters are matched case-insensitively, as ASP.NET binds them; JSON body fields are matched exactly,
because Open Dental distinguishes `CommType` from `commType`. Errors are raised as `ApiError` and written by
the error middleware in the configured body style (a JSON string by default).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from aiohttp import web

from od_adapter.models import ODModel
from od_adapter.wire import format_datetime, parse_bool, parse_date, parse_datetime

T = TypeVar("T")
Row = TypeVar("Row", bound=ODModel)
MAX_BODY_CHARS = 16_800_000
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


class Query:
    """Typed, case-insensitive access to a request's query string."""

    def __init__(self, request: web.Request) -> None:
        self._values = {key.lower(): value for key, value in request.query.items()}

    def raw(self, name: str) -> str | None:
        value = self._values.get(name.lower())
        return value if value not in (None, "") else None

    def text(self, name: str) -> str | None:
        return self.raw(name)

    def int(self, name: str) -> int | None:
        return self._parse(name, int, f"{name} is invalid")

    def bool(self, name: str) -> bool | None:
        return self._parse(name, parse_bool, f"{name} is invalid")

    def date(self, name: str) -> date | None:
        return self._parse(name, parse_date, f"{name} format must be yyyy-MM-dd")

    def datetime(self, name: str) -> datetime | None:
        return self._parse(name, parse_datetime, f"{name} format must be yyyy-MM-dd HH:mm:ss")

    def choice(self, name: str, allowed: Iterable[str]) -> str | None:
        value = self.raw(name)
        if value is not None and value not in allowed:
            raise bad_request(f"{name} is invalid")
        return value

    def _parse(self, name: str, parse: Callable[[str], T], message: str) -> T | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            return parse(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(message) from exc


async def json_body(request: web.Request) -> dict[str, Any]:
    text = await request.text()
    if len(text) > MAX_BODY_CHARS:
        raise bad_request("Request body is too large")
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError as exc:
        raise bad_request("Request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return body


class Body:
    """Typed access to a JSON body's fields, with Open Dental's messages for missing or invalid ones."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def has(self, name: str) -> bool:
        return name in self.data and self.data[name] is not None

    def required(self, name: str) -> Any:
        if not self.has(name) or self.data[name] == "":
            raise bad_request(f"{name} is required")
        return self.data[name]

    def int(self, name: str) -> int | None:
        if not self.has(name):
            return None
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise bad_request(f"{name} is invalid")
        try:
            return int(value)
        except ValueError as exc:
            raise bad_request(f"{name} is invalid") from exc

    def text(self, name: str) -> str | None:
        if not self.has(name):
            return None
        value = self.data[name]
        if not isinstance(value, str):
            raise bad_request(f"{name} is invalid")
        return value

    def bool(self, name: str) -> bool | None:
        if not self.has(name):
            return None
        try:
            return parse_bool(self.data[name])
        except ValueError as exc:
            raise bad_request(f"{name} is invalid") from exc

    def date(self, name: str) -> date | None:
        value = self.text(name)
        try:
            return parse_date(value) if value is not None else None
        except ValueError as exc:
            raise bad_request(f"{name} format must be yyyy-MM-dd") from exc

    def datetime(self, name: str) -> datetime | None:
        value = self.text(name)
        try:
            return parse_datetime(value) if value is not None else None
        except ValueError as exc:
            raise bad_request(f"{name} format must be yyyy-MM-dd HH:mm:ss") from exc

    def choice(self, name: str, allowed: Iterable[str]) -> str | None:
        value = self.text(name)
        if value is not None and value not in allowed:
            raise bad_request(f"{name} is invalid")
        return value


def clean(value: Any) -> Any:
    """Open Dental's serializer turns line breaks in strings into spaces."""
    if isinstance(value, str):
        return _LINE_BREAKS.sub(" ", value)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def respond(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    if isinstance(data, ODModel):
        data = data.to_wire()
    elif isinstance(data, list):
        data = [item.to_wire() if isinstance(item, ODModel) else item for item in data]
    return web.json_response(clean(data), status=status, headers=headers)


def page(request: web.Request, rows: list[T], max_limit: int) -> list[T]:
    """Apply Limit/Offset: Limit defaults to, and is capped at, the mode's maximum."""
    query = Query(request)
    limit = query.int("Limit")
    offset = query.int("Offset") or 0
    if offset < 0 or (limit is not None and limit < 0):
        raise bad_request("Limit and Offset must not be negative")
    limit = max_limit if not limit else min(limit, max_limit)
    return rows[offset : offset + limit]


def with_server_time(rows: Sequence[Row], now: datetime) -> list[dict[str, Any]]:
    """List GETs carry `serverDateTime` in each item: the time to pass back as DateTStamp next time."""
    stamp = format_datetime(now)
    return [{**row.to_wire(), "serverDateTime": stamp} for row in rows]


def location(request: web.Request, resource: str, num: int) -> str:
    base = str(request.url).split("/api/v1/", 1)[0]
    return f"{base}/api/v1/{resource}/{num}"
