"""`GET /appointments/Slots`, implemented as Open Dental's `ApptSearch.GetApiSlots` does it.

The provider's Provider schedules, in five-minute cells, minus every appointment where the provider is ProvNum
or ProvHyg, in any operatory and any status but UnschedList and Planned; merged into whole open blocks of at
least `lengthMinutes`. Like the original it ignores blockouts and other providers' appointments in the chair,
which is why Open Dental staff advise against it for offices with several providers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiohttp import web

from od_adapter.models import Appointment, SchedType, Schedule, Slot
from od_adapter.sandbox.http import Query, bad_request, page, respond
from od_adapter.sandbox.keys import OFFICE_KEY, SANDBOX_KEY
from od_adapter.sandbox.middleware import requires
from od_adapter.sandbox.office import Office

routes = web.RouteTableDef()
CELL = timedelta(minutes=5)
DEFAULT_DAYS = 14


def open_blocks(
    schedules: list[Schedule], appointments: list[Appointment], prov_num: int, min_minutes: int
) -> list[tuple[datetime, datetime]]:
    """Free time of one provider: scheduled cells minus their appointments, merged, at least `min_minutes` long."""
    free: set[datetime] = set()
    for schedule in schedules:
        cell = schedule.start
        while cell < schedule.stop:
            free.add(cell)
            cell += CELL
    for apt in appointments:
        if prov_num not in (apt.prov_num, apt.prov_hyg) or not apt.apt_status.occupies_chair:
            continue
        if apt.apt_date_time is None:
            continue
        cell = apt.apt_date_time
        while cell < apt.apt_date_time + timedelta(minutes=apt.minutes):
            free.discard(cell)
            cell += CELL
    blocks: list[tuple[datetime, datetime]] = []
    for cell in sorted(free):
        if blocks and blocks[-1][1] == cell:
            blocks[-1] = (blocks[-1][0], cell + CELL)
        else:
            blocks.append((cell, cell + CELL))
    return [(s, e) for s, e in blocks if e - s >= timedelta(minutes=min_minutes)]


def _default_operatory(office: Office, prov_num: int, schedules: list[Schedule]) -> int:
    for op in sorted(office.operatories.values(), key=lambda o: o.item_order):
        if prov_num in (op.prov_dentist, op.prov_hygienist):
            return op.operatory_num
    for schedule in schedules:
        if schedule.operatories:
            return schedule.operatories[0]
    return 0


def _date_range(query: Query, today: date) -> tuple[date, date]:
    day = query.date("date")
    if day is not None:
        if day < today:
            raise bad_request("date must be today or later")
        return day, day
    start = query.date("dateStart") or today
    end = query.date("dateEnd") or start + timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise bad_request("dateEnd must be on or after dateStart")
    return start, end


@routes.get("/api/v1/appointments/Slots")
@requires("read")
async def get_slots(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    query = Query(request)
    start, end = _date_range(query, office.today())
    prov_num = query.int("ProvNum") or int(office.pref("PracticeDefaultProv", "1"))
    if prov_num not in office.providers:
        raise bad_request("ProvNum is invalid")
    op_num = query.int("OpNum")
    if op_num is not None and op_num not in office.operatories:
        raise bad_request("OpNum is invalid")
    length = query.int("lengthMinutes") or 0
    schedules = [
        s
        for s in office.schedules.values()
        if s.sched_type is SchedType.PROVIDER
        and s.prov_num == prov_num
        and s.sched_date is not None
        and start <= s.sched_date <= end
        and (op_num is None or op_num in s.operatories)
    ]
    appointments = [
        a for a in office.appointments.values() if a.apt_date_time and start <= a.apt_date_time.date() <= end
    ]
    slot_op = op_num if op_num is not None else _default_operatory(office, prov_num, schedules)
    slots = [
        Slot(date_time_start=s, date_time_end=e, prov_num=prov_num, op_num=slot_op)
        for s, e in open_blocks(schedules, appointments, prov_num, length)
    ]
    return respond(page(request, slots, request.app[SANDBOX_KEY].settings.max_limit))


WEB_SCHED_NEW, WEB_SCHED_EXISTING = 42, 51


@routes.get("/api/v1/appointments/SlotsWebSched")
@requires("read")
async def get_web_sched_slots(request: web.Request) -> web.Response:
    """Fixed-length slots for a Web Sched appointment type, in the operatories marked for Web Sched.

    The definition (category 42 for new patients, 51 for existing ones) names the appointment type; the sandbox
    keeps that link in the definition's ItemValue (Open Dental keeps it in its deflink table).
    """
    office = request[OFFICE_KEY]
    query = Query(request)
    start, end = _date_range(query, office.today())
    def_num = query.int("defNumApptType")
    if def_num is None:
        raise bad_request("defNumApptType is required")
    new_patient = bool(query.bool("isNewPatient"))
    definition = office.definitions.get(def_num)
    expected = WEB_SCHED_NEW if new_patient else WEB_SCHED_EXISTING
    if definition is None or definition.category_num != expected:
        raise bad_request("defNumApptType is not a Web Sched appointment type for this kind of patient")
    apt_type = office.appointment_types.get(int(definition.item_value or 0))
    if apt_type is None:
        raise bad_request("defNumApptType is not linked to an appointment type")
    length = timedelta(minutes=apt_type.minutes or 30)
    web_ops = {o.operatory_num for o in office.operatories.values() if o.is_web_sched and not o.is_hidden}
    # Open Dental sets this per Web Sched type; the sandbox's rule: cleanings are the hygienists' work.
    hygiene = apt_type.appointment_type_name.lower().startswith(("clean", "hyg"))
    slots = []
    for schedule in sorted(office.schedules.values(), key=lambda s: (s.start, s.prov_num)):
        provider = office.providers.get(schedule.prov_num)
        if (
            schedule.sched_type is not SchedType.PROVIDER
            or provider is None
            or provider.is_hygienist != hygiene
            or schedule.sched_date is None
            or not start <= schedule.sched_date <= end
        ):
            continue
        for op in (o for o in schedule.operatories if o in web_ops):
            slot = schedule.start
            while slot + length <= schedule.stop:
                if _web_slot_free(office, op, schedule.prov_num, slot, slot + length):
                    slots.append(
                        Slot(
                            date_time_start=slot,
                            date_time_end=slot + length,
                            prov_num=schedule.prov_num,
                            op_num=op,
                        )
                    )
                slot += length
    slots.sort(key=lambda s: (s.date_time_start, s.op_num))
    return respond(page(request, slots, request.app[SANDBOX_KEY].settings.max_limit))


def _web_slot_free(office: Office, op: int, prov_num: int, start: datetime, end: datetime) -> bool:
    if any(
        s.sched_type is SchedType.BLOCKOUT and op in s.operatories and s.start < end and start < s.stop
        for s in office.schedules.values()
    ):
        return False
    for apt in office.appointments.values():
        if not apt.apt_status.occupies_chair or apt.apt_date_time is None or apt.end is None:
            continue
        if (
            apt.apt_date_time < end
            and start < apt.end
            and (apt.op == op or prov_num in (apt.prov_num, apt.prov_hyg))
        ):
            return False
    return True
