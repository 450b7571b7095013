"""`/appointments`: list with every documented filter, the ASAP list, get, POST, PUT, and the Break, Confirm and
Note actions. Every write keeps a HistAppointment (`/histappointments`), which API Events also read."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from od_adapter.models import Appointment, AptStatus, HistApptAction, PatStatus
from od_adapter.sandbox.http import (
    Body,
    Query,
    bad_request,
    json_body,
    location,
    not_found,
    page,
    respond,
    with_server_time,
)
from od_adapter.sandbox.keys import OFFICE_KEY, SANDBOX_KEY
from od_adapter.sandbox.middleware import requires
from od_adapter.sandbox.office import BrokenProcedure, Office

routes = web.RouteTableDef()

POST_STATUSES = ("Scheduled", "Complete", "UnschedList", "PtNote", "PtNoteCompleted")
PUT_STATUSES = (*POST_STATUSES, "Broken", "Planned")
MAX_PATTERN = 108  # nine hours of five-minute characters
OVERLAP_MESSAGE = (
    "Appointment overlaps existing appointment or blockout. Please change the appointment length."
)
CONFIRM_PREFS = {
    "Sent": "ApptEConfirmStatusSent",
    "Confirmed": "ApptEConfirmStatusAccepted",
    "Not Accepted": "ApptEConfirmStatusDeclined",
    "Failed": "ApptEConfirmStatusSendFailed",
}
BREAK_CODES = {"Missed": "D9986", "Cancelled": "D9987"}


def _appointment(office: Office, request: web.Request) -> Appointment:
    try:
        apt_num = int(request.match_info["apt_num"])
    except ValueError as exc:
        raise bad_request("AptNum is invalid") from exc
    appointment = office.appointments.get(apt_num)
    if appointment is None:
        raise not_found("Appointment not found")
    return appointment


@routes.get("/api/v1/appointments")
@requires("read")
async def list_appointments(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    now = office.now()
    query = Query(request)
    day = query.date("date")
    start, end = (day, day) if day else (query.date("dateStart"), query.date("dateEnd"))
    filters = {
        "PatNum": query.int("PatNum"),
        "Op": query.int("Op"),
        "ClinicNum": query.int("ClinicNum"),
        "AppointmentTypeNum": query.int("AppointmentTypeNum"),
    }
    status = query.choice("AptStatus", [s.value for s in AptStatus])
    stamp = query.datetime("DateTStamp")
    # Bounds and filters once per request, not per row: a scaled office has tens of thousands of rows.
    lowest = datetime.combine(start, datetime.min.time()) if start else None
    beyond = datetime.combine(end + timedelta(days=1), datetime.min.time()) if end else None
    wanted = [(_field(name), value) for name, value in filters.items() if value is not None]
    rows = []
    for apt in office.appointments.values():
        when = apt.apt_date_time or datetime.min
        if (lowest and when < lowest) or (beyond and when >= beyond):
            continue
        if status and apt.apt_status != status:
            continue
        if stamp and (apt.date_t_stamp is None or apt.date_t_stamp < stamp):
            continue
        if any(getattr(apt, name) != value for name, value in wanted):
            continue
        rows.append(apt)
    rows.sort(key=lambda a: (a.apt_date_time or datetime.min, a.apt_num))
    max_limit = request.app[SANDBOX_KEY].settings.max_limit
    return respond(with_server_time(page(request, rows, max_limit), now))


@routes.get("/api/v1/appointments/ASAP")
@requires("read")
async def asap_list(request: web.Request) -> web.Response:
    """The ASAP list: appointments whose Priority is ASAP, of any status, in the list's order."""
    office = request[OFFICE_KEY]
    query = Query(request)
    clinic, prov = query.int("ClinicNum"), query.int("ProvNum")
    if clinic is None and office.clinics:
        raise bad_request("ClinicNum is required when clinics are enabled")
    rows = [
        a
        for a in office.appointments.values()
        if a.priority == "ASAP"
        and (clinic is None or a.clinic_num == clinic)
        # The provider may be the visit's dentist or its hygienist, as the Slots search counts them.
        and (prov is None or prov in (a.prov_num, a.prov_hyg))
    ]
    rows.sort(key=lambda a: (a.apt_date_time or datetime.min, a.apt_num))
    max_limit = request.app[SANDBOX_KEY].settings.max_limit
    return respond(with_server_time(page(request, rows, max_limit), office.now()))


def _field(param: str) -> str:
    return {
        "PatNum": "pat_num",
        "Op": "op",
        "ClinicNum": "clinic_num",
        "AppointmentTypeNum": "appointment_type_num",
    }[param]


@routes.get(r"/api/v1/appointments/{apt_num:\d+}")
@requires("read")
async def get_appointment(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    return respond({**_appointment(office, request).to_wire(), "serverDateTime": _stamp(office)})


def _stamp(office: Office) -> str:
    return office.now().strftime("%Y-%m-%d %H:%M:%S")


@routes.post("/api/v1/appointments")
@requires("appointments")
async def create_appointment(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    body = Body(await json_body(request))
    pat_num = _required_int(body, "PatNum")
    op_num = _required_int(body, "Op")
    body.required("AptDateTime")
    when = body.datetime("AptDateTime")
    patient = office.patients.get(pat_num)
    if patient is None or patient.pat_status is PatStatus.DELETED:
        raise not_found("Patient not found")
    operatory = office.operatories.get(op_num)
    if operatory is None:
        raise not_found("Operatory not found")
    status = AptStatus(body.choice("AptStatus", POST_STATUSES) or "Scheduled")
    type_num = body.int("AppointmentTypeNum") or 0
    if type_num and type_num not in office.appointment_types:
        raise bad_request("AppointmentTypeNum is invalid")
    pattern = body.text("Pattern")
    if pattern is None:
        type_pattern = office.appointment_types[type_num].pattern if type_num else ""
        pattern = type_pattern or "/XX/"
    pattern = _valid_pattern(pattern)
    prov_num = body.int("ProvNum") or patient.pri_prov or int(office.pref("PracticeDefaultProv", "1"))
    if prov_num not in office.providers:
        raise bad_request("ProvNum is invalid")
    prov_hyg = body.int("ProvHyg") or 0
    if prov_hyg and prov_hyg not in office.providers:
        raise bad_request("ProvHyg is invalid")
    confirm_def = body.int("Confirmed") or _default_confirmation(office)
    if confirm_def not in {d.def_num for d in office.definitions_in(2)}:
        raise bad_request("Confirmed is invalid")
    apt_num = office.next_num(office.appointments)
    appointment = Appointment(
        apt_num=apt_num,
        pat_num=pat_num,
        apt_status=status,
        pattern=pattern,
        confirm_def=confirm_def,
        confirmed_label=office.definitions[confirm_def].item_name,
        op=op_num,
        note=body.text("Note") or "",
        prov_num=prov_num,
        prov_abbr=office.providers[prov_num].abbr,
        prov_hyg=prov_hyg,
        apt_date_time=when,
        is_new_patient=bool(body.bool("IsNewPatient")),
        clinic_num=body.int("ClinicNum") or operatory.clinic_num or patient.clinic_num,
        is_hygiene=bool(body.bool("IsHygiene")),
        appointment_type_num=type_num,
        priority=body.choice("Priority", ("Normal", "ASAP")) or "Normal",
        proc_descript=office.appointment_types[type_num].appointment_type_name if type_num else "",
        date_t_stamp=office.now(),
        sec_date_t_entry=office.now(),
    )
    _refuse_overlap(request, office, appointment)
    office.appointments[apt_num] = appointment
    office.record(appointment, HistApptAction.CREATED)
    if appointment.is_new_patient and not _has_completed_visit(office, pat_num):
        patient.date_first_visit = when.date() if when else None
        patient.date_t_stamp = office.now()
    headers = {"Location": location(request, "appointments", apt_num)}
    return respond(appointment, status=201, headers=headers)


def _required_int(body: Body, name: str) -> int:
    body.required(name)
    value = body.int(name)
    assert value is not None
    return value


def _valid_pattern(pattern: str) -> str:
    if not pattern or any(ch not in "X/" for ch in pattern):
        raise bad_request("Pattern is invalid. It may only contain 'X' and '/'.")
    return pattern[:MAX_PATTERN]


def _default_confirmation(office: Office) -> int:
    """A new appointment gets the first ApptConfirmed definition."""
    return office.definitions_in(2)[0].def_num


def _has_completed_visit(office: Office, pat_num: int) -> bool:
    return any(
        a.pat_num == pat_num and a.apt_status is AptStatus.COMPLETE for a in office.appointments.values()
    )


def _refuse_overlap(request: web.Request, office: Office, candidate: Appointment) -> None:
    """With `ApptsAllowOverlap` off, refuse a chair that another occupying appointment already holds."""
    if request.app[SANDBOX_KEY].allow_overlap(office) or not candidate.apt_status.occupies_chair:
        return
    start, end = candidate.apt_date_time, candidate.end
    if start is None or end is None:
        return
    for other in office.appointments.values():
        if (
            other.apt_num == candidate.apt_num
            or other.op != candidate.op
            or not other.apt_status.occupies_chair
        ):
            continue
        if other.apt_date_time and other.end and other.apt_date_time < end and start < other.end:
            raise bad_request(OVERLAP_MESSAGE)


@routes.put(r"/api/v1/appointments/{apt_num:\d+}")
@requires("appointments")
async def update_appointment(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    current = _appointment(office, request)
    body = Body(await json_body(request))
    updated = current.model_copy()
    if (status := body.choice("AptStatus", PUT_STATUSES)) is not None:
        updated.apt_status = AptStatus(status)
    if body.has("AptDateTime"):
        updated.apt_date_time = body.datetime("AptDateTime")
    if (op := body.int("Op")) is not None:
        if op not in office.operatories:
            raise bad_request("Op is invalid")
        updated.op = op
    if (pattern := body.text("Pattern")) is not None:
        updated.pattern = _valid_pattern(pattern)
    for name, attr in (("ProvNum", "prov_num"), ("ProvHyg", "prov_hyg")):
        if (prov := body.int(name)) is not None:
            if prov and prov not in office.providers:
                raise bad_request(f"{name} is invalid")
            setattr(updated, attr, prov)
    if (confirm := body.int("Confirmed")) is not None:
        if confirm not in {d.def_num for d in office.definitions_in(2)}:
            raise bad_request("Confirmed is invalid")
        updated.confirm_def = confirm
        updated.confirmed_label = office.definitions[confirm].item_name
    if (note := body.text("Note")) is not None:
        updated.note = note
    for name, attr in (("IsHygiene", "is_hygiene"), ("IsNewPatient", "is_new_patient")):
        if (flag := body.bool(name)) is not None:
            setattr(updated, attr, flag)
    for name, attr in (("AppointmentTypeNum", "appointment_type_num"), ("UnschedStatus", "unsched_status")):
        if (value := body.int(name)) is not None:
            setattr(updated, attr, value)
    if (priority := body.choice("Priority", ("Normal", "ASAP"))) is not None:
        updated.priority = priority
    updated.prov_abbr = (
        office.providers[updated.prov_num].abbr if updated.prov_num in office.providers else ""
    )
    _refuse_overlap(request, office, updated)
    updated.date_t_stamp = office.now()
    office.appointments[updated.apt_num] = updated
    office.record(updated, HistApptAction.CHANGED)
    return respond(updated)


@routes.put(r"/api/v1/appointments/{apt_num:\d+}/Break")
@requires("comm")
async def break_appointment(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    appointment = _appointment(office, request)
    body = Body(await json_body(request))
    body.required("sendToUnscheduledList")
    to_unscheduled = body.bool("sendToUnscheduledList")
    break_type = body.choice("breakType", BREAK_CODES)
    if appointment.apt_status is not AptStatus.SCHEDULED:
        raise bad_request("Only appointments with a status of Scheduled can be broken.")
    if not to_unscheduled and break_type is None:
        raise bad_request("breakType is required when sendToUnscheduledList is false.")
    appointment.apt_status = AptStatus.UNSCHED_LIST if to_unscheduled else AptStatus.BROKEN
    appointment.date_t_stamp = office.now()
    if break_type is not None and office.pref("BrokenApptProcedure", "0") != "0":
        office.broken_procedures.append(
            BrokenProcedure(appointment.apt_num, appointment.pat_num, BREAK_CODES[break_type], office.now())
        )
    office.record(appointment, HistApptAction(break_type) if break_type else HistApptAction.CHANGED)
    return web.Response(status=200)


@routes.put(r"/api/v1/appointments/{apt_num:\d+}/Confirm")
@requires("comm")
async def confirm_appointment(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    appointment = _appointment(office, request)
    body = Body(await json_body(request))
    value = body.choice("confirmVal", ("None", *CONFIRM_PREFS))
    def_num = body.int("defNum")
    if (value is None) == (def_num is None):
        raise bad_request("Exactly one of confirmVal or defNum is required.")
    if value == "None":
        def_num = _default_confirmation(office)
    elif value is not None:
        def_num = int(office.pref(CONFIRM_PREFS[value], "0") or 0)
    if def_num not in {d.def_num for d in office.definitions_in(2)}:
        raise bad_request("defNum is invalid")
    appointment.confirm_def = def_num
    appointment.confirmed_label = office.definitions[def_num].item_name
    appointment.date_t_stamp = office.now()
    office.record(appointment, HistApptAction.CHANGED)
    return web.Response(status=200)


@routes.put(r"/api/v1/appointments/{apt_num:\d+}/Note")
@requires("comm")
async def append_note(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    appointment = _appointment(office, request)
    note = Body(await json_body(request)).required("Note")
    if not isinstance(note, str):
        raise bad_request("Note is invalid")
    appointment.note = f"{appointment.note}\r\n{note}" if appointment.note else note
    appointment.date_t_stamp = office.now()
    office.record(appointment, HistApptAction.CHANGED)
    return web.Response(status=200)
