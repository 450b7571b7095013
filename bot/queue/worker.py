"""Workers: turn queued events into conversation turns, one turn per conversation at a time, exactly once.

A worker reads new entries (and reclaims those a dead worker left pending), files each message in its
conversation's waiting set and tries the conversation's lock. The lock holder waits out the debounce so a burst
becomes one turn, runs the turn handler, records the state, the transcript and the replies, and only then
acknowledges the entries; it sends the replies afterwards. A turn replayed after a crash is recognised by the
wamids the conversation record already holds, so its handler never runs twice. The state is saved before the
replies are recorded, and the turn's result is kept until both are done: a replay reuses it, so the state always
matches the replies the patient gets. While a turn runs, the patient's newest message is marked read and a
long turn shows "typing…" (`bot/whatsapp/typing.py`), in a task of its own that stops before the reply is sent.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import time
import uuid

from pydantic import ValidationError
from redis.exceptions import RedisError

from bot.conversation.render import render
from bot.monitoring.logs import CONVERSATION
from bot.monitoring.metrics import Metrics
from bot.queue.broker import Broker, Entry, entry_order
from bot.queue.turns import Turn, TurnHandler, TurnResult
from bot.records.conversations import ConversationRecord, Conversations, OwedTurn, TranscriptEntry
from bot.records.crypto import Sealer, SealError, conversation_id
from bot.records.outbox import Outbox, OutboxRecord
from bot.whatsapp import messages
from bot.whatsapp.events import EVENT, InboundMessage, StatusEvent
from bot.whatsapp.typing import Indicator, Indicators, TypingPolicy
from flows.context import Cue
from flows.replies import text
from locales.catalog import catalog_language
from od_adapter import TURN_WAIT, TurnWait

logger = logging.getLogger(__name__)

TURN_RESULT_TTL = 24 * 3600


class Worker:
    def __init__(
        self,
        broker: Broker,
        sealer: Sealer,
        conversations: Conversations,
        outbox: Outbox,
        handler: TurnHandler,
        *,
        conversation_key: str,
        consumer: str | None = None,
        debounce: float = 1.5,
        lock_ttl: float = 30.0,
        claim_idle: float = 30.0,
        batch: int = 32,
        block: float = 1.0,
        read_receipts: bool = True,
        typing: TypingPolicy | None = None,
        metrics: Metrics | None = None,
        max_attempts: int = 3,
    ) -> None:
        self.broker = broker
        self.max_attempts = max_attempts
        self.sealer = sealer
        self.conversations = conversations
        self.outbox = outbox
        self.handler = handler
        self.conversation_key = conversation_key
        self.consumer = consumer or f"worker-{uuid.uuid4().hex[:8]}"
        self.debounce = debounce
        self.lock_ttl = lock_ttl
        self.claim_idle = claim_idle
        self.batch = batch
        self.block = block
        self.read_receipts = read_receipts
        self.indicators = Indicators(outbox.cloud_api.send, typing or TypingPolicy())
        self.metrics = metrics
        self._active: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        """Conversations that got a message while their task was finishing: it looks once more."""
        self._last_reclaim = 0.0

    async def run(self) -> None:
        """Consume until cancelled; turns under way are finished first (a graceful shutdown)."""
        sweeper = asyncio.create_task(self._sweep())
        ready = False
        try:
            while True:
                try:
                    if not ready:
                        await self.broker.setup()  # again after a Redis restart that lost the group
                        ready = True
                    await self.poll()
                except (RedisError, OSError) as exc:
                    logger.warning("queue unreachable (%s); retrying in a second", type(exc).__name__)
                    ready = False
                    await asyncio.sleep(1.0)
        finally:
            await _stop(sweeper)
            if self._active:
                await asyncio.wait(list(self._active.values()), timeout=self.lock_ttl)
            await self.indicators.aclose()

    async def poll(self) -> int:
        """One round: reclaim what a dead worker left, read what is new, dispatch it."""
        entries: list[Entry] = []
        if time.monotonic() - self._last_reclaim >= self.claim_idle / 4:
            self._last_reclaim = time.monotonic()
            entries += await self.broker.reclaim(self.consumer, int(self.claim_idle * 1000), self.batch)
        entries += await self.broker.read(self.consumer, self.batch, 0 if entries else int(self.block * 1000))
        for entry in sorted(entries, key=lambda e: entry_order(e.id)):
            await self._dispatch(entry)
        return len(entries)

    async def _dispatch(self, entry: Entry) -> None:
        event = self._open(entry)
        if event is None:
            await self.broker.ack(None, [entry.id])
        elif isinstance(event, StatusEvent):
            await self.outbox.apply_status(event)
            await self.broker.ack(None, [entry.id])
        else:
            conversation = conversation_id(self.conversation_key, event.practice_id, event.user_key)
            await self.broker.hold(conversation, entry.id)
            running = self._active.get(conversation)
            if running is None or running.done():
                task = asyncio.create_task(self._converse(conversation))
                self._active[conversation] = task
                task.add_done_callback(functools.partial(self._forget_task, conversation))
            else:
                # The running task may already have looked at the waiting set for the last time: tell it to
                # look again, or this message would wait for the reclaim (the 30 s stalls).
                self._again.add(conversation)

    def _forget_task(self, conversation: str, task: asyncio.Task[None]) -> None:
        if self._active.get(conversation) is task:
            del self._active[conversation]

    def _open(self, entry: Entry) -> InboundMessage | StatusEvent | None:
        try:
            return EVENT.validate_json(self.sealer.open(entry.payload))
        except (SealError, ValidationError) as exc:
            logger.error("dropping unreadable queue entry %s: %s", entry.id, type(exc).__name__)
            return None

    async def _converse(self, conversation: str) -> None:
        """Hold the conversation's lock for as long as it has messages waiting."""
        CONVERSATION.set(conversation)  # this task's log lines name the conversation (a keyed hash)
        token = uuid.uuid4().hex
        try:
            while await self.broker.lock(conversation, token, int(self.lock_ttl * 1000)):
                keeper = asyncio.create_task(self._keep_lock(conversation, token))
                try:
                    while await self._next_turn(conversation):
                        pass
                finally:
                    keeper.cancel()
                    await self.broker.unlock(conversation, token)
                # A message filed between our last look and the unlock would otherwise wait for a reclaim.
                self._again.discard(conversation)
                if not await self.broker.waiting(conversation) and conversation not in self._again:
                    return
        except Exception:
            logger.exception("turn failed; its entries stay pending and will be retried")

    async def _keep_lock(self, conversation: str, token: str) -> None:
        while True:
            await asyncio.sleep(self.lock_ttl / 3)
            if not await self.broker.renew(conversation, token, int(self.lock_ttl * 1000)):
                logger.warning("lost a conversation lock while its turn was running")
                return

    async def _next_turn(self, conversation: str) -> bool:
        ids = await self._settle(conversation)
        if not ids:
            return False
        entries = await self.broker.fetch(ids)
        found = {e.id for e in entries}
        events = [e for e in (self._open(entry) for entry in entries) if isinstance(e, InboundMessage)]
        # Meta can deliver a burst out of order: read it in the order it was written (stable within a second).
        events.sort(key=lambda e: e.timestamp)
        if events:
            try:
                await self._turn(conversation, events, ids)
            except (RedisError, OSError):
                raise  # Redis away: not the turn's fault; the entries stay pending and are retried
            except Exception as exc:
                await self._failed(conversation, events, entries, exc)
                return False
        else:
            await self.broker.ack(conversation, ids)
        if missing := [i for i in ids if i not in found]:
            await self.broker.ack(
                conversation, missing
            )  # handled and deleted before; only the waiting set knew
        return True

    async def _settle(self, conversation: str) -> list[str]:
        """Wait until the patient stops typing (no new message for `debounce` seconds, at most 4 times that)."""
        ids = await self.broker.waiting(conversation)
        deadline = time.monotonic() + self.debounce * 4
        while ids and time.monotonic() < deadline:
            await asyncio.sleep(self.debounce)
            later = await self.broker.waiting(conversation)
            if later == ids:
                break
            ids = later
        return ids

    async def _turn(self, conversation: str, events: list[InboundMessage], ids: list[str]) -> None:
        first = events[0]
        record = await self.conversations.load(conversation) or ConversationRecord(
            conversation=conversation, practice_id=first.practice_id, user_key=first.user_key
        )
        replies: list[OutboxRecord] = []
        turn_id = hashlib.sha256(",".join(ids).encode()).hexdigest()[:24]
        if record.owed is not None and record.owed.turn != turn_id:
            # An earlier turn saved its state and crashed before recording its replies; this turn merged
            # its messages with newer ones, so finish that one first: its replies still go out, in order.
            replies += await self._finish(record)
        record.name = first.name or record.name
        fresh = [e for e in events if not record.handled(e.wamid)]
        indicator = self._show_working(record, fresh)
        try:
            if fresh:
                await self._run_fresh(record, fresh, turn_id)
            if record.owed is not None:
                replies += await self._finish(record)
        finally:
            if indicator is not None:
                indicator.stop()  # before the reply goes out: an indicator after it would linger 25 s
        await self.broker.ack(conversation, ids)
        for reply in replies:
            await self.outbox.deliver(reply.id)

    async def _run_fresh(self, record: ConversationRecord, fresh: list[InboundMessage], turn_id: str) -> None:
        """Run the turn for the messages not handled yet and save the state with the replies it owes."""
        result = await self._stored_result(turn_id) or await self._run(
            turn_id, self._turn_of(record, fresh, turn_id)
        )
        record.session = result.session
        record.remember([e.wamid for e in fresh])
        if written := [e.timestamp or time.time() for e in fresh if e.from_patient]:
            record.last_inbound_at = max(record.last_inbound_at, *written)
        record.turns += 1
        record.owed = OwedTurn(
            turn=turn_id,
            replies=result.replies,
            transcript=self._transcript(turn_id, fresh, result),
            events=result.events,
        )
        # The state and the replies it owes are one write: a patient never answers a reply whose turn a
        # crash could still undo, and a crash from here on finds the replies in the record.
        await self.conversations.save(record)

    def _show_working(self, record: ConversationRecord, fresh: list[InboundMessage]) -> Indicator | None:
        """Blue ticks on the newest message now, "typing…" once the turn takes a while; beside the turn."""
        written = [e for e in fresh if e.from_patient]  # a reminder we queued is not a message to mark read
        if not written or not self.read_receipts:
            return None
        last = written[-1]
        # While staff have the conversation no reply of ours follows, and the indicator promises one.
        return self.indicators.show(last.practice_id, last.wamid, typing=not record.session.handoff.active)

    async def _failed(
        self, conversation: str, events: list[InboundMessage], entries: list[Entry], exc: Exception
    ) -> None:
        """A turn that raised: the patient hears from us the first time; after `max_attempts` the messages
        go to the conversation's dead letters (staff retry them from the console), so later ones get through."""
        attempts = await self.broker.failed([e.id for e in entries])
        logger.error("turn failed (%s), attempt %d of %d", type(exc).__name__, attempts, self.max_attempts)
        logger.debug("turn failure", exc_info=exc)
        if self.metrics is not None:
            self.metrics.turn_failures.inc()
        record = await self.conversations.load(conversation)
        turn_id = hashlib.sha256(",".join(e.id for e in entries).encode()).hexdigest()[:24]
        if attempts == 1 and any(
            e.from_patient for e in events
        ):  # a reminder's failure is retried, not apologised for
            await self._apologise(conversation, events[0], record, turn_id)
        if attempts >= self.max_attempts:
            await self.broker.bury(conversation, entries)
            now = time.time()
            await self.conversations.flag(events[0].practice_id, conversation, "failed", now)
            note = f"{len(entries)} messages could not be handled after {attempts} attempts; retry them from the console"
            await self.conversations.add(conversation, [TranscriptEntry(at=now, direction="note", text=note)])
            logger.error("moved %d entries to the dead letters after %d attempts", len(entries), attempts)

    async def _apologise(
        self, conversation: str, first: InboundMessage, record: ConversationRecord | None, turn_id: str
    ) -> None:
        conv = record.session.conversation if record else None
        # The conversation's catalog, script variant included: Hindi typed in Latin letters hears Latin letters.
        language = catalog_language(conv.language, conv.script) if conv and conv.language else "en"
        window = record.window_open_until() if record else first.timestamp + 24 * 3600
        reply = OutboxRecord(
            id=f"apology:{turn_id}",
            conversation=conversation,
            practice_id=first.practice_id,
            body=render([text("turn.sorry_retry")], language, messages.recipient(first.user_key))[0],
            window_until=window,
        )
        await self.outbox.record([reply])
        await self.outbox.deliver(reply.id)

    async def _finish(self, record: ConversationRecord) -> list[OutboxRecord]:
        """Put a saved turn's replies in the outbox and its lines in the transcript, then forget them."""
        owed = record.owed
        assert owed is not None
        replies = [
            OutboxRecord.reply(
                f"{owed.turn}:{n}", record.conversation, record.practice_id, body, record.window_open_until()
            )
            for n, body in enumerate(owed.replies)
        ]
        await self.outbox.record(replies)  # once per id: a replay records nothing twice
        await self.conversations.add(record.conversation, owed.transcript, once=f"{owed.turn}:in")
        await self.conversations.touch(record, owed.events, handed_off=record.session.handoff.active)
        record.owed = None
        await self.conversations.save(record)
        await self.outbox.storage.delete(f"turn-result:{owed.turn}")
        return replies

    def _turn_of(self, record: ConversationRecord, fresh: list[InboundMessage], turn_id: str) -> Turn:
        first = fresh[0]
        return Turn(
            id=turn_id,
            conversation=record.conversation,
            practice_id=first.practice_id,
            user_key=first.user_key,
            name=first.name,
            messages=fresh,
            session=record.session,
        )

    @staticmethod
    def _transcript(turn_id: str, events: list[InboundMessage], result: TurnResult) -> list[TranscriptEntry]:
        lines = [
            TranscriptEntry(
                at=float(e.timestamp),
                direction="in",
                type=e.type,
                text=e.text or e.choice_id or "",
                wamid=e.wamid,
            )
            if e.cue is None
            else TranscriptEntry(at=float(e.timestamp), direction="note", text=_reminder_note(e.cue))
            for e in events
        ]
        now = time.time()
        if result.trace is not None:
            lines.append(
                TranscriptEntry(at=now, direction="turn", text=json.dumps(result.trace), turn=turn_id)
            )
        return lines + [TranscriptEntry(at=now, direction="note", text=note) for note in result.notes]

    async def _stored_result(self, turn_id: str) -> TurnResult | None:
        raw = await self.outbox.storage.get(f"turn-result:{turn_id}")
        return TurnResult.model_validate_json(self.sealer.open(raw)) if raw is not None else None

    async def _run(self, turn_id: str, turn: Turn) -> TurnResult:
        """Run the handler and store its result until the turn is finished: a turn replayed after a crash
        reuses it, so the state saved always matches the replies the patient is sent."""
        started = time.perf_counter()
        waited = TurnWait()
        token = TURN_WAIT.set(waited)
        try:
            result = await self.handler(turn)
        finally:
            TURN_WAIT.reset(token)
        self._report(time.perf_counter() - started, waited, len(turn.messages))
        sealed = self.sealer.seal(result.model_dump_json().encode())
        if not await self.outbox.storage.claim(f"turn-result:{turn_id}", sealed, TURN_RESULT_TTL):
            return await self._stored_result(turn_id) or result  # another run of this turn was first
        return result

    def _report(self, seconds: float, waited: TurnWait, messages: int) -> None:
        """One line per turn with its figures, split into our own work and waiting for Open Dental."""
        if self.metrics is not None:
            self.metrics.turns.observe(seconds)
        figures = {
            "turn_ms": round(seconds * 1000, 1),
            "od_ms": round(waited.seconds * 1000, 1),
            "od_throttle_ms": round(waited.limiter_seconds * 1000, 1),
            "od_requests": waited.requests,
            "messages": messages,
        }
        logger.info(
            "turn ran in %.0f ms, %.0f ms of it waiting for Open Dental (%d requests)",
            figures["turn_ms"],
            figures["od_ms"],
            waited.requests,
            extra={"figures": figures},
        )

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                await self.outbox.deliver_due()
            except Exception:
                logger.exception("outbox sweep failed")


def _reminder_note(cue: Cue) -> str:
    reminder = cue.reminder
    if reminder is None:
        assert cue.offer is not None
        return f"Offered a freed time, {cue.offer.start:%a %d %b %H:%M}, for AptNum {cue.offer.apt_num}"
    return f"Reminder ({reminder.step}) for the visit of {reminder.start:%a %d %b %H:%M}, AptNum {reminder.apt_num}"


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel a background loop and wait until it has ended. A library can turn one cancellation into an
    error the loop survives (a timeout racing the cancel), so it is cancelled again until it stops."""
    while not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=1.0)
