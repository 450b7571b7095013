"""One simulated Open Dental office: its tables, its clock and its row stamps.

Rows are the same pydantic models the client parses, so the sandbox serves exactly the wire format the client
expects, and golden tests pin that format to the reference's own examples. Times are office-local and naive,
like Open Dental's; every write stamps `DateTStamp` with the office's current second.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from od_adapter.models import (
    Appointment,
    AppointmentType,
    Clinic,
    Commlog,
    Definition,
    HistAppointment,
    HistApptAction,
    Operatory,
    Patient,
    Preference,
    Provider,
    Recall,
    RecallType,
    Schedule,
    Subscription,
)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class BrokenProcedure:
    """The missed/cancelled procedure (and fee) Open Dental adds when Break is given a breakType."""

    apt_num: int
    pat_num: int
    code: str
    when: datetime


@dataclass
class Office:
    name: str
    timezone: str
    clock: Clock = system_clock
    patients: dict[int, Patient] = field(default_factory=dict)
    appointments: dict[int, Appointment] = field(default_factory=dict)
    appointment_types: dict[int, AppointmentType] = field(default_factory=dict)
    providers: dict[int, Provider] = field(default_factory=dict)
    operatories: dict[int, Operatory] = field(default_factory=dict)
    schedules: dict[int, Schedule] = field(default_factory=dict)
    clinics: dict[int, Clinic] = field(default_factory=dict)
    commlogs: dict[int, Commlog] = field(default_factory=dict)
    definitions: dict[int, Definition] = field(default_factory=dict)
    preferences: dict[str, Preference] = field(default_factory=dict)
    broken_procedures: list[BrokenProcedure] = field(default_factory=list)
    recall_types: dict[int, RecallType] = field(default_factory=dict)
    recalls: dict[int, Recall] = field(default_factory=dict)
    hist_appointments: dict[int, HistAppointment] = field(default_factory=dict)
    subscriptions: dict[int, Subscription] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def now(self) -> datetime:
        """The office's wall-clock time to the second, naive, as Open Dental reports it."""
        return self.clock().astimezone(self.zone).replace(tzinfo=None, microsecond=0)

    def today(self) -> date:
        return self.now().date()

    def next_num(self, table: Mapping[int, object]) -> int:
        return max(table, default=0) + 1

    def pref(self, name: str, default: str = "") -> str:
        pref = self.preferences.get(name)
        return pref.value_string if pref else default

    def pref_bool(self, name: str) -> bool:
        return self.pref(name).strip().lower() in ("1", "true")

    def record(self, appointment: Appointment, action: HistApptAction, source: str = "EConnector") -> None:
        """Keep a HistAppointment of what a change (or a deletion) left; API writes come through the eConnector."""
        num = self.next_num(self.hist_appointments)
        self.hist_appointments[num] = HistAppointment.model_validate(
            {
                **appointment.model_dump(exclude={"server_date_time"}),
                "hist_appt_num": num,
                "hist_date_t_stamp": self.now(),
                "hist_appt_action": action,
                "appt_source": source,
            }
        )

    def definitions_in(self, category: int) -> list[Definition]:
        return [d for d in self.definitions.values() if d.category_num == category]
