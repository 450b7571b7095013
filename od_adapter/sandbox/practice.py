"""The practice set-up resources: providers, operatories, appointment types, clinics, definitions, preferences,
schedules. Read-only here, as they are for a booking integration."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import TypeVar

from aiohttp import web

from od_adapter.models import ODModel, SchedType, Schedule
from od_adapter.sandbox.http import Query, not_found, page, respond, with_server_time
from od_adapter.sandbox.keys import OFFICE_KEY, SANDBOX_KEY
from od_adapter.sandbox.middleware import requires

routes = web.RouteTableDef()
Row = TypeVar("Row", bound=ODModel)


def _paged(request: web.Request, rows: list[Row]) -> web.Response:
    return respond(page(request, rows, request.app[SANDBOX_KEY].settings.max_limit))


def _one(table: Mapping[int, ODModel], request: web.Request, message: str) -> web.Response:
    row = table.get(int(request.match_info["num"]))
    if row is None:
        raise not_found(message)
    return respond(row)


@routes.get("/api/v1/providers")
@requires("read")
async def list_providers(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    query = Query(request)
    stamp = query.datetime("DateTStamp")
    clinic = query.int("ClinicNum")
    if clinic and clinic not in office.clinics:
        raise not_found("Clinic not found")
    rows = [
        p
        for p in office.providers.values()
        if (stamp is None or (p.date_t_stamp is not None and p.date_t_stamp >= stamp))
        and (clinic is None or not p.is_hidden)
    ]
    # With ClinicNum the API leaves serverDateTime empty, so it cannot seed an incremental read.
    server_time = with_server_time(
        page(request, rows, request.app[SANDBOX_KEY].settings.max_limit), office.now()
    )
    if clinic is not None:
        server_time = [{**row, "serverDateTime": ""} for row in server_time]
    return respond(server_time)


@routes.get(r"/api/v1/providers/{num:\d+}")
@requires("read")
async def get_provider(request: web.Request) -> web.Response:
    return _one(request[OFFICE_KEY].providers, request, "Provider not found")


@routes.get("/api/v1/operatories")
@requires("read")
async def list_operatories(request: web.Request) -> web.Response:
    clinic = Query(request).int("ClinicNum")
    rows = [o for o in request[OFFICE_KEY].operatories.values() if clinic is None or o.clinic_num == clinic]
    return _paged(request, sorted(rows, key=lambda o: o.item_order))


@routes.get(r"/api/v1/operatories/{num:\d+}")
@requires("read")
async def get_operatory(request: web.Request) -> web.Response:
    return _one(request[OFFICE_KEY].operatories, request, "Operatory not found")


@routes.get("/api/v1/appointmenttypes")
@requires("read")
async def list_appointment_types(request: web.Request) -> web.Response:
    return _paged(request, list(request[OFFICE_KEY].appointment_types.values()))


@routes.get("/api/v1/clinics")
@requires("read")
async def list_clinics(request: web.Request) -> web.Response:
    return _paged(request, [c for c in request[OFFICE_KEY].clinics.values() if not c.is_hidden])


@routes.get(r"/api/v1/clinics/{num:\d+}")
@requires("read")
async def get_clinic(request: web.Request) -> web.Response:
    return _one(request[OFFICE_KEY].clinics, request, "Clinic not found")


@routes.get("/api/v1/definitions")
@requires("read")
async def list_definitions(request: web.Request) -> web.Response:
    query = Query(request)
    category = query.int("Category")
    include_hidden = bool(query.bool("includeHidden"))
    rows = [
        d
        for d in request[OFFICE_KEY].definitions.values()
        if (category is None or d.category_num == category) and (include_hidden or not d.is_hidden)
    ]
    return _paged(request, rows)


@routes.get("/api/v1/preferences")
@requires("read")
async def list_preferences(request: web.Request) -> web.Response:
    name = Query(request).text("PrefName")
    rows = [p for p in request[OFFICE_KEY].preferences.values() if name is None or p.pref_name == name]
    return _paged(request, rows)


@routes.get("/api/v1/schedules")
@requires("read")
async def list_schedules(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    query = Query(request)
    day = query.date("date")
    start, end = (day, day) if day else (query.date("dateStart"), query.date("dateEnd"))
    if start is None and end is None:
        start = end = office.today()
    kind = query.choice("SchedType", [t.value for t in SchedType])
    numbers = {
        "blockout_type": query.int("BlockoutDefNum"),
        "prov_num": query.int("ProvNum"),
        "employee_num": query.int("EmployeeNum"),
    }
    rows = [
        s
        for s in office.schedules.values()
        if s.sched_date is not None
        and (start is None or s.sched_date >= start)
        and (end is None or s.sched_date <= end)
        and (kind is None or s.sched_type == kind)
        and all(value is None or getattr(s, name) == value for name, value in numbers.items())
    ]
    rows.sort(key=_schedule_order)
    return _paged(request, rows)


def _schedule_order(schedule: Schedule) -> tuple[object, time, int]:
    return (schedule.sched_date, schedule.start_time, schedule.schedule_num)


@routes.get(r"/api/v1/schedules/{num:\d+}")
@requires("read")
async def get_schedule(request: web.Request) -> web.Response:
    return _one(request[OFFICE_KEY].schedules, request, "Schedule not found")
