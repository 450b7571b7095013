"""The booking guard: a "yes" becomes exactly one appointment, in the right chair, or an honest conflict.

Every write is keyed by the caller's idempotency key. Booking: record the attempt (with a marker that goes into
the appointment's note) before the POST; re-read the book just before the POST; read back after it; if a rival
appeared in the chair or with the provider, the lower AptNum keeps the time and the other moves to the
Unscheduled List with a note saying why (never with a breakType, so no missed/cancelled fee). A replay finds the
recorded result, or, when a crash or a lost response left the outcome unknown, finds the marked appointment in
Open Dental before it ever posts again. Every action leaves a commlog on the chart.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from od_adapter.availability import (
    Book,
    Preferences,
    SearchWindow,
    conflicts,
    find_openings,
    is_open,
    openings_from_slots,
)
from od_adapter.book_cache import BookCache
from od_adapter.client import OpenDentalClient
from od_adapter.config import AppointmentTypeRule, OdPractice
from od_adapter.errors import NotAllowed, NotYours, OdBadRequest, OdNotFound, OpenDentalError, OutcomeUnknown
from od_adapter.idempotency import Attempt, Idempotency
from od_adapter.journal import Inline, Journal, reference
from od_adapter.models import (
    Appointment,
    AppointmentType,
    AppointmentUpdate,
    AptStatus,
    CommMode,
    NewAppointment,
    NewCommlog,
    Provider,
    SentOrReceived,
    Slot,
)
from od_adapter.options import Option, check_keys, parse_option_id
from od_adapter.store import KeyValueStore

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
SlotsFetcher = Callable[[SearchWindow, AppointmentType], Awaitable[list[Slot]]]
"""One of Open Dental's slot searches over a window, for an appointment type."""


HOLD_SECONDS = 30.0
"""Longer than a booking's writes take at the throttle; a hold whose holder died lapses on its own."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PatientRef:
    pat_num: int
    dentist: int | None = None
    """The patient's own dentist (PriProv): ProvNum on hygiene visits, where the hygienist is ProvHyg."""
    is_new: bool = False


@dataclass(frozen=True)
class Booked:
    appointment: Appointment
    option: Option
    commlog_num: int | None
    replayed: bool = False


@dataclass(frozen=True)
class Changed:
    """A cancellation or confirmation, and the commlog that records it on the chart."""

    appointment: Appointment
    commlog_num: int | None


@dataclass(frozen=True)
class Lapsed:
    """A replayed "yes" whose appointment no longer holds (cancelled, moved or deleted since): never told
    as done; `appointment` is what Open Dental shows now, when it still has it."""

    appointment: Appointment | None


@dataclass(frozen=True)
class Conflict:
    reason: str
    alternatives: list[Option]


class AppointmentBook:
    """What the conversation may do with one practice's book: options with ids, and guarded writes."""

    def __init__(
        self,
        practice: OdPractice,
        od: OpenDentalClient,
        cache: BookCache,
        store: KeyValueStore,
        *,
        clock: Clock = utc_now,
        option_keys: Sequence[bytes],
        journal: Journal | None = None,
    ) -> None:
        """`option_keys` sign option ids: the first signs, every one is accepted (key rotation)."""
        self.practice = practice
        self.rules = practice.booking
        self.od = od
        self.cache = cache
        self.store = store
        self.clock = clock
        self._keys = check_keys(option_keys)
        self.idempotency = Idempotency(store, f"booking:{practice.id}")
        self.journal: Journal = journal or Inline(self.note)

    # -- options ----------------------------------------------------------------------------------------------

    def rule(self, kind: str, *, new_patient: bool = False) -> AppointmentTypeRule:
        for rule in self.rules.appointment_types:
            if rule.kind == kind and (rule.new_patient if new_patient else rule.existing_patient):
                return rule
        raise NotAllowed(
            f"the practice does not offer {kind!r} to {'new' if new_patient else 'existing'} patients"
        )

    async def find_options(
        self, kind: str, prefs: Preferences, *, new_patient: bool = False, limit: int = 10
    ) -> list[Option]:
        return await self.options_for(self.rule(kind, new_patient=new_patient), prefs, limit=limit)

    async def options_for(
        self, rule: AppointmentTypeRule, prefs: Preferences, *, limit: int = 10
    ) -> list[Option]:
        now = self.clock()
        window = SearchWindow.of(self.rules, prefs, now, self.practice.zone)
        if window.first_day > window.last_day:
            return []
        if self.rules.openings_source == "slots":
            return await self._options_from(self._slots(rule, prefs), rule, prefs, window, limit)
        if self.rules.openings_source == "web_sched" and rule.web_sched_def_num is not None:
            return await self._options_from(self._web_sched_slots(rule), rule, prefs, window, limit)
        book = await self.cache.book(window.first_day, window.last_day)
        return find_openings(book, self.rules, rule, prefs, now=now, zone=self.practice.zone, limit=limit)

    async def reschedule_options(self, apt_num: int, prefs: Preferences, *, limit: int = 10) -> list[Option]:
        """Openings for moving this appointment: its own visit type's, or the practice's first kind's."""
        appointment = await self.od.get_appointment(apt_num)
        reference = await self.cache.reference()
        names = {t.appointment_type_num: t.appointment_type_name for t in reference.appointment_types}
        type_name = names.get(appointment.appointment_type_num)
        rule = next((r for r in self.rules.appointment_types if r.name == type_name), None)
        if rule is None:  # a visit type the assistant does not book: offer the practice's first kind's times
            rule = self.rules.appointment_types[0]
        return await self.options_for(rule, prefs, limit=limit)

    async def _options_from(
        self,
        fetch: SlotsFetcher,
        rule: AppointmentTypeRule,
        prefs: Preferences,
        window: SearchWindow,
        limit: int,
    ) -> list[Option]:
        """Openings from one of Open Dental's own slot searches, on the practice's grid and within its rules."""
        reference = await self.cache.reference()
        apt_type = Book(
            reference.providers, reference.operatories, reference.appointment_types
        ).appointment_type(rule.name)
        slots = await fetch(window, apt_type)
        return openings_from_slots(
            slots, self.rules, apt_type, rule, prefs, now=self.clock(), zone=self.practice.zone, limit=limit
        )

    def _slots(self, rule: AppointmentTypeRule, prefs: Preferences) -> SlotsFetcher:
        """/appointments/Slots for the preferred (or only) provider and, when the rule names one, operatory."""
        prov = prefs.prov_num or (rule.providers[0] if rule.providers else None)
        op = rule.operatories[0] if len(rule.operatories) == 1 else None

        async def fetch(window: SearchWindow, apt_type: AppointmentType) -> list[Slot]:
            return await self.od.slots(
                window.first_day, window.last_day, prov_num=prov, op_num=op, length_minutes=apt_type.minutes
            )

        return fetch

    def _web_sched_slots(self, rule: AppointmentTypeRule) -> SlotsFetcher:
        """/appointments/SlotsWebSched for the rule's Web Sched definition."""
        assert rule.web_sched_def_num is not None
        def_num = rule.web_sched_def_num

        async def fetch(window: SearchWindow, apt_type: AppointmentType) -> list[Slot]:
            return await self.od.web_sched_slots(
                window.first_day,
                window.last_day,
                def_num=def_num,
                new_patient=rule.new_patient and not rule.existing_patient,
                clinic_num=self.practice.clinic_num or None,
            )

        return fetch

    async def providers(self) -> dict[int, Provider]:
        """The practice's providers by ProvNum, from the cached set-up."""
        return {p.prov_num: p for p in (await self.cache.reference()).providers}

    def option_id(self, option: Option) -> str:
        return option.id_for(self.practice.id, self._keys[0])

    def parse(self, option_id: str) -> Option:
        return parse_option_id(option_id, self.practice.id, self._keys)

    # -- book and reschedule ----------------------------------------------------------------------------------

    async def book(
        self, option_id: str, patient: PatientRef, idempotency_key: str
    ) -> Booked | Conflict | Lapsed:
        """Book the option for the patient exactly once for this key."""
        option = self.parse(option_id)
        rule, apt_type = await self._rule_for(option)

        async def attempt(record: Attempt) -> Booked | Conflict:
            if record.resumed and (found := await self._find_marked(patient.pat_num, option, record.marker)):
                return await self._settle(found, option, "booked", record)
            return await self._holding(
                option, record, lambda: self._post(option, rule, apt_type, patient, record)
            )

        return await self._once(idempotency_key, option, attempt)

    async def reschedule(
        self, apt_num: int, option_id: str, allowed: set[int], idempotency_key: str
    ) -> Booked | Conflict | Lapsed:
        """Move one of the patient's (or their family's) appointments to the option, with the same guarantees."""
        option = self.parse(option_id)

        async def attempt(record: Attempt) -> Booked | Conflict:
            current = await self._owned(apt_num, allowed)
            if current.apt_date_time == option.start and current.op == option.op:
                return await self._settle(current, option, "rescheduled", record)
            if current.apt_status is not AptStatus.SCHEDULED:
                raise NotAllowed("only a scheduled appointment can be moved")
            return await self._holding(option, record, lambda: self._move(current, option, record))

        return await self._once(idempotency_key, option, attempt)

    async def _holding(
        self, option: Option, record: Attempt, write: Callable[[], Awaitable[Booked | Conflict]]
    ) -> Booked | Conflict:
        """Write while holding the option's chair and time for this attempt: another booking of that time (in
        any process) hears at once that it is taken, with no request and no undo. The guard's checks still
        decide; a hold only spares the doomed writes. It is let go when the write does not book."""
        place = (
            f"p{option.prov_num}" if self.rules.allow_overlap else f"o{option.op}"
        )  # what cannot be shared
        key = f"booking:{self.practice.id}:hold:{place}:{option.start:%Y%m%dT%H%M}"
        mine = record.marker.encode()
        if not await self.store.claim(key, mine, HOLD_SECONDS) and await self.store.get(key) != mine:
            return await self._conflict("taken", option)
        try:
            result = await write()
        except BaseException:
            await self.store.delete(key)
            raise
        if isinstance(result, Conflict):
            await self.store.delete(key)
        return result

    async def _post(
        self,
        option: Option,
        rule: AppointmentTypeRule,
        apt_type: AppointmentType,
        patient: PatientRef,
        record: Attempt,
    ) -> Booked | Conflict:
        book = await self._fresh_book(option.start.date())
        if not is_open(book, self.rules, rule, option, now=self.clock(), zone=self.practice.zone):
            return await self._conflict("taken", option)
        try:
            created = await self.od.create_appointment(
                self._new_appointment(option, apt_type, patient, record.marker)
            )
        except OdBadRequest as exc:
            # An office with ApptsAllowOverlap off refuses the chair itself.
            if "overlap" in exc.message.lower():
                return await self._conflict("taken", option)
            raise
        except OpenDentalError as exc:
            if not getattr(exc, "outcome_unknown", False):
                raise
            found = await self._find_marked(patient.pat_num, option, record.marker)
            if found is None:
                raise OutcomeUnknown(
                    "Open Dental did not answer the booking; it will be looked up on retry"
                ) from exc
            created = found
        return await self._settle(created, option, "booked", record)

    async def _move(self, current: Appointment, option: Option, record: Attempt) -> Booked | Conflict:
        rule, _ = await self._rule_for(option)
        book = await self._fresh_book(option.start.date())
        if not is_open(
            book, self.rules, rule, option, now=self.clock(), zone=self.practice.zone, ignore=current.apt_num
        ):
            return await self._conflict("taken", option)
        moved = await self.od.update_appointment(current.apt_num, self._placement(option, current.prov_num))
        rival = await self._rival(moved, option)
        if rival is not None and rival.apt_num < moved.apt_num:  # the same rule as for new bookings
            assert current.apt_date_time is not None
            back = AppointmentUpdate(
                apt_date_time=current.apt_date_time,
                op=current.op,
                prov_num=current.prov_num,
                prov_hyg=current.prov_hyg,
            )
            await self.od.update_appointment(current.apt_num, back)
            return await self._conflict("taken at the same moment", option)
        when = current.apt_date_time.strftime("%a %Y-%m-%d %H:%M") if current.apt_date_time else "?"
        return await self._finish(moved, option, f"rescheduled from {when} to", record)

    async def _settle(
        self, appointment: Appointment, option: Option, verb: str, record: Attempt
    ) -> Booked | Conflict:
        """Read back after the write; keep the time only if no rival with a lower AptNum holds it."""
        rival = await self._rival(appointment, option)
        if rival is not None and rival.apt_num < appointment.apt_num:
            await self.od.update_appointment(
                appointment.apt_num,
                AppointmentUpdate(
                    apt_status=AptStatus.UNSCHED_LIST,
                    note=f"{appointment.note} Released by the WhatsApp assistant: appointment {rival.apt_num} "
                    "took this time at the same moment.".strip(),
                ),
            )
            # Staff see on the chart that a booking was made and given back, not a silent gap.
            await self._commlog(
                appointment.pat_num,
                f"WhatsApp assistant released {self._describe(option)}: appointment {rival.apt_num} took it at the same moment",
                appointment,
            )
            return await self._conflict("taken at the same moment", option)
        return await self._finish(appointment, option, verb, record)

    async def _finish(self, appointment: Appointment, option: Option, verb: str, record: Attempt) -> Booked:
        await self.cache.record(appointment)
        commlog = await self._commlog(
            appointment.pat_num, f"WhatsApp assistant {verb} {self._describe(option)}", appointment
        )
        record.appointment, record.commlog_num = appointment, commlog
        return Booked(appointment, option, commlog)

    async def _rival(self, mine: Appointment, option: Option) -> Appointment | None:
        """The lowest-numbered other appointment holding this chair or provider, seen by a read after the write."""
        after_write = time.time()
        held = await self.cache.appointments_on(option.start.date(), after=after_write)
        book = Book([], [], [], [], held)
        rivals = conflicts(book, option, allow_overlap=self.rules.allow_overlap, ignore=mine.apt_num)
        return rivals[0] if rivals else None

    async def _conflict(self, reason: str, option: Option) -> Conflict:
        rule, _ = await self._rule_for(option)
        prefs = Preferences(start=option.start.date(), preferred_prov_num=option.prov_num)
        alternatives = await self.options_for(rule, prefs)
        return Conflict(reason, [a for a in alternatives if a.start != option.start])

    # -- cancel and confirm -----------------------------------------------------------------------------------

    async def cancel(self, apt_num: int, allowed: set[int], idempotency_key: str) -> Changed:
        """Move the appointment to the Unscheduled List (breakType Cancelled where the practice wants it)."""

        async def attempt(record: Attempt) -> Appointment:
            current = await self._owned(apt_num, allowed)
            if current.apt_status is AptStatus.SCHEDULED:
                await self.od.break_appointment(
                    apt_num, send_to_unscheduled_list=True, break_type=self.rules.cancel_break_type
                )
                current = current.model_copy(update={"apt_status": AptStatus.UNSCHED_LIST})
                await self.cache.record(current)
                record.commlog_num = await self._commlog(
                    current.pat_num,
                    f"WhatsApp assistant cancelled the appointment of {self._when(current)}",
                    current,
                )
            return current

        return await self._once_simple(idempotency_key, attempt)

    async def held(self, apt_num: int) -> Appointment | None:
        """The appointment as the synced book holds it (a few seconds old at most with the loader): no request."""
        return await self.cache.appointment(apt_num)

    async def confirm(
        self, apt_num: int, allowed: set[int], idempotency_key: str, *, checked: bool = False
    ) -> Changed:
        """Mark an upcoming appointment confirmed by the patient; `checked`: the caller just found it in the
        synced book, so it is taken from there (a confirmation is then two requests: the PUT and the commlog)."""
        known = await self.cache.appointment(apt_num) if checked else None

        async def attempt(record: Attempt) -> Appointment:
            if known is not None and known.pat_num not in allowed:
                raise NotYours("that appointment is not yours")
            current = known if known is not None else await self._owned(apt_num, allowed)
            if current.apt_status is not AptStatus.SCHEDULED or not current.apt_date_time:
                raise NotAllowed("only a scheduled appointment can be confirmed")
            if current.apt_date_time < self._office_now():
                raise NotAllowed("that appointment is in the past")
            if self.rules.confirm_def_num is not None:
                await self.od.confirm_appointment(apt_num, def_num=self.rules.confirm_def_num)
            else:
                await self.od.confirm_appointment(apt_num, confirm_val="Confirmed")
            record.commlog_num = await self._commlog(
                current.pat_num,
                f"Patient confirmed by WhatsApp the appointment of {self._when(current)}",
                current,
            )
            return current

        return await self._once_simple(idempotency_key, attempt)

    def confirmed(self, appointment: Appointment) -> bool:
        """Open Dental shows the appointment confirmed as `confirm` marks it (the practice's definition)."""
        if self.rules.confirm_def_num is not None:
            return appointment.confirm_def == self.rules.confirm_def_num
        return appointment.confirmed_label == "Confirmed"

    async def upcoming_held(self, pat_nums: set[int]) -> list[Appointment] | None:
        """The same from the synced book, within the horizon (no request); None while the book is not loaded."""
        if await self.cache.index() is None:
            return None
        now = self._office_now()
        held = await self.cache.held(now.date(), now.date() + timedelta(days=self.rules.horizon_days))
        ahead = [a for a in held if a.pat_num in pat_nums and a.apt_status is AptStatus.SCHEDULED and a.apt_date_time and a.apt_date_time >= now]  # fmt: skip
        return sorted(ahead, key=lambda a: a.apt_date_time or now)

    async def upcoming(self, pat_nums: set[int]) -> list[Appointment]:
        """Scheduled future appointments of these patients, soonest first."""
        now = self._office_now()
        found = []
        for pat_num in sorted(pat_nums):
            found += await self.od.appointments(pat_num=pat_num, start=now.date(), status=AptStatus.SCHEDULED)
        return sorted(
            (a for a in found if a.apt_date_time and a.apt_date_time >= now),
            key=lambda a: a.apt_date_time or now,
        )

    # -- helpers ----------------------------------------------------------------------------------------------

    async def _owned(self, apt_num: int, allowed: set[int]) -> Appointment:
        appointment = await self.od.get_appointment(apt_num)
        if appointment.pat_num not in allowed:
            raise NotYours("that appointment is not yours")
        return appointment

    async def _rule_for(self, option: Option) -> tuple[AppointmentTypeRule, AppointmentType]:
        """The practice's rule and Open Dental's type behind an option; refused if no longer bookable."""
        reference = await self.cache.reference()
        apt_type = next(
            (t for t in reference.appointment_types if t.appointment_type_num == option.appointment_type_num),
            None,
        )
        for rule in self.rules.appointment_types:
            if (
                apt_type is not None
                and rule.name == apt_type.appointment_type_name
                and rule.hygiene == option.hygiene
            ):
                return rule, apt_type
        raise NotAllowed("that appointment type cannot be booked here")

    async def _fresh_book(self, day: date) -> Book:
        return await self.cache.book(day, day, max_age=0.0)

    def _new_appointment(
        self, option: Option, apt_type: AppointmentType, patient: PatientRef, marker: str
    ) -> NewAppointment:
        placement = self._placement(option, patient.dentist)
        return NewAppointment(
            pat_num=patient.pat_num,
            op=option.op,
            apt_date_time=option.start,
            pattern=apt_type.pattern or "X" * (option.minutes // 5),
            prov_num=placement.prov_num,
            prov_hyg=placement.prov_hyg,
            is_hygiene=option.hygiene,
            is_new_patient=patient.is_new,
            appointment_type_num=option.appointment_type_num,
            clinic_num=self.practice.clinic_num or None,
            note=f"Booked by the WhatsApp assistant (ref {marker}).",
        )

    def _placement(self, option: Option, dentist: int | None) -> AppointmentUpdate:
        """Where and with whom: on hygiene visits the hygienist is ProvHyg and the patient's dentist ProvNum."""
        if option.hygiene:
            return AppointmentUpdate(
                apt_date_time=option.start,
                op=option.op,
                prov_num=dentist or self._default_dentist(),
                prov_hyg=option.prov_num,
                is_hygiene=True,
            )
        return AppointmentUpdate(
            apt_date_time=option.start, op=option.op, prov_num=option.prov_num, prov_hyg=0, is_hygiene=False
        )

    def _default_dentist(self) -> int:
        dentists = [p for rule in self.rules.appointment_types if not rule.hygiene for p in rule.providers]
        return dentists[0] if dentists else 0

    async def _find_marked(self, pat_num: int, option: Option, marker: str) -> Appointment | None:
        day = option.start.date()
        for appointment in await self.od.appointments(pat_num=pat_num, start=day, end=day):
            if marker in appointment.note and appointment.apt_status is AptStatus.SCHEDULED:
                return appointment
        return None

    async def note(self, pat_num: int, note: str, *, comm_type: str | None = None, sent: bool = False) -> int:
        """Leave a text commlog on the chart (the only place the adapter builds one): received, or `sent` for
        what staff wrote to the patient; its CommlogNum."""
        commlog = await self.od.create_commlog(
            NewCommlog(
                pat_num=pat_num,
                note=note,
                comm_type_name=comm_type or self.practice.commlog.comm_type,
                mode=CommMode.TEXT,
                sent_or_received=SentOrReceived.SENT if sent else SentOrReceived.RECEIVED,
            )
        )
        return commlog.commlog_num

    async def note_once(
        self, pat_num: int, note: str, *, retried: bool, comm_type: str | None = None, sent: bool = False
    ) -> int:
        """Write a commlog that carries its reference; a retry first looks for it (a lost answer may have
        written it), so a commlog is never written twice."""
        ref = reference(self.practice.id, pat_num, note)
        if retried:
            for existing in await self.od.commlogs(pat_num):
                if f"[ref {ref}]" in existing.note:
                    return existing.commlog_num
        return await self.note(pat_num, f"{note} [ref {ref}]", comm_type=comm_type, sent=sent)

    async def _commlog(self, pat_num: int, note: str, appointment: Appointment) -> int | None:
        """The audit line staff read on the chart; a failure is logged, never undoes the booking."""
        try:
            return await self.journal.commlog(pat_num, f"{note} (AptNum {appointment.apt_num}).")
        except OpenDentalError as exc:
            logger.warning("commlog for AptNum %s failed: %s", appointment.apt_num, type(exc).__name__)
            return None

    def _describe(self, option: Option) -> str:
        return f"{option.minutes} min on {option.start:%a %Y-%m-%d %H:%M}, operatory {option.op}, provider {option.prov_num}"

    @staticmethod
    def _when(appointment: Appointment) -> str:
        return appointment.apt_date_time.strftime("%a %Y-%m-%d %H:%M") if appointment.apt_date_time else "?"

    def _office_now(self) -> datetime:
        return self.clock().astimezone(self.practice.zone).replace(tzinfo=None)

    # -- idempotency ------------------------------------------------------------------------------------------

    async def _once(
        self, idempotency_key: str, option: Option, attempt: Callable[[Attempt], Awaitable[Booked | Conflict]]
    ) -> Booked | Conflict | Lapsed:
        async def work(record: Attempt) -> Booked | Conflict:
            result = await attempt(record)
            record.state = "done" if isinstance(result, Booked) else "conflict"
            return result

        def replay(record: Attempt) -> Booked | None:
            if record.state == "done" and record.appointment is not None:
                return Booked(record.appointment, option, record.commlog_num, replayed=True)
            return None

        result = await self.idempotency.run(idempotency_key, work, replay)
        if result is None:  # a replay of a "yes" that met a conflict: offer fresh alternatives again
            return await self._conflict("taken", option)
        if isinstance(result, Booked) and result.replayed:
            return await self._still_holds(result)
        return result

    async def _still_holds(self, replayed: Booked) -> Booked | Lapsed:
        """A recorded outcome is told only after Open Dental shows it still: scheduled, at that time, there."""
        recorded = replayed.appointment
        try:
            current = await self.od.get_appointment(recorded.apt_num)
        except OdNotFound:
            return Lapsed(None)
        holds = (
            current.apt_status is AptStatus.SCHEDULED
            and current.apt_date_time == recorded.apt_date_time
            and current.op == recorded.op
        )
        return (
            Booked(current, replayed.option, replayed.commlog_num, replayed=True)
            if holds
            else Lapsed(current)
        )

    async def _once_simple(
        self, idempotency_key: str, attempt: Callable[[Attempt], Awaitable[Appointment]]
    ) -> Changed:
        async def work(record: Attempt) -> Changed:
            record.appointment = await attempt(record)
            record.state = "done"
            return Changed(record.appointment, record.commlog_num)

        def done(record: Attempt) -> Changed | None:
            if record.state != "done" or record.appointment is None:
                return None
            return Changed(record.appointment, record.commlog_num)

        result = await self.idempotency.run(idempotency_key, work, done)
        assert result is not None
        return result
