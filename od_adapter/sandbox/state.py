"""The sandbox's settings, its offices and keys, its throttle and its request log.

Several offices can live in one sandbox, each with its own customer keys and its own data, like several
practices behind Open Dental's one API. What the reference marks unconfirmed (throttle behaviour, overlap,
error body style) is a setting here, with the most common real-world choice as the default.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from od_adapter.sandbox.office import Clock, Office, system_clock
from od_adapter.sandbox.scale import MAX_SCALE
from od_adapter.sandbox.seed import build_office

DEVELOPER_KEY = "sandbox-dev"
ALL_PERMISSIONS = frozenset({"read", "comm", "appointments", "patients", "tasks"})
READ_ONLY = frozenset({"read"})


class ThrottleMode(StrEnum):
    DELAY = "delay"
    REJECT = "429"


class SandboxSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    throttle_mode: ThrottleMode = ThrottleMode.DELAY
    throttle_seconds: float = Field(default=1.0, ge=0)
    """Spacing for keys with write permissions (Open Dental: 1 s)."""
    readonly_throttle_seconds: float = Field(default=5.0, ge=0)
    """Spacing for Read All keys (Open Dental: 5 s)."""
    allow_overlap: bool | None = None
    """Override of the office's `ApptsAllowOverlap` preference; None keeps the preference (true in the seed)."""
    latency_ms: float = Field(default=0.0, ge=0)
    share_5xx: float = Field(default=0.0, ge=0, le=1)
    share_504: float = Field(default=0.0, ge=0, le=1)
    share_lost_response: float = Field(default=0.0, ge=0, le=1)
    """Share of writes that are carried out but answered with 504, as when the response is lost on the way."""
    timeout_seconds: float = Field(default=0.0, ge=0)
    """How long a 504 takes to arrive (Open Dental's own limit is 60 s)."""
    error_body: Literal["json", "text", "object"] = "json"
    max_limit: int = Field(default=100, ge=1, le=10000)
    offices: int = Field(default=1, ge=1, le=50)
    scale: int = Field(default=1, ge=1, le=MAX_SCALE)
    """K copies of each office's providers, operatories, patients, schedules and appointments (a large practice)."""
    fault_seed: int = 0
    workstations: list[str] = Field(default_factory=lambda: ["ODSERVER", "FRONTDESK"])
    """The office's machines running Open Dental: each sends the API Events of its subscriptions, and of
    every subscription with a blank Workstation (so those arrive once per machine, as Open Dental warns)."""
    events: bool = True
    """Send API Events on a timer (every `events_tick_seconds`); off, only `POST /_admin/events/deliver` does."""
    events_tick_seconds: float = Field(default=1.0, gt=0)


@dataclass(frozen=True)
class Grant:
    office_id: int
    permissions: frozenset[str]
    spacing: float


@dataclass
class RequestRecord:
    at: float
    office_id: int | None
    method: str
    path: str
    endpoint: str
    query: dict[str, str]
    status: int
    ms: float

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class Sandbox:
    settings: SandboxSettings
    seed: dict[str, Any]
    clock: Clock = system_clock
    offices: dict[int, Office] = field(default_factory=dict)
    log: list[RequestRecord] = field(default_factory=list)
    counters: Counter[str] = field(default_factory=Counter)
    rng: random.Random = field(default_factory=random.Random)
    _next_start: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Back to the seed: fresh offices, empty log, fault dice re-seeded."""
        name = self.seed["office"]["name"]
        self.offices = {
            i: build_office(
                self.seed,
                clock=self.clock,
                name=name if i == 1 else f"{name} #{i}",
                scale=self.settings.scale,
            )
            for i in range(1, self.settings.offices + 1)
        }
        self.log.clear()
        self.counters.clear()
        self._next_start.clear()
        self.rng = random.Random(self.settings.fault_seed)

    def grant(self, customer_key: str) -> Grant | None:
        for office_id in self.offices:
            suffix = "" if office_id == 1 else f"-{office_id}"
            if customer_key == f"sandbox-customer{suffix}":
                return Grant(office_id, ALL_PERMISSIONS, self.settings.throttle_seconds)
            if customer_key == f"sandbox-readonly{suffix}":
                return Grant(office_id, READ_ONLY, self.settings.readonly_throttle_seconds)
        return None

    def allow_overlap(self, office: Office) -> bool:
        if self.settings.allow_overlap is not None:
            return self.settings.allow_overlap
        return office.pref_bool("ApptsAllowOverlap")

    async def throttle(self, customer_key: str, spacing: float) -> float | None:
        """Hold the request for its turn (delay mode) or return the seconds to tell it to wait (429 mode)."""
        if spacing <= 0:
            return None
        now = time.monotonic()
        next_start = self._next_start.get(customer_key, 0.0)
        if self.settings.throttle_mode is ThrottleMode.REJECT:
            if now < next_start:
                return next_start - now
            self._next_start[customer_key] = now + spacing
            return None
        start = max(now, next_start)
        self._next_start[customer_key] = start + spacing
        if start > now:
            await asyncio.sleep(start - now)
        return None

    def roll(self, share: float) -> bool:
        return share > 0 and self.rng.random() < share


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
