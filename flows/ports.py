"""What the conversation needs from the outside world, as ports it is given (never imports of the edge).

`Office` is the practice's Open Dental as the conversation sees it: patients on a phone, options with ids,
guarded writes. `bot` implements it over `od_adapter`; tests can implement it over the sandbox too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from flows.hours import BusinessHours
from od_adapter import Preferences


class PatientInfo(BaseModel):
    pat_num: int
    first_name: str
    last_name: str = ""
    birthdate: date | None = None
    dentist: int | None = None
    guarantor: int = 0
    language: str | None = None
    """The chart's language (ISO 639-1), when Open Dental has one."""
    existing_chart: bool = False
    """A new patient matched to a chart that is not on this number: they may book on it, never see its visits."""


class OptionInfo(BaseModel):
    id: str
    start: datetime
    minutes: int
    provider: str


class AppointmentInfo(BaseModel):
    apt_num: int
    pat_num: int
    start: datetime
    minutes: int
    provider: str = ""
    what: str = ""
    confirmed: bool = False
    """Open Dental shows it confirmed (as the assistant's confirmation marks it)."""
    commlog_num: int | None = None
    """The commlog a write left on the chart (bookings, changes), for the transcript."""


class BookResult(BaseModel):
    appointment: AppointmentInfo | None = None
    alternatives: list[OptionInfo] = Field(default_factory=list)
    replayed: bool = False
    lapsed: bool = False
    """A repeated yes whose booking no longer holds in Open Dental (cancelled or moved since)."""


class OpeningResult(BaseModel):
    """A yes to a freed time: booked (the visit moved there), taken by someone else, expired, or an offer we
    do not know (forged, or another phone's)."""

    outcome: Literal["booked", "taken", "expired", "unknown"]
    appointment: AppointmentInfo | None = None
    alternatives: list[OptionInfo] = Field(default_factory=list)
    """For a taken one: other times earlier than the patient's visit."""


class PracticeFacts(BaseModel):
    """The practice as the conversation talks about it."""

    name: str
    timezone: str
    languages: list[str]
    default_language: str
    kinds: list[str]
    """The appointment kinds existing patients may book, in the practice's order."""
    new_patient_kinds: list[str] = Field(default_factory=list)
    """The kinds a new patient may book; the first is their default."""
    info: dict[str, str] = Field(default_factory=dict)
    emergency_phone: str = ""
    emergency_number: str = "112"
    hours: BusinessHours = Field(default_factory=BusinessHours)
    """When staff answer: a handoff tells the patient when to expect a reply."""
    handoff_failures: int = 3
    resume_after_minutes: float = 240
    """After a handoff, the assistant answers again after this long without staff activity."""
    emergency_words: list[str] = Field(default_factory=list)
    """The practice's own emergency words (folded), on top of the built-in ones."""


class Office(Protocol):
    async def patients_on_phone(self, user_key: str) -> list[PatientInfo]: ...

    async def create_patient(
        self,
        first_name: str,
        last_name: str,
        birthdate: date,
        user_key: str,
        language: str,
        guarantor: int | None,
    ) -> PatientInfo: ...

    async def options(
        self, kind: str, prefs: Preferences, *, new_patient: bool, dentist: int | None
    ) -> list[OptionInfo]: ...

    async def book(
        self, option_id: str, patient: PatientInfo, key: str, *, new_patient: bool
    ) -> BookResult: ...

    async def upcoming(self, pat_nums: list[int], *, from_book: bool = False) -> list[AppointmentInfo]:
        """Their scheduled visits ahead, soonest first; `from_book`: as the synced book holds them (no request,
        a few seconds old: enough to offer a choice, never to write)."""
        ...

    async def reschedule_options(self, apt_num: int, prefs: Preferences) -> list[OptionInfo]: ...

    async def reschedule(self, apt_num: int, option_id: str, allowed: list[int], key: str) -> BookResult: ...

    async def cancel(self, apt_num: int, allowed: list[int], key: str) -> AppointmentInfo: ...

    async def confirm(
        self, apt_num: int, allowed: list[int], key: str, *, checked: bool = False
    ) -> AppointmentInfo:
        """Mark the visit confirmed; `checked`: the caller just found it in the book, so it is not read again."""
        ...

    async def visit(self, apt_num: int) -> AppointmentInfo | None:
        """A scheduled visit as the synced book holds it (no request); None when it is not scheduled."""
        ...

    async def set_reminders(self, user_key: str, pat_nums: list[int], *, allowed: bool) -> bool:
        """STOP (allowed False) or START for this phone, on the family's charts too; False if already so."""
        ...

    async def note_for_staff(self, pat_num: int, note: str) -> int:
        """A commlog on the patient's chart for the front desk (a handoff); its CommlogNum."""
        ...

    async def take_opening(self, offer_id: str, allowed: list[int], key: str) -> OpeningResult:
        """A yes to a freed time: the first books it (the patient's visit moves there), once for `key`."""
        ...

    async def decline_opening(self, offer_id: str, allowed: list[int]) -> bool:
        """A no to a freed time, recorded; False for an offer we do not know."""
        ...
