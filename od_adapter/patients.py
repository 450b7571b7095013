"""Who is writing: the patients on a phone, a match on name and date of birth, and a create that happens once.

A turn can be replayed after a crash, and a create whose answer was lost may have happened, so `create` first
looks for the chart it may have made already (same name, birthdate and phone) before it gives up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from od_adapter import phones
from od_adapter.client import OpenDentalClient
from od_adapter.config import OdPractice
from od_adapter.errors import OdBadRequest, OdUnavailable
from od_adapter.models import Patient
from od_adapter.store import KeyValueStore

WATERMARK_TTL = 7 * 24 * 3600.0


@dataclass(frozen=True)
class Created:
    """The chart a new patient books on, and whether it is an existing one or may duplicate one."""

    patient: Patient
    existing: bool = False
    """The practice lets a matching name and birthdate book on the chart that has them (booking only)."""
    duplicate_of: int | None = None
    """A new chart was made although this PatNum has the same name and birthdate: staff should check."""


class Patients:
    """One practice's patients as the conversation finds and adds them."""

    def __init__(self, practice: OdPractice, od: OpenDentalClient) -> None:
        self.practice = practice
        self.od = od

    async def on_phone(self, phone: str) -> list[Patient]:
        """The family this number speaks for: charts whose wireless phone (home phone, if the practice says
        so) is the number, and the guarantor's young dependants. A work phone is never a family tie."""
        rules, region = self.practice.identity, self.practice.region
        found = await self.od.find_patients_by_phone(phone, region)
        charts = [await self.od.get_patient(p.pat_num) for p in found]
        family = [
            c
            for c in charts
            if phones.matches(c.wireless_phone or "", phone, region)
            or (rules.home_phone and phones.matches(c.hm_phone or "", phone, region))
        ]
        for head in [c for c in family if c.guarantor in (0, c.pat_num)]:
            for dependant in await self.od.search_patients(guarantor=head.pat_num):
                if dependant.pat_num not in {c.pat_num for c in family} and self._minor(dependant):
                    family.append(dependant)
        return family

    def _minor(self, patient: Patient) -> bool:
        if patient.birthdate is None:
            return False
        today = datetime.now(self.practice.zone).date()
        years = today.year - patient.birthdate.year - ((today.month, today.day) < (patient.birthdate.month, patient.birthdate.day))  # fmt: skip
        return years < self.practice.identity.dependant_age

    async def create(
        self,
        first_name: str,
        last_name: str,
        birthdate: date,
        phone: str | None,
        language: str,
        guarantor: int | None,
    ) -> Created:
        """The patient's chart: found by name and birthdate when there is no phone, else created exactly once."""
        known = await self._by_name(first_name, last_name, birthdate)
        # No number to go by: the patient is who their name and date of birth say, if the chart exists.
        if known is not None and (phone is None or self.practice.identity.match_existing_chart):
            return Created(known, existing=phone is not None)
        if (
            known is not None
            and phone is not None
            and phones.matches(known.wireless_phone or "", phone, self.practice.region)
        ):
            return Created(known)  # the chart this number made before (a replayed turn): no duplicate
        try:
            patient = await self.od.create_patient(
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
            return Created(existing)
        return Created(patient, duplicate_of=known.pat_num if known is not None else None)

    async def _by_name(self, first: str, last: str, birthdate: date) -> Patient | None:
        known = await self.od.search_patients(last_name=last, first_name=first, birthdate=birthdate)
        exact = [p for p in known if p.l_name.lower() == last.lower() and p.f_name.lower() == first.lower()]
        return exact[0] if len(exact) == 1 else None

    async def _created_before(self, first: str, last: str, birthdate: date, phone: str) -> Patient | None:
        # One chart at a time: the one made before is usually the first, and each read costs a request.
        for summary in await self.od.find_patients_by_phone(phone, self.practice.region):
            patient = await self.od.get_patient(summary.pat_num)
            same_name = (patient.f_name.lower(), patient.l_name.lower()) == (first.lower(), last.lower())
            if same_name and patient.birthdate == birthdate:
                return patient
        return None


class PatientChanges:
    """Charts changed in Open Dental since the last look (`GET /patients/Simple?DateTStamp=`), for the caches
    that hold patients: the watermark is Open Dental's own `serverDateTime`, kept in the store."""

    def __init__(self, practice: OdPractice, od: OpenDentalClient, store: KeyValueStore) -> None:
        self.practice = practice
        self.od = od
        self.store = store
        self._key = f"patients-watermark:{practice.id}"

    async def poll(self) -> list[Patient]:
        raw = await self.store.get(self._key)
        if raw is None:  # the first look: only what changes from now on matters
            since = datetime.now(self.practice.zone).replace(tzinfo=None) - timedelta(minutes=1)
        else:
            since = datetime.fromisoformat(raw.decode())
        changed = await self.od.search_patients(date_t_stamp=since)
        stamps = [p.server_date_time for p in changed if p.server_date_time]
        if stamps or raw is None:
            watermark = min(stamps) if stamps else since
            await self.store.set(self._key, watermark.isoformat().encode(), WATERMARK_TTL)
        return changed
