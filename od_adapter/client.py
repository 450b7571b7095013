"""The typed Open Dental client: one method per operation the product needs.

Build it with `OpenDentalClient.for_practice(connection, limiter)`, use it as an async context manager, and get
pydantic models back. Times are naive office-local datetimes, as Open Dental sends them.
"""

from __future__ import annotations

import ssl
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
import pycountry
from pydantic import BaseModel, SecretStr

from od_adapter import phones
from od_adapter.config import OpenDentalConnection
from od_adapter.http import OdHttp, Params, RequestStats, RetryPolicy
from od_adapter.models import (
    Appointment,
    AppointmentType,
    AppointmentUpdate,
    AptStatus,
    Clinic,
    Commlog,
    Definition,
    HistAppointment,
    HistApptAction,
    NewAppointment,
    NewCommlog,
    NewPatient,
    NewSubscription,
    NewTask,
    Operatory,
    Patient,
    PatientSummary,
    Preference,
    Provider,
    Recall,
    RecallListItem,
    SchedType,
    Schedule,
    Slot,
    Subscription,
    Task,
    YesNoUnknown,
)
from od_adapter.ratelimit import RateLimiter
from od_adapter.wire import format_date, format_datetime

M = TypeVar("M", bound=BaseModel)

CONFIRM_VALUES = ("None", "Sent", "Confirmed", "Not Accepted", "Failed")
RECALL_COMMLOG_MODES = ("None", "Email", "Mail", "Phone", "InPerson", "Text", "EmailAndText", "PhoneAndText")
BREAK_TYPES = ("Missed", "Cancelled")


def iso639_2(language: str) -> str:
    """Open Dental's `Language` is ISO 639-2 ("eng", "spa"); accept a two-letter code or a three-letter one."""
    code = language.strip().lower()
    if len(code) == 3:
        return code
    found = pycountry.languages.get(alpha_2=code)
    if found is None:
        raise ValueError(f"unknown language {language!r}")
    return str(found.alpha_3)


def iso639_1(language: str) -> str | None:
    """A chart's `Language` ("spa", "fre", "Spanish") as a two-letter code, or None when it names none."""
    code = language.strip()
    if not code:
        return None
    found = (
        pycountry.languages.get(alpha_3=code.lower())
        or pycountry.languages.get(bibliographic=code.lower())
        or pycountry.languages.get(name=code.title())
    )
    return getattr(found, "alpha_2", None)


class OpenDentalClient:
    def __init__(self, http: OdHttp, *, page_limit: int = 100) -> None:
        self._http = http
        self.page_limit = page_limit

    @classmethod
    def for_practice(
        cls,
        connection: OpenDentalConnection,
        limiter: RateLimiter,
        *,
        keys: tuple[SecretStr, SecretStr] | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> OpenDentalClient:
        """A client on the practice's connection; pass one `tls` context to every practice's client, as it is
        the bulk of a client's memory and start-up time."""
        developer_key, customer_key = keys or connection.keys()
        http = OdHttp(
            base_url=connection.url,
            developer_key=developer_key,
            customer_key=customer_key,
            limiter=limiter,
            spacing=connection.spacing_seconds,
            timeout=connection.timeout_seconds,
            retry=retry or RetryPolicy(attempts=connection.max_retries + 1),
            transport=transport,
            tls=tls,
        )
        return cls(http, page_limit=connection.page_limit)

    @property
    def stats(self) -> RequestStats:
        return self._http.stats

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- helpers ----------------------------------------------------------------------------------------------

    async def _list(self, model: type[M], path: str, params: Params | None = None) -> list[M]:
        rows = await self._http.get_all(path, params, self.page_limit)
        return [model.model_validate(row) for row in rows]

    async def _get(self, model: type[M], path: str, params: Params | None = None) -> M:
        return model.model_validate(await self._http.request("GET", path, params=params, idempotent=True))

    async def _write(self, method: str, path: str, body: dict[str, Any], *, idempotent: bool) -> Any:
        return await self._http.request(method, path, json=body, idempotent=idempotent)

    # -- patients ---------------------------------------------------------------------------------------------

    async def find_patients_by_phone(self, wa_id: str, region: str) -> list[PatientSummary]:
        """Patients whose stored phones are this WhatsApp number; a family can share one phone."""
        found = await self._list(PatientSummary, "patients", {"Phone": phones.search_digits(wa_id)})
        return [p for p in found if any(phones.matches(stored, wa_id, region) for stored in p.phones)]

    async def get_patient(self, pat_num: int) -> Patient:
        return await self._get(Patient, f"patients/{pat_num}")

    async def search_patients(
        self,
        *,
        last_name: str | None = None,
        first_name: str | None = None,
        birthdate: date | None = None,
        guarantor: int | None = None,
        date_t_stamp: datetime | None = None,
    ) -> list[Patient]:
        """`GET /patients/Simple`: names match partially, the birthdate exactly."""
        params = {
            "LName": last_name,
            "FName": first_name,
            "Birthdate": format_date(birthdate) if birthdate else None,
            "Guarantor": guarantor,
            "DateTStamp": format_datetime(date_t_stamp) if date_t_stamp else None,
        }
        return await self._list(Patient, "patients/Simple", params)

    async def create_patient(
        self,
        *,
        first_name: str,
        last_name: str,
        birthdate: date | None,
        wa_id: str | None,
        region: str,
        language: str,
        guarantor: int | None = None,
    ) -> Patient:
        """Create a patient reachable by text on this WhatsApp number (None: a user Meta gives no number for).

        A replay can create a duplicate, so no retry."""
        body = NewPatient(
            f_name=first_name.strip(),
            l_name=last_name.strip(),
            birthdate=birthdate,
            wireless_phone=phones.format_for_practice(wa_id, region) if wa_id else None,
            txt_msg_ok=YesNoUnknown.YES if wa_id else None,
            language=iso639_2(language),
            guarantor=guarantor,
            position="Child" if guarantor else None,
        )
        data = await self._write("POST", "patients", body.to_wire(exclude_none=True), idempotent=False)
        return Patient.model_validate(data)

    # -- practice set-up --------------------------------------------------------------------------------------

    async def set_txt_msg_ok(self, pat_num: int, value: str) -> Patient:
        """`PUT /patients/{PatNum}` with only `TxtMsgOk` ("Yes", "No", "Unknown"): a STOP on WhatsApp."""
        if value not in ("Yes", "No", "Unknown"):
            raise ValueError("TxtMsgOk is Yes, No or Unknown")
        data = await self._write("PUT", f"patients/{pat_num}", {"TxtMsgOk": value}, idempotent=True)
        return Patient.model_validate(data)

    async def providers(self) -> list[Provider]:
        return await self._list(Provider, "providers")

    async def operatories(self) -> list[Operatory]:
        return await self._list(Operatory, "operatories")

    async def appointment_types(self) -> list[AppointmentType]:
        return await self._list(AppointmentType, "appointmenttypes")

    async def clinics(self) -> list[Clinic]:
        return await self._list(Clinic, "clinics")

    async def definitions(
        self, category: int | None = None, *, include_hidden: bool = False
    ) -> list[Definition]:
        params = {"Category": category, "includeHidden": "true" if include_hidden else None}
        return await self._list(Definition, "definitions", params)

    async def preferences(self, name: str | None = None) -> list[Preference]:
        return await self._list(Preference, "preferences", {"PrefName": name})

    async def schedules(
        self,
        start: date,
        end: date,
        *,
        sched_type: SchedType | None = None,
        prov_num: int | None = None,
    ) -> list[Schedule]:
        params = {
            "dateStart": format_date(start),
            "dateEnd": format_date(end),
            "SchedType": sched_type.value if sched_type else None,
            "ProvNum": prov_num,
        }
        return await self._list(Schedule, "schedules", params)

    # -- appointments -----------------------------------------------------------------------------------------

    async def appointments(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        pat_num: int | None = None,
        op: int | None = None,
        status: AptStatus | None = None,
        changed_since: datetime | None = None,
        clinic_num: int | None = None,
    ) -> list[Appointment]:
        """`GET /appointments`, every page. `changed_since` is the previous `serverDateTime` (a DateTStamp)."""
        params = {
            "dateStart": format_date(start) if start else None,
            "dateEnd": format_date(end) if end else None,
            "PatNum": pat_num,
            "Op": op,
            "AptStatus": status.value if status else None,
            "DateTStamp": format_datetime(changed_since) if changed_since else None,
            "ClinicNum": clinic_num,
        }
        return await self._list(Appointment, "appointments", params)

    async def get_appointment(self, apt_num: int) -> Appointment:
        return await self._get(Appointment, f"appointments/{apt_num}")

    async def slots(
        self,
        start: date,
        end: date,
        *,
        prov_num: int | None = None,
        op_num: int | None = None,
        length_minutes: int | None = None,
    ) -> list[Slot]:
        params = {
            "dateStart": format_date(start),
            "dateEnd": format_date(end),
            "ProvNum": prov_num,
            "OpNum": op_num,
            "lengthMinutes": length_minutes,
        }
        return await self._list(Slot, "appointments/Slots", params)

    async def web_sched_slots(
        self,
        start: date,
        end: date,
        *,
        def_num: int,
        new_patient: bool = False,
        clinic_num: int | None = None,
    ) -> list[Slot]:
        """`GET /appointments/SlotsWebSched`: fixed-length slots for a Web Sched appointment type."""
        params: Params = {
            "dateStart": format_date(start),
            "dateEnd": format_date(end),
            "defNumApptType": def_num,
            "isNewPatient": "true" if new_patient else "false",
            "ClinicNum": clinic_num,
        }
        return await self._list(Slot, "appointments/SlotsWebSched", params)

    async def create_appointment(self, appointment: NewAppointment) -> Appointment:
        """`POST /appointments`. Never retried blindly: on `outcome_unknown` the caller must look it up first."""
        data = await self._write(
            "POST", "appointments", appointment.to_wire(exclude_none=True), idempotent=False
        )
        return Appointment.model_validate(data)

    async def update_appointment(self, apt_num: int, changes: AppointmentUpdate) -> Appointment:
        data = await self._write(
            "PUT", f"appointments/{apt_num}", changes.to_wire(exclude_none=True), idempotent=True
        )
        return Appointment.model_validate(data)

    async def break_appointment(
        self, apt_num: int, *, send_to_unscheduled_list: bool = True, break_type: str | None = None
    ) -> None:
        """Break a Scheduled appointment. A breakType adds a missed/cancelled procedure (and its fee)."""
        if break_type is not None and break_type not in BREAK_TYPES:
            raise ValueError(f"breakType must be one of {BREAK_TYPES}")
        body: dict[str, Any] = {"sendToUnscheduledList": "true" if send_to_unscheduled_list else "false"}
        if break_type:
            body["breakType"] = break_type
        # A second Break of the same appointment fails ("only Scheduled"), so it is not replayed after a 5xx.
        await self._write("PUT", f"appointments/{apt_num}/Break", body, idempotent=False)

    async def confirm_appointment(
        self, apt_num: int, *, confirm_val: str | None = None, def_num: int | None = None
    ) -> None:
        """Set the confirmation status by one of `confirmVal` or a category-2 `defNum`."""
        if (confirm_val is None) == (def_num is None):
            raise ValueError("give exactly one of confirm_val and def_num")
        if confirm_val is not None and confirm_val not in CONFIRM_VALUES:
            raise ValueError(f"confirmVal must be one of {CONFIRM_VALUES}")
        body = {"confirmVal": confirm_val} if confirm_val is not None else {"defNum": def_num}
        await self._write("PUT", f"appointments/{apt_num}/Confirm", body, idempotent=True)

    async def append_appointment_note(self, apt_num: int, note: str) -> None:
        """Append a line to the appointment's note; appending is not idempotent, so no blind retry."""
        await self._write("PUT", f"appointments/{apt_num}/Note", {"Note": note}, idempotent=False)

    # -- commlogs ---------------------------------------------------------------------------------------------

    async def create_commlog(self, commlog: NewCommlog) -> Commlog:
        data = await self._write("POST", "commlogs", commlog.to_wire(exclude_none=True), idempotent=False)
        return Commlog.model_validate(data)

    async def create_task(self, task: NewTask) -> Task:
        data = await self._write("POST", "tasks", task.to_wire(exclude_none=True), idempotent=False)
        return Task.model_validate(data)

    async def patient_tasks(self, pat_num: int) -> list[Task]:
        return await self._list(Task, "tasks", {"ObjectType": "Patient", "KeyNum": pat_num})

    async def commlogs(self, pat_num: int, *, changed_since: datetime | None = None) -> list[Commlog]:
        params = {
            "PatNum": pat_num,
            "DateTStamp": format_datetime(changed_since) if changed_since else None,
        }
        return await self._list(Commlog, "commlogs", params)

    # -- the ASAP list, recalls and history -------------------------------------------------------------------

    async def asap_appointments(
        self, *, clinic_num: int | None = None, prov_num: int | None = None
    ) -> list[Appointment]:
        """`GET /appointments/ASAP`: appointments whose Priority is ASAP (ClinicNum is required with clinics)."""
        params = {"ClinicNum": clinic_num, "ProvNum": prov_num}
        return await self._list(Appointment, "appointments/ASAP", params)

    async def recalls(self, pat_num: int | None = None) -> list[Recall]:
        """`GET /recalls` (22.4.40+): a patient's recalls, or every recall; `date_scheduled` says if booked."""
        return await self._list(Recall, "recalls", {"PatNum": pat_num})

    async def recall_list(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        prov_num: int | None = None,
        clinic_num: int | None = None,
        recall_type: str | None = None,
        include_reminded: bool = False,
    ) -> list[RecallListItem]:
        """`GET /recalls/List`: Open Dental's Recall List (due, unscheduled); dates default to the office's prefs."""
        params = {
            "DateStart": format_date(start) if start else None,
            "DateEnd": format_date(end) if end else None,
            "ProvNum": prov_num,
            "ClinicNum": clinic_num,
            "RecallType": recall_type,
            "IncludeReminded": "true" if include_reminded else None,
        }
        return await self._list(RecallListItem, "recalls/List", params)

    async def set_recall_status(
        self,
        pat_num: int,
        recall_type: str,
        *,
        status_def_num: int | None = None,
        commlog_mode: str | None = None,
        commlog_note: str | None = None,
    ) -> None:
        """`PUT /recalls/Status`: the recall reminder's status (category 13, 0 for none); Open Dental also writes
        a Recall commlog, so a replay would log twice: no blind retry."""
        if commlog_mode is not None and commlog_mode not in RECALL_COMMLOG_MODES:
            raise ValueError(f"commlogMode must be one of {RECALL_COMMLOG_MODES}")
        body: dict[str, Any] = {"PatNum": pat_num, "recallType": recall_type}
        for name, value in (
            ("RecallStatus", status_def_num),
            ("commlogMode", commlog_mode),
            ("commlogNote", commlog_note),
        ):
            if value is not None:
                body[name] = value
        await self._write("PUT", "recalls/Status", body, idempotent=False)

    async def hist_appointments(
        self,
        *,
        since: datetime,
        action: HistApptAction | None = None,
        apt_num: int | None = None,
        pat_num: int | None = None,
    ) -> list[HistAppointment]:
        """`GET /histappointments` (23.1.30+): appointment changes at or after `since` (office-local), oldest
        first; e.g. `action=HistApptAction.DELETED` for deletions, which no DateTStamp read shows."""
        params = {
            "dateStart": format_date(since.date()),
            "HistApptAction": action.value if action else None,
            "AptNum": apt_num,
            "PatNum": pat_num,
        }
        rows = await self._list(HistAppointment, "histappointments", params)
        return [h for h in rows if h.hist_date_t_stamp is not None and h.hist_date_t_stamp >= since]

    # -- API Events subscriptions -----------------------------------------------------------------------------

    async def subscriptions(self) -> list[Subscription]:
        """`GET /subscriptions`: this CustomerKey's subscriptions."""
        return await self._list(Subscription, "subscriptions")

    async def create_subscription(self, subscription: NewSubscription) -> Subscription:
        """`POST /subscriptions`. A replay would subscribe twice, so no blind retry: list first."""
        data = await self._write(
            "POST", "subscriptions", subscription.to_wire(exclude_none=True), idempotent=False
        )
        return Subscription.model_validate(data)

    async def delete_subscription(self, subscription_num: int) -> None:
        """`DELETE /subscriptions/{SubscriptionNum}`; a replay after a lost answer gets OdNotFound."""
        await self._http.request("DELETE", f"subscriptions/{subscription_num}", idempotent=True)
