"""What the console does with conversations, apart from HTML: list and filter them, read one, and act on it
(take over, reply as staff, send the re-engagement template, release) under the conversation's lock, so an
operator's change and an assistant's turn never overwrite each other."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from redis.exceptions import RedisError

from bot.console.access_log import AccessLog
from bot.console.accounts import Accounts, Operator
from bot.console.sessions import Sessions
from bot.console.signin import SignInGuard
from bot.practices import Practice, PracticesFile
from bot.queue.broker import Broker
from bot.records.charts import chart_title
from bot.records.conversations import ConversationRecord, Conversations, TranscriptEntry
from bot.records.figures import Figures
from bot.records.od_writes import OpenDentalWrites
from bot.records.outbox import Outbox, OutboxRecord
from bot.reminders.ledger import Ledger
from bot.reminders.optouts import OptOuts
from bot.whatsapp import messages
from flows.session import HandoffStatus
from flows.state import Member
from od_adapter import KeyValueStore, PatientDirectory

logger = logging.getLogger(__name__)
PAGE_SIZE = 25
SCANNED = 500
FILTERS = {"all": "recent", "needs_human": "handoff", "handed_off": "handoff", "booked_today": "booked", "failed": "failed"}  # fmt: skip
LOCK_WAIT_SECONDS = 10.0


class Busy(Exception):
    """The assistant is in the middle of a turn for this conversation; try again in a moment."""


class Row(BaseModel):
    conversation: str
    practice: str
    name: str
    """The WhatsApp profile name."""
    chart: str
    """The chart name(s) on this phone, once the assistant has looked them up ("" before)."""
    phone: str
    language: str
    updated_at: float
    handoff: HandoffStatus
    needs_human: bool
    turns: int


@dataclass
class Listing:
    rows: list[Row]
    page: int
    pages: int
    total: int


@dataclass
class Query:
    filter: str = "all"
    practice: str = ""
    language: str = ""
    search: str = ""
    page: int = 1


@dataclass
class Console:
    accounts: Accounts
    access: AccessLog
    conversations: Conversations
    outbox: Outbox
    broker: Broker
    practices: PracticesFile
    session_seconds: float
    sessions: Sessions
    guard: SignInGuard
    login_key: bytes
    """Signs the sign-in form's CSRF token (derived from CONSOLE_SECRET)."""
    device_seconds: float
    od_writes: OpenDentalWrites
    """The durable queue of Open Dental writes, so staff see writes that keep failing."""
    figures: Figures
    """The practices' daily figures, for the dashboard."""
    optouts: OptOuts | None = None
    """Who asked for no reminders, for the reminders page."""
    book_store: KeyValueStore | None = None
    """The sealed store the patient sync fills (the patient directory), for chart names by PatNum."""
    by_id: Mapping[str, Practice] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = self.practices.by_phone_number_id()

    def visible(self, operator: Operator) -> list[Practice]:
        return [p for p in self.practices.practices if operator.can_see(p.phone_number_id)]

    async def listing(self, operator: Operator, query: Query) -> Listing:
        """Newest first: candidates from the per-practice index, then filters that need the record itself."""
        practices = [
            p for p in self.visible(operator) if not query.practice or p.phone_number_id == query.practice
        ]
        index = FILTERS.get(query.filter, "recent")
        candidates: list[tuple[str, float, Practice]] = []
        for practice in practices:
            listed = await self.conversations.listed(practice.phone_number_id, index, SCANNED)
            candidates += [(c, score, practice) for c, score in listed]
        candidates.sort(key=lambda c: c[1], reverse=True)
        found = await self._found(practices, query.search)
        rows = []
        for conversation, score, practice in candidates:
            if found is not None and conversation not in found:
                continue
            record = await self.conversations.load(conversation)
            if record is None or record.practice_id != practice.phone_number_id:
                continue
            row = _row(record)
            if _matches(row, score, practice, query, by_text=found is None):
                rows.append(row)
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        page = min(max(1, query.page), pages)
        return Listing(rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, pages, len(rows))

    async def _found(self, practices: list[Practice], search: str) -> set[str] | None:
        """The conversations the search index matches (None: no search, or no index to ask)."""
        charts = self.conversations.charts
        if not search.strip() or charts is None:
            return None
        found: set[str] = set()
        for practice in practices:
            found |= await charts.find(practice.phone_number_id, search) or set()
        return found

    def ledger(self, practice_id: str) -> Ledger:
        """The practice's reminder ledger (the schedulers write it, in the workers)."""
        return Ledger(self.conversations.storage, self.conversations.sealer, practice_id)

    async def chart_names(self, practice: Practice, pat_nums: set[int]) -> dict[int, str]:
        """The chart name of each PatNum the patient sync has read ("" where none is known yet)."""
        if self.book_store is None:
            return {}
        # The directory's phone token is not needed to read a chart by PatNum.
        directory = PatientDirectory(practice.od, self.book_store, lambda e164: "")
        names = {}
        for pat_num in pat_nums:
            chart = await directory.chart(pat_num)
            if chart is not None:
                first = chart.preferred or chart.f_name
                names[pat_num] = chart_title(
                    [Member(pat_num=pat_num, first_name=first, last_name=chart.l_name)]
                )
        return names

    async def open(self, operator: Operator, conversation: str) -> ConversationRecord | None:
        """The record, if it exists and this operator may see its practice (else None: not found)."""
        record = await self.conversations.load(conversation)
        if record is None or not operator.can_see(record.practice_id):
            return None
        return record

    async def transcript(self, conversation: str) -> list[TranscriptEntry]:
        return await self.conversations.transcript(conversation)

    async def take_over(self, operator: Operator, record: ConversationRecord) -> None:
        async with self._locked(record.conversation) as current:
            current.session = current.session.taken_over(operator.username, time.time())
            await self._save(current, f"Taken over by {operator.username}")
        await self.access.record(operator.username, "take_over", record.conversation, record.practice_id)
        await self._to_chart(record, "took the WhatsApp conversation over from the assistant", operator)

    async def release(self, operator: Operator, record: ConversationRecord) -> None:
        async with self._locked(record.conversation) as current:
            current.session = current.session.released()
            await self._save(current, f"Released to the assistant by {operator.username}")
        await self.access.record(operator.username, "release", record.conversation, record.practice_id)
        await self._to_chart(record, "released the WhatsApp conversation to the assistant", operator)

    async def retry(self, operator: Operator, record: ConversationRecord) -> int:
        """The conversation's dead letters go back on the queue; the access log says who did it."""
        count = await self.broker.revive(record.conversation)
        await self.access.record(operator.username, "retry", record.conversation, record.practice_id)
        return count

    async def reply(self, operator: Operator, record: ConversationRecord, text: str) -> OutboxRecord:
        """Staff's own words, inside the 24-hour window; replying takes the conversation over."""
        to = messages.recipient(record.user_key)
        return await self._send(operator, record, messages.text(to, text.strip()[:4096]), "reply")

    async def send_template(self, operator: Operator, record: ConversationRecord) -> OutboxRecord:
        practice = self.by_id[record.practice_id]
        name = practice.handoff.reengagement_template
        if name is None:
            raise ValueError("this practice has no re-engagement template configured")
        body = messages.template(
            messages.recipient(record.user_key), name, practice.handoff.template_language
        )
        return await self._send(operator, record, body, "template")

    def window_open(self, record: ConversationRecord) -> bool:
        return time.time() < record.window_open_until()

    async def _send(
        self, operator: Operator, record: ConversationRecord, body: dict[str, Any], action: str
    ) -> OutboxRecord:
        async with self._locked(record.conversation) as current:
            current.session = current.session.taken_over(operator.username, time.time())
            await self._save(current, None)
            reply = OutboxRecord(
                id=f"staff:{uuid.uuid4().hex}",
                conversation=current.conversation,
                practice_id=current.practice_id,
                body=body,
                window_until=current.window_open_until(),
                by=operator.username,
            )
            await self.outbox.record([reply])
        await self.access.record(operator.username, action, record.conversation, record.practice_id)
        sent = await self.outbox.deliver(reply.id) or reply
        what = _sent_text(body)
        await self._to_chart(record, f"replied on WhatsApp: {what}", operator, sent=True)
        return sent

    async def _to_chart(
        self, record: ConversationRecord, what: str, operator: Operator, *, sent: bool = False
    ) -> None:
        """What staff did, as a commlog on the patient's chart for whoever works from Open Dental; through the
        durable write queue, so a slow or absent Open Dental never holds the console up."""
        conversation = record.session.conversation
        pat_num = conversation.patient or next(iter(conversation.family), None)
        practice = self.by_id.get(record.practice_id)
        if pat_num is None or practice is None:
            return  # nobody on a chart yet: the transcript is the only record
        at = datetime.now(practice.zone).strftime("%Y-%m-%d %H:%M:%S %Z")
        note = f"{at}, staff {operator.username} {what}"
        try:
            await self.od_writes.put(
                record.practice_id, pat_num, note, sent=sent, comm_type=practice.handoff.comm_type
            )
        except (OSError, RedisError) as exc:  # the action is done; only its copy on the chart is missing
            logger.warning("console could not queue the chart's commlog: %s", type(exc).__name__)

    async def _save(self, record: ConversationRecord, note: str | None) -> None:
        if note:
            await self.conversations.add(
                record.conversation, [TranscriptEntry(at=time.time(), direction="note", text=note)]
            )
        await self.conversations.save(record)
        await self.conversations.touch(record, [], handed_off=record.session.handoff.active)

    @contextlib.asynccontextmanager
    async def _locked(self, conversation: str) -> AsyncIterator[ConversationRecord]:
        token = uuid.uuid4().hex
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while not await self.broker.lock(conversation, token, int(LOCK_WAIT_SECONDS * 1000)):
            if time.monotonic() > deadline:
                raise Busy(conversation)
            await asyncio.sleep(0.1)
        try:
            record = await self.conversations.load(conversation)
            if record is None:
                raise Busy(conversation)
            yield record
        finally:
            await self.broker.unlock(conversation, token)


def _sent_text(body: dict[str, Any]) -> str:
    """The words staff sent, as the chart shows them: the text, or the template's name."""
    if body.get("type") == "template":
        return f'the "{body.get("template", {}).get("name", "")}" template'
    return str(body.get("text", {}).get("body", ""))


def _row(record: ConversationRecord) -> Row:
    status = record.session.handoff
    return Row(
        conversation=record.conversation,
        practice=record.practice_id,
        name=record.name,
        chart=chart_title(record.session.conversation.members),
        phone=record.user_key,
        language=record.session.conversation.language or "",
        updated_at=record.updated_at,
        handoff=status,
        needs_human=status.active and record.last_inbound_at > status.last_staff_at,
        turns=record.turns,
    )


def _matches(row: Row, score: float, practice: Practice, query: Query, *, by_text: bool) -> bool:
    if query.filter == "needs_human" and not row.needs_human:
        return False
    if query.filter == "handed_off" and not row.handoff.active:
        return False
    if query.filter == "booked_today":
        midnight = datetime.now(practice.zone).replace(hour=0, minute=0, second=0, microsecond=0)
        if score < midnight.timestamp():
            return False
    if query.language and row.language != query.language:
        return False
    if query.search and by_text:  # no search index (a test's bare Conversations): match the profile name
        needle = query.search.strip().lower()
        digits = "".join(ch for ch in needle if ch.isdecimal())
        if needle not in row.name.lower() and not (digits and digits in row.phone):
            return False
    return True


def trace_summary(raw: str) -> str:
    """One line for a turn's trace: what was understood, the graph path, the Open Dental writes."""
    try:
        trace = json.loads(raw)
    except ValueError:
        return raw
    understood = ", ".join(f"{k}={v}" for k, v in (trace.get("understood") or {}).items()) or "nothing"
    parts = [f"understood {understood}", "path " + " → ".join(trace.get("path") or [])]
    for action in trace.get("actions") or []:
        commlog = f", CommlogNum {action['commlog_num']}" if action.get("commlog_num") else ""
        what = (
            f"AptNum {action['apt_num']}" if action.get("apt_num") else f"PatNum {action.get('pat_num', '-')}"
        )
        parts.append(f"{action['action']} {what}{commlog}")
    return " · ".join(parts)
