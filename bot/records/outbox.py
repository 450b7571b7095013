"""The outbox: replies are recorded durably with the turn, then sent, retried per error code, and tracked.

Each record's id comes from the turn, so a replayed turn finds its replies already recorded (and sent ones are
never sent again). Meta's API has no idempotency, so a sender that dies after Meta accepted a message and before
recording its wamid would leave a duplicate behind. Every send therefore marks the record first and carries its id
in `biz_opaque_callback_data`, which Meta echoes in the message's status webhooks: a record found marked but
unrecorded is adopted when such a status arrived, and sent again only when none came within a grace period.
Free-form replies are only sent inside the 24-hour window (outside it a record is marked `needs_template`);
templates go out at any time.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from redis.exceptions import RedisError

from bot.monitoring.metrics import Metrics
from bot.records.conversations import Choice, Conversations, TranscriptEntry
from bot.records.crypto import Sealer
from bot.records.figures import Figures, local_day
from bot.records.storage import Storage
from bot.whatsapp.cloud_api import CloudApiClient, CloudApiError
from bot.whatsapp.events import StatusEvent
from bot.whatsapp.pricing import WhatsAppPricing

logger = logging.getLogger(__name__)

RECORD_TTL = 30 * 24 * 3600
CONFIRMED_TTL = 24 * 3600
"""Meta's proof that a send went out matters only to a sender that died mid-send: minutes, not weeks."""
PERSIST_ATTEMPTS = 8  # about 30 s of backoff: longer than a Redis restart takes
DUE = "outbox:due"
DELIVERY_ORDER = {"sent": 1, "delivered": 2, "read": 3, "played": 3}
MAX_BACKOFF = 300.0
CALLBACK_PREFIX = "outbox:"
FALLBACK_FIELD = "_template_fallback"
"""In a reply's body from a turn: the template to send instead when the window is closed (or Meta says 131047)."""
EXPIRES_FIELD = "_expires_at"
"""In a reply's body from a turn: when it stops being worth sending (a reminder's time-to-live)."""
WINDOW_CLOSED = 131047
FailureHook = Callable[["OutboxRecord", int], Awaitable[None]]


class OutboxRecord(BaseModel):
    id: str
    conversation: str
    practice_id: str
    body: dict[str, Any]
    window_until: float
    state: Literal["pending", "sent", "failed", "needs_template"] = "pending"
    wamid: str = ""
    attempts: int = 0
    error_code: int | None = None
    delivery: str = ""
    created_at: float = 0.0
    sending_since: float = 0.0
    """When the last send began; set while it is under way, so a sender that died mid-send is noticed."""
    by: str = ""
    """The operator who wrote it; empty for the assistant."""
    fallback: dict[str, Any] | None = None
    """A template to send instead of a free-form body the window no longer allows (a reminder's)."""
    expires_at: float = 0.0
    """Not sent after this (0: no limit)."""

    @classmethod
    def reply(cls, id: str, conversation: str, practice_id: str, body: dict[str, Any], window_until: float) -> OutboxRecord:  # fmt: skip
        """A turn's reply, with the directives the turn put in its body taken out of it."""
        body = dict(body)
        fallback, expires_at = body.pop(FALLBACK_FIELD, None), body.pop(EXPIRES_FIELD, 0.0)
        return cls(id=id, conversation=conversation, practice_id=practice_id, body=body, window_until=window_until, fallback=fallback, expires_at=float(expires_at))  # fmt: skip


class Outbox:
    def __init__(
        self,
        storage: Storage,
        sealer: Sealer,
        cloud_api: CloudApiClient,
        conversations: Conversations,
        *,
        max_attempts: int = 6,
        base_backoff: float = 1.0,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
        sending_claim: float = 30.0,
        unconfirmed_grace: float = 15.0,
        zones: Mapping[str, ZoneInfo] | None = None,
        pricing: Mapping[str, WhatsAppPricing] | None = None,
    ) -> None:
        self.zones = dict(zones or {})
        """Each practice's time zone, so a message's cost lands on the practice's day in its dashboard."""
        self.pricing = dict(pricing or {})
        """Each practice's WhatsApp rates, which price its charged messages as their statuses arrive."""
        self.storage = storage
        self.sealer = sealer
        self.cloud_api = cloud_api
        self.conversations = conversations
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.clock = clock
        self.metrics = metrics
        # How long a sender holds a record: one that died mid-send frees it after this long.
        self.sending_claim = sending_claim
        # How long to wait for Meta's status on a send whose sender died, before sending it again.
        self.unconfirmed_grace = unconfirmed_grace
        self.failure_hooks: list[FailureHook] = []
        """Told of each message that failed for good, with Meta's error code (reminders: 131026, 132015...)."""

    async def record(self, records: list[OutboxRecord]) -> None:
        """Record replies once: a record that exists (perhaps already sent) is left as it is."""
        for record in records:
            record.created_at = record.created_at or self.clock()
            await self.storage.claim(f"outbox:{record.id}", self._seal(record), RECORD_TTL)
            # Indexed even when the record existed: a crash (or Redis going away) between the two writes must
            # not leave a reply that nothing will ever send. A record already sent is dropped by `deliver`.
            await self.storage.index_add(DUE, record.id, record.created_at)

    async def load(self, record_id: str) -> OutboxRecord | None:
        raw = await self.storage.get(f"outbox:{record_id}")
        return OutboxRecord.model_validate_json(self.sealer.open(raw)) if raw else None

    async def deliver(self, record_id: str) -> OutboxRecord | None:
        """Send one pending record now, unless another worker is sending it."""
        if not await self.storage.claim(f"outbox-sending:{record_id}", b"1", self.sending_claim):
            return None
        try:
            record = await self.load(record_id)
            if record is None or record.state != "pending":
                await self.storage.index_remove(DUE, record_id)
                return record
            if record.sending_since and not await self._settle_interrupted(record):
                return record
            await self._send(record)
            return record
        finally:
            await self.storage.delete(f"outbox-sending:{record_id}")

    async def _settle_interrupted(self, record: OutboxRecord) -> bool:
        """A send whose sender died: adopt it if Meta's status says it went out; True when it should go again."""
        confirmed = await self.storage.get(f"outbox-confirmed:{record.id}")
        if confirmed is not None:
            record.wamid, record.state, record.sending_since = confirmed.decode(), "sent", 0.0
            await self.storage.set(f"outbox-wamid:{record.wamid}", record.id.encode(), RECORD_TTL)
            await self._finish(record, "")
            return False
        retry_at = record.sending_since + self.unconfirmed_grace
        if self.clock() < retry_at:
            await self.storage.index_add(DUE, record.id, retry_at)
            return False
        logger.info("a send was interrupted and no status confirmed it; sending it again")
        return True

    async def deliver_due(self) -> int:
        """Send what is due (new records a crash left unsent, and retries whose time has come)."""
        due = await self.storage.index_due(DUE, self.clock())
        for record_id in due:
            await self.deliver(record_id)
        return len(due)

    async def _send(self, record: OutboxRecord) -> None:
        if record.expires_at and self.clock() > record.expires_at:
            record.state = "failed"
            await self._finish(record, "not sent: its time-to-live passed (too late to be useful)")
            return
        if self.clock() > record.window_until and record.body.get("type") != "template":
            if record.fallback is None:
                record.state = "needs_template"
                await self._finish(record, "outside the 24-hour window: a template is needed")
                return
            record.body, record.fallback = record.fallback, None
        record.attempts += 1
        record.sending_since = self.clock()
        await self._save(record)
        body = {**record.body, "biz_opaque_callback_data": f"{CALLBACK_PREFIX}{record.id}"}
        try:
            record.wamid = await self.cloud_api.send(record.practice_id, body)
        except CloudApiError as exc:
            record.error_code, record.sending_since = exc.code, 0.0
            if self.metrics is not None:
                self.metrics.sends.labels("error", str(exc.code)).inc()
            if exc.code == WINDOW_CLOSED and record.fallback is not None:
                record.body, record.fallback = record.fallback, None  # the window closed: the template goes
                await self._save(record)
                await self.storage.index_add(DUE, record.id, self.clock())
                return
            if exc.retryable and record.attempts < self.max_attempts:
                await self._save(record)
                await self.storage.index_add(DUE, record.id, self.clock() + self._backoff(record, exc.code))
                logger.info("send failed with %s, retry %d scheduled", exc.code, record.attempts)
                return
            record.state = "failed"
            await self._finish(record, f"send failed: WhatsApp error {exc.code}")
            await self._failed(record, exc.code)
            return
        record.state, record.sending_since = "sent", 0.0
        if self.metrics is not None:
            self.metrics.sends.labels("sent", "").inc()
        await self._remember_sent(record)

    async def _remember_sent(self, record: OutboxRecord) -> None:
        """Meta has the message: keep trying to record that while Redis is briefly away (a restart), since a
        record left "sending" is sent again after the grace period, and the patient would get it twice."""
        for attempt in range(PERSIST_ATTEMPTS):
            try:
                # For a status that comes without the callback data (statuses name the record by it).
                await self.storage.set(f"outbox-wamid:{record.wamid}", record.id.encode(), RECORD_TTL)
                await self._finish(record, "")
                return
            except (RedisError, OSError) as exc:
                if attempt == PERSIST_ATTEMPTS - 1:
                    raise
                logger.warning("could not record a sent message (%s); trying again", type(exc).__name__)
                await asyncio.sleep(min(0.25 * 2**attempt, 4.0))

    def _backoff(self, record: OutboxRecord, code: int) -> float:
        if code == 131056:  # the per-user pair limit: Meta asks for 4^X seconds
            return min(MAX_BACKOFF, 4.0 ** (record.attempts - 1) * self.base_backoff)
        delay: float = self.base_backoff * 2 ** (record.attempts - 1)
        return min(MAX_BACKOFF, delay * (0.5 + random.random()))

    async def _finish(self, record: OutboxRecord, note: str) -> None:
        await self._save(record)
        await self.storage.index_remove(DUE, record.id)
        entry = TranscriptEntry(
            at=self.clock(),
            direction="out" if record.state == "sent" else "note",
            type=str(record.body.get("type", "")),
            text=_text_of(record.body) if record.state == "sent" else note,
            wamid=record.wamid,
            status=record.state,
            turn=record.id,
            by=record.by,
            choices=_choices_of(record.body),
            button=str(record.body.get("interactive", {}).get("action", {}).get("button", "")),
        )
        await self.conversations.add(record.conversation, [entry])
        if record.state != "sent":
            await self.conversations.flag(record.practice_id, record.conversation, "failed", self.clock())

    async def _bill(self, practice_id: str, day: date, category: str) -> None:
        """Count a charged message, and add its price at the practice's rate today (none set: counted only)."""
        figures = Figures(self.storage)
        await figures.add(practice_id, day, f"whatsapp:{category}")
        pricing = self.pricing.get(practice_id)
        micros = pricing.micros(category) if pricing is not None else None
        if pricing is not None and micros is not None:
            await figures.add(practice_id, day, f"whatsapp_cost:{pricing.currency}:{category}", micros)
        else:
            await figures.add(practice_id, day, f"whatsapp_unpriced:{category}")

    async def apply_status(self, event: StatusEvent) -> OutboxRecord | None:
        """Record a delivery status on the message it is about; a later `failed` (131047 ...) is kept too."""
        record = await self._sent_as(event)
        if record is None:
            return None
        if event.billable and await self.storage.claim(f"figures-billed:{event.wamid}", b"1", RECORD_TTL):
            zone = self.zones.get(record.practice_id, ZoneInfo("UTC"))
            day = local_day(event.timestamp or self.clock(), zone)
            await self._bill(record.practice_id, day, event.category or "other")
        if event.status == "failed":
            record.state, record.delivery = "failed", "failed"
            record.error_code = event.error_codes[0] if event.error_codes else record.error_code
            if record.error_code == WINDOW_CLOSED and record.fallback is not None:
                await self._send_instead(record)
            else:
                await self.conversations.flag(record.practice_id, record.conversation, "failed", self.clock())
                if record.error_code is not None:
                    await self._failed(record, record.error_code)
        elif record.delivery != "failed" and DELIVERY_ORDER.get(event.status, 0) > DELIVERY_ORDER.get(
            record.delivery, 0
        ):
            record.delivery = event.status
            if event.status != "sent":
                record.fallback = None  # it arrived: no template will be needed
        else:
            return record
        await self._save(record)
        if event.status == "sent":
            return record  # the transcript's "out" line already says it was sent
        codes = ",".join(str(c) for c in event.error_codes)
        await self.conversations.add(
            record.conversation,
            [
                TranscriptEntry(
                    at=self.clock(), direction="status", status=event.status, wamid=event.wamid, text=codes
                )
            ],
        )
        return record

    async def _send_instead(self, record: OutboxRecord) -> None:
        """Meta refused a free-form message after accepting it (the window had closed): send the template."""
        assert record.fallback is not None
        template = OutboxRecord(
            id=f"{record.id}:template",
            conversation=record.conversation,
            practice_id=record.practice_id,
            body=record.fallback,
            window_until=record.window_until,
            expires_at=record.expires_at,
        )
        record.fallback = None
        await self.record([template])
        await self.deliver(template.id)

    async def _failed(self, record: OutboxRecord, code: int) -> None:
        for hook in self.failure_hooks:
            try:
                await hook(record, code)
            except Exception:  # a hook's trouble never loses the status
                logger.exception("a send-failure hook failed")

    async def _sent_as(self, event: StatusEvent) -> OutboxRecord | None:
        """The record a status is about: named by the callback data every send carries (Meta echoes it), or
        by the wamid index when a status comes without it. A status for a record not yet known as sent is
        kept as proof that Meta accepted it, for a sender that died before recording the wamid."""
        record_id = (
            event.callback.removeprefix(CALLBACK_PREFIX) if event.callback.startswith(CALLBACK_PREFIX) else ""
        )
        record = await self.load(record_id) if record_id else None
        if record is None or record.wamid != event.wamid:
            raw_id = await self.storage.get(f"outbox-wamid:{event.wamid}")
            record = await self.load(raw_id.decode()) if raw_id else None
        if record is None and record_id:
            await self.storage.set(f"outbox-confirmed:{record_id}", event.wamid.encode(), CONFIRMED_TTL)
        return record

    async def _save(self, record: OutboxRecord) -> None:
        await self.storage.set(f"outbox:{record.id}", self._seal(record), RECORD_TTL)

    def _seal(self, record: OutboxRecord) -> bytes:
        # Once sent, the body is never needed again (the transcript has its text): only the record's
        # bookkeeping is kept for the statuses that follow.
        kept = (
            record.model_copy(update={"body": {"type": record.body.get("type", "")}})
            if record.state == "sent"
            else record
        )
        return self.sealer.seal(kept.model_dump_json(exclude_defaults=True).encode())


def _choices_of(body: dict[str, Any]) -> list[Choice]:
    """The buttons or rows of an interactive message, so the transcript shows what the patient could tap."""
    action = body.get("interactive", {}).get("action", {}) if body.get("type") == "interactive" else {}
    found = [
        Choice(id=b["reply"].get("id", ""), title=b["reply"].get("title", ""))
        for b in action.get("buttons", [])
        if isinstance(b, dict) and isinstance(b.get("reply"), dict)
    ]
    for section in action.get("sections", []):
        found += [
            Choice(id=r.get("id", ""), title=r.get("title", ""), description=r.get("description", ""))
            for r in section.get("rows", [])
            if isinstance(r, dict)
        ]
    return found


def _text_of(body: dict[str, Any]) -> str:
    if body.get("type") == "text":
        return str(body["text"]["body"])
    if body.get("type") == "interactive":
        return str(body["interactive"]["body"]["text"])
    if body.get("type") == "template":
        return f"[template {body['template']['name']}]"
    return ""
