"""The turn handler that runs the conversation graph for each practice, and builds what it needs.

It turns the pipeline's `Turn` into a graph run with the practice's ports, renders the replies in the patient's
language, and keeps the conversation state in the record the pipeline persists. An Open Dental failure becomes
a helpful message (the state is kept, so the patient can simply try again), never a lost turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from redis.asyncio import Redis

from bot.conversations import Conversations, TranscriptEntry
from bot.handoff import (
    REASONS,
    RECENT_LINES,
    HandoffStatus,
    note_for_chart,
    release,
    status_of,
    with_status,
    write_commlog,
)
from bot.metrics import Metrics
from bot.office import OdOffice
from bot.render import render
from bot.settings import Settings
from bot.storage import SealedStore
from bot.turns import Turn, TurnResult
from bot.whatsapp import messages
from flows.context import Deps, Understand
from flows.graph import TurnRun, build_graph, run_turn
from flows.nlu.language import LanguageDetector
from flows.nlu.lexicon import fold
from flows.nlu.llm import LlmUnderstanding, chat_model
from flows.nlu.rules import understand as rules_understand
from flows.nlu.understanding import Understanding
from flows.nodes import handoff_reply
from flows.ports import PracticeFacts
from flows.replies import text
from flows.state import ConversationState, migrate
from od_adapter.book_cache import BookCache
from od_adapter.booking import AppointmentBook, NotAllowed, NotYours, OutcomeUnknown
from od_adapter.client import OpenDentalClient
from od_adapter.config import Practice, PracticesFile
from od_adapter.errors import OpenDentalError
from od_adapter.ratelimit import RateLimiter
from od_adapter.store import KeyValueStore, MemoryStore, RedisStore

logger = logging.getLogger(__name__)


@dataclass
class PracticeRuntime:
    practice: Practice
    facts: PracticeFacts
    office: OdOffice
    client: OpenDentalClient


def facts(practice: Practice) -> PracticeFacts:
    rules = practice.booking.appointment_types
    return PracticeFacts(
        name=practice.name,
        timezone=practice.timezone,
        languages=practice.languages,
        default_language=practice.default_language,
        kinds=[r.kind for r in rules if r.existing_patient],
        new_patient_kinds=[r.kind for r in rules if r.new_patient],
        info=practice.info,
        emergency_phone=practice.emergency_phone,
        emergency_number=practice.emergency_number,
        hours=practice.handoff.hours,
        handoff_failures=practice.handoff.failures,
        emergency_words=[fold(w) for ws in practice.handoff.emergency_words.values() for w in ws],
    )


async def rules(words: str, now: datetime, language: str, state: ConversationState) -> Understanding:
    return rules_understand(words, now, language=language)


class ConversationHandler:
    def __init__(
        self,
        practices: dict[str, PracticeRuntime],
        conversations: Conversations,
        *,
        understand: Understand = rules,
        clock: Callable[[], datetime] | None = None,
        metrics: Metrics | None = None,
        languages: LanguageDetector | None = None,
    ) -> None:
        self.practices = practices
        self.languages = languages or LanguageDetector()
        self.conversations = conversations
        self.understand = understand
        self.metrics = metrics
        if metrics is not None:
            metrics.watch_open_dental(lambda: {pid: r.client.stats for pid, r in practices.items()})
        self.clock = clock or (lambda: datetime.now(UTC))
        self.graph: CompiledStateGraph = build_graph()

    async def aclose(self) -> None:
        for runtime in self.practices.values():
            await runtime.client.aclose()

    async def __call__(self, turn: Turn) -> TurnResult:
        runtime = self.practices.get(turn.practice_id)
        if runtime is None:
            return TurnResult(state=turn.state, replies=[])
        status = status_of(turn.state)
        now = self.clock().astimezone(runtime.practice.zone)
        notes: list[str] = []
        if status.active:
            quiet = runtime.practice.handoff.resume_after_minutes * 60
            if now.timestamp() < status.resumes_at(quiet):
                return TurnResult(state=turn.state, replies=[], events=["paused"])  # staff have it
            notes.append(f"Assistant resumed: no staff activity for {quiet / 60:g} minutes")
            turn = turn.model_copy(update={"state": release(turn.state)})
        result = await self._run(turn, runtime, now)
        result.notes = notes + result.notes
        if notes:
            result.events.append("resumed")
        return result

    async def _run(self, turn: Turn, runtime: PracticeRuntime, now: datetime) -> TurnResult:
        state = migrate(turn.state.get("conversation") or {})
        to = messages.recipient(turn.user_key)
        language = state.language or runtime.facts.default_language
        understood = [m for m in turn.messages if m.understood]
        if not understood:
            return TurnResult(state=turn.state, replies=render([text("unsupported")], language, to))
        deps = Deps(
            office=runtime.office,
            practice=runtime.facts,
            now=now,
            user_key=turn.user_key,
            conversation=turn.conversation,
            understand=self.understand,
            languages=self.languages,
        )
        choice = next((m.choice_id for m in reversed(understood) if m.choice_id), None)
        texts = [m.text for m in understood if m.text and not m.choice_id]
        try:
            run = await run_turn(self.graph, state, texts, choice, deps)
        except (OpenDentalError, OutcomeUnknown) as exc:
            return await self._open_dental_failed(turn, runtime, state, now, exc)
        except (NotYours, NotAllowed) as exc:
            logger.info("refused a request outside the rules: %s", type(exc).__name__)
            state.finish_flow()
            return TurnResult(
                state=self._state(turn, state), replies=render([text("fallback")], language, to)
            )
        if self.metrics is not None:
            self.metrics.count_replies(r.key for r in run.replies)
        result = TurnResult(
            state={**self._state(turn, run.conv), "od_failures": 0},
            replies=render(run.replies, run.conv.language or language, to),
            trace=_trace(run),
            events=["booked"] if any(a.action in ("book", "reschedule") for a in run.actions) else [],
        )
        if run.conv.handoff is not None:
            await self._hand_off(turn, runtime, run.conv, run.conv.handoff, now, result)
        return result

    async def _open_dental_failed(
        self, turn: Turn, runtime: PracticeRuntime, state: ConversationState, now: datetime, exc: Exception
    ) -> TurnResult:
        """Ask the patient to try again; a second failure in a row, or a write whose outcome is unknown, goes
        to staff (who can check the book), so nobody is left retrying against a system that is down."""
        logger.warning("Open Dental failed during a turn: %s", type(exc).__name__)
        failures = int(turn.state.get("od_failures", 0)) + 1
        language = state.language or runtime.facts.default_language
        to = messages.recipient(turn.user_key)
        result = TurnResult(
            state={**turn.state, "od_failures": failures},
            replies=render([text("od_unavailable")], language, to),
            events=["failed"],
        )
        if failures >= 2 or isinstance(exc, OutcomeUnknown):
            state.finish_flow()
            result.state = {**self._state(turn, state), "od_failures": 0}
            result.replies = render(
                [text("od_unavailable.staff"), handoff_reply(runtime.facts, now)], language, to
            )
            await self._hand_off(turn, runtime, state, "open_dental", now, result)
        return result

    async def _hand_off(
        self,
        turn: Turn,
        runtime: PracticeRuntime,
        conv: ConversationState,
        reason: str,
        now: datetime,
        result: TurnResult,
    ) -> None:
        """Record the handoff: a commlog on the chart, the status in the record, a marker in the transcript."""
        recent = await self.conversations.recent(turn.conversation, RECENT_LINES)
        recent += [
            TranscriptEntry(at=now.timestamp(), direction="in", text=m.text or m.choice_id or "")
            for m in turn.messages
            if m.understood
        ]
        pat_num = conv.patient or (conv.family[0] if conv.family else None)
        if pat_num is None and turn.user_key.isdecimal():
            try:
                family = await runtime.office.patients_on_phone(turn.user_key)
                pat_num = family[0].pat_num if family else None
            except OpenDentalError:
                pat_num = None
        commlog = await write_commlog(runtime.office, pat_num, note_for_chart(reason, conv, recent))
        status = HandoffStatus(active=True, reason=reason, since=now.timestamp(), commlog_num=commlog)
        conv.handoff = None
        result.state = with_status({**result.state, "conversation": conv.model_dump(mode="json")}, status)
        where = (
            f"CommlogNum {commlog}" if commlog else "no chart yet" if pat_num is None else "commlog failed"
        )
        result.notes.append(f"Handed to staff: {REASONS.get(reason, reason)} ({where})")
        result.events.append("handoff")
        if self.metrics is not None:
            self.metrics.handoffs.labels(reason).inc()

    @staticmethod
    def _state(turn: Turn, conversation: ConversationState) -> dict[str, object]:
        return {**turn.state, "conversation": conversation.model_dump(mode="json")}


def _trace(run: TurnRun) -> dict[str, Any]:
    understood = run.understood.model_dump(mode="json", exclude_defaults=True) if run.understood else {}
    understood.pop(
        "first_name", None
    )  # names and birthdates are in the transcript already; keep the trace lean
    understood.pop("last_name", None)
    understood.pop("birthdate", None)
    return {
        "understood": understood,
        "path": run.path,
        "actions": [a.model_dump() for a in run.actions],
    }


def build_conversation_handler(
    practices: PracticesFile,
    limiter: RateLimiter,
    redis: Redis | None,
    conversations: Conversations,
    settings: Settings,
    metrics: Metrics | None = None,
) -> ConversationHandler:
    """One Open Dental client, book cache and booking guard per practice, sharing the store and the limiter."""
    storage, sealer = conversations.storage, conversations.sealer
    assert settings.conversation_key is not None, "the CLI and the demo always provide one"
    phi_key = settings.conversation_key.get_secret_value()
    plain: KeyValueStore = RedisStore(redis) if redis is not None else MemoryStore()
    store = SealedStore(plain, sealer)  # the book cache and booking records hold PHI too
    runtimes = {}
    for practice in practices.practices:
        client = OpenDentalClient.for_practice(practice.open_dental, limiter)
        cache = BookCache(client, store, practice.phone_number_id, practice.zone)
        book = AppointmentBook(practice, client, cache, store, option_keys=settings.choice_keys)
        runtimes[practice.phone_number_id] = PracticeRuntime(
            practice, facts(practice), OdOffice(practice, book, storage, sealer, phi_key), client
        )
    return ConversationHandler(
        runtimes, conversations, understand=understanding(settings, practices), metrics=metrics
    )


def understanding(settings: Settings, practices: PracticesFile) -> Understand:
    """The LLM when an endpoint is configured, else the offline rules."""
    if settings.openai_api_key is None:
        return rules
    model = chat_model(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        timeout=settings.llm_timeout_seconds,
    )
    kinds = sorted({r.kind for p in practices.practices for r in p.booking.appointment_types})
    return LlmUnderstanding(model, timeout=settings.llm_timeout_seconds, kinds=kinds)
