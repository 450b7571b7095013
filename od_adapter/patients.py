"""Who is writing: the patients on a phone, a match on name and date of birth, and a create that happens once.

A turn can be replayed after a crash, and a create whose answer was lost may have happened, so `create` first
looks for the chart it may have made already (same name, birthdate and phone) before it gives up.
"""

from __future__ import annotations

from datetime import date

from od_adapter.client import OpenDentalClient
from od_adapter.config import OdPractice
from od_adapter.errors import OdBadRequest, OdUnavailable
from od_adapter.models import Patient


class Patients:
    """One practice's patients as the conversation finds and adds them."""

    def __init__(self, practice: OdPractice, od: OpenDentalClient) -> None:
        self.practice = practice
        self.od = od

    async def on_phone(self, phone: str) -> list[Patient]:
        """Every chart whose phone is this WhatsApp number (a family often shares one), read in full."""
        found = await self.od.find_patients_by_phone(phone, self.practice.region)
        return [await self.od.get_patient(p.pat_num) for p in found]

    async def create(
        self,
        first_name: str,
        last_name: str,
        birthdate: date,
        phone: str | None,
        language: str,
        guarantor: int | None,
    ) -> Patient:
        """The patient's chart: found by name and birthdate when there is no phone, else created exactly once."""
        # No number to go by: the patient is who their name and date of birth say, if the chart exists.
        if phone is None and (known := await self._by_name(first_name, last_name, birthdate)) is not None:
            return known
        try:
            return await self.od.create_patient(
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
            return existing

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
