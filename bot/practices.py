"""The practices file: one entry per WhatsApp `phone_number_id`, loaded from TOML and validated at start.

Each entry holds the product's fields (the WhatsApp number, name, languages, handoff, emergency numbers, info
answers) beside the Open Dental ones, and produces the `OdPractice` the adapter receives. The file keeps one
flat table per practice; the split is only in the models. A field the file does not know fails at start with
the file, the field and the likely fix named.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterator, Mapping
from datetime import date, time
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, Self, get_args, get_origin
from zoneinfo import ZoneInfo

from phonenumbers import shortnumberinfo
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from bot.errors import ConfigError
from bot.whatsapp.pricing import WhatsAppPricing
from flows.hours import BusinessHours
from locales.catalog import LANGUAGES
from od_adapter import (
    BookingRules,
    CommlogSettings,
    IdentityRules,
    OdPractice,
    OpenDentalConnection,
    Region,
    TimeZoneName,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    task_list_num: Annotated[int, Field(ge=1)] | None = None
    """The Open Dental task list a handoff adds a task to (`POST /tasks`, API 22.3.17+); none: commlog only."""
    task_user_num: Annotated[int, Field(ge=0)] = 0
    """The Open Dental user (UserNum) the assistant's tasks are from; 0 leaves it unset."""
    alert_webhook: str | None = None
    """A URL told of each handoff (practice, reason, time, a console link; never a name, number or words)."""

    @field_validator("alert_webhook")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("alert_webhook must be an http:// or https:// URL")
        return value


class ReminderTemplate(Strict):
    """An approved WhatsApp template, in each language the practice serves."""

    name: str
    languages: dict[str, str] = Field(default_factory=lambda: {"en": "en_US"})
    """Our language code -> the template's language code at Meta ("es": "es_MX"); Hindi in Latin letters uses "hi"."""


class ReminderStep(Strict):
    """One message of the sequence: `days_before` the visit at the local time `at`, or `hours_before` it."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,20}$")]
    days_before: Annotated[int, Field(ge=0, le=14)] | None = None
    at: time = time(9, 0)
    hours_before: Annotated[float, Field(gt=0, le=14 * 24)] | None = None
    ask_confirm: bool = False
    """Its buttons are Confirm / Change / Cancel and it is skipped for a visit already confirmed."""
    template: ReminderTemplate
    ttl_seconds: Annotated[int, Field(ge=30, le=12 * 3600)] = 12 * 3600
    """The template's time-to-live, as set at Meta (`message_send_ttl_seconds`): a message not sent by then is dropped."""

    @model_validator(mode="after")
    def _one_offset(self) -> Self:
        if (self.days_before is None) == (self.hours_before is None):
            raise ValueError("give exactly one of days_before or hours_before")
        return self


def _default_steps() -> list[ReminderStep]:
    return [
        ReminderStep(
            id="confirm",
            days_before=2,
            at=time(10, 0),
            ask_confirm=True,
            template=ReminderTemplate(name="appointment_confirm"),
        ),
        ReminderStep(
            id="day_of", days_before=0, at=time(8, 0), template=ReminderTemplate(name="appointment_today")
        ),
    ]


class ReminderSettings(Strict):
    """Reminders the assistant sends before each visit, and how their answers are written to Open Dental."""

    enabled: bool = False
    steps: list[ReminderStep] = Field(default_factory=_default_steps, min_length=1)
    window_start: time = time(8, 0)
    """The send window (local time) when Open Dental's AutomaticCommunicationTimeStart/End do not give one."""
    window_end: time = time(20, 0)
    use_office_window: bool = True
    """Read the window from Open Dental's automated-messaging preferences when it has them."""
    closed_weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(default_factory=lambda: [6])
    """Days nothing is sent (0 Monday .. 6 Sunday): a step due then goes on the open day before."""
    closed_dates: list[date] = Field(default_factory=list)
    recent_booking_hours: Annotated[float, Field(ge=0, le=72)] = 2
    """A step due within this many hours of the visit being made is skipped while a later step remains."""
    min_lead_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 60
    """A reminder that would go later than this before the visit is dropped."""
    daily_limit: Annotated[int, Field(ge=1)] = 250
    """Patients messaged first per day (Meta's messaging limit for the number; new portfolios start at 250)."""
    sent_status: Literal["Sent"] | Annotated[int, Field(ge=1)] | None = None
    """Set on a visit when its confirm request goes (confirmVal "Sent" or a DefNum); never over a confirmed one."""
    txt_msg_unknown: Literal["send", "skip"] = "send"
    """Patients whose TxtMsgOk is Unknown (No is always skipped)."""
    stop_sets_txt_msg_ok: bool = False
    """A patient's STOP also sets TxtMsgOk = No on their chart."""
    only_created_after_start: bool = False
    """The demo's: remind only visits made after the scheduler started (and the listed showcase patients)."""
    showcase_patients: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _window_is_ordered(self) -> Self:
        if self.window_start >= self.window_end:
            raise ValueError("window_start must be before window_end")
        if len({s.id for s in self.steps}) != len(self.steps):
            raise ValueError("reminder step ids must be unique")
        return self


RefillSource = Literal["asap", "recall"]


def _refill_sources() -> list[RefillSource]:
    return ["asap", "recall"]


class RefillSettings(Strict):
    """Freed times offered to patients waiting for an earlier visit (see docs/refill.md)."""

    enabled: bool = False
    lead_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60)] = 120
    """An opening is offered only while it is at least this far ahead; then it expires."""
    batch_size: Annotated[int, Field(ge=1, le=50)] = 3
    """Patients offered an opening at a time."""
    batch_every_minutes: Annotated[float, Field(ge=0, le=24 * 60)] = 15
    """The next batch goes this long after the last unless the opening is filled."""
    max_offers_per_patient_per_day: Annotated[int, Field(ge=1, le=20)] = 2
    any_provider: bool = False
    """Offer a visit with another provider too (it moves to the opening's provider); else only the same one."""
    skip_if_visit_within_days: Annotated[int, Field(ge=0, le=365)] = 30
    """A patient whose current visit is this soon is not offered (little to gain)."""
    candidates: list[RefillSource] = Field(default_factory=_refill_sources)
    """Who is asked, in order: the ASAP list (`GET /appointments/ASAP`), then due recalls (not yet offered)."""
    asap_every_seconds: Annotated[float, Field(ge=5, le=24 * 3600)] = 300
    """How long the ASAP list read in the background is kept before it is read again."""
    template: ReminderTemplate = Field(default_factory=lambda: ReminderTemplate(name="opening_offer"))
    """The approved utility template sent outside the 24-hour window (parameters in docs/refill.md)."""
    ttl_seconds: Annotated[int, Field(ge=30, le=12 * 3600)] = 3600


class OdEventsSettings(Strict):
    """How `python -m bot od-subscribe` subscribes the practice to Open Dental's API Events."""

    workstation: str = ""
    """The machine running the office's API Service (or OpenDental.exe) that sends the events; blank lets
    every running copy send each one (duplicates, which the endpoint drops, but each costs a delivery)."""
    polling_seconds: Annotated[int, Field(ge=1, le=3600)] = 5
    """How often that machine looks for changed appointments."""


# The local habit first where a region answers to several (the US also routes 112, Britain 112 and 999).
EMERGENCY_NUMBERS = ("911", "000", "999", "112", "123")


class Practice(Strict):
    """One practice: the product's fields, and (as `od`) the Open Dental practice the adapter receives."""

    phone_number_id: str
    name: str
    timezone: TimeZoneName
    region: Region = "US"
    """The country whose national phone format the practice stores (ISO 3166 alpha-2)."""
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    default_language: str = "en"
    clinic_num: int = 0
    open_dental: OpenDentalConnection
    booking: BookingRules
    commlog: CommlogSettings = CommlogSettings()
    identity: IdentityRules = IdentityRules()
    handoff: HandoffSettings = HandoffSettings()
    od_events: OdEventsSettings = OdEventsSettings()
    emergency_phone: str = ""
    emergency_number: str = ""
    """The public emergency number the safety message gives; empty picks the region's (911, 000, 999, 112...)."""
    info: dict[str, str] = Field(default_factory=dict)
    """Answers to common questions by topic: hours, address, parking, insurance, bring."""
    reminders: ReminderSettings = ReminderSettings()
    refill: RefillSettings = RefillSettings()
    whatsapp: WhatsAppPricing = WhatsAppPricing()
    """What Meta charges the practice per WhatsApp message, for the dashboard's cost."""

    @property
    def od(self) -> OdPractice:
        """The practice as the adapter receives it (built on each call, so `model_copy` updates reach it)."""
        # The WhatsApp number is the practice's id in the adapter's keys and option ids, as it always was.
        return OdPractice(
            id=self.phone_number_id,
            timezone=self.timezone,
            region=self.region,
            clinic_num=self.clinic_num,
            open_dental=self.open_dental,
            booking=self.booking,
            commlog=self.commlog,
            identity=self.identity,
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

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


class PracticesFile(Strict):
    practices: list[Practice] = Field(min_length=1)
    _by_number: Mapping[str, Practice] = PrivateAttr(default_factory=dict)
    _built_from: list[Practice] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _unique_numbers(self) -> Self:
        by_number: dict[str, Practice] = {}
        for practice in self.practices:
            if practice.phone_number_id in by_number:
                raise ValueError(f"phone_number_id {practice.phone_number_id} appears twice")
            by_number[practice.phone_number_id] = practice
        self._by_number = MappingProxyType(by_number)
        self._built_from = self.practices
        return self

    def by_phone_number_id(self) -> Mapping[str, Practice]:
        """Every practice by its phone_number_id; built once (the file is frozen), as the webhook asks per delivery.
        A copy with other practices (`model_copy(update=...)` runs no validator) builds its own on first use."""
        if self._built_from is not self.practices:
            self._by_number = MappingProxyType({p.phone_number_id: p for p in self.practices})
            self._built_from = self.practices
        return self._by_number

    def __eq__(self, other: object) -> bool:
        # The lookup is derived from the practices: two files with the same practices are the same file.
        return isinstance(other, PracticesFile) and self.practices == other.practices

    __hash__ = None  # type: ignore[assignment]


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
    """Name the practice (by its name or phone_number_id), the field, and for an unknown field the likely fix."""
    loc = list(error["loc"])
    where = ".".join(str(part) for part in loc)
    if len(loc) >= 2 and loc[0] == "practices" and isinstance(loc[1], int):
        entries = raw.get("practices") or []
        entry = entries[loc[1]] if loc[1] < len(entries) and isinstance(entries[loc[1]], dict) else {}
        label = entry.get("name") or entry.get("phone_number_id") or f"#{loc[1] + 1}"
        field = ".".join(str(part) for part in loc[2:]) or "(entry)"
        where = f"practice {label!r} field {field}"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = f"{message}; {_fix_for(loc)}"
    return f"{where}: {message}"


def _fix_for(loc: list[int | str]) -> str:
    """For a field the file does not know: the field it was likely meant to be, or the table it belongs in."""
    *table_loc, name = [str(part) for part in loc if not isinstance(part, int)]
    model = _model_at(table_loc)
    fields = list(model.model_fields) if model else []
    close = difflib.get_close_matches(name, fields, n=1, cutoff=0.7)
    if close:
        return f"did you mean {close[0]!r}?"
    homes = [
        table for table, known in _tables(PracticesFile) if name in known and table != ".".join(table_loc)
    ]
    if homes:
        return f"{name!r} belongs in [{homes[0]}]"
    table = ".".join(table_loc) or "the file's top level"
    return f"remove it; [{table}] takes {', '.join(fields)}" if fields else "remove it"


def _model_at(path: list[str]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = PracticesFile
    for name in path:
        field = model.model_fields.get(name) if model else None
        model = next(_models(field.annotation), None) if field else None
    return model


def _tables(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """Every table of the file, by its dotted path, with the fields it takes."""
    yield prefix, set(model.model_fields)
    for name, field in model.model_fields.items():
        for child in _models(field.annotation):
            yield from _tables(child, f"{prefix}.{name}" if prefix else name)


def _models(annotation: object) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation holds (itself, or inside a list, a union or an Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    if get_origin(annotation) is dict:
        return
    for arg in get_args(annotation):
        yield from _models(arg)
