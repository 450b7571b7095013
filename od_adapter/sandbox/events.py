"""API Events: the database events an office's Open Dental processes POST to the subscribed endpoints.

The office runs Open Dental on the workstations `SandboxSettings.workstations` names (by default the API
Service on "ODSERVER" and OpenDental.exe on "FRONTDESK"). Each one polls every `events_tick_seconds` and
processes the subscriptions that are its own (its name) or everyone's (a blank Workstation, so a blank one is
sent once per workstation: the duplicates Open Dental warns of), not expired, and due (DateTimeStart +
PollingSeconds has passed; `POST /_admin/events/deliver` polls at once and ignores PollingSeconds).

- `Appointment` sends every appointment whose DateTStamp is at or after DateTimeStart, as GET returns them.
- `AppointmentDeleted` sends the last copy of each appointment deleted since then, in the same shape (the
  reference shows no example of this body). The other tables are accepted by `/subscriptions`, never fired.

A delivery is a JSON array of at most 1000 rows per POST with `Authorization: {CustomerKey}` (the bare key),
`Workstation` and `Event-Type: WatchTable: {table}`. A 2xx answer moves DateTimeStart to the poll's time; a
failure leaves it, and the next success sends the changes of up to the last three days. A poll that finds
nothing moves DateTimeStart on too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from od_adapter.models import HistApptAction, Subscription
from od_adapter.sandbox.keys import SANDBOX_KEY
from od_adapter.sandbox.office import Office
from od_adapter.sandbox.state import Sandbox

logger = logging.getLogger(__name__)
BATCH = 1000
LOOKBACK = timedelta(days=3)
FIRED = ("Appointment", "AppointmentDeleted")
HIST_FIELDS = ("HistApptNum", "HistUserNum", "HistDateTStamp", "HistApptAction", "ApptSource")


@dataclass
class Delivery:
    at: float
    office_id: int
    subscription_num: int
    workstation: str
    watch_table: str
    url: str
    rows: int
    status: int | None
    """The endpoint's HTTP status, or None when it could not be reached."""

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class EventSender:
    """Polls the offices' subscriptions and sends their events; keeps a log of what it sent."""

    sandbox: Sandbox
    session: aiohttp.ClientSession | None = None
    log: list[Delivery] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def poll(self, *, force: bool = False) -> list[Delivery]:
        """One polling pass of every workstation over every office; `force` ignores PollingSeconds."""
        async with self._lock:  # a forced pass and the timer's never send the same rows side by side
            sent: list[Delivery] = []
            for office_id, office in self.sandbox.offices.items():
                for subscription in list(office.subscriptions.values()):
                    sent += await self._process(office_id, office, subscription, force=force)
            self.log += sent
            return sent

    async def _process(
        self, office_id: int, office: Office, subscription: Subscription, *, force: bool
    ) -> list[Delivery]:
        now = office.now()
        start = subscription.date_time_start or now
        due = force or now >= start + timedelta(seconds=subscription.polling_seconds)
        stopped = subscription.date_time_stop is not None and subscription.date_time_stop < now
        workstations = [w for w in self.sandbox.settings.workstations if subscription.workstation in ("", w)]
        if subscription.watch_table not in FIRED or stopped or not due or not workstations:
            return []
        rows = _changed(office, subscription.watch_table, max(start, now - LOOKBACK))
        deliveries = [
            await self._send(office_id, subscription, workstation, rows) for workstation in workstations
        ]
        if all(d.status is not None and 200 <= d.status < 300 for d in deliveries):
            subscription.date_time_start = now
        return [d for d in deliveries if d.rows]

    async def _send(
        self, office_id: int, subscription: Subscription, workstation: str, rows: list[dict[str, Any]]
    ) -> Delivery:
        record = Delivery(
            at=time.time(),
            office_id=office_id,
            subscription_num=subscription.subscription_num,
            workstation=workstation,
            watch_table=subscription.watch_table,
            url=subscription.end_point_url,
            rows=len(rows),
            status=200,
        )
        headers = {
            "Authorization": subscription.customer_key,
            "Workstation": workstation,
            "Event-Type": f"WatchTable: {subscription.watch_table}",
            "Content-Type": "application/json",
        }
        session = self.session
        for first in range(0, len(rows), BATCH):
            if session is None:
                session = self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
            try:
                body = json.dumps(rows[first : first + BATCH])
                async with session.post(subscription.end_point_url, data=body, headers=headers) as response:
                    record.status = response.status
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                logger.info("an API event could not be delivered: %s", type(exc).__name__)
                record.status = None
            if record.status is None or not 200 <= record.status < 300:
                break
        return record

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()


def _changed(office: Office, table: str, since: datetime) -> list[dict[str, Any]]:
    if table == "Appointment":
        rows = [
            a for a in office.appointments.values() if a.date_t_stamp is not None and a.date_t_stamp >= since
        ]
        rows.sort(key=lambda a: (a.date_t_stamp or since, a.apt_num))
        return [a.to_wire() for a in rows]
    deleted = [
        h
        for h in sorted(office.hist_appointments.values(), key=lambda h: h.hist_appt_num)
        if h.hist_appt_action is HistApptAction.DELETED
        and h.hist_date_t_stamp is not None
        and h.hist_date_t_stamp >= since
    ]
    return [{k: v for k, v in h.to_wire().items() if k not in HIST_FIELDS} for h in deleted]


EVENTS_KEY = web.AppKey("od_sandbox_events", EventSender)


async def events_ctx(app: web.Application) -> AsyncIterator[None]:
    """The workstations' polling loop, for as long as the sandbox runs."""
    sender = app[EVENTS_KEY]
    sandbox = app[SANDBOX_KEY]

    async def run() -> None:
        while True:
            await asyncio.sleep(sandbox.settings.events_tick_seconds)
            try:
                await sender.poll()
            except Exception:  # a bug in one pass must not stop the office's events for good
                logger.exception("the sandbox's event poll failed")

    task = asyncio.create_task(run(), name="od-sandbox-events") if sandbox.settings.events else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await sender.aclose()
