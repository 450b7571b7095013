"""Open Dental resources as pydantic models.

Python names are snake_case; on the wire they are PascalCase (`apt_num` <-> `AptNum`), with explicit aliases for
Open Dental's derived lowercase fields (`provAbbr`, `serverDateTime`) and for `Mode_`. Unknown fields are kept
(`extra="allow"`) because Open Dental adds fields in every version. `to_wire()` gives back the exact JSON shape,
which is what the sandbox serves.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_pascal

from od_adapter.wire import BlankInt, IntList, ODBool, ODDate, ODDateTime, ODTime, ShortDate, StrInt

MINUTES_PER_PATTERN_CHAR = 5


class ODModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_pascal, validate_by_name=True, validate_by_alias=True, extra="allow"
    )

    def to_wire(self, *, exclude_none: bool = False) -> dict[str, Any]:
        """The JSON object Open Dental would send or accept for this model."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=exclude_none)


class AptStatus(StrEnum):
    SCHEDULED = "Scheduled"
    COMPLETE = "Complete"
    UNSCHED_LIST = "UnschedList"
    ASAP = "ASAP"
    BROKEN = "Broken"
    PLANNED = "Planned"
    PT_NOTE = "PtNote"
    PT_NOTE_COMPLETED = "PtNoteCompleted"

    @property
    def occupies_chair(self) -> bool:
        """Statuses that take time on the schedule, as Open Dental's own Slots search counts them."""
        return self not in (AptStatus.UNSCHED_LIST, AptStatus.PLANNED)


class PatStatus(StrEnum):
    PATIENT = "Patient"
    NON_PATIENT = "NonPatient"
    INACTIVE = "Inactive"
    ARCHIVED = "Archived"
    DELETED = "Deleted"
    DECEASED = "Deceased"
    PROSPECTIVE = "Prospective"


class SchedType(StrEnum):
    PRACTICE = "Practice"
    PROVIDER = "Provider"
    BLOCKOUT = "Blockout"
    EMPLOYEE = "Employee"
    WEB_SCHED_ASAP = "WebSchedASAP"


class CommMode(StrEnum):
    NONE = "None"
    EMAIL = "Email"
    MAIL = "Mail"
    PHONE = "Phone"
    IN_PERSON = "In Person"
    TEXT = "Text"
    EMAIL_AND_TEXT = "Email and Text"
    PHONE_AND_TEXT = "Phone and Text"


class SentOrReceived(StrEnum):
    NEITHER = "Neither"
    SENT = "Sent"
    RECEIVED = "Received"


class YesNoUnknown(StrEnum):
    UNKNOWN = "Unknown"
    YES = "Yes"
    NO = "No"


def pattern_minutes(pattern: str) -> int:
    """Every Pattern character is five minutes in the API, whatever the office's display increment."""
    return len(pattern) * MINUTES_PER_PATTERN_CHAR


# -- patients -------------------------------------------------------------------------------------------------


class PatientSummary(ODModel):
    """The reduced field set of `GET /patients` (the Patient Select search)."""

    pat_num: int
    l_name: str = ""
    f_name: str = ""
    middle_i: str = ""
    preferred: str = ""
    pat_status: PatStatus = PatStatus.PATIENT
    birthdate: ODDate = None
    address: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    hm_phone: str = ""
    wk_phone: str = ""
    wireless_phone: str = ""
    email: str = ""
    billing_type: str = ""
    chart_number: str = ""
    clinic_num: int = 0
    txt_msg_ok: YesNoUnknown = YesNoUnknown.UNKNOWN

    @property
    def phones(self) -> list[str]:
        return [p for p in (self.wireless_phone, self.hm_phone, self.wk_phone) if p]


class Patient(PatientSummary):
    gender: str = "Unknown"
    position: str = "Single"
    guarantor: int = 0
    pri_prov: int = 0
    sec_prov: int = 0
    language: str = ""
    date_first_visit: ODDate = None
    prefer_contact_method: str = "None"
    prefer_confirm_method: str = "None"
    super_family: int = 0
    date_t_stamp: ODDateTime = None
    server_date_time: ODDateTime = Field(default=None, alias="serverDateTime", exclude_if=lambda v: v is None)


class NewPatient(ODModel):
    """Body of `POST /patients`: only the names are required by Open Dental."""

    l_name: str
    f_name: str
    birthdate: ODDate = None
    gender: str | None = None
    wireless_phone: str | None = None
    txt_msg_ok: YesNoUnknown | None = None
    language: str | None = None
    guarantor: int | None = None
    position: str | None = None
    pri_prov: int | None = None
    clinic_num: int | None = None
    email: str | None = None


# -- appointments ---------------------------------------------------------------------------------------------


class Appointment(ODModel):
    apt_num: int
    pat_num: int
    apt_status: AptStatus = AptStatus.SCHEDULED
    pattern: str = "/XX/"
    confirm_def: int = Field(default=0, alias="Confirmed")
    confirmed_label: str = Field(default="", alias="confirmed")
    time_locked: ODBool = False
    op: int = 0
    note: str = ""
    prov_num: int = 0
    prov_abbr: str = Field(default="", alias="provAbbr")
    prov_hyg: int = 0
    apt_date_time: ODDateTime = None
    next_apt_num: int = 0
    unsched_status: int = 0
    is_new_patient: ODBool = False
    proc_descript: str = ""
    clinic_num: int = 0
    is_hygiene: ODBool = False
    date_t_stamp: ODDateTime = None
    appointment_type_num: int = 0
    priority: str = "Normal"
    pattern_secondary: str = ""
    sec_date_t_entry: ODDateTime = None
    """When the appointment was made (reminders leave a visit booked minutes ago alone)."""
    server_date_time: ODDateTime = Field(default=None, alias="serverDateTime", exclude_if=lambda v: v is None)

    @property
    def minutes(self) -> int:
        return pattern_minutes(self.pattern)

    @property
    def end(self) -> datetime | None:
        return self.apt_date_time + timedelta(minutes=self.minutes) if self.apt_date_time else None


class NewAppointment(ODModel):
    """Body of `POST /appointments`: PatNum, Op and AptDateTime are required."""

    pat_num: int
    op: int
    apt_date_time: ODDateTime
    pattern: str | None = None
    prov_num: int | None = None
    prov_hyg: int | None = None
    is_hygiene: ODBool | None = None
    is_new_patient: ODBool | None = None
    appointment_type_num: int | None = None
    clinic_num: int | None = None
    confirm_def: int | None = Field(default=None, alias="Confirmed")
    note: str | None = None
    priority: str | None = None


class AppointmentUpdate(ODModel):
    """Body of `PUT /appointments/{AptNum}`: a field left out is left unchanged."""

    apt_status: AptStatus | None = None
    apt_date_time: ODDateTime = None
    op: int | None = None
    pattern: str | None = None
    prov_num: int | None = None
    prov_hyg: int | None = None
    is_hygiene: ODBool | None = None
    confirm_def: int | None = Field(default=None, alias="Confirmed")
    note: str | None = None
    appointment_type_num: int | None = None
    unsched_status: int | None = None
    priority: str | None = None


class HistApptAction(StrEnum):
    CREATED = "Created"
    CHANGED = "Changed"
    MISSED = "Missed"
    CANCELLED = "Cancelled"
    DELETED = "Deleted"


class HistAppointment(Appointment):
    """A row of `GET /histappointments` (23.1.30+): a copy of the appointment as one change left it."""

    hist_appt_num: int
    hist_user_num: int = 0
    hist_date_t_stamp: ODDateTime = None
    hist_appt_action: HistApptAction = HistApptAction.CHANGED
    appt_source: str = "None"
    """Where the change came from: "None" (Open Dental itself), "EConnector" (the API), ..."""


class AppointmentType(ODModel):
    appointment_type_num: int
    appointment_type_name: str = ""
    appointment_type_color: str = Field(default="0,0,0", alias="appointmentTypeColor")
    is_hidden: ODBool = False
    pattern: str = ""
    code_str: str = ""
    code_str_required: str = ""
    required_proc_codes_needed: str = "None"
    blockout_types: str = ""

    @property
    def minutes(self) -> int:
        return pattern_minutes(self.pattern)

    @property
    def blockout_type_names(self) -> list[str]:
        return [name.strip() for name in self.blockout_types.split(",") if name.strip()]


class Slot(ODModel):
    date_time_start: ODDateTime
    date_time_end: ODDateTime
    prov_num: int
    op_num: int


# -- practice set-up ------------------------------------------------------------------------------------------


class Provider(ODModel):
    prov_num: int
    abbr: str = ""
    l_name: str = ""
    f_name: str = ""
    mi: str = Field(default="", alias="MI")
    suffix: str = ""
    specialty: int = 0
    is_secondary: ODBool = False
    prov_color: str = Field(default="0,0,0", alias="provColor")
    is_hidden: ODBool = False
    prov_status: str = "Active"
    is_not_person: ODBool = False
    preferred_name: str = ""
    date_t_stamp: ODDateTime = None

    @property
    def is_hygienist(self) -> bool:
        return self.is_secondary


class Operatory(ODModel):
    operatory_num: int
    op_name: str = ""
    abbrev: str = ""
    item_order: int = 0
    is_hidden: ODBool = False
    prov_dentist: int = 0
    prov_hygienist: int = 0
    is_hygiene: ODBool = False
    clinic_num: int = 0
    set_prospective: ODBool = False
    is_web_sched: ODBool = False


class Schedule(ODModel):
    """A Schedules row. Open Dental sends this resource's numbers as JSON strings."""

    schedule_num: StrInt
    sched_date: ODDate
    start_time: ODTime
    stop_time: ODTime
    sched_type: SchedType
    prov_num: StrInt = 0
    blockout_type: StrInt = 0
    blockout_type_name: str = Field(default="", alias="blockoutType")
    note: str = ""
    operatories: IntList = Field(default_factory=list, alias="operatories")
    employee_num: StrInt = 0
    date_t_stamp: ODDateTime = None

    @property
    def start(self) -> datetime:
        assert self.sched_date is not None
        return datetime.combine(self.sched_date, self.start_time)

    @property
    def stop(self) -> datetime:
        assert self.sched_date is not None
        return datetime.combine(self.sched_date, self.stop_time)


class Clinic(ODModel):
    clinic_num: int
    description: str = ""
    address: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    phone: str = ""
    abbr: str = ""
    is_hidden: ODBool = False


class Definition(ODModel):
    def_num: int
    item_name: str = ""
    item_value: str = ""
    category_num: int = Field(default=0, alias="Category")
    category_name: str = Field(default="", alias="category")
    is_hidden: ODBool = Field(default=False, alias="isHidden")


class Preference(ODModel):
    pref_num: int = 0
    pref_name: str
    value_string: str = ""


# -- communication --------------------------------------------------------------------------------------------


class Commlog(ODModel):
    commlog_num: int
    pat_num: int
    comm_date_time: ODDateTime = None
    comm_type: StrInt = 0
    comm_type_name: str = Field(default="", alias="commType")
    note: str = ""
    mode: CommMode = Field(default=CommMode.PHONE, alias="Mode_")
    sent_or_received: SentOrReceived = SentOrReceived.SENT
    user_num: int = 0
    date_t_stamp: ODDateTime = None
    comm_source: str = "User"
    program_num: int = 0
    date_t_entry: ODDateTime = None
    referral_num: int = 0


class NewCommlog(ODModel):
    """Body of `POST /commlogs`: PatNum and Note are required; `commType` (a name) wins over `CommType`."""

    pat_num: int
    note: str
    comm_date_time: ODDateTime = None
    comm_type: int | None = None
    comm_type_name: str | None = Field(default=None, alias="commType")
    mode: CommMode | None = Field(default=None, alias="Mode_")
    sent_or_received: SentOrReceived | None = None


# -- recalls -----------------------------------------------------------------------------------------------


class RecallType(ODModel):
    recall_type_num: int
    description: str = ""
    default_interval: str = ""
    time_pattern: str = ""
    procedures: str = ""
    append_to_special: ODBool = False


class Recall(ODModel):
    """A row of `GET /recalls` (22.4.40+): one patient's continuing care of one recall type."""

    recall_num: int
    pat_num: int
    date_due: ODDate = None
    date_previous: ODDate = None
    recall_interval: str = ""
    recall_status: int = 0
    """A definition in category 13 (RecallUnschedStatus); 0 is none."""
    recall_status_name: str = Field(default="", alias="recallStatus")
    note: str = ""
    is_disabled: ODBool = False
    date_t_stamp: ODDateTime = None
    recall_type_num: int = 0
    disable_until_balance: float = 0.0
    disable_until_date: ODDate = None
    date_scheduled: ODDate = None
    """Set once a visit for this recall is scheduled; a due recall with none is the one to offer."""
    priority: str = "Normal"
    time_pattern_override: str = ""


class RecallListItem(ODModel):
    """A row of `GET /recalls/List` (22.1+), Open Dental's Recall List: dates as `M/d/yyyy`, counts as strings."""

    due_date: ShortDate = None
    pat_num: int
    patient: str = ""
    """"Last, First" (a preferred name in quotes before the first)."""
    age: BlankInt = 0
    recall_type: str = Field(default="", alias="Type")
    interval: str = ""
    num_remind: BlankInt = 0
    last_remind: ShortDate = None
    contact: str = ""
    status: str = ""
    clinic_num: int = 0
    note: str = ""


# -- API Events ---------------------------------------------------------------------------------------------


class Subscription(ODModel):
    """An API Events subscription (`/subscriptions`, 22.1+), owned by the CustomerKey that created it."""

    subscription_num: int
    end_point_url: str = ""
    workstation: str = ""
    customer_key: str = Field(default="", repr=False)
    watch_table: str = ""
    polling_seconds: int = 0
    ui_event_type: str = ""
    date_time_start: ODDateTime = None
    date_time_stop: ODDateTime = None
    note: str = ""


class NewSubscription(ODModel):
    """Body of `POST /subscriptions`: EndPointUrl, and WatchTable with PollingSeconds for a database event."""

    end_point_url: str
    watch_table: str | None = None
    polling_seconds: int | None = None
    workstation: str | None = None
    ui_event_type: str | None = None
    date_time_start: ODDateTime = None
    date_time_stop: ODDateTime = None
    note: str | None = None


class Task(ODModel):
    """A task on one of the office's task lists (`/tasks`, 22.3.16+): how the front desk is asked to act."""

    task_num: int
    task_list_num: int
    date_task: ODDate = None
    key_num: int = 0
    descript: str = ""
    task_status: str = "New"
    is_repeating: ODBool = False
    date_type: str = "None"
    from_num: int = 0
    object_type: str = "None"
    """"None", "Patient" (KeyNum is a PatNum) or "Appointment" (KeyNum is an AptNum)."""
    date_time_entry: ODDateTime = None
    user_num: int = 0
    date_time_finished: ODDateTime = None
    priority_def_num: int = 0
    reminder_group_id: str = ""
    reminder_type: str = "NoReminder"
    reminder_frequency: int = 0
    date_time_original: ODDateTime = None
    sec_date_t_edit: ODDateTime = None
    descript_override: str = ""
    is_read_only: ODBool = False


class NewTask(ODModel):
    """Body of `POST /tasks` (22.3.17+): TaskListNum and Descript are required; a patient's task names it by
    `ObjectType` "Patient" and its PatNum as `KeyNum`."""

    task_list_num: int
    descript: str
    user_num: int | None = None
    key_num: int | None = None
    object_type: str | None = None
    priority_def_num: int | None = None
