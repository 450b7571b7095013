"""`/_admin/...`: the sandbox's own controls, outside the Open Dental API.

Tests and benchmarks read the request log and per-endpoint counters here, change throttle and fault settings
while the sandbox runs, inspect what Break added, delete an appointment as staff would in the program, send
the API Events that are due at once, and reset everything to the seed.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from od_adapter.models import HistApptAction
from od_adapter.sandbox.events import EVENTS_KEY
from od_adapter.sandbox.keys import SANDBOX_KEY
from od_adapter.sandbox.office import Office

routes = web.RouteTableDef()


@routes.get("/_admin/requests")
async def request_log(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    office = request.query.get("office")
    records = [r.as_json() for r in sandbox.log if office is None or str(r.office_id) == office]
    return web.json_response(records)


@routes.delete("/_admin/requests")
async def clear_request_log(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    sandbox.log.clear()
    sandbox.counters.clear()
    return web.json_response({"cleared": True})


@routes.get("/_admin/counters")
async def counters(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    return web.json_response({"total": sum(sandbox.counters.values()), "by_endpoint": dict(sandbox.counters)})


@routes.get("/_admin/settings")
async def get_settings(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].settings.model_dump(mode="json"))


@routes.patch("/_admin/settings")
async def change_settings(request: web.Request) -> web.Response:
    """Change throttle, overlap and fault settings on the fly; the office data is kept."""
    sandbox = request.app[SANDBOX_KEY]
    try:
        changes = await request.json()
        merged = sandbox.settings.model_validate({**sandbox.settings.model_dump(), **changes})
    except (ValueError, ValidationError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    if (merged.offices, merged.scale) != (sandbox.settings.offices, sandbox.settings.scale):
        return web.json_response(
            {"error": "the number of offices and the scale change only with a restart"}, status=400
        )
    sandbox.settings = merged
    return web.json_response(merged.model_dump(mode="json"))


@routes.post("/_admin/reset")
async def reset(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    sandbox.reset()
    return web.json_response({"offices": len(sandbox.offices), "reset": True})


@routes.get("/_admin/offices")
async def offices(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    summary = []
    for office_id, office in sandbox.offices.items():
        suffix = "" if office_id == 1 else f"-{office_id}"
        summary.append(
            {
                "office": office_id,
                "name": office.name,
                "timezone": office.timezone,
                "customer_key": f"sandbox-customer{suffix}",
                "readonly_key": f"sandbox-readonly{suffix}",
                "patients": len(office.patients),
                "appointments": len(office.appointments),
            }
        )
    return web.json_response(summary)


@routes.get("/_admin/offices/{office}/broken-procedures")
async def broken_procedures(request: web.Request) -> web.Response:
    """The missed/cancelled procedures Break added: a booking bot should add none."""
    office = request.app[SANDBOX_KEY].offices.get(int(request.match_info["office"]))
    if office is None:
        return web.json_response({"error": "no such office"}, status=404)
    return web.json_response(
        [
            {"AptNum": p.apt_num, "PatNum": p.pat_num, "ProcCode": p.code, "When": p.when.isoformat()}
            for p in office.broken_procedures
        ]
    )


def _office_or_404(request: web.Request) -> Office | web.Response:
    office = request.app[SANDBOX_KEY].offices.get(int(request.match_info["office"]))
    return office or web.json_response({"error": "no such office"}, status=404)


@routes.get("/_admin/offices/{office}/records")
async def records(request: web.Request) -> web.Response:
    """The office's patients, appointments and commlogs as Open Dental holds them: what a test checks a
    conversation against, read outside the API (no throttle, no paging, no key)."""
    office = _office_or_404(request)
    if isinstance(office, web.Response):
        return office
    return web.json_response(
        {
            "patients": [p.model_dump(mode="json", by_alias=True) for p in office.patients.values()],
            "appointments": [a.model_dump(mode="json", by_alias=True) for a in office.appointments.values()],
            "commlogs": [c.model_dump(mode="json", by_alias=True) for c in office.commlogs.values()],
        }
    )


@routes.delete(r"/_admin/offices/{office}/appointments/{apt_num:\d+}")
async def delete_appointment(request: web.Request) -> web.Response:
    """Staff delete an appointment in Open Dental (the API has no DELETE): it leaves a Deleted
    HistAppointment, which `AppointmentDeleted` subscriptions are sent."""
    office = _office_or_404(request)
    if isinstance(office, web.Response):
        return office
    appointment = office.appointments.pop(int(request.match_info["apt_num"]), None)
    if appointment is None:
        return web.json_response({"error": "no such appointment"}, status=404)
    office.record(appointment, HistApptAction.DELETED, source="None")
    return web.json_response({"deleted": appointment.apt_num})


@routes.post("/_admin/events/deliver")
async def deliver_events(request: web.Request) -> web.Response:
    """Poll every subscription now, whatever its PollingSeconds: what a test waits on instead of the timer."""
    sent = await request.app[EVENTS_KEY].poll(force=True)
    return web.json_response([d.as_json() for d in sent])


@routes.get("/_admin/events")
async def event_log(request: web.Request) -> web.Response:
    """The API Events the sandbox sent (each POST's endpoint, workstation, table, rows and answer)."""
    return web.json_response([d.as_json() for d in request.app[EVENTS_KEY].log])
