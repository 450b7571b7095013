"""One practice's reminder scheduler: plans from the synced book, sends what is due, once, inside the window.

Planning reads only the book cache (and the sync's change reports), the patient's mobile number, language and
TxtMsgOk only the patient directory: no Open Dental request per reminder. A due reminder is claimed in the
ledger, checked again against the book (still scheduled, same time, not confirmed for a confirm request), and
handed to the conversation's queue as a turn of its own (`Cue`), so it is sent under the conversation's lock
with its state; the queue and the turn drop a second copy. Any number of workers may run one: the claims keep
each reminder to one sender.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import phonenumbers

from bot.conversation.confirmations import Statuses
from bot.conversation.office import provider_name
from bot.practices import Practice, ReminderStep
from bot.records.figures import Figures, local_day
from bot.records.od_writes import OpenDentalWrites
from bot.reminders.ledger import Entry, Ledger, reminder_id
from bot.reminders.optouts import OptOuts
from bot.reminders.plan import Visit, Window, plan
from flows.context import Cue
from flows.state import Reminded
from od_adapter import (
    AdapterError,
    Appointment,
    AptStatus,
    BookCache,
    BookChange,
    Patient,
    PatientDirectory,
    YesNoUnknown,
    iso639_1,
    normalise_stored,
)

logger = logging.getLogger(__name__)

Deliver = Callable[[str, str, Cue], Awaitable[None]]
"""Queue a reminder's turn: (practice id, the patient's WhatsApp number, the cue)."""
DEFER_SECONDS = 5.0


class ReminderScheduler:
    def __init__(
        self,
        practice: Practice,
        cache: BookCache,
        directory: PatientDirectory,
        ledger: Ledger,
        optouts: OptOuts,
        deliver: Deliver,
        *,
        statuses: Statuses,
        window: Window | None = None,
        writes: OpenDentalWrites | None = None,
        figures: Figures | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.practice = practice
        self.rules = practice.reminders
        self.cache = cache
        self.directory = directory
        self.ledger = ledger
        self.optouts = optouts
        self.deliver = deliver
        self.statuses = statuses
        self.window = window or Window.of(self.rules, practice.zone)
        self.writes = writes
        self.figures = figures
        self.clock = clock
        self.started_at = clock()
        self.sent = 0
        self._planned: dict[int, tuple[object, ...]] = {}
        """Each visit as this process last planned it: a sweep plans again only what changed."""

    @property
    def practice_id(self) -> str:
        return self.practice.phone_number_id

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), self.practice.zone)

    # -- planning ---------------------------------------------------------------------------------------------

    async def plan(self, appointment: Appointment) -> None:
        """(Re)plan one visit's reminders; those of an old time or a visit no longer scheduled are cancelled."""
        if appointment.apt_date_time is None or not self._wanted(appointment):
            return
        seen = (
            appointment.apt_date_time,
            appointment.apt_status,
            appointment.confirm_def,
            appointment.date_t_stamp,
        )
        if self._planned.get(appointment.apt_num) == seen:
            return  # planned as it is by this process: the ledger has it, and the ticks re-check it when due
        self._planned[appointment.apt_num] = seen
        visit = self._visit(appointment)
        if not visit.scheduled:
            await self.ledger.cancel_visit(
                appointment.apt_num, f"the visit is {appointment.apt_status.value}"
            )
            return
        entries = [
            Entry(
                id=reminder_id(self.practice_id, visit.apt_num, visit.start, p.step.id),
                practice_id=self.practice_id,
                apt_num=visit.apt_num,
                pat_num=visit.pat_num,
                start=visit.start,
                step=p.step.id,
                due=p.due.timestamp(),
                state="planned" if p.skip is None else "skipped",
                reason=p.skip or "",
            )
            for p in plan(visit, self.rules, self.window, self.now())
        ]
        await self.ledger.cancel_visit(
            visit.apt_num, "the visit moved", keep=frozenset(e.id for e in entries)
        )
        await self.ledger.upsert(entries)

    async def on_changes(self, changes: list[BookChange]) -> None:
        """The sync's report: new, moved, broken, changed and deleted visits (staff's and ours)."""
        for change in changes:
            appointment = change.appointment
            if change.kind == "deleted":
                await self.ledger.cancel_visit(appointment.apt_num, "the visit was deleted")
                continue
            if change.kind == "moved" and appointment.apt_status is AptStatus.SCHEDULED:
                await self._reset_confirmation(appointment)
            await self.plan(appointment)

    async def sweep(self) -> int:
        """Plan every held visit from today to the furthest step ahead: catches what the reports cannot (the first
        load reports nothing, a restart knows nothing); only visits new to this process or changed are planned."""
        today = self.now().date()
        furthest = max((s.days_before or 0) + int((s.hours_before or 0) // 24) + 2 for s in self.rules.steps)
        now = self.now().replace(tzinfo=None)
        ahead = [a for a in await self.cache.held(today, today + timedelta(days=furthest)) if a.apt_date_time and a.apt_date_time > now]  # fmt: skip
        self._planned = {a.apt_num: self._planned[a.apt_num] for a in ahead if a.apt_num in self._planned}
        for appointment in ahead:
            await self.plan(appointment)
        return len(ahead)

    def _wanted(self, appointment: Appointment) -> bool:
        if not self.rules.only_created_after_start or appointment.pat_num in self.rules.showcase_patients:
            return True
        created = appointment.sec_date_t_entry
        return (
            created is not None
            and created.replace(tzinfo=self.practice.zone).timestamp() >= self.started_at - 5
        )

    def _visit(self, appointment: Appointment) -> Visit:
        assert appointment.apt_date_time is not None
        created = appointment.sec_date_t_entry
        return Visit(
            apt_num=appointment.apt_num,
            pat_num=appointment.pat_num,
            start=appointment.apt_date_time,
            scheduled=appointment.apt_status is AptStatus.SCHEDULED,
            confirmed=appointment.confirm_def in self.statuses.confirmed,
            created=created if created is not None and created.year > 1900 else None,
        )

    async def _reset_confirmation(self, appointment: Appointment) -> None:
        """A moved visit's confirmation was for its old time (Open Dental resets it when staff move one)."""
        if (
            self.writes is None
            or not appointment.confirm_def
            or appointment.confirm_def == self.statuses.unconfirmed
        ):
            return
        at = appointment.apt_date_time.isoformat() if appointment.apt_date_time else ""
        await self.writes.put(self.practice_id, appointment.pat_num, "None", kind="status", apt_num=appointment.apt_num, once=f"reset:{appointment.apt_num}:{at}")  # fmt: skip

    # -- sending ----------------------------------------------------------------------------------------------

    async def tick(self) -> int:
        """Send what is due now; how many went."""
        due = await self.ledger.due(self.clock())
        latest: dict[int, float] = {}
        for entry in due:
            latest[entry.apt_num] = max(latest.get(entry.apt_num, 0.0), entry.due)
        sent = 0
        for entry in sorted(due, key=lambda e: e.due):
            if not await self.ledger.claim(entry.id):
                continue  # another worker has it
            try:
                sent += await self._send(entry, superseded=entry.due < latest[entry.apt_num])
            except (AdapterError, OSError) as exc:
                logger.warning("a reminder could not be sent now (%s); it is tried again", type(exc).__name__)
            finally:
                await self.ledger.release(entry.id)
        self.sent += sent
        return sent

    async def _send(self, entry: Entry, *, superseded: bool) -> int:
        held = await self.ledger.get(entry.id)
        if held is None or held.state != "planned":
            return 0
        entry = held
        step = next((s for s in self.rules.steps if s.id == entry.step), None)
        appointment = await self.cache.appointment(entry.apt_num)
        skip = self._stale(entry, step, appointment, superseded)
        if skip is not None:
            await self.ledger.save(entry.model_copy(update=skip))
            return 0
        assert step is not None and appointment is not None
        if not self.window.is_open(self.now()):
            return await self._defer(
                entry, self.window.earliest_at_or_after(self.now()), "outside the send window"
            )
        patient = await self.directory.chart(entry.pat_num)
        if patient is None:
            # A chart made moments ago reaches the directory with the next patient sync (PATIENT_SYNC_SECONDS).
            return await self._defer(
                entry, self.now() + timedelta(seconds=DEFER_SECONDS), "waiting for the chart"
            )
        wa_id, why = await self._reachable(patient)
        if wa_id is None:
            await self.ledger.save(entry.model_copy(update={"state": "skipped", "reason": why}))
            return 0
        if not await self._within_daily_limit(wa_id):
            tomorrow = datetime.combine(self.now().date() + timedelta(days=1), self.window.start, tzinfo=self.practice.zone)  # fmt: skip
            return await self._defer(entry, tomorrow, "the number's daily messaging limit")
        reminder = Reminded(
            id=entry.id,
            apt_num=entry.apt_num,
            pat_num=entry.pat_num,
            start=entry.start,
            provider=await self._provider(appointment),
            step=step.id,
            ask_confirm=step.ask_confirm,
            first_name=patient.preferred or patient.f_name,
        )
        await self.deliver(
            self.practice_id, wa_id, Cue(reminder=reminder, language=iso639_1(patient.language))
        )
        await self.ledger.save(
            entry.model_copy(update={"state": "sent", "sent_at": self.clock(), "reason": ""})
        )
        await self._count(step)
        if step.ask_confirm and self.rules.sent_status is not None and self.writes is not None:
            await self.writes.put(self.practice_id, entry.pat_num, str(self.rules.sent_status), kind="status", apt_num=entry.apt_num, once=f"sent:{entry.id}")  # fmt: skip
        return 1

    async def _count(self, step: ReminderStep) -> None:
        """The dashboard's figures: reminders sent, and confirm requests (the confirmation rate's denominator)."""
        if self.figures is None:
            return
        day = local_day(self.clock(), self.practice.zone)
        await self.figures.add(self.practice_id, day, "reminders_sent")
        if step.ask_confirm:
            await self.figures.add(self.practice_id, day, "reminder_confirm_requests")

    def _stale(
        self, entry: Entry, step: ReminderStep | None, appointment: Appointment | None, superseded: bool
    ) -> dict[str, object] | None:
        """Why a due reminder no longer goes (the book changed, it is too late, a later one goes instead)."""
        if step is None:
            return {"state": "cancelled", "reason": "the step is no longer configured"}
        if appointment is None or appointment.apt_status is not AptStatus.SCHEDULED:
            return {"state": "cancelled", "reason": "the visit is no longer scheduled"}
        if appointment.apt_date_time != entry.start:
            return {"state": "cancelled", "reason": "the visit moved"}
        start = entry.start.replace(tzinfo=self.practice.zone)
        if self.now() > start - timedelta(minutes=self.rules.min_lead_minutes):
            return {"state": "skipped", "reason": "too late to be useful"}
        if superseded:
            return {"state": "skipped", "reason": "superseded by a later step"}
        if step.ask_confirm and appointment.confirm_def in self.statuses.confirmed:
            return {"state": "skipped", "reason": "already confirmed"}
        return None

    async def _defer(self, entry: Entry, until: datetime | None, why: str) -> int:
        deadline = entry.start.replace(tzinfo=self.practice.zone) - timedelta(
            minutes=self.rules.min_lead_minutes
        )
        if until is None or until > deadline:
            await self.ledger.save(
                entry.model_copy(update={"state": "skipped", "reason": f"{why}, until too late"})
            )
        else:
            await self.ledger.save(entry.model_copy(update={"due": until.timestamp(), "reason": why}))
        return 0

    async def _reachable(self, patient: Patient) -> tuple[str | None, str]:
        return await reachable(patient, self.practice, self.optouts)

    async def _within_daily_limit(self, wa_id: str) -> bool:
        day = self.now().date().isoformat()
        storage, pid = self.ledger.storage, self.practice_id
        if not await storage.claim(
            f"reminders:recipient:{pid}:{day}:{self.optouts.token(wa_id)}", b"1", 2 * 24 * 3600
        ):
            return True  # already messaged today: not a new recipient
        if await storage.incr(f"reminders:recipients:{pid}:{day}", 2 * 24 * 3600) <= self.rules.daily_limit:
            return True
        await storage.delete(f"reminders:recipient:{pid}:{day}:{self.optouts.token(wa_id)}")
        return False

    async def _provider(self, appointment: Appointment) -> str:
        providers = {p.prov_num: p for p in (await self.cache.reference()).providers}
        who = (
            appointment.prov_hyg if appointment.is_hygiene and appointment.prov_hyg else appointment.prov_num
        )
        return provider_name(providers.get(who))

    # -- the loop ---------------------------------------------------------------------------------------------

    async def run(self, *, tick_every: float = 5.0, sweep_every: float = 30.0) -> None:
        """Sweep, then send what is due every `tick_every` seconds, until cancelled."""
        swept_at = 0.0
        while True:
            try:
                if time.monotonic() - swept_at >= sweep_every:
                    await self.sweep()
                    swept_at = time.monotonic()
                await self.tick()
            except Exception:  # a bug or Redis away must not stop the practice's reminders for good
                logger.exception("the reminder scheduler failed a round; retrying")
            await asyncio.sleep(tick_every)


async def reachable(patient: Patient, practice: Practice, optouts: OptOuts) -> tuple[str | None, str]:
    """The patient's WhatsApp number, or why the practice may not message them first (reminders, offers)."""
    rules = practice.reminders
    if patient.txt_msg_ok is YesNoUnknown.NO:
        return None, "TxtMsgOk is No"
    if patient.txt_msg_ok in (None, YesNoUnknown.UNKNOWN) and rules.txt_msg_unknown == "skip":
        return None, "TxtMsgOk is Unknown"
    e164 = normalise_stored(patient.wireless_phone or "", practice.region)
    if e164 is None:
        return None, "no mobile number"
    if phonenumbers.number_type(phonenumbers.parse(e164)) == phonenumbers.PhoneNumberType.FIXED_LINE:
        return None, "the number is a landline"
    wa_id = e164.lstrip("+")
    if (why := await optouts.reason(practice.phone_number_id, wa_id)) is not None:
        return None, why
    return wa_id, ""
