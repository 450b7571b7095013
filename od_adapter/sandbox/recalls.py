"""`/recalls`: patients' recalls (GET, 22.4.40+), the Recall List (`/recalls/List`, 22.1+) and the reminder's
status (`PUT /recalls/Status`, 21.2+, which also writes a Recall commlog on the chart).

The Recall List shows what Open Dental's Lists > Recalls shows: recalls due between `DateStart` and `DateEnd`
(by default the `RecallDaysPast` and `RecallDaysFuture` preferences around today), not disabled, not yet
scheduled, of the types in `RecallTypesShowingInList`, for active patients; reminded ones only with
`IncludeReminded=true`. Its dates are `M/d/yyyy`. `NumRemind` and `LastRemind` count the chart's Recall
commlogs since the previous recall visit. The `Contact` text for anything but a text or an email preference
is the sandbox's choice (the reference shows only "Text:(541)555-1234" and an address).
"""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web

from od_adapter.models import Commlog, CommMode, PatStatus, Recall, RecallListItem, SentOrReceived
from od_adapter.sandbox.commlogs import COMMLOG_TYPES
from od_adapter.sandbox.http import Body, Query, bad_request, json_body, not_found, page, respond
from od_adapter.sandbox.keys import OFFICE_KEY, SANDBOX_KEY
from od_adapter.sandbox.middleware import requires
from od_adapter.sandbox.office import Office

routes = web.RouteTableDef()
RECALL_STATUSES = 13
COMMLOG_MODES = {
    "None": CommMode.NONE,
    "Email": CommMode.EMAIL,
    "Mail": CommMode.MAIL,
    "Phone": CommMode.PHONE,
    "InPerson": CommMode.IN_PERSON,
    "Text": CommMode.TEXT,
    "EmailAndText": CommMode.EMAIL_AND_TEXT,
    "PhoneAndText": CommMode.PHONE_AND_TEXT,
}


@routes.get("/api/v1/recalls")
@requires("read")
async def list_recalls(request: web.Request) -> web.Response:
    pat_num = Query(request).int("PatNum")
    rows = [
        r
        for r in sorted(request[OFFICE_KEY].recalls.values(), key=lambda r: r.recall_num)
        if pat_num is None or r.pat_num == pat_num
    ]
    return respond(page(request, rows, request.app[SANDBOX_KEY].settings.max_limit))


@routes.get("/api/v1/recalls/List")
@requires("read")
async def recall_list(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    query = Query(request)
    today = office.today()
    start = query.date("DateStart") or today - timedelta(days=int(office.pref("RecallDaysPast", "0") or 0))
    end = query.date("DateEnd") or today + timedelta(days=int(office.pref("RecallDaysFuture", "0") or 0))
    prov, clinic = query.int("ProvNum"), query.int("ClinicNum")
    types = _types(office, query.text("RecallType"))
    include_reminded = bool(query.bool("IncludeReminded"))
    rows: list[RecallListItem] = []
    for recall in office.recalls.values():
        patient = office.patients.get(recall.pat_num)
        if (
            patient is None
            or patient.pat_status is not PatStatus.PATIENT
            or recall.recall_type_num not in types
            or recall.is_disabled
            or recall.date_scheduled is not None
            or recall.date_due is None
            or not start <= recall.date_due <= end
            or (recall.disable_until_date is not None and recall.disable_until_date > today)
            or (prov is not None and prov not in (patient.pri_prov, patient.sec_prov))
            or (clinic is not None and patient.clinic_num != clinic)
        ):
            continue
        reminders = _reminders(office, recall)
        if reminders and not include_reminded:
            continue
        rows.append(_list_item(office, recall, reminders))
    rows.sort(key=lambda item: (item.due_date or date.min, item.pat_num))
    return respond(page(request, rows, request.app[SANDBOX_KEY].settings.max_limit))


def _types(office: Office, name: str | None) -> set[int]:
    if name is not None:
        found = {
            t.recall_type_num for t in office.recall_types.values() if t.description.lower() == name.lower()
        }
        if not found:
            raise bad_request("RecallType is invalid")
        return found
    showing = office.pref("RecallTypesShowingInList")
    return {int(n) for n in showing.split(",") if n.strip()} if showing else set(office.recall_types)


def _reminders(office: Office, recall: Recall) -> list[Commlog]:
    """The chart's Recall commlogs since the previous recall visit: the reminders Open Dental counts."""
    since = recall.date_previous or date.min
    return sorted(
        (
            c
            for c in office.commlogs.values()
            if c.pat_num == recall.pat_num
            and c.comm_type_name == "Recall"
            and c.comm_date_time is not None
            and c.comm_date_time.date() >= since
        ),
        key=lambda c: c.comm_date_time or date.min,
    )


def _list_item(office: Office, recall: Recall, reminders: list[Commlog]) -> RecallListItem:
    patient = office.patients[recall.pat_num]
    first = f"'{patient.preferred}' {patient.f_name}" if patient.preferred else patient.f_name
    today = office.today()
    born = patient.birthdate
    age = (today.year - born.year - ((today.month, today.day) < (born.month, born.day))) if born else 0
    last = reminders[-1].comm_date_time if reminders else None
    return RecallListItem(
        due_date=recall.date_due,
        pat_num=patient.pat_num,
        patient=f"{patient.l_name}, {first}",
        age=age,
        recall_type=office.recall_types[recall.recall_type_num].description,
        interval=recall.recall_interval,
        num_remind=len(reminders),
        last_remind=last.date() if last else None,
        contact=_contact(office, recall.pat_num),
        status=recall.recall_status_name,
        clinic_num=patient.clinic_num,
        note=recall.note,
    )


def _contact(office: Office, pat_num: int) -> str:
    patient = office.patients[pat_num]
    method = getattr(patient, "prefer_recall_method", None) or patient.prefer_contact_method
    if method == "Email" and patient.email:
        return patient.email
    if method == "TextMessage" and patient.wireless_phone:
        return f"Text:{patient.wireless_phone}"
    for label, phone in (
        ("Cell", patient.wireless_phone),
        ("Hm", patient.hm_phone),
        ("Wk", patient.wk_phone),
    ):
        if phone:
            return f"{label}:{phone}"
    return patient.email


@routes.put("/api/v1/recalls/Status")
@requires("comm")
async def set_recall_status(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    body = Body(await json_body(request))
    body.required("PatNum")
    pat_num = body.int("PatNum")
    kind = str(body.required("recallType"))
    status = body.int("RecallStatus")
    mode = body.choice("commlogMode", COMMLOG_MODES)
    note = body.text("commlogNote")
    patient = office.patients.get(pat_num or 0)
    if patient is None or patient.pat_status is PatStatus.DELETED:
        raise not_found("Patient not found")
    types = {t.recall_type_num for t in office.recall_types.values() if t.description.lower() == kind.lower()}
    if not types:
        raise bad_request("recallType is invalid")
    recall = next(
        (r for r in office.recalls.values() if r.pat_num == pat_num and r.recall_type_num in types), None
    )
    if recall is None:
        raise not_found("Recall not found")
    if status is not None:
        if status and status not in {d.def_num for d in office.definitions_in(RECALL_STATUSES)}:
            raise bad_request("RecallStatus is invalid")
        recall.recall_status = status
        recall.recall_status_name = office.definitions[status].item_name if status else ""
        recall.date_t_stamp = office.now()
    _recall_commlog(office, patient.pat_num, COMMLOG_MODES[mode or "None"], note, recall.recall_status_name)
    return web.Response(status=200)


def _recall_commlog(office: Office, pat_num: int, mode: CommMode, note: str | None, status: str) -> None:
    """Open Dental notes the reminder on the chart: CommType Recall, "Recall reminder" and the new status."""
    recall_type = next(
        (d for d in office.definitions_in(COMMLOG_TYPES) if d.item_name == "Recall"),
        office.definitions_in(COMMLOG_TYPES)[0],
    )
    now = office.now()
    num = office.next_num(office.commlogs)
    office.commlogs[num] = Commlog(
        commlog_num=num,
        pat_num=pat_num,
        comm_date_time=now,
        comm_type=recall_type.def_num,
        comm_type_name=recall_type.item_name,
        note=note or (f"Recall reminder. Status: {status}" if status else "Recall reminder."),
        mode=mode,
        sent_or_received=SentOrReceived.SENT,
        date_t_stamp=now,
        comm_source="FHIR",
        date_t_entry=now,
    )
