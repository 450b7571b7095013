"""`/commlogs`: the communication log on a patient's chart, which front-desk staff read."""

from __future__ import annotations

from aiohttp import web

from od_adapter.models import Commlog, CommMode, PatStatus, SentOrReceived
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
from od_adapter.sandbox.office import Office

routes = web.RouteTableDef()
COMMLOG_TYPES = 27


@routes.get("/api/v1/commlogs")
@requires("read")
async def list_commlogs(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    query = Query(request)
    pat_num = query.int("PatNum")
    stamp = query.datetime("DateTStamp")
    rows = [
        c
        for c in sorted(office.commlogs.values(), key=lambda c: c.commlog_num)
        if (pat_num is None or c.pat_num == pat_num)
        and (stamp is None or (c.date_t_stamp is not None and c.date_t_stamp >= stamp))
    ]
    return respond(
        with_server_time(page(request, rows, request.app[SANDBOX_KEY].settings.max_limit), office.now())
    )


@routes.get(r"/api/v1/commlogs/{num:\d+}")
@requires("read")
async def get_commlog(request: web.Request) -> web.Response:
    commlog = request[OFFICE_KEY].commlogs.get(int(request.match_info["num"]))
    if commlog is None:
        raise not_found("Commlog not found")
    return respond(commlog)


@routes.post("/api/v1/commlogs")
@requires("comm")
async def create_commlog(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    body = Body(await json_body(request))
    pat_num = body.int("PatNum")
    if pat_num is None:
        raise bad_request("PatNum is required")
    note = body.required("Note")
    patient = office.patients.get(pat_num)
    if patient is None or patient.pat_status is PatStatus.DELETED:
        raise not_found("Patient not found")
    type_num, type_name = _comm_type(office, body)
    now = office.now()
    num = office.next_num(office.commlogs)
    commlog = Commlog(
        commlog_num=num,
        pat_num=pat_num,
        comm_date_time=body.datetime("CommDateTime") or now,
        comm_type=type_num,
        comm_type_name=type_name,
        note=str(note),
        mode=CommMode(body.choice("Mode_", [m.value for m in CommMode]) or CommMode.PHONE),
        sent_or_received=SentOrReceived(
            body.choice("SentOrReceived", [s.value for s in SentOrReceived]) or SentOrReceived.SENT
        ),
        date_t_stamp=now,
        comm_source="FHIR",
        date_t_entry=now,
    )
    office.commlogs[num] = commlog
    return respond(commlog, status=201, headers={"Location": location(request, "commlogs", num)})


def _comm_type(office: Office, body: Body) -> tuple[int, str]:
    """`commType` (a name in category 27) wins over `CommType` (a DefNum); the default is Misc."""
    types = office.definitions_in(COMMLOG_TYPES)
    if (name := body.text("commType")) is not None:
        match = next((d for d in types if d.item_name.lower() == name.lower()), None)
        if match is None:
            raise bad_request("commType is invalid")
        return match.def_num, match.item_name
    if (num := body.int("CommType")) is not None:
        match = next((d for d in types if d.def_num == num), None)
        if match is None:
            raise bad_request("CommType is invalid")
        return match.def_num, match.item_name
    misc = next((d for d in types if d.item_name.lower().startswith("misc")), types[0])
    return misc.def_num, misc.item_name
