"""Every error `od_adapter` raises, under one root and split by what the caller can do about them.

    AdapterError                    anything od_adapter raises on purpose
    ├── OpenDentalError             Open Dental itself failed or refused (HTTP level)
    │   ├── OdUnavailable           transient: retry later
    │   │   ├── OdTimedOut          a write may or may not have happened: look before retrying
    │   │   ├── OdNotSent           the request never left (od_adapter.http): safe to retry
    │   │   └── OdRateLimited       refused before it ran; `retry_after` seconds
    │   └── OdRejected              refused as it stands: retrying will not help
    │       ├── OdBadRequest        400 for a reason of ours
    │       ├── OdUnauthorized      401
    │       ├── OdNotFound          404
    │       └── OdGone              410
    ├── OutcomeUnknown              a booking's write may have happened; a replay looks it up
    ├── StillRunning                another attempt with the same idempotency key holds the lock
    ├── NotYours                    refusal: the appointment is not the asking patient's (a PermissionError)
    ├── NotAllowed                  refusal: the practice's rules forbid it (a ValueError)
    ├── InvalidOption               an option id was altered, made up or issued elsewhere (a ValueError)
    ├── UnknownAppointmentType      a configured appointment type is not in Open Dental (a LookupError)
    └── ConfigError                 a practice's Open Dental settings or keys are wrong

The refusals sit beside `OpenDentalError`, not under it, so `except OpenDentalError` still means "Open Dental
failed" and never swallows a rule the patient broke. Each keeps its builtin base too, so older `except
ValueError` callers still catch it. Messages are Open Dental's own short texts (such as "Patient not found") or
our own; they never carry request bodies, so they are safe to log.
"""

from __future__ import annotations

import json
from typing import Any


class AdapterError(Exception):
    """Root of every error od_adapter raises on purpose."""


class OpenDentalError(AdapterError):
    """Open Dental failed or refused a request: the root of every error the client raises."""

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


class OutcomeUnknown(AdapterError, RuntimeError):
    """Open Dental may or may not have written; nothing is repeated until a replay can look it up."""


class StillRunning(AdapterError, RuntimeError):
    """Another attempt with the same key holds the lock for longer than a booking takes."""


class NotYours(AdapterError, PermissionError):
    """The appointment belongs to nobody the asking patient has identified."""


class NotAllowed(AdapterError, ValueError):
    """The request does not fit the practice's rules (an appointment type it does not offer, a past visit)."""


class InvalidOption(AdapterError, ValueError):
    """The option id is malformed, was altered, or belongs to another practice."""


class UnknownAppointmentType(AdapterError, LookupError):
    """A configured appointment type is not in Open Dental."""


class ConfigError(AdapterError):
    """A practice's Open Dental settings or environment are wrong; the message names the field or variable."""


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
