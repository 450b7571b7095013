"""The conversation's `Office` port over `od_adapter`: one practice's Open Dental, as ids and plain facts.

Patients found on a phone are cached sealed (names and birthdates are PHI) for ten minutes, so a conversation
costs one phone lookup, not one per turn. The cache key carries an HMAC of the number under the conversation
key, not a plain hash anyone could recompute from a phone number. Entries under the old plain-hash keys are
never read again and expire on their own within those ten minutes, so no migration is needed.
"""

from __future__ import annotations

from datetime import date

from pydantic import TypeAdapter

from bot.records.crypto import Sealer, keyed_hash
from bot.records.storage import Storage
from flows.ports import AppointmentInfo, BookResult, OptionInfo, PatientInfo
from od_adapter.availability import Preferences
from od_adapter.booking import AppointmentBook, Booked, Changed, PatientRef
from od_adapter.client import iso639_1
from od_adapter.config import Practice
from od_adapter.errors import OdBadRequest, OdUnavailable
from od_adapter.models import Appointment, CommMode, NewCommlog, Patient, Provider, SentOrReceived
from od_adapter.options import Option

FAMILY_TTL = 600.0
_FAMILY = TypeAdapter(list[PatientInfo])


def provider_name(provider: Provider | None) -> str:
    if provider is None:
        return ""
    if provider.preferred_name:
        return provider.preferred_name
    title = "" if provider.is_hygienist else "Dr. "
    return f"{title}{provider.f_name if provider.is_hygienist else provider.l_name}".strip()


class OdOffice:
    def __init__(
        self, practice: Practice, book: AppointmentBook, storage: Storage, sealer: Sealer, phi_key: str
    ) -> None:
        self.practice = practice
        self.phi_key = phi_key
        self.appointments = book
        self.storage = storage
        self.sealer = sealer

    # -- patients ---------------------------------------------------------------------------------------------

    def _family_key(self, user_key: str) -> str:
        return f"family:{self.practice.phone_number_id}:{keyed_hash(self.phi_key, 'family', user_key)}"

    async def patients_on_phone(self, user_key: str) -> list[PatientInfo]:
        if not user_key.isdecimal():
            return []  # a business-scoped id without a number: identified only by name and birthdate
        raw = await self.storage.get(self._family_key(user_key))
        if raw is not None:
            return _FAMILY.validate_json(self.sealer.open(raw))
        found = await self.appointments.od.find_patients_by_phone(user_key, self.practice.region)
        family = [_patient(await self.appointments.od.get_patient(p.pat_num)) for p in found]
        await self.storage.set(
            self._family_key(user_key), self.sealer.seal(_FAMILY.dump_json(family)), FAMILY_TTL
        )
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
        if phone is None:
            # Meta gave no number: the patient is who their name and date of birth say, if the chart exists.
            known = await self.appointments.od.search_patients(
                last_name=last_name, first_name=first_name, birthdate=birthdate
            )
            exact = [
                p
                for p in known
                if p.l_name.lower() == last_name.lower() and p.f_name.lower() == first_name.lower()
            ]
            if len(exact) == 1:
                return _patient(exact[0])
        try:
            created = await self.appointments.od.create_patient(
                first_name=first_name,
                last_name=last_name,
                birthdate=birthdate,
                wa_id=phone,
                region=self.practice.region,
                language=language,
                guarantor=guarantor,
            )
        except (OdBadRequest, OdUnavailable) as exc:
            # A turn replayed after a crash, or a create whose answer was lost: the chart may exist already
            # (Open Dental refuses a second one with the same name, birthdate and phone).
            existing = await self._created_before(first_name, last_name, birthdate, phone) if phone else None
            if existing is None or not (isinstance(exc, OdBadRequest) or exc.outcome_unknown):
                raise
            created = existing
        await self.storage.delete(self._family_key(user_key))
        return _patient(created)

    async def _created_before(self, first: str, last: str, birthdate: date, phone: str) -> Patient | None:
        on_phone = await self.appointments.od.find_patients_by_phone(phone, self.practice.region)
        for summary in on_phone:
            patient = await self.appointments.od.get_patient(summary.pat_num)
            same_name = (patient.f_name.lower(), patient.l_name.lower()) == (first.lower(), last.lower())
            if same_name and patient.birthdate == birthdate:
                return patient
        return None

    # -- options and bookings ---------------------------------------------------------------------------------

    async def options(
        self, kind: str, prefs: Preferences, *, new_patient: bool, dentist: int | None
    ) -> list[OptionInfo]:
        found = await self.appointments.find_options(kind, prefs, new_patient=new_patient)
        return await self._infos(found)

    async def reschedule_options(self, apt_num: int, prefs: Preferences) -> list[OptionInfo]:
        appointment = await self.appointments.od.get_appointment(apt_num)
        reference = await self.appointments.cache.reference()
        names = {t.appointment_type_num: t.appointment_type_name for t in reference.appointment_types}
        type_name = names.get(appointment.appointment_type_num)
        rule = next((r for r in self.practice.booking.appointment_types if r.name == type_name), None)
        if rule is None:  # a visit type the assistant does not book: offer the practice's first kind's times
            rule = self.practice.booking.appointment_types[0]
        return await self._infos(await self.appointments.options_for(rule, prefs))

    async def book(self, option_id: str, patient: PatientInfo, key: str, *, new_patient: bool) -> BookResult:
        result = await self.appointments.book(
            option_id, PatientRef(patient.pat_num, patient.dentist, new_patient), key
        )
        return await self._result(result)

    async def reschedule(self, apt_num: int, option_id: str, allowed: list[int], key: str) -> BookResult:
        return await self._result(await self.appointments.reschedule(apt_num, option_id, set(allowed), key))

    async def upcoming(self, pat_nums: list[int]) -> list[AppointmentInfo]:
        appointments = await self.appointments.upcoming(set(pat_nums))
        return [await self._appointment(a) for a in appointments]

    async def cancel(self, apt_num: int, allowed: list[int], key: str) -> AppointmentInfo:
        return await self._changed(await self.appointments.cancel(apt_num, set(allowed), key))

    async def confirm(self, apt_num: int, allowed: list[int], key: str) -> AppointmentInfo:
        return await self._changed(await self.appointments.confirm(apt_num, set(allowed), key))

    async def note_for_staff(self, pat_num: int, note: str) -> int:
        """A received text commlog, so the front desk sees the request on the chart in Open Dental."""
        commlog = await self.appointments.od.create_commlog(
            NewCommlog(
                pat_num=pat_num,
                note=note,
                comm_type_name=self.practice.handoff.comm_type or self.practice.commlog.comm_type,
                mode=CommMode.TEXT,
                sent_or_received=SentOrReceived.RECEIVED,
            )
        )
        return commlog.commlog_num

    # -- helpers ----------------------------------------------------------------------------------------------

    async def _providers(self) -> dict[int, Provider]:
        return {p.prov_num: p for p in (await self.appointments.cache.reference()).providers}

    async def _infos(self, options: list[Option]) -> list[OptionInfo]:
        providers = await self._providers()
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
        providers = await self._providers()
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
        )

    async def _changed(self, changed: Changed) -> AppointmentInfo:
        info = await self._appointment(changed.appointment)
        return info.model_copy(update={"commlog_num": changed.commlog_num})

    async def _result(self, result: object) -> BookResult:
        if isinstance(result, Booked):
            info = await self._appointment(result.appointment)
            return BookResult(
                appointment=info.model_copy(update={"commlog_num": result.commlog_num}),
                replayed=result.replayed,
            )
        return BookResult(alternatives=await self._infos(result.alternatives))  # type: ignore[attr-defined]


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
