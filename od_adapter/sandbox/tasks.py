"""`/tasks` (22.3.16+, POST 22.3.17+): tasks on the office's task lists, how one person asks another to act.

Open Dental's Tasks GET filters on TaskListNum, KeyNum, ObjectType, TaskStatus and DateTimeOriginal; POST
needs TaskListNum and Descript, and a task about a patient or an appointment names it by ObjectType and
KeyNum. The sandbox keeps its tasks beside each office (a reset starts them afresh) and serves the task lists
`TASK_LISTS` names, since the API has no way to create one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from od_adapter.models import PatStatus, Task
from od_adapter.sandbox.http import Body, Query, bad_request, json_body, location, not_found, page, respond
from od_adapter.sandbox.keys import OFFICE_KEY, SANDBOX_KEY
from od_adapter.sandbox.middleware import requires
from od_adapter.sandbox.office import Office

routes = web.RouteTableDef()
TASK_LISTS = {1: "Front Desk", 2: "Office Manager"}
OBJECT_TYPES = ("None", "Patient", "Appointment")
TASK_STATUSES = ("New", "Viewed", "Done")
DEFAULT_PRIORITY = 0


@dataclass
class TaskBook:
    """Each office's tasks, forgotten when the sandbox is reset (a reset builds new offices)."""

    by_office: dict[int, tuple[Office, dict[int, Task]]] = field(default_factory=dict)

    def of(self, office: Office) -> dict[int, Task]:
        kept = self.by_office.get(id(office))
        if kept is None or kept[0] is not office:
            kept = (office, {})
            self.by_office[id(office)] = kept
        return kept[1]


TASKS_KEY = web.AppKey("sandbox_tasks", TaskBook)


def _tasks(request: web.Request) -> dict[int, Task]:
    return request.app[TASKS_KEY].of(request[OFFICE_KEY])


@routes.get("/api/v1/tasks")
@requires("read")
async def list_tasks(request: web.Request) -> web.Response:
    query = Query(request)
    list_num, key_num = query.int("TaskListNum"), query.int("KeyNum")
    object_type = query.choice("ObjectType", OBJECT_TYPES)
    status = query.choice("TaskStatus", TASK_STATUSES)
    since = query.datetime("DateTimeOriginal")
    rows = [
        t
        for t in sorted(_tasks(request).values(), key=lambda t: t.task_num)
        if (list_num is None or t.task_list_num == list_num)
        and (key_num is None or t.key_num == key_num)
        and (object_type is None or t.object_type == object_type)
        and (status is None or t.task_status == status)
        and (since is None or (t.date_time_original is not None and t.date_time_original >= since))
    ]
    return respond(page(request, rows, request.app[SANDBOX_KEY].settings.max_limit))


@routes.get(r"/api/v1/tasks/{num:\d+}")
@requires("read")
async def get_task(request: web.Request) -> web.Response:
    task = _tasks(request).get(int(request.match_info["num"]))
    if task is None:
        raise not_found("Task not found")
    return respond(task)


@routes.post("/api/v1/tasks")
@requires("tasks")
async def create_task(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    body = Body(await json_body(request))
    list_num = body.int("TaskListNum")
    if list_num is None:
        raise bad_request("TaskListNum is required")
    if list_num not in TASK_LISTS:
        raise bad_request("TaskListNum is invalid")
    descript = str(body.required("Descript"))
    object_type = body.choice("ObjectType", OBJECT_TYPES) or "None"
    key_num = _key_num(office, object_type, body.int("KeyNum"))
    tasks = _tasks(request)
    now = office.now()
    num = office.next_num(tasks)
    task = Task(
        task_num=num,
        task_list_num=list_num,
        key_num=key_num,
        descript=descript,
        object_type=object_type,
        date_time_entry=now,
        user_num=body.int("UserNum") or 0,
        priority_def_num=body.int("PriorityDefNum") or DEFAULT_PRIORITY,
        date_time_original=now,
        sec_date_t_edit=now,
    )
    tasks[num] = task
    return respond(task, status=201, headers={"Location": location(request, "tasks", num)})


def _key_num(office: Office, object_type: str, key_num: int | None) -> int:
    """A patient's or an appointment's task must name one that exists; a plain task has KeyNum 0."""
    if object_type == "None":
        return 0
    if key_num is None:
        raise bad_request(f"KeyNum is required when ObjectType is {object_type}")
    if object_type == "Patient":
        patient = office.patients.get(key_num)
        if patient is None or patient.pat_status is PatStatus.DELETED:
            raise bad_request("KeyNum is invalid")
    elif key_num not in office.appointments:
        raise bad_request("KeyNum is invalid")
    return key_num
