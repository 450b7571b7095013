"""`/_admin/book`: one day of the sandbox's appointment book for the phone simulator, beside the API.

The simulator used to read the book through the API with the practice's CustomerKey, so its polling took
turns in the practice's throttle and slowed the patient's booking down. This admin view reads the office's
tables directly (never throttled, never counted in the request log) and adds what a demo wants to show: the
patient's name, the confirmation status's label (so a patient's Confirm tap is seen changing it), and the day of the latest visit the assistant booked, so the page can jump to it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from od_adapter.models import Appointment, AptStatus, pattern_minutes
from od_adapter.sandbox.keys import SANDBOX_KEY
from od_adapter.sandbox.office import Office

routes = web.RouteTableDef()
ASSISTANT_MARK = "WhatsApp"
HIDDEN = (AptStatus.UNSCHED_LIST, AptStatus.PLANNED)


@routes.get("/_admin/book")
async def day_book(request: web.Request) -> web.Response:
    """`?date=YYYY-MM-DD&office=1`: the day's visits in time order, and the assistant's latest booking."""
    sandbox = request.app[SANDBOX_KEY]
    try:
        office = sandbox.offices[int(request.query.get("office", "1"))]
    except (KeyError, ValueError):
        return web.json_response({"error": "no such office"}, status=404)
    try:
        day = date.fromisoformat(request.query.get("date", ""))
    except ValueError:
        day = office.today()
    visits = sorted(
        (a for a in office.appointments.values() if _on(a, day) and a.apt_status not in HIDDEN),
        key=lambda a: (a.apt_date_time, a.op),
    )
    return web.json_response(
        {
            "date": day.isoformat(),
            "appointments": [_row(office, a) for a in visits],
            "latest_booked": _latest_booked(office),
        }
    )


def _on(appointment: Appointment, day: date) -> bool:
    return appointment.apt_date_time is not None and appointment.apt_date_time.date() == day


def _row(office: Office, appointment: Appointment) -> dict[str, Any]:
    patient = office.patients.get(appointment.pat_num)
    provider = office.providers.get(
        appointment.prov_hyg if appointment.is_hygiene and appointment.prov_hyg else appointment.prov_num
    )
    assert appointment.apt_date_time is not None
    return {
        "apt_num": appointment.apt_num,
        "time": appointment.apt_date_time.strftime("%H:%M"),
        "op": appointment.op,
        "provider": provider.abbr if provider else "",
        "minutes": pattern_minutes(appointment.pattern),
        "what": appointment.proc_descript,
        "status": appointment.apt_status.value,
        "confirmed": _confirmation(office, appointment),
        "pat_num": appointment.pat_num,
        "patient": f"{patient.f_name} {patient.l_name}".strip() if patient else "",
        "ours": ASSISTANT_MARK in appointment.note,
    }


def _confirmation(office: Office, appointment: Appointment) -> str:
    """The ApptConfirmed definition's name ("Not Called", "eConfirmSent", "Confirmed"), as the API's `confirmed`."""
    definition = office.definitions.get(appointment.confirm_def)
    return definition.item_name if definition is not None else appointment.confirmed_label


def _latest_booked(office: Office) -> dict[str, Any] | None:
    ours = [
        a
        for a in office.appointments.values()
        if ASSISTANT_MARK in a.note and a.apt_date_time is not None and a.apt_status not in HIDDEN
    ]
    if not ours:
        return None
    latest = max(ours, key=lambda a: (a.date_t_stamp or a.apt_date_time, a.apt_num))
    assert latest.apt_date_time is not None
    return {"apt_num": latest.apt_num, "date": latest.apt_date_time.date().isoformat()}
