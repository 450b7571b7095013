"""One practice as the adapter sees it (`OdPractice`): its Open Dental connection, booking rules and commlogs.

A practice names the environment variables that hold its Open Dental keys; the keys themselves never appear
in configuration. Booking rules live here because Open Dental's API does not expose them (which day notes are
holidays, which appointment types a patient may book, the start-time grid). The product's own settings (its
messaging channel, languages, handoff) are not the adapter's business: the product's practices file produces an
`OdPractice` for each of its practices.
"""

from __future__ import annotations

import os
from datetime import time
from enum import StrEnum
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from od_adapter.errors import ConfigError


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


class IdentityRules(Strict):
    """Who a WhatsApp number speaks for: the family whose visits it may see and change."""

    home_phone: bool = False
    """A chart whose home phone (not only its wireless phone) is the number belongs to the family."""
    dependant_age: int = Field(default=18, ge=0, le=30)
    """The guarantor's dependants younger than this belong to the family even without the number on their chart."""
    match_existing_chart: bool = False
    """A new patient whose name and birthdate match an existing chart (from another number) books on that chart;
    by default a new chart is made and flagged to staff as a possible duplicate, and the old one stays unseen."""


def known_timezone(value: str) -> str:
    """An IANA time zone name Python knows, or a ValueError naming it."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


def known_region(value: str) -> str:
    """A country code the phone library knows (ISO 3166 alpha-2), upper-cased."""
    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {value!r}")
    return value.upper()


TimeZoneName = Annotated[str, AfterValidator(known_timezone)]
Region = Annotated[str, AfterValidator(known_region)]


class OdPractice(Strict):
    """One practice's Open Dental: who it is, where it is, how to reach it, and what may be booked there."""

    id: str
    """The practice's id in stored keys and option ids (the product picks it; it must never change)."""
    timezone: TimeZoneName
    region: Region = "US"
    """The country whose national phone format the practice stores (ISO 3166 alpha-2)."""
    clinic_num: int = 0
    open_dental: OpenDentalConnection
    booking: BookingRules
    commlog: CommlogSettings = CommlogSettings()
    identity: IdentityRules = IdentityRules()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
