"""An in-memory `Office` port for one-turn tests of the graph: no HTTP, no Open Dental, every call recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flows.ports import AppointmentInfo, BookResult, OpeningResult, OptionInfo, PatientInfo
from od_adapter.availability import Preferences


@dataclass
class FakeOffice:
    phones: dict[str, list[PatientInfo]] = field(default_factory=dict)
    visits: list[AppointmentInfo] = field(default_factory=list)
    first_day: date = date(2026, 12, 8)
    taken: set[str] = field(default_factory=set)
    """Option ids someone else books first: `book` answers with alternatives."""
    fail: dict[str, Exception] = field(default_factory=dict)
    """Method name -> the exception it raises."""
    calls: list[str] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    created: list[PatientInfo] = field(default_factory=list)
    no_alternatives: bool = False
    """A lost race whose guard found nothing else that fits what was asked."""
    stopped: set[str] = field(default_factory=set)
    """Phones that wrote STOP."""
    confirm_keys: list[str] = field(default_factory=list)
    keys: dict[str, BookResult] = field(default_factory=dict)
    openings: dict[str, OpeningResult] = field(default_factory=dict)
    """Offer id -> what a yes to it gets (unknown for any other id)."""
    declined: list[str] = field(default_factory=list)
    opening_keys: list[str] = field(default_factory=list)
    """Outcomes by idempotency key: a second call with a key replays its outcome, like the booking guard."""

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if name in self.fail:
            raise self.fail[name]

    async def patients_on_phone(self, user_key: str) -> list[PatientInfo]:
        self._call("patients_on_phone")
        return list(self.phones.get(user_key, []))

    async def create_patient(
        self,
        first_name: str,
        last_name: str,
        birthdate: date,
        user_key: str,
        language: str,
        guarantor: int | None,
    ) -> PatientInfo:
        self._call("create_patient")
        patient = PatientInfo(
            pat_num=900 + len(self.created), first_name=first_name, last_name=last_name, birthdate=birthdate
        )
        self.created.append(patient)
        return patient

    def _options(self, prefs: Preferences) -> list[OptionInfo]:
        day = max(prefs.start or self.first_day, self.first_day)
        found = []
        for n in range(6):
            start = datetime.combine(day + timedelta(days=n // 2), datetime.min.time()).replace(
                hour=9 + 2 * (n % 2)
            )
            if prefs.earliest_start is not None and start.time() < prefs.earliest_start:
                continue
            if prefs.latest_start is not None and start.time() > prefs.latest_start:
                continue
            found.append(OptionInfo(id=f"o{start:%m%d%H}", start=start, minutes=60, provider="Dr. Lee"))
        return found

    async def options(
        self, kind: str, prefs: Preferences, *, new_patient: bool, dentist: int | None
    ) -> list[OptionInfo]:
        self._call("options")
        return self._options(prefs)

    async def reschedule_options(self, apt_num: int, prefs: Preferences) -> list[OptionInfo]:
        self._call("reschedule_options")
        return self._options(prefs)

    def _booked(self, option_id: str, pat_num: int) -> BookResult:
        if option_id in self.taken:
            alternatives = [] if self.no_alternatives else self._options(Preferences(start=self.first_day + timedelta(days=3)))  # fmt: skip
            return BookResult(alternatives=alternatives)
        start = datetime.strptime(f"2026{option_id[1:]}", "%Y%m%d%H")
        visit = AppointmentInfo(apt_num=500 + len(self.visits), pat_num=pat_num, start=start, minutes=60, provider="Dr. Lee", commlog_num=1)  # fmt: skip
        self.visits.append(visit)
        return BookResult(appointment=visit)

    async def book(self, option_id: str, patient: PatientInfo, key: str, *, new_patient: bool) -> BookResult:
        self._call("book")
        if key in self.keys:
            return self.keys[key].model_copy(update={"replayed": True})
        self.keys[key] = self._booked(option_id, patient.pat_num)
        return self.keys[key]

    async def upcoming(self, pat_nums: list[int], *, from_book: bool = False) -> list[AppointmentInfo]:
        self._call("upcoming")
        return [v for v in self.visits if v.pat_num in pat_nums]

    async def reschedule(self, apt_num: int, option_id: str, allowed: list[int], key: str) -> BookResult:
        self._call("reschedule")
        old = next(v for v in self.visits if v.apt_num == apt_num)
        self.visits.remove(old)
        return self._booked(option_id, old.pat_num)

    async def cancel(self, apt_num: int, allowed: list[int], key: str) -> AppointmentInfo:
        self._call("cancel")
        if key in self.keys and self.keys[key].appointment is not None:
            return self.keys[key].appointment  # type: ignore[return-value]
        visit = next(v for v in self.visits if v.apt_num == apt_num)
        self.visits.remove(visit)
        self.keys[key] = BookResult(appointment=visit)
        return visit

    async def confirm(
        self, apt_num: int, allowed: list[int], key: str, *, checked: bool = False
    ) -> AppointmentInfo:
        self._call("confirm")
        self.confirm_keys.append(key)
        return next(v for v in self.visits if v.apt_num == apt_num)

    async def visit(self, apt_num: int) -> AppointmentInfo | None:
        self._call("visit")
        return next((v for v in self.visits if v.apt_num == apt_num), None)

    async def set_reminders(self, user_key: str, pat_nums: list[int], *, allowed: bool) -> bool:
        self._call("set_reminders")
        changed = (user_key in self.stopped) == allowed
        (self.stopped.discard if allowed else self.stopped.add)(user_key)
        return changed

    async def note_for_staff(self, pat_num: int, note: str) -> int:
        self._call("note_for_staff")
        self.notes.append((pat_num, note))
        return 77

    async def take_opening(self, offer_id: str, allowed: list[int], key: str) -> OpeningResult:
        self._call("take_opening")
        self.opening_keys.append(key)
        return self.openings.get(offer_id, OpeningResult(outcome="unknown"))

    async def decline_opening(self, offer_id: str, allowed: list[int]) -> bool:
        self._call("decline_opening")
        self.declined.append(offer_id)
        return offer_id in self.openings
