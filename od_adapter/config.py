"""The practices file: one entry per WhatsApp `phone_number_id`, loaded from TOML and validated at start.

Each practice names the environment variables that hold its Open Dental keys; the keys themselves never appear
in the file. Booking rules live here because Open Dental's API does not expose them (which day notes are
holidays, which appointment types a patient may book, the start-time grid).
"""

from __future__ import annotations

import os
import tomllib
from datetime import datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import shortnumberinfo
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

LANGUAGES = ("en", "es", "pt", "fr", "de", "ar", "hi")


class ApiMode(StrEnum):
    """Where the API is served: Open Dental's cloud, the office's API Service, or the Local API in the program."""

    REMOTE = "remote"
    SERVICE = "service"
    LOCAL = "local"


class PermissionTier(StrEnum):
    """What the developer key holds, which sets Open Dental's throttle for Remote requests."""

    READ_ONLY = "read_only"
    STANDARD = "standard"
    ENTERPRISE = "enterprise"


DEFAULT_BASE_URLS = {
    ApiMode.REMOTE: "https://api.opendental.com/api/v1",
    ApiMode.SERVICE: "http://localhost:30223/api/v1",
    ApiMode.LOCAL: "http://localhost:30222/api/v1",
}
_REMOTE_SPACING = {
    PermissionTier.READ_ONLY: 5.0,
    PermissionTier.STANDARD: 1.0,
    PermissionTier.ENTERPRISE: 0.5,
}
_PAGE_LIMITS = {
    (ApiMode.REMOTE, False): 100,
    (ApiMode.REMOTE, True): 1000,
    (ApiMode.SERVICE, False): 1000,
    (ApiMode.SERVICE, True): 10000,
    (ApiMode.LOCAL, False): 1000,
    (ApiMode.LOCAL, True): 10000,
}


class ConfigError(Exception):
    """The practices file or a practice's environment is wrong; the message names the practice and the field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenDentalConnection(Strict):
    mode: ApiMode = ApiMode.REMOTE
    base_url: str | None = None
    developer_key_env: str
    customer_key_env: str
    tier: PermissionTier = PermissionTier.STANDARD
    timeout_seconds: float = Field(default=30.0, gt=0, le=120)
    max_retries: int = Field(default=4, ge=0, le=10)
    throttle_seconds: float | None = Field(default=None, ge=0)
    """Override of the spacing between requests; normally derived from mode and tier."""

    @property
    def url(self) -> str:
        return (self.base_url or DEFAULT_BASE_URLS[self.mode]).rstrip("/")

    @property
    def spacing_seconds(self) -> float:
        if self.throttle_seconds is not None:
            return self.throttle_seconds
        if self.mode is not ApiMode.REMOTE:
            return 0.0
        return _REMOTE_SPACING[self.tier]

    @property
    def page_limit(self) -> int:
        return _PAGE_LIMITS[(self.mode, self.tier is PermissionTier.ENTERPRISE)]

    def keys(self, environ: os._Environ[str] | dict[str, str] | None = None) -> tuple[SecretStr, SecretStr]:
        """Read the developer and customer keys from the environment, or raise a ConfigError naming the variable."""
        env = os.environ if environ is None else environ
        values = []
        for name in (self.developer_key_env, self.customer_key_env):
            value = env.get(name, "").strip()
            if not value:
                raise ConfigError(f"environment variable {name} is not set")
            values.append(SecretStr(value))
        return values[0], values[1]


class AppointmentTypeRule(Strict):
    """One appointment type the assistant may book, and where."""

    name: str
    """The Open Dental AppointmentTypeName."""
    kind: str
    """What patients call it, used by the conversation: cleaning, checkup, new_patient, emergency, consultation."""
    new_patient: bool = False
    existing_patient: bool = True
    operatories: list[int] = Field(default_factory=list)
    """Allowed operatories (empty: any the provider is scheduled in)."""
    providers: list[int] = Field(default_factory=list)
    """Allowed providers (empty: any whose hygiene role matches)."""
    hygiene: bool = False
    web_sched_def_num: int | None = None
    """The Web Sched definition (category 42 or 51) for this type, used when openings come from Web Sched."""


class BookingRules(Strict):
    appointment_types: list[AppointmentTypeRule] = Field(min_length=1)
    grid_minutes: Annotated[int, Field(ge=5, le=60)] = 15
    lead_time_minutes: Annotated[int, Field(ge=0)] = 120
    horizon_days: Annotated[int, Field(ge=1, le=365)] = 56
    earliest: time = time(7, 0)
    latest: time = time(19, 0)
    holiday_notes: list[str] = Field(default_factory=lambda: ["holiday", "closed"])
    """Practice-type day entries whose note contains one of these words close the day."""
    allow_overlap: bool = False
    """Whether the assistant may book a chair that already holds an appointment (Open Dental's ApptsAllowOverlap)."""
    openings_source: Literal["schedules", "slots", "web_sched"] = "schedules"
    """`slots`: Open Dental's /appointments/Slots, for single-provider offices only (it ignores blockouts);
    `web_sched`: /appointments/SlotsWebSched, for practices that set up Web Sched appointment types."""
    cancel_break_type: Literal["Cancelled"] | None = None
    """Break cancellations with breakType Cancelled (adds D9987 and its fee) instead of a plain Break."""
    confirm_def_num: int | None = None
    """The ApptConfirmed definition for "confirmed by the patient"; else confirmVal "Confirmed"."""

    @model_validator(mode="after")
    def _window_is_ordered(self) -> Self:
        if self.earliest >= self.latest:
            raise ValueError("earliest must be before latest")
        return self

    @field_validator("grid_minutes")
    @classmethod
    def _grid_is_multiple_of_five(cls, value: int) -> int:
        if value % 5:
            raise ValueError("must be a multiple of 5 (Open Dental's time unit)")
        return value


class CommlogSettings(Strict):
    comm_type: str = "ApptRelated"
    """The commlog type (a definition ItemName in category 27) for the assistant's actions."""


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(Strict):
    """When staff answer messages, per weekday as "08:00-18:00" (a day left out is closed)."""

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


class HandoffSettings(Strict):
    """When and how the assistant hands a conversation to the front desk."""

    hours: BusinessHours = BusinessHours()
    resume_after_minutes: Annotated[float, Field(gt=0, le=7 * 24 * 60)] = 240
    """The assistant answers again after this long without staff activity (a release does it at once)."""
    failures: Annotated[int, Field(ge=1, le=10)] = 3
    """Messages in a row the assistant did not understand before it hands off."""
    comm_type: str | None = None
    """The commlog type for handoffs; the practice's commlog type when unset."""
    emergency_words: dict[str, list[str]] = Field(default_factory=dict)
    """Extra words per language that signal an emergency (added to the built-in ones)."""
    reengagement_template: str | None = None
    """An approved WhatsApp template staff may send when the 24-hour window has closed."""
    template_language: str = "en_US"


# The local habit first where a region answers to several (the US also routes 112, Britain 112 and 999).
EMERGENCY_NUMBERS = ("911", "000", "999", "112", "123")


class Practice(Strict):
    phone_number_id: str
    name: str
    timezone: str
    region: str = "US"
    """The country whose national phone format the practice stores (ISO 3166 alpha-2)."""
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    default_language: str = "en"
    clinic_num: int = 0
    open_dental: OpenDentalConnection
    booking: BookingRules
    commlog: CommlogSettings = CommlogSettings()
    handoff: HandoffSettings = HandoffSettings()
    emergency_phone: str = ""
    emergency_number: str = ""
    """The public emergency number the safety message gives; empty picks the region's (911, 000, 999, 112...)."""
    info: dict[str, str] = Field(default_factory=dict)
    """Answers to common questions by topic: hours, address, parking, insurance, bring."""

    @model_validator(mode="before")
    @classmethod
    def _region_emergency_number(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("emergency_number"):
            region = str(data.get("region") or "US").upper()
            found = (n for n in EMERGENCY_NUMBERS if shortnumberinfo.is_emergency_number(n, region))
            return {**data, "emergency_number": next(found, "112")}
        return data

    @model_validator(mode="after")
    def _known_emergency_number(self) -> Self:
        if not shortnumberinfo.is_emergency_number(self.emergency_number, self.region.upper()):
            raise ValueError(f"{self.emergency_number!r} is not an emergency number in {self.region}")
        return self

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone region {value!r}")
        return value.upper()

    @field_validator("languages")
    @classmethod
    def _supported_languages(cls, value: list[str]) -> list[str]:
        unknown = [lang for lang in value if lang not in LANGUAGES]
        if unknown:
            raise ValueError(f"unsupported languages {unknown}; choose from {list(LANGUAGES)}")
        return value

    @model_validator(mode="after")
    def _default_language_is_offered(self) -> Self:
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class PracticesFile(Strict):
    practices: list[Practice] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_numbers(self) -> Self:
        seen: set[str] = set()
        for practice in self.practices:
            if practice.phone_number_id in seen:
                raise ValueError(f"phone_number_id {practice.phone_number_id} appears twice")
            seen.add(practice.phone_number_id)
        return self

    def by_phone_number_id(self) -> dict[str, Practice]:
        return {p.phone_number_id: p for p in self.practices}


def load_practices(path: Path) -> PracticesFile:
    """Load and validate a practices file, turning every problem into one readable ConfigError."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the practices file ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    try:
        return PracticesFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: " + "; ".join(_describe(raw, err) for err in exc.errors())) from exc


def _describe(raw: dict[str, Any], error: ErrorDetails) -> str:
    """Name the practice (by its name or phone_number_id) and the field in a validation error."""
    loc = list(error["loc"])
    where = ".".join(str(part) for part in loc)
    if len(loc) >= 2 and loc[0] == "practices" and isinstance(loc[1], int):
        entries = raw.get("practices") or []
        entry = entries[loc[1]] if loc[1] < len(entries) and isinstance(entries[loc[1]], dict) else {}
        label = entry.get("name") or entry.get("phone_number_id") or f"#{loc[1] + 1}"
        field = ".".join(str(part) for part in loc[2:]) or "(entry)"
        where = f"practice {label!r} field {field}"
    return f"{where}: {error['msg']}"
