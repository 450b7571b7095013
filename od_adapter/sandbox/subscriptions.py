"""`/subscriptions` (22.1+): API Events subscriptions, each owned by the CustomerKey that created it.

POST needs `EndPointUrl`, and either a database event (`WatchTable` with `PollingSeconds`) or a UI event
(`UiEventType`); `DateTimeStart` defaults to now and `DateTimeStop` to never. GET lists the key's own; PUT
changes EndPointUrl, Workstation, PollingSeconds (database events only), DateTimeStart, DateTimeStop and Note;
DELETE removes one. Open Dental files GET, POST and PUT under Read All; DELETE's permission is not in the
reference, and the sandbox lets any key delete its own. `events.py` fires what they subscribe to.
"""

from __future__ import annotations

from aiohttp import web

from od_adapter.models import Subscription
from od_adapter.sandbox.http import Body, bad_request, json_body, location, not_found, page, respond
from od_adapter.sandbox.keys import OFFICE_KEY, SANDBOX_KEY
from od_adapter.sandbox.middleware import requires

routes = web.RouteTableDef()
WATCH_TABLES = (
    "Appointment",
    "AppointmentDeleted",
    "Operatory",
    "PatField",
    "Patient",
    "Provider",
    "Schedule",
    "ToothInitial",
)
UI_EVENT_TYPES = ("PatientSelected",)


def customer_key(request: web.Request) -> str:
    return request.headers.get("Authorization", "").partition("/")[2].strip()


def _own(request: web.Request) -> Subscription:
    subscription = request[OFFICE_KEY].subscriptions.get(int(request.match_info["num"]))
    if subscription is None or subscription.customer_key != customer_key(request):
        raise not_found("Subscription not found")
    return subscription


@routes.post("/api/v1/subscriptions")
@requires("read")
async def create_subscription(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    body = Body(await json_body(request))
    url = str(body.required("EndPointUrl"))
    table = body.choice("WatchTable", WATCH_TABLES)
    ui_event = body.choice("UiEventType", UI_EVENT_TYPES)
    if (table is None) == (ui_event is None):
        raise bad_request("Exactly one of WatchTable or UiEventType is required.")
    polling = body.int("PollingSeconds")
    if table is not None and (polling is None or polling < 1):
        raise bad_request("PollingSeconds is required for a WatchTable subscription.")
    num = office.next_num(office.subscriptions)
    subscription = Subscription(
        subscription_num=num,
        end_point_url=url,
        workstation=body.text("Workstation") or "",
        customer_key=customer_key(request),
        watch_table=table or "",
        polling_seconds=polling if table is not None and polling is not None else 0,
        ui_event_type=ui_event or "",
        date_time_start=body.datetime("DateTimeStart") or office.now(),
        date_time_stop=body.datetime("DateTimeStop"),
        note=body.text("Note") or "",
    )
    office.subscriptions[num] = subscription
    return respond(subscription, status=201, headers={"Location": location(request, "subscriptions", num)})


@routes.get("/api/v1/subscriptions")
@requires("read")
async def list_subscriptions(request: web.Request) -> web.Response:
    key = customer_key(request)
    rows = [
        s
        for s in sorted(request[OFFICE_KEY].subscriptions.values(), key=lambda s: s.subscription_num)
        if s.customer_key == key
    ]
    return respond(page(request, rows, request.app[SANDBOX_KEY].settings.max_limit))


@routes.put(r"/api/v1/subscriptions/{num:\d+}")
@requires("read")
async def update_subscription(request: web.Request) -> web.Response:
    subscription = _own(request)
    body = Body(await json_body(request))
    changed = subscription.model_copy()
    if (url := body.text("EndPointUrl")) is not None:
        if not url:
            raise bad_request("EndPointUrl is invalid")
        changed.end_point_url = url
    if (workstation := body.text("Workstation")) is not None:
        changed.workstation = workstation
    if (polling := body.int("PollingSeconds")) is not None:
        if not changed.watch_table or polling < 1:
            raise bad_request("PollingSeconds is invalid")
        changed.polling_seconds = polling
    for name, attr in (("DateTimeStart", "date_time_start"), ("DateTimeStop", "date_time_stop")):
        if body.has(name):
            setattr(changed, attr, body.datetime(name))
    if (note := body.text("Note")) is not None:
        changed.note = note
    request[OFFICE_KEY].subscriptions[changed.subscription_num] = changed
    return web.Response(status=200)


@routes.delete(r"/api/v1/subscriptions/{num:\d+}")
@requires("read")
async def delete_subscription(request: web.Request) -> web.Response:
    subscription = _own(request)
    del request[OFFICE_KEY].subscriptions[subscription.subscription_num]
    return web.Response(status=200)
