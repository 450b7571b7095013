"""A per-practice cache of the appointment book, kept by day, so a slot search reads only the days it looks at.

In the store (Redis in production, shared by every process, sealed):
- `reference`: providers, operatories and appointment types, kept for `reference_ttl`.
- `day:<date>`: one day's schedules and appointments (only what availability needs), with a version.
- `index`: the version of each day held, when each day was last read whole, and the sync's watermark: Open
  Dental's `serverDateTime` of the last incremental read (`GET /appointments?DateTStamp=`), which returns only
  what changed since. Deletions never show up that way, so each day is read whole again every `reload_every`.
- `apts`: the day each cached appointment is on, so a change that moves a visit leaves nothing at its old time.

Each process keeps the days it has decoded, keyed by version: a warm search reads the index and decodes
nothing. Writes to the store happen under a short lock, merging by `DateTStamp`, and report what changed
(added, moved, broken, deleted visits) to the subscribers. With a `BookLoader` running (see `book_loader`), a
search never reads Open Dental: it asks the loader for the days it lacks and waits a little; alone (tests, the
chat CLI) the cache reads what it lacks itself.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from od_adapter.availability import Book, DayBook
from od_adapter.book_nudge import BookNudge
from od_adapter.client import OpenDentalClient
from od_adapter.config import OdPractice
from od_adapter.errors import OdUnavailable
from od_adapter.models import Appointment, AppointmentType, AptStatus, Operatory, Provider, Schedule
from od_adapter.single_flight import SingleFlight
from od_adapter.store import KeyValueStore

logger = logging.getLogger(__name__)

_APPOINTMENT_FIELDS = {
    "apt_num", "pat_num", "apt_status", "pattern", "op", "prov_num", "prov_hyg", "apt_date_time",
    "is_hygiene", "appointment_type_num", "clinic_num", "date_t_stamp", "confirm_def", "priority",
    "sec_date_t_entry", "confirmed_label",
}  # fmt: skip
UNKNOWN_WATERMARK_LOOKBACK = timedelta(hours=1)
LOCK_SECONDS = 10.0
CLOCK_SKEW = 5.0
"""A book read "in the future" by more than this means a clock jumped back: it counts as stale, not fresh."""


class ReferenceData(BaseModel):
    providers: list[Provider]
    operatories: list[Operatory]
    appointment_types: list[AppointmentType]
    fetched_at: float


class DayPart(BaseModel):
    day: date
    version: int
    schedules: list[Schedule] = Field(default_factory=list)
    appointments: list[Appointment] = Field(default_factory=list)


class BookIndex(BaseModel):
    watermark: datetime
    read_started_at: float
    """When the newest incremental read began (wall clock): what it returned is at least this fresh."""
    versions: dict[date, int] = Field(default_factory=dict)
    loaded_at: dict[date, float] = Field(default_factory=dict)
    """When each day was last read whole."""


_Where = TypeAdapter(dict[int, date])
WHERE_SHARD = 1000


class CacheSettings(BaseModel):
    reference_ttl: float = 3600.0
    reload_every: float = 900.0
    """A day is read whole again this often (its schedules, and visits deleted since)."""
    fresh_for: float = 30.0
    """A search accepts the book as read this many seconds ago; the loader keeps it fresher than that."""
    stale_limit: float = 900.0
    """With a loader, a search still answers from a book this old when Open Dental cannot be read."""
    wait_for_days: float = 8.0
    """With a loader, how long a search waits for days it asked for before answering from what is there."""


ChangeKind = Literal["added", "moved", "changed", "broken", "deleted"]


@dataclass(frozen=True)
class BookChange:
    kind: ChangeKind
    appointment: Appointment
    previous: Appointment | None = None


Subscriber = Callable[[list[BookChange]], Awaitable[None]]


def _slim(appointment: Appointment) -> Appointment:
    return Appointment.model_validate(appointment.model_dump(include=_APPOINTMENT_FIELDS))


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _newer(held: Appointment, incoming: Appointment) -> bool:
    return bool(held.date_t_stamp and incoming.date_t_stamp and held.date_t_stamp > incoming.date_t_stamp)


def _change(old: Appointment | None, new: Appointment) -> ChangeKind | None:
    if old is None:
        return "added"
    if (old.apt_date_time, old.op) != (new.apt_date_time, new.op):
        return "moved"
    if old.apt_status != new.apt_status and new.apt_status is AptStatus.BROKEN:
        return "broken"
    if old.model_dump() != new.model_dump():
        return "changed"
    return None


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
        self.subscribers: list[Subscriber] = []
        self._prefix = f"book:{practice.id}"
        self._flight = SingleFlight()
        self._decoded: dict[date, tuple[int, DayBook, DayPart]] = {}
        self._reference: tuple[bytes, ReferenceData] | None = None
        self._local_lock = asyncio.Lock()  # one coroutine per process waits on the store's lock
        self.loader_key = f"{self._prefix}:loader"
        self.nudges = BookNudge(store, practice.id)

    # -- reading ----------------------------------------------------------------------------------------------

    async def reference(self) -> ReferenceData:
        raw = await self.store.get(f"{self._prefix}:reference")
        if raw is None:
            return await self._flight.run("reference", self.load_reference)
        if self._reference is None or self._reference[0] != raw:  # decoded once per version, per process
            self._reference = (raw, ReferenceData.model_validate_json(raw))
        return self._reference[1]

    async def book(self, start: date, end: date, *, max_age: float | None = None) -> Book:
        """The set-up and the book for these dates, read at most `max_age` seconds ago (default `fresh_for`).

        `max_age=0` is the booking guard's re-check: it always reads what changed."""
        reference = await self.reference()
        index = await self._ready(_days(start, end), max_age)
        days = await self._day_books(index, _days(start, end))
        return Book(
            providers=reference.providers,
            operatories=reference.operatories,
            appointment_types=reference.appointment_types,
            schedules=[s for _, _, part in days.values() for s in part.schedules],
            appointments=[a for _, _, part in days.values() for a in part.appointments],
            days={day: day_book for day, (_, day_book, _) in days.items()},
        )

    async def appointments_on(self, day: date, *, after: float) -> list[Appointment]:
        """The day's appointments from a read that began after `after` (a `time.time()`): the guard's read-back."""
        index = await self.index()
        if index is None or day not in index.versions:
            await self.load_days([day])
        await self._flight.run("refresh", lambda: self.refresh(after), not_before=after)
        days = await self._day_books(await self._require_index(), [day])
        return [a for _, _, part in days.values() for a in part.appointments]

    async def held(self, start: date, end: date) -> list[Appointment]:
        """The appointments of the days held between these dates, as held: no read, no wait (the reminders')."""
        index = await self.index()
        if index is None:
            return []
        days = await self._day_books(index, _days(start, end))
        return [a for _, _, part in days.values() for a in part.appointments]

    async def appointment(self, apt_num: int) -> Appointment | None:
        """One appointment as held (None when the cache does not hold it): no read."""
        where = _WhereMap(self.store, f"{self._prefix}:apts", self._ttl())
        day = await where.get(apt_num)
        if day is None or (index := await self.index()) is None:
            return None
        part = (await self._day_books(index, [day])).get(day)
        return next((a for a in part[2].appointments if a.apt_num == apt_num), None) if part else None

    async def record(self, appointment: Appointment) -> None:
        """Put an appointment we just wrote into the cache, so the next search knows it without a read."""
        await self._merge([appointment], deleted=set(), whole_days={})

    async def age(self) -> float | None:
        """Seconds since the book's newest incremental read began, or None before the first load."""
        index = await self.index()
        return None if index is None else time.time() - index.read_started_at

    async def has_reference(self) -> bool:
        try:
            return await self.store.get(f"{self._prefix}:reference") is not None
        except ValueError:  # unreadable (a key no longer configured): read again
            return False

    async def nudge(self, days: Iterable[date] = ()) -> None:
        """Tell the loader (in whichever process) the book changed: it syncs at its next step, reading these
        days whole. A hint only: the loader reads Open Dental for what changed (`book_nudge`)."""
        await self.nudges.nudge(days)

    async def loader_running(self) -> bool:
        return await self.store.get(self.loader_key) is not None

    # -- what a search needs ----------------------------------------------------------------------------------

    async def _ready(self, days: list[date], max_age: float | None) -> BookIndex:
        """The index once these days are held and fresh enough: read here, or asked of the loader."""
        asked_at = time.time()
        fresh_for = self.settings.fresh_for if max_age is None else max_age
        index = await self.index()
        lacking = self._lacking(index, days, asked_at)
        background = max_age != 0.0 and await self.loader_running()
        if lacking and background:
            index = await self._wait_for(lacking)
        elif lacking:
            await self._flight.run(f"load:{lacking[0]}:{lacking[-1]}", lambda: self.load_days(lacking))
            index = await self._require_index()
        assert index is not None
        age = asked_at - index.read_started_at
        if -CLOCK_SKEW <= age <= fresh_for:
            return index
        if background and -CLOCK_SKEW <= age <= self.settings.stale_limit:
            logger.warning("answering from a book read %.0f s ago", age)
            return index
        since = asked_at - fresh_for
        await self._flight.run(
            "refresh", lambda: self.refresh(since), not_before=since if max_age == 0 else None
        )
        return await self._require_index()

    def _lacking(self, index: BookIndex | None, days: list[date], now: float) -> list[date]:
        if index is None:
            return days
        reload_every = self.settings.reload_every
        return [d for d in days if d not in index.versions or now - index.loaded_at.get(d, 0) > reload_every]

    async def _wait_for(self, days: list[date]) -> BookIndex:
        """Ask the loader for these days first and wait a little; then answer from what is held."""
        await self.want(days)
        deadline = time.monotonic() + self.settings.wait_for_days
        while True:
            index = await self.index()
            if index is not None and all(d in index.versions for d in days):
                return index
            if time.monotonic() > deadline:
                missing = [d for d in days if index is None or d not in index.versions]
                if missing:
                    # Days never read are no answer ("nothing is free" would be untrue): the loader may have died
                    # holding its lease, so this turn reads them itself.
                    logger.warning("the loader did not bring %d days in time; reading them now", len(missing))
                    await self._flight.run(
                        f"load:{missing[0]}:{missing[-1]}", functools.partial(self.load_days, missing)
                    )
                    return await self._require_index()
                assert index is not None  # else every day would be missing
                logger.warning("answering from the days held, some due to be read again")
                return index
            await asyncio.sleep(0.1)

    async def want(self, days: Iterable[date]) -> None:
        key = f"{self._prefix}:wanted"
        raw = await self.store.get(key)
        wanted = set(TypeAdapter(list[date]).validate_json(raw)) if raw else set()
        wanted |= set(days)
        await self.store.set(key, TypeAdapter(list[date]).dump_json(sorted(wanted)), 120)

    async def take_wanted(self) -> list[date]:
        key = f"{self._prefix}:wanted"
        raw = await self.store.get(key)
        if not raw:
            return []
        await self.store.delete(key)
        return TypeAdapter(list[date]).validate_json(raw)

    async def _day_books(
        self, index: BookIndex, days: list[date]
    ) -> dict[date, tuple[int, DayBook, DayPart]]:
        """The decoded days, decoding only those whose version changed since this process last saw them."""
        held = [d for d in days if d in index.versions]
        stale = [d for d in held if self._decoded.get(d, (-1,))[0] != index.versions[d]]
        for day, raw in zip(stale, await self.store.get_many([self._day_key(d) for d in stale]), strict=True):
            part = self._decode(day, raw)
            if part is None:  # a part we cannot read is reloaded, never served
                await self.load_days([day])
                part = self._decode(day, await self.store.get(self._day_key(day)))
            if part is not None:
                self._decoded[day] = (part.version, DayBook.of(part.schedules, part.appointments), part)
        return {d: self._decoded[d] for d in held if d in self._decoded}

    def _decode(self, day: date, raw: bytes | None) -> DayPart | None:
        if raw is None:
            return None
        try:
            return DayPart.model_validate_json(raw)
        except (ValidationError, ValueError):
            logger.warning("a cached day of the book could not be read; reloading it")
            return None

    # -- loading (the loader's work, or a search's when no loader runs) --------------------------------------

    async def load_reference(self) -> ReferenceData:
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

    async def load_days(self, days: list[date]) -> None:
        """Read these days whole (schedules and appointments) and replace what is held for them."""
        if not days:
            return
        start, end = min(days), max(days)
        started = time.time()
        schedules = await self.od.schedules(start, end)
        appointments = await self.od.appointments(start=start, end=end)
        whole: dict[date, DayPart] = {d: DayPart(day=d, version=0) for d in _days(start, end)}
        for schedule in schedules:
            if schedule.sched_date in whole:
                whole[schedule.sched_date].schedules.append(schedule)
        for appointment in appointments:
            if appointment.apt_date_time and appointment.apt_date_time.date() in whole:
                whole[appointment.apt_date_time.date()].appointments.append(_slim(appointment))
        watermark = self._watermark(appointments)
        await self._merge([], deleted=set(), whole_days=whole, loaded_at=started, first_watermark=watermark)

    async def refresh(self, since: float) -> None:
        """One incremental read of what changed since the watermark, unless a read began after `since`."""
        index = await self.index()
        started = time.time()
        if index is None or since <= index.read_started_at <= started + CLOCK_SKEW:
            return
        changed = await self.od.appointments(changed_since=index.watermark)
        await self._merge(
            changed, deleted=set(), whole_days={}, read_at=started, watermark=self._watermark(changed)
        )

    # -- merging ----------------------------------------------------------------------------------------------

    async def _merge(
        self,
        changed: list[Appointment],
        *,
        deleted: set[int],
        whole_days: dict[date, DayPart],
        loaded_at: float | None = None,
        read_at: float | None = None,
        watermark: datetime | None = None,
        first_watermark: datetime | None = None,
    ) -> None:
        """Apply a read or our own write to the store under the lock, and tell the subscribers what changed."""
        async with self._lock():
            index = await self.index() or BookIndex(
                watermark=first_watermark or self._office_now() - UNKNOWN_WATERMARK_LOOKBACK,
                read_started_at=loaded_at or 0.0,
            )
            where = _WhereMap(self.store, f"{self._prefix}:apts", self._ttl())
            parts: dict[date, DayPart] = {}
            changes: list[BookChange] = []

            async def part(day: date) -> DayPart | None:
                if day not in parts and day in index.versions:
                    held = self._decode(day, await self.store.get(self._day_key(day)))
                    if held is not None:
                        parts[day] = held
                return parts.get(day)

            for day, fresh in whole_days.items():
                old = await part(day)
                before = {a.apt_num: a for a in old.appointments} if old else {}
                after = {a.apt_num: a for a in fresh.appointments}
                for n, a in before.items():
                    if n not in after and await where.get(n) == day:
                        changes.append(BookChange("deleted", a))
                        await where.pop(n)
                for n, a in after.items():
                    if (moved_from := await where.get(n)) not in (None, day) and (
                        source := await part(moved_from)
                    ):
                        source.appointments = [x for x in source.appointments if x.apt_num != n]
                    kind = _change(before.get(n), a) if old is not None else None
                    if kind:
                        changes.append(BookChange(kind, a, before.get(n)))
                    await where.set(n, day)
                parts[day] = fresh
                index.loaded_at[day] = loaded_at or time.time()

            for appointment in (_slim(a) for a in changed):
                n = appointment.apt_num
                old_day = await where.get(n)
                source = await part(old_day) if old_day is not None else None
                previous = next((a for a in source.appointments if a.apt_num == n), None) if source else None
                if previous is not None and _newer(previous, appointment):
                    continue  # a read that began before our own write: keep what we wrote
                if source is not None:
                    source.appointments = [a for a in source.appointments if a.apt_num != n]
                    await where.pop(n)
                on = appointment.apt_date_time.date() if appointment.apt_date_time else None
                target = await part(on) if on is not None else None
                if on is not None and target is not None:
                    target.appointments.append(appointment)
                    await where.set(n, on)
                if (kind := _change(previous, appointment)) and (previous is not None or target is not None):
                    changes.append(BookChange(kind, appointment, previous))

            for day, held in parts.items():
                held.version = index.versions.get(day, 0) + 1
                index.versions[day] = held.version
                await self.store.set(self._day_key(day), held.model_dump_json().encode(), self._ttl())
            if index.read_started_at > time.time() + CLOCK_SKEW:  # the clock jumped back since
                index.read_started_at = 0.0
            if read_at is not None:
                index.read_started_at = max(index.read_started_at, read_at)
            if loaded_at is not None and not index.versions.keys() - set(whole_days) and read_at is None:
                index.read_started_at = max(index.read_started_at, loaded_at)
            if watermark is not None:
                index.watermark = max(index.watermark, watermark)
            await where.save()
            await self.store.set(f"{self._prefix}:index", index.model_dump_json().encode(), self._ttl())
        if changes:
            for subscriber in self.subscribers:
                await subscriber(changes)

    def _lock(self) -> _StoreLock:
        return _StoreLock(self.store, f"{self._prefix}:lock", self._local_lock)

    async def index(self) -> BookIndex | None:
        try:
            raw = await self.store.get(f"{self._prefix}:index")
            return BookIndex.model_validate_json(raw) if raw is not None else None
        except (ValidationError, ValueError):  # damaged, or sealed with a key no longer configured
            logger.warning("the book's index could not be read; the book is loaded again")
            return None

    async def _require_index(self) -> BookIndex:
        index = await self.index()
        if index is None:
            raise OdUnavailable("the book could not be loaded")
        return index

    def _day_key(self, day: date) -> str:
        return f"{self._prefix}:day:{day.isoformat()}"

    def _ttl(self) -> float:
        return max(self.settings.reload_every * 4, 3600.0)

    @staticmethod
    def _watermark(rows: list[Appointment]) -> datetime | None:
        stamps = [a.server_date_time for a in rows if a.server_date_time]
        return min(stamps) if stamps else None

    def _office_now(self) -> datetime:
        return datetime.now(UTC).astimezone(self.zone).replace(tzinfo=None)


class _WhereMap:
    """The day each cached appointment is on, in shards of `WHERE_SHARD` AptNums read and written as needed,
    so a merge of a few changed visits touches a few small keys even in a large book."""

    def __init__(self, store: KeyValueStore, prefix: str, ttl: float) -> None:
        self.store, self.prefix, self.ttl = store, prefix, ttl
        self._shards: dict[int, dict[int, date]] = {}
        self._dirty: set[int] = set()

    async def get(self, apt_num: int) -> date | None:
        return (await self._shard(apt_num)).get(apt_num)

    async def set(self, apt_num: int, day: date) -> None:
        shard = await self._shard(apt_num)
        if shard.get(apt_num) != day:
            shard[apt_num] = day
            self._dirty.add(apt_num // WHERE_SHARD)

    async def pop(self, apt_num: int) -> None:
        if (await self._shard(apt_num)).pop(apt_num, None) is not None:
            self._dirty.add(apt_num // WHERE_SHARD)

    async def save(self) -> None:
        for number in self._dirty:
            await self.store.set(f"{self.prefix}:{number}", _Where.dump_json(self._shards[number]), self.ttl)

    async def _shard(self, apt_num: int) -> dict[int, date]:
        number = apt_num // WHERE_SHARD
        if number not in self._shards:
            raw = await self.store.get(f"{self.prefix}:{number}")
            try:
                self._shards[number] = _Where.validate_json(raw) if raw else {}
            except ValidationError:  # unreadable: rebuilt as the days are read again
                self._shards[number] = {}
        return self._shards[number]


class _StoreLock:
    """A short lock in the store, so two processes never interleave their changes to one practice's book."""

    def __init__(self, store: KeyValueStore, key: str, local: asyncio.Lock) -> None:
        self.store, self.key, self.local = store, key, local

    async def __aenter__(self) -> None:
        await self.local.acquire()
        try:
            deadline = time.monotonic() + LOCK_SECONDS
            while not await self.store.claim(self.key, b"1", LOCK_SECONDS):
                if time.monotonic() > deadline:  # a holder that died: its claim has expired by now
                    break
                await asyncio.sleep(0.01)
        except BaseException:
            # Redis away, or cancelled: the next merge in this process must not wait for ever.
            self.local.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.store.delete(self.key)
        finally:
            self.local.release()
