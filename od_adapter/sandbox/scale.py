"""Scale a sandbox office K times: K copies of its chairs, its people, their schedules and their book.

Copy 0 is the office as seeded. Copy c (1 <= c < K) repeats every provider, operatory, patient, Provider and
Blockout schedule, appointment and commlog with its numbers moved up by c times the table's largest base
number, so copies never share a number and every row still points into its own copy: an appointment sits in
an operatory of its copy, on the schedule of its copy's provider, for its copy's patient. The book of each
copy is the base book, so a scaled office has exactly K times the base rows and no overlap the base lacks.
Practice-wide rows (holiday day notes, appointment types, definitions, preferences, clinics) stay single.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from od_adapter.models import Appointment, Commlog, Operatory, Patient, Provider, SchedType, Schedule
from od_adapter.sandbox.office import Office

MAX_SCALE = 200
COPIED_SCHEDULES = (SchedType.PROVIDER, SchedType.BLOCKOUT)
_PHONE_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class Steps:
    """How far each table's numbers move per copy: the table's largest number in the base office."""

    providers: int
    operatories: int
    patients: int
    appointments: int
    schedules: int
    commlogs: int

    @classmethod
    def of(cls, office: Office) -> Steps:
        return cls(
            providers=max(office.providers, default=0),
            operatories=max(office.operatories, default=0),
            patients=max(office.patients, default=0),
            appointments=max(office.appointments, default=0),
            schedules=max(office.schedules, default=0),
            commlogs=max(office.commlogs, default=0),
        )


def copy_num(num: int, step: int, copy: int) -> int:
    """The number of row `num` in copy `copy`; 0 (none) stays 0."""
    return num + step * copy if num else 0


def scaled_nums(nums: Iterable[int], step: int, scale: int) -> list[int]:
    """Every copy's numbers for a list of base numbers (a booking rule's providers or operatories)."""
    base = list(nums)
    return [copy_num(num, step, copy) for copy in range(scale) for num in base]


def seed_steps(seed: dict[str, Any]) -> tuple[int, int]:
    """The provider and operatory steps a seed's office scales by, for files that name them (practices)."""
    providers = max((int(row["ProvNum"]) for row in seed["providers"]), default=0)
    operatories = max((int(row["OperatoryNum"]) for row in seed["operatories"]), default=0)
    return providers, operatories


def scale_office(office: Office, scale: int) -> None:
    """Add copies 1 to scale-1 of the office's chairs, people and book, in place."""
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be 1 to {MAX_SCALE}, not {scale}")
    steps = Steps.of(office)
    phones = _Phones.of(office.patients.values())
    base = _BaseRows.of(office)
    for copy in range(1, scale):
        _add_copy(office, base, steps, phones, copy)


@dataclass(frozen=True)
class _BaseRows:
    """The base office's rows that each copy repeats, taken before any copy is added."""

    providers: list[Provider]
    operatories: list[Operatory]
    patients: list[Patient]
    schedules: list[Schedule]
    appointments: list[Appointment]
    commlogs: list[Commlog]
    item_orders: int

    @classmethod
    def of(cls, office: Office) -> _BaseRows:
        return cls(
            providers=list(office.providers.values()),
            operatories=list(office.operatories.values()),
            patients=list(office.patients.values()),
            schedules=[s for s in office.schedules.values() if s.sched_type in COPIED_SCHEDULES],
            appointments=list(office.appointments.values()),
            commlogs=list(office.commlogs.values()),
            item_orders=max((o.item_order for o in office.operatories.values()), default=0) + 1,
        )


def _add_copy(office: Office, base: _BaseRows, steps: Steps, phones: _Phones, copy: int) -> None:
    label = f" {copy + 1}"
    for p in base.providers:
        row = _provider(p, steps, copy, label)
        office.providers[row.prov_num] = row
    for o in base.operatories:
        row_o = o.model_copy(
            update={
                "operatory_num": copy_num(o.operatory_num, steps.operatories, copy),
                "op_name": o.op_name + label,
                "abbrev": f"{o.abbrev}-{copy + 1}",
                "item_order": o.item_order + base.item_orders * copy,
                "prov_dentist": copy_num(o.prov_dentist, steps.providers, copy),
                "prov_hygienist": copy_num(o.prov_hygienist, steps.providers, copy),
            }
        )
        office.operatories[row_o.operatory_num] = row_o
    for patient in base.patients:
        row_p = _patient(patient, steps, phones, copy)
        office.patients[row_p.pat_num] = row_p
    for s in base.schedules:
        row_s = s.model_copy(
            update={
                "schedule_num": copy_num(s.schedule_num, steps.schedules, copy),
                "prov_num": copy_num(s.prov_num, steps.providers, copy),
                "operatories": [copy_num(op, steps.operatories, copy) for op in s.operatories],
            }
        )
        office.schedules[row_s.schedule_num] = row_s
    for a in base.appointments:
        row_a = _appointment(a, steps, copy, office)
        office.appointments[row_a.apt_num] = row_a
    for c in base.commlogs:
        row_c = c.model_copy(
            update={
                "commlog_num": copy_num(c.commlog_num, steps.commlogs, copy),
                "pat_num": copy_num(c.pat_num, steps.patients, copy),
            }
        )
        office.commlogs[row_c.commlog_num] = row_c


def _provider(p: Provider, steps: Steps, copy: int, label: str) -> Provider:
    # Names carry the copy's number, so staff and patients can tell the 50 Dr. Millers apart.
    return p.model_copy(
        update={
            "prov_num": copy_num(p.prov_num, steps.providers, copy),
            "abbr": f"{p.abbr}-{copy + 1}",
            "l_name": p.l_name + label,
            "preferred_name": p.preferred_name + label if p.preferred_name else "",
        }
    )


def _patient(p: Patient, steps: Steps, phones: _Phones, copy: int) -> Patient:
    # A copy is a different person: its own phones (a family still shares one), its own birthday, its own
    # email, so a lookup by phone, or by name and date of birth, finds one chart, as in a real practice.
    local, _, domain = p.email.partition("@")
    return p.model_copy(
        update={
            "pat_num": copy_num(p.pat_num, steps.patients, copy),
            "guarantor": copy_num(p.guarantor, steps.patients, copy),
            "super_family": copy_num(p.super_family, steps.patients, copy),
            "pri_prov": copy_num(p.pri_prov, steps.providers, copy),
            "sec_prov": copy_num(p.sec_prov, steps.providers, copy),
            "hm_phone": phones.copy(p.hm_phone, copy),
            "wk_phone": phones.copy(p.wk_phone, copy),
            "wireless_phone": phones.copy(p.wireless_phone, copy),
            "birthdate": p.birthdate + timedelta(days=copy) if p.birthdate else None,
            "email": f"{local}+{copy + 1}@{domain}" if domain else p.email,
        }
    )


def _appointment(a: Appointment, steps: Steps, copy: int, office: Office) -> Appointment:
    prov_num = copy_num(a.prov_num, steps.providers, copy)
    provider = office.providers.get(prov_num)
    return a.model_copy(
        update={
            "apt_num": copy_num(a.apt_num, steps.appointments, copy),
            "pat_num": copy_num(a.pat_num, steps.patients, copy),
            "op": copy_num(a.op, steps.operatories, copy),
            "prov_num": prov_num,
            "prov_abbr": provider.abbr if provider else a.prov_abbr,
            "prov_hyg": copy_num(a.prov_hyg, steps.providers, copy),
            "next_apt_num": copy_num(a.next_apt_num, steps.appointments, copy),
        }
    )


@dataclass(frozen=True)
class _Phones:
    """Each distinct base phone (as digits) with its index, and an exchange no base phone uses per copy."""

    index: dict[str, int]
    exchanges: list[str]

    @classmethod
    def of(cls, patients: Iterable[Patient]) -> _Phones:
        numbers = sorted({_digits(phone) for p in patients for phone in p.phones})
        used = {number[-7:-4] for number in numbers}
        return cls(
            index={number: i for i, number in enumerate(numbers)},
            exchanges=[f"{e}" for e in range(200, 1000) if f"{e}" not in used],
        )

    def copy(self, phone: str, copy: int) -> str:
        """The base number's area code, the copy's exchange and the base number's index as the line: one to
        one within a copy, and never a number of the base or of another copy."""
        if not phone:
            return ""
        digits = _digits(phone)
        return f"({digits[-10:-7] or '503'}){self.exchanges[copy - 1]}-{self.index[digits]:04d}"


def _digits(phone: str) -> str:
    return _PHONE_DIGITS.sub("", phone)
