"""Open Dental for a booking assistant: the public face of the adapter, re-exported in one place.

`bot` and `flows` import from here only (the sandbox, `od_adapter.sandbox`, is a product of its own). The
modules behind it are the adapter's business and may move. The errors' tree is drawn in `od_adapter.errors`.
"""

from od_adapter.availability import PartOfDay, Preferences
from od_adapter.book_cache import BookCache, BookChange, CacheSettings
from od_adapter.book_loader import BookLoader
from od_adapter.book_nudge import BookNudge, Nudge
from od_adapter.booking import AppointmentBook, Booked, Changed, Conflict, Lapsed, PatientRef
from od_adapter.client import OpenDentalClient, iso639_1
from od_adapter.config import (
    ApiMode,
    AppointmentTypeRule,
    BookingRules,
    CommlogSettings,
    IdentityRules,
    OdPractice,
    OpenDentalConnection,
    PermissionTier,
    Region,
    TimeZoneName,
)
from od_adapter.errors import (
    AdapterError,
    ConfigError,
    InvalidOption,
    NotAllowed,
    NotYours,
    OdBadRequest,
    OdGone,
    OdNotFound,
    OdRateLimited,
    OdRejected,
    OdTimedOut,
    OdUnauthorized,
    OdUnavailable,
    OpenDentalError,
    OutcomeUnknown,
    StillRunning,
    UnknownAppointmentType,
)
from od_adapter.events import APPOINTMENT_TABLES, ApiEvent, MalformedEvent, parse_event
from od_adapter.http import TURN_WAIT, RequestStats, TurnWait
from od_adapter.journal import Inline, Journal, reference
from od_adapter.models import (
    Appointment,
    HistAppointment,
    HistApptAction,
    NewSubscription,
    NewTask,
    Patient,
    Provider,
    Recall,
    RecallListItem,
    Subscription,
    Task,
)
from od_adapter.options import Option
from od_adapter.patients import PatientChanges, PatientDirectory, Patients
from od_adapter.phones import equivalent_numbers, normalise_stored
from od_adapter.ratelimit import (
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    WaitStats,
    in_background,
)
from od_adapter.store import KeyValueStore, MemoryStore, RedisStore

__all__ = [
    "APPOINTMENT_TABLES",
    "TURN_WAIT",
    "AdapterError",
    "ApiEvent",
    "ApiMode",
    "Appointment",
    "AppointmentBook",
    "AppointmentTypeRule",
    "BookCache",
    "BookChange",
    "BookLoader",
    "BookNudge",
    "Booked",
    "BookingRules",
    "CacheSettings",
    "Changed",
    "CommlogSettings",
    "ConfigError",
    "Conflict",
    "HistAppointment",
    "HistApptAction",
    "IdentityRules",
    "Inline",
    "InvalidOption",
    "Journal",
    "KeyValueStore",
    "Lapsed",
    "MalformedEvent",
    "MemoryRateLimiter",
    "MemoryStore",
    "NewSubscription",
    "NewTask",
    "NotAllowed",
    "NotYours",
    "Nudge",
    "OdBadRequest",
    "OdGone",
    "OdNotFound",
    "OdPractice",
    "OdRateLimited",
    "OdRejected",
    "OdTimedOut",
    "OdUnauthorized",
    "OdUnavailable",
    "OpenDentalClient",
    "OpenDentalConnection",
    "OpenDentalError",
    "Option",
    "OutcomeUnknown",
    "PartOfDay",
    "Patient",
    "PatientChanges",
    "PatientDirectory",
    "PatientRef",
    "Patients",
    "PermissionTier",
    "Preferences",
    "Provider",
    "RateLimiter",
    "Recall",
    "RecallListItem",
    "RedisRateLimiter",
    "RedisStore",
    "Region",
    "RequestStats",
    "StillRunning",
    "Subscription",
    "Task",
    "TimeZoneName",
    "TurnWait",
    "UnknownAppointmentType",
    "WaitStats",
    "equivalent_numbers",
    "in_background",
    "iso639_1",
    "normalise_stored",
    "parse_event",
    "reference",
]
