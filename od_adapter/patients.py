"""Who is writing: the patients on a phone, a match on name and date of birth, and a create that happens once.

A turn can be replayed after a crash, and a create whose answer was lost may have happened, so `create` first
looks for the chart it may have made already (same name, birthdate and phone) before it gives up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import TypeAdapter

from od_adapter import phones
from od_adapter.client import OpenDentalClient
from od_adapter.config import OdPractice
from od_adapter.errors import OdBadRequest, OdUnavailable
from od_adapter.models import Patient, PatStatus
from od_adapter.store import KeyValueStore

WATERMARK_TTL = 7 * 24 * 3600.0
DIRECTORY_TTL = 7 * 24 * 3600.0


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
        return _age(patient, self.practice) < self.practice.identity.dependant_age

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
    """Charts changed in Open Dental since the last look (`GET /patients/Simple?DateTStamp=`), for what holds
    patients: the first look reads every chart (paged), later ones what changed since Open Dental's own
    `serverDateTime` of the look before, kept in the store."""

    def __init__(self, practice: OdPractice, od: OpenDentalClient, store: KeyValueStore) -> None:
        self.practice = practice
        self.od = od
        self.store = store
        self._key = f"patients-watermark:{practice.id}"

    async def poll(self) -> tuple[list[Patient], bool]:
        """The charts changed since the last look, and whether this was the first, complete read."""
        raw = await self.store.get(self._key)
        since = datetime.fromisoformat(raw.decode()) if raw is not None else None
        changed = await self.od.search_patients(date_t_stamp=since)
        stamps = [p.server_date_time for p in changed if p.server_date_time]
        if stamps:
            await self.store.set(self._key, min(stamps).isoformat().encode(), WATERMARK_TTL)
        elif since is None:  # an empty practice: from now on
            now = datetime.now(self.practice.zone).replace(tzinfo=None)
            await self.store.set(self._key, now.isoformat().encode(), WATERMARK_TTL)
        return changed, since is None


_PAT_NUMS = TypeAdapter(list[int])
_GONE = {PatStatus.ARCHIVED, PatStatus.DELETED, PatStatus.DECEASED}
_DIRECTORY_FIELDS = {
    "pat_num", "l_name", "f_name", "preferred", "pat_status", "birthdate", "hm_phone", "wk_phone",
    "wireless_phone", "txt_msg_ok", "position", "guarantor", "pri_prov", "language", "clinic_num",
}  # fmt: skip


class PatientDirectory:
    """Every chart of one practice by phone and by guarantor, filled and kept current by the loader's patient
    sync, so finding the family on a phone costs no request. Phones are keyed by `token` (an HMAC the caller
    supplies), never stored plain in a key; the values are in the caller's (sealed) store."""

    def __init__(self, practice: OdPractice, store: KeyValueStore, token: Callable[[str], str]) -> None:
        self.practice = practice
        self.store = store
        self.token = token
        self._prefix = f"patients:{practice.id}"

    async def ready(self) -> bool:
        return await self.store.get(f"{self._prefix}:complete") is not None

    async def update(self, patients: list[Patient], *, complete: bool = False) -> None:
        for patient in patients:
            await self._put(patient)
        if complete:
            await self.store.set(f"{self._prefix}:complete", b"1", DIRECTORY_TTL)

    async def chart(self, pat_num: int) -> Patient | None:
        """One chart as the sync last read it (no request)."""
        return await self._get(pat_num)

    async def family(self, wa_id: str) -> list[Patient]:
        """The same family `Patients.on_phone` finds, from the directory."""
        rules, region = self.practice.identity, self.practice.region
        numbers: set[int] = set()
        for e164 in phones.equivalent_numbers(wa_id):
            numbers |= set(await self._nums(f"phone:{self.token(e164)}"))
        # In Open Dental's own order for a phone search (last name, first name), so a family reads the same.
        found = [c for c in [await self._get(n) for n in sorted(numbers)] if c is not None]
        charts = sorted(found, key=lambda c: (c.l_name.lower(), c.f_name.lower()))
        family = [
            c
            for c in charts
            if phones.matches(c.wireless_phone or "", wa_id, region)
            or (rules.home_phone and phones.matches(c.hm_phone or "", wa_id, region))
        ]
        for head in [c for c in family if c.guarantor in (0, c.pat_num)]:
            for n in await self._nums(f"guarantor:{head.pat_num}"):
                dependant = None if n in {c.pat_num for c in family} else await self._get(n)
                if dependant is not None and _age(dependant, self.practice) < rules.dependant_age:
                    family.append(dependant)
        return family

    async def _put(self, patient: Patient) -> None:
        old = await self._get(patient.pat_num)
        new = None if patient.pat_status in _GONE else _slim_patient(patient)
        for key in self._index_keys(old) - self._index_keys(new):
            await self._edit(key, patient.pat_num, add=False)
        for key in self._index_keys(new) - self._index_keys(old):
            await self._edit(key, patient.pat_num, add=True)
        if new is None:
            await self.store.delete(f"{self._prefix}:chart:{patient.pat_num}")
        else:
            await self.store.set(f"{self._prefix}:chart:{patient.pat_num}", new.model_dump_json().encode(), DIRECTORY_TTL)  # fmt: skip

    def _index_keys(self, patient: Patient | None) -> set[str]:
        if patient is None:
            return set()
        keys = {f"guarantor:{patient.guarantor}"} if patient.guarantor not in (0, patient.pat_num) else set()
        for stored in (patient.wireless_phone, patient.hm_phone):
            if e164 := phones.normalise_stored(stored or "", self.practice.region):
                keys.add(f"phone:{self.token(e164)}")
        return keys

    async def _edit(self, key: str, pat_num: int, *, add: bool) -> None:
        nums = set(await self._nums(key))
        nums = nums | {pat_num} if add else nums - {pat_num}
        await self.store.set(f"{self._prefix}:{key}", _PAT_NUMS.dump_json(sorted(nums)), DIRECTORY_TTL)

    async def _nums(self, key: str) -> list[int]:
        raw = await self.store.get(f"{self._prefix}:{key}")
        return _PAT_NUMS.validate_json(raw) if raw else []

    async def _get(self, pat_num: int) -> Patient | None:
        raw = await self.store.get(f"{self._prefix}:chart:{pat_num}")
        return Patient.model_validate_json(raw) if raw else None


def _slim_patient(patient: Patient) -> Patient:
    return Patient.model_validate(patient.model_dump(include=_DIRECTORY_FIELDS))


def _age(patient: Patient, practice: OdPractice) -> int:
    if patient.birthdate is None:
        return 200  # no birthdate: never taken for a minor
    today = datetime.now(practice.zone).date()
    born = patient.birthdate
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
