"""The turn handler that runs the conversation graph for each practice, and builds what it needs.

Turn in -> graph -> render -> result: the pipeline's `Turn` becomes a graph run with the practice's ports, and
the replies are rendered in the patient's language. Conversation policy (the handoff pause, escalation after
Open Dental failures, the handoff's commlog) lives in the graph, in `flows/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from bot.conversation.office import OdOffice
from bot.conversation.render import render
from bot.monitoring.metrics import Metrics
from bot.practices import Practice, PracticesFile
from bot.queue.turns import Turn, TurnResult
from bot.records.conversations import Conversations
from bot.records.od_writes import OpenDentalWrites, PendingWrite, Writer
from bot.records.storage import SealedStore
from bot.settings import Settings
from bot.whatsapp import messages
from flows.context import Deps, Line, Understand
from flows.graph import Graph, TurnRun, build_graph, run_turn
from flows.nlu.language import LanguageDetector
from flows.nlu.lexicon import fold
from flows.nlu.llm import LlmUnderstanding, chat_model
from flows.nlu.rules import understand as rules_understand
from flows.nlu.understanding import Understanding
from flows.ports import PracticeFacts
from flows.state import ConversationState
from locales.catalog import catalog_language
from od_adapter import (
    AppointmentBook,
    BookCache,
    KeyValueStore,
    MemoryStore,
    OpenDentalClient,
    Patients,
    RateLimiter,
    RedisStore,
)

OUTCOMES = {"book": "booked", "reschedule": "rescheduled", "cancel": "cancelled", "confirm": "confirmed"}
"""The metric label of each write the graph records."""


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
        resume_after_minutes=practice.handoff.resume_after_minutes,
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
        self.graph: Graph = build_graph()

    def writers(self) -> dict[str, Writer]:
        """Who writes each practice's queued commlogs: its booking guard, looking first after a failed try."""

        def writer(book: AppointmentBook) -> Writer:
            async def write(pending: PendingWrite) -> int:
                return await book.note_once(pending.pat_num, pending.note, retried=pending.attempts > 0)

            return write

        return {pid: writer(runtime.office.appointments) for pid, runtime in self.practices.items()}

    async def aclose(self) -> None:
        for runtime in self.practices.values():
            await runtime.client.aclose()

    async def __call__(self, turn: Turn) -> TurnResult:
        runtime = self.practices.get(turn.practice_id)
        if runtime is None:
            return TurnResult(session=turn.session, replies=[])
        readable = [m for m in turn.messages if m.understood]
        choice = next((m.choice_id for m in reversed(readable) if m.choice_id), None)
        texts = [m.text for m in readable if m.text and not m.choice_id]
        run = await run_turn(
            self.graph,
            turn.session,
            texts,
            choice,
            self._deps(turn, runtime),
            readable=bool(readable),
            silent=all(m.silent for m in turn.messages),
        )
        self._count(run)
        conversation = run.session.conversation
        language = catalog_language(
            conversation.language or runtime.facts.default_language, conversation.script
        )
        return TurnResult(
            session=run.session,
            replies=render(run.replies, language, messages.recipient(turn.user_key)),
            trace=_trace(run),
            notes=run.notes,
            events=run.events,
        )

    def _deps(self, turn: Turn, runtime: PracticeRuntime) -> Deps:
        async def recent(count: int) -> list[Line]:
            entries = await self.conversations.recent(turn.conversation, count)
            return [Line(direction="in" if e.direction == "in" else "out", text=e.text) for e in entries]

        return Deps(
            office=runtime.office,
            practice=runtime.facts,
            now=self.clock().astimezone(runtime.practice.zone),
            user_key=turn.user_key,
            conversation=turn.conversation,
            turn=turn.id,
            understand=self.understand,
            languages=self.languages,
            recent=recent,
        )

    def _count(self, run: TurnRun) -> None:
        """Metrics count what the turn did (its recorded writes), not the words of its replies."""
        if self.metrics is None:
            return
        for action in run.actions:
            if action.action in OUTCOMES:
                self.metrics.actions.labels(OUTCOMES[action.action]).inc()
            elif action.action == "handoff":
                self.metrics.handoffs.labels(action.reason).inc()
        if run.failed:
            self.metrics.turn_failures.inc()


def _trace(run: TurnRun) -> dict[str, Any]:
    # Names and birthdates are in the transcript already; keep the trace lean.
    hidden = {"first_name", "last_name", "birthdate"}
    understood = (
        run.understood.model_dump(mode="json", exclude_defaults=True, exclude=hidden)
        if run.understood
        else {}
    )
    return {
        "understood": understood,
        "path": run.path,
        "actions": [a.model_dump(mode="json", exclude_defaults=True) for a in run.actions],
        **({"failed": True} if run.failed else {}),
    }


def build_conversation_handler(
    practices: PracticesFile,
    limiter: RateLimiter,
    redis: Redis | None,
    conversations: Conversations,
    settings: Settings,
    metrics: Metrics | None = None,
    writes: OpenDentalWrites | None = None,
) -> ConversationHandler:
    """One Open Dental client, book cache and booking guard per practice, sharing the store and the limiter;
    with `writes`, the guard's commlogs go to that durable queue instead of the reply path."""
    storage, sealer = conversations.storage, conversations.sealer
    assert settings.conversation_key is not None, "the CLI and the demo always provide one"
    phi_key = settings.conversation_key.get_secret_value()
    plain: KeyValueStore = RedisStore(redis) if redis is not None else MemoryStore()
    store = SealedStore(plain, sealer)  # the book cache and booking records hold PHI too
    runtimes = {}
    for practice in practices.practices:
        keys = settings.open_dental_keys(practice.open_dental)
        client = OpenDentalClient.for_practice(practice.open_dental, limiter, keys=keys)
        cache = BookCache(client, store, practice.od)
        journal = writes.journal(practice.phone_number_id) if writes is not None else None
        book = AppointmentBook(
            practice.od, client, cache, store, option_keys=settings.choice_keys, journal=journal
        )
        office = OdOffice(practice, book, Patients(practice.od, client), storage, sealer, phi_key)
        runtimes[practice.phone_number_id] = PracticeRuntime(practice, facts(practice), office, client)
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
