"""The conversation's `Office` port over `od_adapter`: one practice's Open Dental, as ids and plain facts.

Patients found on a phone are cached sealed (names and birthdates are PHI) for a day (`PATIENT_CACHE_HOURS`), so
a returning patient costs no lookup. A chart we create forgets its phone's family; a chart changed in Open
Dental (seen by the background sync) forgets the families it is in or whose phone it carries. The cache key
carries an HMAC of the number under the conversation key, not a plain hash anyone could recompute.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Protocol

from pydantic import TypeAdapter

from bot.practices import Practice
from bot.records.crypto import Sealer, keyed_hash
from bot.records.storage import Storage
from flows.ports import AppointmentInfo, BookResult, OpeningResult, OptionInfo, PatientInfo
from od_adapter import (
    Appointment,
    AppointmentBook,
    AptStatus,
    Booked,
    Changed,
    Conflict,
    Lapsed,
    OpenDentalError,
    Option,
    Patient,
    PatientDirectory,
    PatientRef,
    Patients,
    Preferences,
    Provider,
    equivalent_numbers,
    iso639_1,
    normalise_stored,
)

if TYPE_CHECKING:
    from bot.refill.desk import RefillDesk

logger = logging.getLogger(__name__)


class Outreach(Protocol):
    """STOP and START for a phone (the reminders' opt-out store, the chart's commlog and TxtMsgOk)."""

    async def set_reminders(
        self, practice: Practice, user_key: str, pat_nums: list[int], *, allowed: bool
    ) -> bool: ...


FAMILY_TTL = 24 * 3600.0
CONFIRMED_MEMORY = 24 * 3600.0
_FAMILY = TypeAdapter(list[PatientInfo])


def provider_name(provider: Provider | None) -> str:
    if provider is None:
        return ""
    if provider.preferred_name:
        return provider.preferred_name
    title = "" if provider.is_hygienist else "Dr. "
    return f"{title}{provider.f_name if provider.is_hygienist else provider.l_name}".strip()


class OdOffice:
    """Maps the conversation's questions onto the adapter's book and patients, and their answers back."""

    def __init__(
        self,
        practice: Practice,
        book: AppointmentBook,
        patients: Patients,
        storage: Storage,
        sealer: Sealer,
        phi_key: str,
        family_ttl: float = FAMILY_TTL,
        directory: PatientDirectory | None = None,
        outreach: Outreach | None = None,
    ) -> None:
        self.practice = practice
        self.outreach = outreach
        self.family_ttl = family_ttl
        self.directory = directory
        self.phi_key = phi_key
        self.appointments = book
        self.patients = patients
        self.storage = storage
        self.sealer = sealer
        self.refill: RefillDesk | None = None
        """The practice's answers to freed times offered (set where refill runs)."""

    # -- patients ---------------------------------------------------------------------------------------------

    def _family_key(self, user_key: str) -> str:
        return f"family:{self.practice.phone_number_id}:{keyed_hash(self.phi_key, 'family', user_key)}"

    def _member_key(self, pat_num: int) -> str:
        return f"family-of:{self.practice.phone_number_id}:{pat_num}"

    async def patients_changed(self, changed: list[Patient], complete: bool = False) -> None:
        """Charts the sync read: into the directory; and forget the families they belong to, or whose phones
        they now carry. The first, complete read only fills the directory (nothing is cached before it)."""
        if self.directory is not None:
            await self.directory.update(changed, complete=complete)
        if complete:
            return
        stale: set[str] = set()
        for patient in changed:
            for stored in (patient.wireless_phone, patient.hm_phone):
                if e164 := normalise_stored(stored or "", self.practice.region):
                    stale |= {self._family_key(n.lstrip("+")) for n in equivalent_numbers(e164)}
            for pat_num in {patient.pat_num, patient.guarantor} - {0}:
                if (member_of := await self.storage.get(self._member_key(pat_num))) is not None:
                    stale.add(member_of.decode())
        for key in stale:
            await self.storage.delete(key)

    async def patients_on_phone(self, user_key: str) -> list[PatientInfo]:
        if not user_key.isdecimal():
            return []  # a business-scoped id without a number: identified only by name and birthdate
        raw = await self.storage.get(self._family_key(user_key))
        if raw is not None:
            return _FAMILY.validate_json(self.sealer.open(raw))
        found = (
            await self.directory.family(user_key) if self.directory and await self.directory.ready() else []
        )
        # Nobody in the directory: a new patient, or a chart made since the last sync; Open Dental knows.
        family = [_patient(p) for p in found or await self.patients.on_phone(user_key)]
        key = self._family_key(user_key)
        await self.storage.set(key, self.sealer.seal(_FAMILY.dump_json(family)), self.family_ttl)
        for member in family:  # so a change the sync sees on any member's chart forgets this family
            await self.storage.set(self._member_key(member.pat_num), key.encode(), self.family_ttl)
        return family

    async def create_patient(
        self,
        first_name: str,
        last_name: str,
        birthdate: date,
        user_key: str,
        language: str,
        guarantor: int | None,
    ) -> PatientInfo:
        phone = user_key if user_key.isdecimal() else None
        created = await self.patients.create(first_name, last_name, birthdate, phone, language, guarantor)
        await self.storage.delete(self._family_key(user_key))  # the family on this phone has grown
        if self.directory is not None:
            await self.directory.update([created.patient])
        if created.duplicate_of is not None:
            note = (
                "WhatsApp assistant: this chart was created for a new patient who gave the same name and date of "
                f"birth as PatNum {created.duplicate_of} from another number; possible duplicate, please check "
                "and merge if it is the same person."
            )
            try:
                await self.appointments.note(created.patient.pat_num, note)
            except OpenDentalError as exc:
                logger.warning("duplicate-chart note failed: %s", type(exc).__name__)
        return _patient(created.patient).model_copy(update={"existing_chart": created.existing})

    # -- options and bookings ---------------------------------------------------------------------------------

    async def options(
        self, kind: str, prefs: Preferences, *, new_patient: bool, dentist: int | None
    ) -> list[OptionInfo]:
        found = await self.appointments.find_options(kind, prefs, new_patient=new_patient)
        return await self._infos(found)

    async def reschedule_options(self, apt_num: int, prefs: Preferences) -> list[OptionInfo]:
        return await self._infos(await self.appointments.reschedule_options(apt_num, prefs))

    async def book(self, option_id: str, patient: PatientInfo, key: str, *, new_patient: bool) -> BookResult:
        result = await self.appointments.book(
            option_id, PatientRef(patient.pat_num, patient.dentist, new_patient), key
        )
        return await self._result(result)

    async def reschedule(self, apt_num: int, option_id: str, allowed: list[int], key: str) -> BookResult:
        return await self._result(await self.appointments.reschedule(apt_num, option_id, set(allowed), key))

    async def upcoming(self, pat_nums: list[int], *, from_book: bool = False) -> list[AppointmentInfo]:
        held = await self.appointments.upcoming_held(set(pat_nums)) if from_book else None
        appointments = held if held is not None else await self.appointments.upcoming(set(pat_nums))
        return [await self._appointment(a) for a in appointments]

    async def cancel(self, apt_num: int, allowed: list[int], key: str) -> AppointmentInfo:
        return await self._changed(await self.appointments.cancel(apt_num, set(allowed), key))

    async def confirm(
        self, apt_num: int, allowed: list[int], key: str, *, checked: bool = False
    ) -> AppointmentInfo:
        changed = await self.appointments.confirm(apt_num, set(allowed), key, checked=checked)
        # Until the sync reads the new status back, a reminder's queued "Sent" must know not to overwrite it.
        await self.storage.set(self._confirmed_key(apt_num), b"1", CONFIRMED_MEMORY)
        return await self._changed(changed)

    async def confirmed_here(self, apt_num: int) -> bool:
        """The patient confirmed this visit with us in the last day."""
        return await self.storage.get(self._confirmed_key(apt_num)) is not None

    def _confirmed_key(self, apt_num: int) -> str:
        return f"confirmed:{self.practice.phone_number_id}:{apt_num}"

    async def visit(self, apt_num: int) -> AppointmentInfo | None:
        held = await self.appointments.held(apt_num)
        if held is None or held.apt_status is not AptStatus.SCHEDULED or held.apt_date_time is None:
            return None
        return await self._appointment(held)

    async def set_reminders(self, user_key: str, pat_nums: list[int], *, allowed: bool) -> bool:
        if self.outreach is None:
            return False
        return await self.outreach.set_reminders(self.practice, user_key, pat_nums, allowed=allowed)

    async def take_opening(self, offer_id: str, allowed: list[int], key: str) -> OpeningResult:
        if self.refill is None:
            return OpeningResult(outcome="unknown")
        taken = await self.refill.take(offer_id, set(allowed), key)
        booked = None
        if taken.booked is not None:
            info = await self._appointment(taken.booked.appointment)
            booked = info.model_copy(update={"commlog_num": taken.booked.commlog_num})
        return OpeningResult(outcome=taken.outcome, appointment=booked, alternatives=await self._infos(taken.alternatives))  # fmt: skip

    async def decline_opening(self, offer_id: str, allowed: list[int]) -> bool:
        return self.refill is not None and await self.refill.decline(offer_id, set(allowed))

    async def note_for_staff(self, pat_num: int, note: str) -> int:
        """A received text commlog, so the front desk sees the request on the chart in Open Dental."""
        return await self.appointments.note(pat_num, note, comm_type=self.practice.handoff.comm_type)

    # -- helpers ----------------------------------------------------------------------------------------------

    async def _infos(self, options: list[Option]) -> list[OptionInfo]:
        providers = await self.appointments.providers()
        return [
            OptionInfo(
                id=self.appointments.option_id(o),
                start=o.start,
                minutes=o.minutes,
                provider=provider_name(providers.get(o.prov_num)),
            )
            for o in options
        ]

    async def _appointment(self, appointment: Appointment) -> AppointmentInfo:
        providers = await self.appointments.providers()
        who = (
            appointment.prov_hyg if appointment.is_hygiene and appointment.prov_hyg else appointment.prov_num
        )
        assert appointment.apt_date_time is not None
        return AppointmentInfo(
            apt_num=appointment.apt_num,
            pat_num=appointment.pat_num,
            start=appointment.apt_date_time,
            minutes=appointment.minutes,
            provider=provider_name(providers.get(who)),
            # Or confirmed with us moments ago, before the sync read the new status back.
            confirmed=self.appointments.confirmed(appointment)
            or await self.confirmed_here(appointment.apt_num),
        )

    async def _changed(self, changed: Changed) -> AppointmentInfo:
        info = await self._appointment(changed.appointment)
        return info.model_copy(update={"commlog_num": changed.commlog_num})

    async def _result(self, result: Booked | Conflict | Lapsed) -> BookResult:
        if isinstance(result, Booked):
            info = await self._appointment(result.appointment)
            return BookResult(
                appointment=info.model_copy(update={"commlog_num": result.commlog_num}),
                replayed=result.replayed,
            )
        if isinstance(result, Lapsed):
            return BookResult(lapsed=True)
        return BookResult(alternatives=await self._infos(result.alternatives))


def _patient(patient: Patient) -> PatientInfo:
    return PatientInfo(
        pat_num=patient.pat_num,
        first_name=patient.f_name,
        last_name=patient.l_name,
        birthdate=patient.birthdate,
        dentist=patient.pri_prov or None,
        guarantor=patient.guarantor,
        language=iso639_1(patient.language),
    )
