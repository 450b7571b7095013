"""The turn handler that runs the conversation graph for each practice, and builds what it needs.

It turns the pipeline's `Turn` into a graph run with the practice's ports, renders the replies in the patient's
language, and keeps the conversation state in the record the pipeline persists. An Open Dental failure becomes
a helpful message (the state is kept, so the patient can simply try again), never a lost turn.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from langgraph.graph.state import CompiledStateGraph
from redis.asyncio import Redis

from bot.crypto import Sealer
from bot.metrics import Metrics
from bot.office import OdOffice
from bot.render import render
from bot.settings import Settings
from bot.storage import SealedStore, Storage
from bot.turns import Turn, TurnResult
from bot.whatsapp import messages
from flows.context import Deps, Understand
from flows.graph import build_graph, run_turn
from flows.nlu.llm import LlmUnderstanding, chat_model
from flows.nlu.rules import understand as rules_understand
from flows.nlu.understanding import Understanding
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
HANDOFF_QUIET_SECONDS = 30 * 60


@dataclass
class PracticeRuntime:
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
    )


async def rules(words: str, now: datetime, language: str, state: ConversationState) -> Understanding:
    return rules_understand(words, now, language=language)


class ConversationHandler:
    def __init__(
        self,
        practices: dict[str, PracticeRuntime],
        *,
        understand: Understand = rules,
        clock: Callable[[], datetime] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.practices = practices
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
        state = migrate(turn.state.get("conversation") or {})
        to = messages.recipient(turn.user_key)
        if runtime is None:
            return TurnResult(state=turn.state, replies=[])
        if (
            state.handed_off
            and time.time() - float(turn.state.get("handed_off_at", 0)) < HANDOFF_QUIET_SECONDS
        ):
            return TurnResult(state=turn.state, replies=[])  # staff have it; the assistant stays quiet
        state.handed_off = False
        understood = [m for m in turn.messages if m.understood]
        language = state.language or runtime.facts.default_language
        if not understood:
            return TurnResult(state=turn.state, replies=render([text("unsupported")], language, to))
        deps = Deps(
            office=runtime.office,
            practice=runtime.facts,
            now=self.clock().astimezone(runtime.office.practice.zone),
            user_key=turn.user_key,
            conversation=turn.conversation,
            understand=self.understand,
        )
        choice = next((m.choice_id for m in reversed(understood) if m.choice_id), None)
        texts = [m.text for m in understood if m.text and not m.choice_id]
        try:
            new_state, replies = await run_turn(self.graph, state, texts, choice, deps)
        except (OpenDentalError, OutcomeUnknown) as exc:
            logger.warning("Open Dental failed during a turn: %s", type(exc).__name__)
            return TurnResult(state=turn.state, replies=render([text("od_unavailable")], language, to))
        except (NotYours, NotAllowed) as exc:
            logger.info("refused a request outside the rules: %s", type(exc).__name__)
            state.finish_flow()
            return TurnResult(
                state=self._state(turn, state), replies=render([text("fallback")], language, to)
            )
        if self.metrics is not None:
            self.metrics.count_replies(r.key for r in replies)
        result_state = self._state(turn, new_state)
        if new_state.handed_off:
            result_state["handed_off_at"] = time.time()
        return TurnResult(state=result_state, replies=render(replies, new_state.language or language, to))

    @staticmethod
    def _state(turn: Turn, conversation: ConversationState) -> dict[str, object]:
        return {**turn.state, "conversation": conversation.model_dump(mode="json")}


def build_conversation_handler(
    practices: PracticesFile,
    limiter: RateLimiter,
    redis: Redis | None,
    storage: Storage,
    sealer: Sealer,
    settings: Settings | None = None,
    metrics: Metrics | None = None,
) -> ConversationHandler:
    """One Open Dental client, book cache and booking guard per practice, sharing the store and the limiter."""
    plain: KeyValueStore = RedisStore(redis) if redis is not None else MemoryStore()
    store = SealedStore(plain, sealer)  # the book cache and booking records hold PHI too
    runtimes = {}
    for practice in practices.practices:
        client = OpenDentalClient.for_practice(practice.open_dental, limiter)
        cache = BookCache(client, store, practice.phone_number_id, practice.zone)
        book = AppointmentBook(practice, client, cache, store)
        runtimes[practice.phone_number_id] = PracticeRuntime(
            facts(practice), OdOffice(practice, book, storage, sealer), client
        )
    return ConversationHandler(runtimes, understand=understanding(settings, practices), metrics=metrics)


def understanding(settings: Settings | None, practices: PracticesFile) -> Understand:
    """The LLM when an endpoint is configured, else the offline rules."""
    if settings is None or settings.openai_api_key is None:
        return rules
    model = chat_model(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        timeout=settings.llm_timeout_seconds,
    )
    kinds = sorted({r.kind for p in practices.practices for r in p.booking.appointment_types})
    return LlmUnderstanding(model, timeout=settings.llm_timeout_seconds, kinds=kinds)
