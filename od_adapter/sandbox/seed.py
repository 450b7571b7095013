"""Build a sandbox office from a seed file: a static practice plus a book generated relative to "today".

The seed file describes the practice (providers, operatories, appointment types, definitions, preferences,
patients) and a weekly schedule template. From it this module lays out Provider and Blockout schedules for
the configured weeks, closes holidays with a Practice-type day note, and fills about the configured share of
chair time with appointments, deterministically for a given seed and date.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from od_adapter.models import (
    Appointment,
    AppointmentType,
    AptStatus,
    Clinic,
    Commlog,
    Definition,
    Operatory,
    Patient,
    Preference,
    Provider,
    Recall,
    RecallType,
    SchedType,
    Schedule,
    pattern_minutes,
)
from od_adapter.sandbox.office import Clock, Office, system_clock
from od_adapter.sandbox.scale import scale_office

GRID = timedelta(minutes=10)
FREE_GAPS = (30, 60, 60, 90)  # minutes left free when no appointment is placed: real books have free hours
MEAN_VISIT = 42
HYGIENE_TYPE = "Cleaning"
DENTIST_TYPES = ("New Patient Exam", "Consultation", "Filling", "Emergency", "Filling")


def default_seed_path() -> Path:
    return Path(str(resources.files("od_adapter.sandbox") / "data" / "demo_office.json"))


def load_seed(path: Path | None = None) -> dict[str, Any]:
    seed = json.loads((path or default_seed_path()).read_text(encoding="utf-8"))
    if not isinstance(seed, dict):
        raise ValueError(f"{path or default_seed_path()}: a seed is a JSON object")
    return seed


def build_office(
    seed: dict[str, Any], *, clock: Clock = system_clock, name: str | None = None, scale: int = 1
) -> Office:
    """The seeded office; `scale` K > 1 makes K consistent copies of its chairs, people and book."""
    info = seed["office"]
    office = Office(name=name or info["name"], timezone=info["timezone"], clock=clock)
    stamp = office.now() - timedelta(days=1)
    office.preferences = {row["PrefName"]: Preference.model_validate(row) for row in seed["preferences"]}
    office.definitions = {d.def_num: d for d in map(Definition.model_validate, seed["definitions"])}
    office.clinics = {c.clinic_num: c for c in map(Clinic.model_validate, seed.get("clinics", []))}
    office.providers = {
        p.prov_num: p
        for p in (Provider.model_validate({"DateTStamp": stamp, **row}) for row in seed["providers"])
    }
    office.operatories = {o.operatory_num: o for o in map(Operatory.model_validate, seed["operatories"])}
    office.appointment_types = {
        t.appointment_type_num: t for t in map(AppointmentType.model_validate, seed["appointment_types"])
    }
    office.patients = {
        p.pat_num: p
        for p in (Patient.model_validate({"DateTStamp": stamp, **row}) for row in seed["patients"])
    }
    # Explicit rows (golden fixtures) come first; the generated book is laid around them.
    office.schedules = {s.schedule_num: s for s in map(Schedule.model_validate, seed.get("schedules", []))}
    office.appointments = {
        a.apt_num: a for a in map(Appointment.model_validate, seed.get("appointments", []))
    }
    office.commlogs = {c.commlog_num: c for c in map(Commlog.model_validate, seed.get("commlogs", []))}
    if seed.get("weekly_schedule"):
        start = office.today() - timedelta(days=int(info.get("history_days", 0)))
        end = office.today() + timedelta(weeks=int(info.get("weeks", 8)))
        _lay_out_schedules(office, seed, start, end, stamp)
    if info.get("booked_share"):
        _fill_book(office, random.Random(int(info.get("random_seed", 0))), float(info["booked_share"]), stamp)
    office.recall_types = {
        t.recall_type_num: t for t in map(RecallType.model_validate, seed.get("recall_types", []))
    }
    office.recalls = {r.recall_num: r for r in map(Recall.model_validate, seed.get("recalls", []))}
    if info.get("recall_share") and office.recall_types:
        _lay_out_recalls(
            office, random.Random(int(info.get("random_seed", 0))), float(info["recall_share"]), stamp
        )
    _mark_asap(office, int(info.get("asap_appointments", 0)), stamp)
    if scale > 1:
        scale_office(office, scale)
    return office


# -- schedules --------------------------------------------------------------------------------------------------


def holidays(year: int, names: list[str]) -> dict[date, str]:
    """US practice closures by rule, for the years the book spans."""

    def nth_weekday(month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    def last_weekday(month: int, weekday: int) -> date:
        last = date(year, month + 1, 1) - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - weekday) % 7)

    rules = {
        "new_year": (date(year, 1, 1), "Holiday: New Year's Day"),
        "memorial_day": (last_weekday(5, 0), "Holiday: Memorial Day"),
        "independence_day": (date(year, 7, 4), "Holiday: Independence Day"),
        "labor_day": (nth_weekday(9, 0, 1), "Holiday: Labor Day"),
        "thanksgiving": (nth_weekday(11, 3, 4), "Holiday: Thanksgiving"),
        "christmas": (date(year, 12, 25), "Holiday: Christmas Day"),
    }
    return {rules[n][0]: rules[n][1] for n in names if n in rules}


def _lay_out_schedules(office: Office, seed: dict[str, Any], start: date, end: date, stamp: datetime) -> None:
    closed: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        closed.update(holidays(year, seed["office"].get("holidays", [])))
    day = start
    while day <= end:
        if day in closed:
            _add_schedule(office, day, SchedType.PRACTICE, time(0), time(0), stamp, note=closed[day])
        else:
            for entry in seed["weekly_schedule"]:
                if day.weekday() in entry["weekdays"]:
                    _add_schedule(
                        office,
                        day,
                        SchedType(entry["SchedType"]),
                        time.fromisoformat(entry["StartTime"]),
                        time.fromisoformat(entry["StopTime"]),
                        stamp,
                        prov_num=entry.get("ProvNum", 0),
                        blockout_type=entry.get("BlockoutType", 0),
                        operatories=entry.get("operatories", []),
                    )
        day += timedelta(days=1)


def _add_schedule(
    office: Office,
    day: date,
    kind: SchedType,
    start: time,
    stop: time,
    stamp: datetime,
    *,
    prov_num: int = 0,
    blockout_type: int = 0,
    operatories: list[int] | None = None,
    note: str = "",
) -> None:
    num = office.next_num(office.schedules)
    blockout = office.definitions.get(blockout_type)
    office.schedules[num] = Schedule(
        schedule_num=num,
        sched_date=day,
        start_time=start,
        stop_time=stop,
        sched_type=kind,
        prov_num=prov_num,
        blockout_type=blockout_type,
        blockout_type_name=blockout.item_name if blockout else "",
        note=note,
        operatories=operatories or [],
        date_t_stamp=stamp,
    )


# -- the appointment book ---------------------------------------------------------------------------------------


def _fill_book(office: Office, rng: random.Random, share: float, stamp: datetime) -> None:
    """Walk each provider's schedule and place appointments in free chairs until about `share` is booked."""
    types = {t.appointment_type_name: t for t in office.appointment_types.values()}
    blockouts = [s for s in office.schedules.values() if s.sched_type is SchedType.BLOCKOUT]
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    # Probability of placing an appointment at a free position, tuned so ~`share` of chair time is booked.
    mean_gap = sum(FREE_GAPS) / len(FREE_GAPS)
    place_chance = share * mean_gap / (share * mean_gap + (1 - share) * MEAN_VISIT)
    dentists = [p.prov_num for p in office.providers.values() if not p.is_hygienist]
    today = office.today()
    for schedule in sorted(office.schedules.values(), key=lambda s: (s.start, s.prov_num)):
        if schedule.sched_type is not SchedType.PROVIDER:
            continue
        provider = office.providers[schedule.prov_num]
        cursor = schedule.start
        while cursor < schedule.stop:
            kind = HYGIENE_TYPE if provider.is_hygienist else rng.choice(DENTIST_TYPES)
            length = timedelta(minutes=pattern_minutes(types[kind].pattern))
            end = cursor + length
            chair = _free_chair(schedule, cursor, end, busy, blockouts)
            if end <= schedule.stop and chair and rng.random() < place_chance:
                busy.setdefault(chair, []).append((cursor, end))
                patient = rng.choice(list(office.patients.values()))
                # On hygiene visits the patient's dentist is ProvNum (the exam) and the hygienist is ProvHyg.
                dentist = patient.pri_prov if patient.pri_prov in dentists else dentists[0]
                prov_num = dentist if provider.is_hygienist else provider.prov_num
                num = office.next_num(office.appointments)
                office.appointments[num] = Appointment(
                    apt_num=num,
                    pat_num=patient.pat_num,
                    apt_status=AptStatus.COMPLETE if cursor.date() < today else AptStatus.SCHEDULED,
                    pattern=types[kind].pattern,
                    confirm_def=19,
                    confirmed_label="Not Called",
                    op=chair,
                    prov_num=prov_num,
                    prov_abbr=office.providers[prov_num].abbr,
                    prov_hyg=provider.prov_num if provider.is_hygienist else 0,
                    is_hygiene=provider.is_hygienist,
                    apt_date_time=cursor,
                    appointment_type_num=types[kind].appointment_type_num,
                    proc_descript=kind,
                    date_t_stamp=stamp,
                )
                cursor = end
            else:
                # A chair that is busy at this moment only skips ahead a little; otherwise leave a real gap.
                cursor += GRID if not chair else timedelta(minutes=rng.choice(FREE_GAPS))
    _label_confirmations(office)


def _free_chair(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    busy: dict[int, list[tuple[datetime, datetime]]],
    blockouts: list[Schedule],
) -> int | None:
    for op in schedule.operatories:
        if any(s < end and start < e for s, e in busy.get(op, [])):
            continue
        if any(op in b.operatories and b.start < end and start < b.stop for b in blockouts):
            continue
        return op
    return None


def _label_confirmations(office: Office) -> None:
    labels = {d.def_num: d.item_name for d in office.definitions_in(2)}
    for appointment in office.appointments.values():
        appointment.confirmed_label = labels.get(appointment.confirm_def, "")


# -- the ASAP list and the recall list ----------------------------------------------------------------------

ASAP_FROM_DAYS = 14
PROPHY = 1
RECALL_MONTHS = 6


def _mark_asap(office: Office, count: int, stamp: datetime) -> None:
    """Put `count` visits two weeks out or later on the ASAP list: patients who would come sooner."""
    if count <= 0:
        return
    first = datetime.combine(office.today() + timedelta(days=ASAP_FROM_DAYS), time(0))
    later = sorted(
        (
            a
            for a in office.appointments.values()
            if a.apt_status is AptStatus.SCHEDULED and a.apt_date_time and a.apt_date_time >= first
        ),
        key=lambda a: (a.apt_date_time or first, a.apt_num),
    )
    seen: set[int] = set()
    step = max(1, len(later) // (count * 2))
    for appointment in later[::step]:
        if len(seen) == count:
            break
        if appointment.pat_num in seen:
            continue
        seen.add(appointment.pat_num)
        appointment.priority = "ASAP"
        appointment.date_t_stamp = stamp


def _lay_out_recalls(office: Office, rng: random.Random, share: float, stamp: datetime) -> None:
    """A Prophy recall for about `share` of the patients, due from a year ago to two months ahead, scheduled
    when the patient has a cleaning booked; a few hygiene patients are on Perio instead."""
    today = office.today()
    cleanings = {
        a.pat_num: a.apt_date_time.date()
        for a in sorted(
            office.appointments.values(), key=lambda a: (a.apt_date_time or datetime.min, a.apt_num)
        )
        if a.is_hygiene and a.apt_status is AptStatus.SCHEDULED and a.apt_date_time
    }
    statuses = [d.def_num for d in office.definitions_in(13)]
    for patient in sorted(office.patients.values(), key=lambda p: p.pat_num):
        if rng.random() >= share:
            continue
        kind = (
            PROPHY if rng.random() < 0.9 or len(office.recall_types) < 2 else sorted(office.recall_types)[1]
        )
        due = today + timedelta(days=rng.randint(-365, 60))
        status = rng.choice(statuses) if statuses and due < today and rng.random() < 0.3 else 0
        num = office.next_num(office.recalls)
        office.recalls[num] = Recall(
            recall_num=num,
            pat_num=patient.pat_num,
            date_due=due,
            date_previous=due - timedelta(days=RECALL_MONTHS * 30 + 3),
            recall_interval=office.recall_types[kind].default_interval,
            recall_status=status,
            recall_status_name=office.definitions[status].item_name if status else "",
            date_t_stamp=stamp,
            recall_type_num=kind,
            date_scheduled=cleanings.get(patient.pat_num),
        )
