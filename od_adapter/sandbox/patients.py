"""`/patients`: the Patient Select search (with its phone rule), `/patients/Simple`, get, POST and PUT."""

from __future__ import annotations

import re

from aiohttp import web

from od_adapter.models import Patient, PatStatus, YesNoUnknown
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

GENDERS = ("Male", "Female", "Unknown", "Other")
POSITIONS = ("Single", "Married", "Child", "Widowed", "Divorced")
STATUSES = ("Patient", "NonPatient", "Inactive", "Archived", "Deceased", "Prospective")
CONTACT_METHODS = (
    "None",
    "DoNotCall",
    "HmPhone",
    "WkPhone",
    "WirelessPh",
    "Email",
    "SeeNotes",
    "Mail",
    "TextMessage",
)
STRING_FIELDS = (
    "MiddleI", "Preferred", "Address", "Address2", "City", "State", "Zip", "HmPhone", "WkPhone", "WirelessPhone",
    "Email", "ChartNumber", "Language",
)  # fmt: skip
SUMMARY_FIELDS = (
    "PatNum", "LName", "FName", "MiddleI", "Preferred", "PatStatus", "Birthdate", "SSN", "Address", "Address2",
    "City", "State", "Zip", "HmPhone", "WkPhone", "WirelessPhone", "Email", "priProvAbbr", "secProvAbbr",
    "BillingType", "ChartNumber", "ClinicNum", "clinicAbbr", "siteDesc", "TxtMsgOk",
)  # fmt: skip
_ZIP = re.compile(r"^(\d{5}(-?\d{4})?|[A-Z]\d[A-Z] ?\d[A-Z]\d)$")


def phone_pattern(phone: str) -> re.Pattern[str] | None:
    """Patient Select's phone rule: digits only, any punctuation between them, matched anywhere in the number.

    Once four or more digits are given, a leading 1 becomes optional.
    """
    digits = re.sub(r"\D", "", phone)
    if not digits:
        return None
    if len(digits) >= 4 and digits[0] == "1":
        return re.compile("(1[^0-9]*)?" + "[^0-9]*".join(digits[1:]))
    return re.compile("[^0-9]*".join(digits))


def _visible(patient: Patient, *, hide_inactive: bool, show_archived: bool) -> bool:
    if patient.pat_status is PatStatus.DELETED:
        return False
    if patient.pat_status in (PatStatus.ARCHIVED, PatStatus.DECEASED) and not show_archived:
        return False
    return not (patient.pat_status is PatStatus.INACTIVE and hide_inactive)


def _starts(value: str, prefix: str | None) -> bool:
    return prefix is None or value.lower().startswith(prefix.lower())


def _contains(value: str, part: str | None) -> bool:
    return part is None or part.lower() in value.lower()


@routes.get("/api/v1/patients")
@requires("read")
async def search_patients(request: web.Request) -> web.Response:
    """The Patient Select window's search; returns the reduced field set."""
    office = request[OFFICE_KEY]
    query = Query(request)
    phone = phone_pattern(query.text("Phone") or "")
    last, first = query.text("LName"), query.text("FName")
    birthdate = query.date("Birthdate")
    hide_inactive, show_archived = bool(query.bool("hideInactive")), bool(query.bool("showArchived"))
    guarantors_only = bool(query.bool("guarOnly"))
    found = [
        p
        for p in office.patients.values()
        if _visible(p, hide_inactive=hide_inactive, show_archived=show_archived)
        and _starts(p.l_name, last)
        and _starts(p.f_name, first)
        and _starts(p.city, query.text("City"))
        and _starts(p.state, query.text("State"))
        and _contains(p.email, query.text("Email"))
        and _contains(p.address, query.text("Address"))
        and (birthdate is None or p.birthdate == birthdate)
        and (
            phone is None
            or any(phone.search(number) for number in (p.hm_phone, p.wk_phone, p.wireless_phone))
        )
        and (not guarantors_only or p.guarantor == p.pat_num)
    ]
    exact = (last or "").lower()
    found.sort(key=lambda p: (p.l_name.lower() != exact, p.l_name.lower(), p.f_name.lower()))
    reduced = [_summary(office, p) for p in found]
    return respond(page(request, reduced, request.app[SANDBOX_KEY].settings.max_limit))


def _summary(office: Office, patient: Patient) -> dict[str, object]:
    wire = patient.to_wire()
    derived = {
        "priProvAbbr": _abbr(office, patient.pri_prov),
        "secProvAbbr": _abbr(office, patient.sec_prov),
        "clinicAbbr": office.clinics[patient.clinic_num].abbr if patient.clinic_num in office.clinics else "",
    }
    return {key: derived.get(key, wire.get(key, "")) for key in SUMMARY_FIELDS}


def _abbr(office: Office, prov_num: int) -> str:
    provider = office.providers.get(prov_num)
    return provider.abbr if provider else ""


@routes.get("/api/v1/patients/Simple")
@requires("read")
async def simple_patients(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    now = office.now()
    query = Query(request)
    stamp = query.datetime("DateTStamp")
    birthdate = query.date("Birthdate")
    exact = {
        "pat_status": query.choice("PatStatus", [s.value for s in PatStatus]),
        "clinic_num": query.int("ClinicNum"),
        "pri_prov": query.int("PriProv"),
        "gender": query.choice("Gender", GENDERS),
        "position": query.choice("Position", POSITIONS),
        "guarantor": query.int("Guarantor"),
        "super_family": query.int("SuperFamily"),
    }
    found = [
        p
        for p in sorted(office.patients.values(), key=lambda p: p.pat_num)
        if p.pat_status is not PatStatus.DELETED
        and _contains(p.l_name, query.text("LName"))
        and _contains(p.f_name, query.text("FName"))
        and (birthdate is None or p.birthdate == birthdate)
        and (stamp is None or (p.date_t_stamp is not None and p.date_t_stamp >= stamp))
        and all(value is None or getattr(p, name) == value for name, value in exact.items())
    ]
    return respond(with_server_time(page(request, found, request.app[SANDBOX_KEY].settings.max_limit), now))


def _patient(office: Office, request: web.Request) -> Patient:
    patient = office.patients.get(int(request.match_info["pat_num"]))
    if patient is None or patient.pat_status is PatStatus.DELETED:
        raise not_found("Patient not found")
    return patient


@routes.get(r"/api/v1/patients/{pat_num:\d+}")
@requires("read")
async def get_patient(request: web.Request) -> web.Response:
    return respond(_patient(request[OFFICE_KEY], request))


@routes.post("/api/v1/patients")
@requires("patients")
async def create_patient(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    body = Body(await json_body(request))
    last, first = str(body.required("LName")).strip(), str(body.required("FName")).strip()
    fields = _validated_fields(office, body)
    _refuse_duplicate(office, last, first, fields)
    pat_num = office.next_num(office.patients)
    patient = Patient.model_validate(
        {
            "PatNum": pat_num,
            "LName": last,
            "FName": first,
            "Guarantor": pat_num,
            "PriProv": int(office.pref("PracticeDefaultProv", "1")),
            "BillingType": "Standard Account",
            "DateTStamp": office.now(),
            "SecDateEntry": office.today().isoformat(),
            **fields,
        }
    )
    office.patients[pat_num] = patient
    return respond(patient, status=201, headers={"Location": location(request, "patients", pat_num)})


def _validated_fields(office: Office, body: Body) -> dict[str, object]:
    """Check the optional fields a POST or PUT may carry; return them in wire form."""
    fields: dict[str, object] = {name: body.text(name) for name in STRING_FIELDS if body.has(name)}
    for name, allowed in (
        ("Gender", GENDERS),
        ("Position", POSITIONS),
        ("PatStatus", STATUSES),
        ("TxtMsgOk", [v.value for v in YesNoUnknown]),
        ("PreferContactMethod", CONTACT_METHODS),
        ("PreferConfirmMethod", CONTACT_METHODS),
        ("PreferRecallMethod", CONTACT_METHODS),
    ):
        if (value := body.choice(name, allowed)) is not None:
            fields[name] = value
    if body.has("Birthdate"):
        birthdate = body.date("Birthdate")
        if birthdate and birthdate > office.today():
            raise bad_request("Birthdate cannot be in the future")
        fields["Birthdate"] = birthdate
    if fields.get("State") and not re.fullmatch(r"[A-Z]{2}", str(fields["State"])):
        raise bad_request("State must be 2 capital letters")
    if body.has("Zip") and fields["Zip"] and not _ZIP.match(str(fields["Zip"])):
        raise bad_request("Zip is invalid")
    for name in ("Guarantor", "PriProv", "SecProv", "ClinicNum"):
        if (number := body.int(name)) is not None:
            fields[name] = number
    if "Guarantor" in fields and fields["Guarantor"] not in office.patients:
        raise bad_request("Guarantor is invalid")
    if fields.get("PriProv") and fields["PriProv"] not in office.providers:
        raise bad_request("PriProv is invalid")
    return fields


def _refuse_duplicate(office: Office, last: str, first: str, fields: dict[str, object]) -> None:
    """Open Dental compares names, birthdate, and email or phones before it adds a patient."""
    birthdate = fields.get("Birthdate")
    contacts = {str(fields[k]) for k in ("Email", "HmPhone", "WkPhone", "WirelessPhone") if fields.get(k)}
    digits = {re.sub(r"\D", "", c) for c in contacts} - {""}
    for p in office.patients.values():
        if (
            p.pat_status is PatStatus.DELETED
            or p.l_name.lower() != last.lower()
            or p.f_name.lower() != first.lower()
        ):
            continue
        if p.birthdate != birthdate:
            continue
        theirs = {p.email} | {re.sub(r"\D", "", n) for n in p.phones}
        if contacts & theirs or digits & theirs:
            raise bad_request(
                "A patient with the same name, birthdate and contact information already exists."
            )


@routes.put(r"/api/v1/patients/{pat_num:\d+}")
@requires("patients")
async def update_patient(request: web.Request) -> web.Response:
    office = request[OFFICE_KEY]
    patient = _patient(office, request)
    body = Body(await json_body(request))
    fields = _validated_fields(office, body)
    for name in ("LName", "FName"):
        # An empty string clears other string fields, but never the names.
        if (value := body.text(name)) is not None and value.strip():
            fields[name] = value.strip()
    updated = Patient.model_validate({**patient.to_wire(), **fields, "DateTStamp": office.now()})
    office.patients[patient.pat_num] = updated
    return respond(updated)
