"""`/histappointments` (23.1.30+): the audit trail of appointment changes, one copy per create, change, break or
deletion, which the sandbox keeps as its API writes (and staff deletions through the admin API) happen.

The documented filters are HistApptAction, AptNum, PatNum, AptStatus, ClinicNum, and `date` or
`dateStart`/`dateEnd`. The reference does not say which date those filter; the sandbox reads them as the
day of the change (`HistDateTStamp`), which is what "what happened since" needs, and takes either end alone
as open on the other side. Rows come in the order they were written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from od_adapter.models import HistApptAction
from od_adapter.sandbox.http import Query, page, respond
from od_adapter.sandbox.keys import OFFICE_KEY, SANDBOX_KEY
from od_adapter.sandbox.middleware import requires

routes = web.RouteTableDef()
STATUSES = ("Scheduled", "Complete", "UnschedList", "Broken", "Planned")


@routes.get("/api/v1/histappointments")
@requires("read")
async def list_hist_appointments(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    query = Query(request)
    action = query.choice("HistApptAction", [a.value for a in HistApptAction])
    status = query.choice("AptStatus", STATUSES)
    numbers = {
        "apt_num": query.int("AptNum"),
        "pat_num": query.int("PatNum"),
        "clinic_num": query.int("ClinicNum"),
    }
    day = query.date("date")
    start, end = (day, day) if day else (query.date("dateStart"), query.date("dateEnd"))
    lowest = datetime.combine(start, datetime.min.time()) if start else None
    beyond = datetime.combine(end + timedelta(days=1), datetime.min.time()) if end else None
    rows = [
        h
        for h in sorted(office.hist_appointments.values(), key=lambda h: h.hist_appt_num)
        if (action is None or h.hist_appt_action == action)
        and (status is None or h.apt_status == status)
        and all(value is None or getattr(h, name) == value for name, value in numbers.items())
        and (lowest is None or (h.hist_date_t_stamp is not None and h.hist_date_t_stamp >= lowest))
        and (beyond is None or (h.hist_date_t_stamp is not None and h.hist_date_t_stamp < beyond))
    ]
    return respond(page(request, rows, request.app[SANDBOX_KEY].settings.max_limit))
