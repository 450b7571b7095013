"""A per-practice cache of the appointment book, so a slot search costs one Open Dental request or none.

- Reference data (providers, operatories, appointment types) is kept for `reference_ttl`.
- Schedules for the covered dates are kept for `schedule_ttl` (GET /schedules has no DateTStamp filter).
- Appointments for the covered dates are loaded once, then refreshed incrementally: `GET /appointments` with
  `DateTStamp` set to the last `serverDateTime` returns only what changed. Deletions never show up that way,
  so the whole book is reloaded every `full_reload` seconds.

Identical concurrent reads in one process are coalesced; the state lives in a `KeyValueStore` (Redis in
production, shared by every process). Cached appointments keep only what availability needs (no notes).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, Field

from od_adapter.availability import Book
from od_adapter.client import OpenDentalClient
from od_adapter.config import OdPractice
from od_adapter.models import Appointment, AppointmentType, Operatory, Provider, Schedule
from od_adapter.single_flight import SingleFlight
from od_adapter.store import KeyValueStore

_APPOINTMENT_FIELDS = {
    "apt_num", "pat_num", "apt_status", "pattern", "op", "prov_num", "prov_hyg", "apt_date_time",
    "is_hygiene", "appointment_type_num", "clinic_num", "date_t_stamp",
}  # fmt: skip
UNKNOWN_WATERMARK_LOOKBACK = timedelta(hours=1)


class ReferenceData(BaseModel):
    providers: list[Provider]
    operatories: list[Operatory]
    appointment_types: list[AppointmentType]
    fetched_at: float


class BookState(BaseModel):
    covered_start: date
    covered_end: date
    watermark: datetime
    """Open Dental's serverDateTime of the last read: the next incremental read asks for changes since then."""
    loaded_at: float
    read_started_at: float
    """When the newest read of the appointments began (wall clock): what it returned is at least this fresh."""
    schedules_at: float
    schedules: list[Schedule] = Field(default_factory=list)
    appointments: dict[int, Appointment] = Field(default_factory=dict)

    def covers(self, start: date, end: date) -> bool:
        return self.covered_start <= start and end <= self.covered_end


class CacheSettings(BaseModel):
    reference_ttl: float = 3600.0
    schedule_ttl: float = 900.0
    full_reload: float = 1800.0
    fresh_for: float = 1.0
    """A search accepts a read that began this many seconds before it. One throttle spacing by default: no new
    read could be fresher, since it would have to wait that long for its turn anyway."""


def _slim(appointment: Appointment) -> Appointment:
    return Appointment.model_validate(appointment.model_dump(include=_APPOINTMENT_FIELDS))


class BookCache:
    def __init__(
        self,
        od: OpenDentalClient,
        store: KeyValueStore,
        practice: OdPractice,
        settings: CacheSettings | None = None,
    ) -> None:
        self.od = od
        self.store = store
        self.zone = practice.zone
        self.settings = settings or CacheSettings()
        self._prefix = f"book:{practice.id}"
        self._flight = SingleFlight()

    # -- reading ----------------------------------------------------------------------------------------------

    async def reference(self) -> ReferenceData:
        raw = await self.store.get(f"{self._prefix}:reference")
        if raw is not None:
            return ReferenceData.model_validate_json(raw)
        return await self._flight.run("reference", self._load_reference)

    async def book(self, start: date, end: date, *, max_age: float | None = None) -> Book:
        """The set-up and the book for these dates, at most `max_age` seconds old (default: `fresh_for`)."""
        reference = await self.reference()
        state = await self.state(start, end, max_age=max_age)
        return Book(
            providers=reference.providers,
            operatories=reference.operatories,
            appointment_types=reference.appointment_types,
            schedules=[s for s in state.schedules if s.sched_date and start <= s.sched_date <= end],
            appointments=[
                a
                for a in state.appointments.values()
                if a.apt_date_time and start <= a.apt_date_time.date() <= end
            ],
        )

    async def state(
        self, start: date, end: date, *, max_age: float | None = None, after: float | None = None
    ) -> BookState:
        """The cached book covering these dates, from a read that began at most `max_age` seconds ago.

        `after` (a `time.time()` value) demands a read that began after that moment: the booking guard's
        read-back must see what was written after its POST.
        """
        asked_at = time.time()
        state = await self._load_state()
        if state is None or asked_at - state.loaded_at > self.settings.full_reload:
            return await self._flight.run(f"load:{start}:{end}", lambda: self._full_load(start, end))
        if not state.covers(start, end):
            state = await self._flight.run(f"extend:{start}:{end}", lambda: self._extend(start, end))
        if asked_at - state.schedules_at > self.settings.schedule_ttl:
            state = await self._flight.run("schedules", self._reload_schedules)
        since = (
            after
            if after is not None
            else asked_at - (self.settings.fresh_for if max_age is None else max_age)
        )
        if state.read_started_at >= since:
            return state
        return await self._flight.run("refresh", lambda: self._refresh(since), not_before=after)

    async def record(self, appointment: Appointment) -> None:
        """Put an appointment we just wrote into the cache, so the next search knows it without a read."""
        state = await self._load_state()
        when = appointment.apt_date_time
        if state is not None and when and state.covered_start <= when.date() <= state.covered_end:
            state.appointments[appointment.apt_num] = _slim(appointment)
            await self._save(state)

    # -- loading ----------------------------------------------------------------------------------------------

    async def _load_reference(self) -> ReferenceData:
        reference = ReferenceData(
            providers=await self.od.providers(),
            operatories=await self.od.operatories(),
            appointment_types=await self.od.appointment_types(),
            fetched_at=time.time(),
        )
        await self.store.set(
            f"{self._prefix}:reference", reference.model_dump_json().encode(), self.settings.reference_ttl
        )
        return reference

    async def _full_load(self, start: date, end: date) -> BookState:
        started = time.time()
        schedules = await self.od.schedules(start, end)
        appointments = await self.od.appointments(start=start, end=end)
        state = BookState(
            covered_start=start,
            covered_end=end,
            watermark=self._watermark(appointments) or self._office_now() - UNKNOWN_WATERMARK_LOOKBACK,
            loaded_at=started,
            read_started_at=started,
            schedules_at=started,
            schedules=schedules,
            appointments={a.apt_num: _slim(a) for a in appointments},
        )
        await self._save(state)
        return state

    async def _extend(self, start: date, end: date) -> BookState:
        state = await self._load_state()
        if state is None:
            return await self._full_load(start, end)
        for gap_start, gap_end in _gaps(state.covered_start, state.covered_end, start, end):
            state.schedules += await self.od.schedules(gap_start, gap_end)
            for appointment in await self.od.appointments(start=gap_start, end=gap_end):
                state.appointments[appointment.apt_num] = _slim(appointment)
        state.covered_start, state.covered_end = min(start, state.covered_start), max(end, state.covered_end)
        await self._save(state)
        return state

    async def _reload_schedules(self) -> BookState:
        state = await self._load_state()
        assert state is not None
        state.schedules = await self.od.schedules(state.covered_start, state.covered_end)
        state.schedules_at = time.time()
        await self._save(state)
        return state

    async def _refresh(self, since: float) -> BookState:
        state = await self._load_state()
        assert state is not None
        if state.read_started_at >= since:  # another coroutine or process has just read
            return state
        started = time.time()
        changed = await self.od.appointments(changed_since=state.watermark)
        for appointment in changed:
            when = appointment.apt_date_time
            if when and state.covered_start <= when.date() <= state.covered_end:
                state.appointments[appointment.apt_num] = _slim(appointment)
            else:
                state.appointments.pop(appointment.apt_num, None)
        state.watermark = self._watermark(changed) or state.watermark
        state.read_started_at = started
        await self._save(state)
        return state

    @staticmethod
    def _watermark(rows: list[Appointment]) -> datetime | None:
        stamps = [a.server_date_time for a in rows if a.server_date_time]
        return min(stamps) if stamps else None

    def _office_now(self) -> datetime:
        return datetime.now(UTC).astimezone(self.zone).replace(tzinfo=None)

    async def _load_state(self) -> BookState | None:
        raw = await self.store.get(f"{self._prefix}:state")
        return BookState.model_validate_json(raw) if raw is not None else None

    async def _save(self, state: BookState) -> None:
        ttl = self.settings.full_reload * 2
        await self.store.set(f"{self._prefix}:state", state.model_dump_json().encode(), ttl)


def _gaps(have_start: date, have_end: date, want_start: date, want_end: date) -> list[tuple[date, date]]:
    """The dates to load so that the covered range grows into one interval holding both."""
    gaps = []
    if want_start < have_start:
        gaps.append((want_start, have_start - timedelta(days=1)))
    if want_end > have_end:
        gaps.append((have_end + timedelta(days=1), want_end))
    return gaps
