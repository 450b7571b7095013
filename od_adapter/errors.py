"""Typed Open Dental errors, split by what the caller can do about them.

`OdUnavailable` and its subclasses are transient: retry later. `OdRejected` and its subclasses mean the request
itself was refused: retrying the same request will not help. Messages are Open Dental's own short texts (such as
"Patient not found"); they never carry request bodies, so they are safe to log.
"""

from __future__ import annotations

import json
from typing import Any


class OpenDentalError(Exception):
    """Root of every error the Open Dental client raises."""

    def __init__(self, message: str, *, status: int | None = None, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        status = f" {self.status}" if self.status is not None else ""
        return f"Open Dental{status}{' on ' + where if where else ''}: {self.message}"


class OdUnavailable(OpenDentalError):
    """Transient: the office, its eConnector or the network failed (5xx, connection errors, eConnector 400s)."""

    outcome_unknown = False


class OdTimedOut(OdUnavailable):
    """504 or a client timeout: a write may or may not have happened, so the caller must look before retrying."""

    outcome_unknown = True


class OdRateLimited(OdUnavailable):
    """429: the request was refused before it ran; `retry_after` is in seconds when Open Dental sent one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class OdRejected(OpenDentalError):
    """4xx: Open Dental refused this request as it stands."""


class OdBadRequest(OdRejected):
    """400 for a reason of ours: a missing field, a bad value, an overlap the office refuses."""


class OdUnauthorized(OdRejected):
    """401: a wrong, disabled or unassigned key, or a key without the permission this method needs."""


class OdNotFound(OdRejected):
    """404: no such row, or no such path."""


class OdGone(OdRejected):
    """410: the resource is deprecated."""


# Open Dental answers 400 for failures on the office side too; these phrases mark them as transient.
_TRANSIENT_400_PHRASES = (
    "econnector",
    "not running",
    "could not connect",
    "unable to connect",
    "connection to the office",
    "network",
    "timed out",
    "timeout",
    "please try again",
)


def error_message(body: bytes, content_type: str) -> str:
    """Read Open Dental's explanation whether it is a JSON string, an object or plain text."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return ""
    if "json" in content_type or text[:1] in ('"', "{", "["):
        try:
            parsed = json.loads(text)
        except ValueError:
            return text[:500]
        if isinstance(parsed, str):
            return parsed
        if isinstance(parsed, dict):
            for key in ("message", "Message", "error", "Error", "detail"):
                if isinstance(value := parsed.get(key), str):
                    return value
        return json.dumps(parsed)[:500]
    return text[:500]


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_for_status(
    status: int, message: str, *, retry_after: float | None, method: str, path: str
) -> OpenDentalError:
    """Map one HTTP status and Open Dental's message to the matching exception."""
    if status == 429:
        return OdRateLimited(
            message or "Too many requests", retry_after=retry_after, status=status, method=method, path=path
        )
    kind, fallback = _kind_for(status, message)
    return kind(message or fallback, status=status, method=method, path=path)


def _kind_for(status: int, message: str) -> tuple[type[OpenDentalError], str]:
    """The exception class for a status other than 429, and the message to use when Open Dental gave none."""
    if status == 504:
        return OdTimedOut, "Gateway time-out"
    if status >= 500:
        return OdUnavailable, "Server error"
    if status == 400 and any(phrase in message.lower() for phrase in _TRANSIENT_400_PHRASES):
        return OdUnavailable, message
    if status == 401:
        return OdUnauthorized, "Unauthorized"
    if status == 404:
        return OdNotFound, "Not found"
    if status == 410:
        return OdGone, "Gone"
    return OdBadRequest, f"HTTP {status}"
