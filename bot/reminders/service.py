"""Reminders for every practice: the schedulers, STOP and START, and what the rest of the product tells them
(answers written in a turn, messages WhatsApp could not deliver)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.alerts import Alert, Alerts
from bot.conversation.confirmations import office_statuses
from bot.practices import Practice
from bot.records.conversations import Conversations
from bot.records.figures import Figures, local_day
from bot.records.od_writes import OpenDentalWrites
from bot.records.outbox import OutboxRecord
from bot.reminders.ledger import Ledger
from bot.reminders.optouts import OptOuts
from bot.reminders.plan import Window
from bot.reminders.scheduler import Deliver, ReminderScheduler
from flows.context import ActionTaken
from od_adapter import AdapterError, BookCache, OpenDentalClient, PatientDirectory

logger = logging.getLogger(__name__)

UNDELIVERABLE = 131026
TEMPLATE_TROUBLE = {132015: "template_paused", 132016: "template_disabled", 132001: "template_unknown", 132000: "template_parameters"}  # fmt: skip
OUTCOMES = {"confirm": "confirmed", "reschedule": "changed", "cancel": "cancelled"}


class OptOutDesk:
    """STOP and START: the opt-out store, a commlog on each chart of the phone, and TxtMsgOk where configured."""

    def __init__(self, optouts: OptOuts, writes: OpenDentalWrites | None, conversation_of: Callable[[str, str], str]) -> None:  # fmt: skip
        self.optouts = optouts
        self.writes = writes
        self.conversation_of = conversation_of

    async def set_reminders(self, practice: Practice, user_key: str, pat_nums: list[int], *, allowed: bool) -> bool:  # fmt: skip
        pid = practice.phone_number_id
        if allowed:
            changed = await self.optouts.start(pid, user_key)
        else:
            changed = await self.optouts.stop(pid, user_key, self.conversation_of(pid, user_key))
        if changed and self.writes is not None:
            note = (
                "Patient wrote START on WhatsApp: automated reminders resume."
                if allowed
                else "Patient wrote STOP on WhatsApp: no more automated reminders (START resumes them)."
            )
            once = f"optout:{allowed}:{int(self.optouts.clock())}"
            for pat_num in pat_nums:
                await self.writes.put(pid, pat_num, note, once=once)
                if not allowed and practice.reminders.stop_sets_txt_msg_ok:
                    await self.writes.put(pid, pat_num, "No", kind="txt_msg_ok", once=once)
        return changed


@dataclass
class Reminders:
    schedulers: dict[str, ReminderScheduler]
    optouts: OptOuts
    conversations: Conversations
    writes: OpenDentalWrites | None = None
    alerts: Alerts | None = None
    figures: Figures | None = None
    """The dashboard's daily figures: visits confirmed through a reminder (the schedulers count what they send)."""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def ledger(self, practice_id: str) -> Ledger | None:
        scheduler = self.schedulers.get(practice_id)
        return scheduler.ledger if scheduler is not None else None

    async def answered(self, practice_id: str, actions: list[ActionTaken]) -> None:
        """A turn confirmed, moved or cancelled a visit: its reminders record the outcome (the confirmation rate)."""
        ledger = self.ledger(practice_id)
        if ledger is None:
            return
        for action in actions:
            if action.action not in OUTCOMES or not action.apt_num:
                continue
            now, answered = time.time(), False
            for entry in await ledger.for_visit(action.apt_num):
                if entry.state in ("sent", "answered") and not entry.outcome:
                    await ledger.save(entry.model_copy(update={"state": "answered", "outcome": OUTCOMES[action.action], "outcome_at": now}))  # fmt: skip
                    answered = True
            # Once per visit (its reminders all take the answer), and only when an entry took it: a replayed turn
            # finds them answered already and counts nothing.
            if answered and action.action == "confirm" and self.figures is not None:
                zone = self.schedulers[practice_id].practice.zone
                await self.figures.add(practice_id, local_day(now, zone), "reminders_confirmed")

    async def on_send_failed(self, record: OutboxRecord, code: int) -> None:
        """131026: no WhatsApp on this number, so staff call (a commlog) and reminders stop for a while;
        132015/132016 (a paused or disabled template) and an unknown one: the operators are alerted."""
        if code in TEMPLATE_TROUBLE and self.alerts is not None:
            await self.alerts.publish(Alert(practice_id=record.practice_id, conversation=record.conversation, reason=TEMPLATE_TROUBLE[code], at=time.time()))  # fmt: skip
        if code != UNDELIVERABLE:
            return
        conversation = await self.conversations.load(record.conversation)
        if conversation is None:
            return
        await self.optouts.undeliverable(record.practice_id, conversation.user_key, record.conversation)
        state = conversation.session.conversation
        reminded = state.reminders[-1].pat_num if state.reminders else None
        pat_num = reminded or state.patient or next(iter(state.family), 0)
        if pat_num and self.writes is not None:
            note = "WhatsApp could not deliver to this patient's number (error 131026): please call them."
            await self.writes.put(record.practice_id, pat_num, note, once=f"undeliverable:{record.id}")

    def start(self) -> None:
        for pid, scheduler in self.schedulers.items():
            self._tasks.append(asyncio.create_task(scheduler.run(), name=f"reminders-{pid}"))

    @property
    def tasks(self) -> list[asyncio.Task[None]]:
        return self._tasks


async def office_window(client: OpenDentalClient, practice: Practice) -> Window:
    """The send window: Open Dental's automated-messaging times where it has them (equal: no limit), else ours."""
    rules = practice.reminders
    if not rules.use_office_window:
        return Window.of(rules, practice.zone)
    found = {}
    for name in ("AutomaticCommunicationTimeStart", "AutomaticCommunicationTimeEnd"):
        for pref in await client.preferences(name):
            try:
                found[name] = datetime.fromisoformat(pref.value_string).time()
            except ValueError:
                continue
    start, end = found.get("AutomaticCommunicationTimeStart"), found.get("AutomaticCommunicationTimeEnd")
    if start is None or end is None or start >= end:
        return Window.of(rules, practice.zone)
    return Window.of(rules, practice.zone, start, end)


async def scheduler_for(
    practice: Practice,
    client: OpenDentalClient,
    cache: BookCache,
    directory: PatientDirectory,
    ledger: Ledger,
    optouts: OptOuts,
    deliver: Deliver,
    writes: OpenDentalWrites | None,
    *,
    clock: Callable[[], float] = time.time,
    attempts: int = 5,
    figures: Figures | None = None,
) -> ReminderScheduler:
    """A practice's scheduler, with its statuses and window read from Open Dental (three requests, once)."""
    for attempt in range(attempts):
        try:
            statuses = await office_statuses(client, practice)
            window = await office_window(client, practice)
            break
        except (AdapterError, OSError) as exc:
            if attempt == attempts - 1:
                raise
            logger.warning(
                "reminders: Open Dental's settings could not be read (%s); retrying", type(exc).__name__
            )
            await asyncio.sleep(2.0**attempt)
    scheduler = ReminderScheduler(practice, cache, directory, ledger, optouts, deliver, statuses=statuses, window=window, writes=writes, figures=figures, clock=clock)  # fmt: skip
    cache.subscribers.append(scheduler.on_changes)
    return scheduler


Starter = Callable[[], Awaitable[ReminderScheduler]]
