"""The turn handler that runs the conversation graph for each practice, and builds what it needs.

Turn in -> graph -> render -> result: the pipeline's `Turn` becomes a graph run with the practice's ports, and
the replies are rendered in the patient's language. Conversation policy (the handoff pause, escalation after
Open Dental failures, the handoff's commlog) lives in the graph, in `flows/`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.alerts import Alert, Alerts, AlertWebhooks
from bot.conversation.confirmations import office_statuses
from bot.conversation.office import OdOffice, Outreach
from bot.conversation.reminder_messages import cue_body
from bot.conversation.render import render
from bot.monitoring.metrics import Metrics
from bot.practices import Practice, PracticesFile
from bot.queue.turns import Turn, TurnResult
from bot.records.conversations import Conversations
from bot.records.crypto import keyed_hash
from bot.records.figures import Figures, local_day
from bot.records.od_writes import OpenDentalWrites, PendingWrite, Writer
from bot.records.storage import SealedStore
from bot.settings import Settings
from bot.whatsapp import messages
from flows.context import ActionTaken, Cue, Deps, Line, Understand
from flows.graph import Graph, TurnRun, build_graph, run_turn
from flows.handoff import REASONS
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
    AptStatus,
    BookCache,
    BookLoader,
    CacheSettings,
    KeyValueStore,
    MemoryStore,
    NewTask,
    OdBadRequest,
    OdNotFound,
    OdUnauthorized,
    OpenDentalClient,
    PatientChanges,
    PatientDirectory,
    Patients,
    RateLimiter,
    RedisStore,
)

logger = logging.getLogger(__name__)


class ReminderAnswers(Protocol):
    async def answered(self, practice_id: str, actions: list[ActionTaken]) -> None:
        """What the turn wrote about visits that were reminded of (their confirmation rate)."""
        ...


OUTCOMES = {"book": "booked", "reschedule": "rescheduled", "cancel": "cancelled", "confirm": "confirmed"}
"""The metric label of each write the graph records."""


@dataclass
class PracticeRuntime:
    practice: Practice
    facts: PracticeFacts
    office: OdOffice
    client: OpenDentalClient
    patient_changes: PatientChanges
    _confirmed: frozenset[int] | None = None

    async def confirmed(self) -> frozenset[int]:
        """The confirmation definitions that mean the patient confirmed (read once)."""
        if self._confirmed is None:
            self._confirmed = (await office_statuses(self.client, self.practice)).confirmed
        return self._confirmed


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
        writes: OpenDentalWrites | None = None,
        alerts: Alerts | None = None,
        reminders: ReminderAnswers | None = None,
    ) -> None:
        self.reminders = reminders
        self.practices = practices
        self.writes = writes
        self.alerts = alerts
        self.figures = Figures(conversations.storage)
        self._od_requests: dict[str, int] = {}
        """Each practice's client's request count when the figures last took it."""
        self.alert_webhooks = AlertWebhooks()
        """The practices' handoff webhooks, called in the background (`conversation_ctx` runs it)."""
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

        def writer(runtime: PracticeRuntime) -> Writer:
            book = runtime.office.appointments

            async def write(pending: PendingWrite) -> int:
                if pending.kind == "task":
                    return await _task(runtime, pending)
                if pending.kind == "status":
                    return await _confirmation_status(runtime, pending)
                if pending.kind == "txt_msg_ok":
                    await runtime.client.set_txt_msg_ok(pending.pat_num, pending.note)
                    return pending.pat_num
                return await book.note_once(
                    pending.pat_num,
                    pending.note,
                    retried=pending.attempts > 0,
                    comm_type=pending.comm_type,
                    sent=pending.sent,
                )

            return write

        return {pid: writer(runtime) for pid, runtime in self.practices.items()}

    def loaders(self, *, sync_every: float, patients_every: float = 60.0) -> dict[str, BookLoader]:
        """One background loader per practice's book (each works only while it holds the practice's lease)."""
        return {
            pid: BookLoader(
                runtime.office.appointments.cache,
                horizon_days=runtime.practice.booking.horizon_days,
                sync_every=sync_every,
                patients=runtime.patient_changes,
                on_patients=runtime.office.patients_changed,
                patients_every=patients_every,
            )
            for pid, runtime in self.practices.items()
        }

    async def aclose(self) -> None:
        for runtime in self.practices.values():
            await runtime.client.aclose()
        await self.alert_webhooks.aclose()

    async def __call__(self, turn: Turn) -> TurnResult:
        runtime = self.practices.get(turn.practice_id)
        if runtime is None:
            return TurnResult(session=turn.session, replies=[])
        cues = [m.cue for m in turn.messages if m.cue is not None]
        patient = [m for m in turn.messages if m.cue is None]
        runs = []
        session = turn.session
        for cue in cues:  # the reminders first: a patient's message in the same burst may answer one
            runs.append(await run_turn(self.graph, session, [], None, self._deps(turn, runtime), cue=cue))
            session = runs[-1].session
        if patient or not cues:
            readable = [m for m in patient if m.understood]
            choice = next((m.choice_id for m in reversed(readable) if m.choice_id), None)
            texts = [m.text for m in readable if m.text and not m.choice_id]
            runs.append(
                await run_turn(
                    self.graph,
                    session,
                    texts,
                    choice,
                    self._deps(turn, runtime),
                    readable=bool(readable),
                    silent=all(m.silent for m in patient),
                )
            )
        return await self._result(turn, runtime, runs, cues)

    async def _result(
        self, turn: Turn, runtime: PracticeRuntime, runs: list[TurnRun], cues: list[Cue]
    ) -> TurnResult:
        run = runs[-1]
        bodies: list[dict[str, Any]] = []
        for one, cue in zip(runs, [*cues, None], strict=False):
            language = catalog_language(
                one.session.conversation.language or runtime.facts.default_language,
                one.session.conversation.script,
            )
            to = messages.recipient(turn.user_key)
            rendered = render(one.replies, language, to, region=runtime.practice.region)
            if cue is not None and rendered:
                rendered[-1] = cue_body(rendered[-1], cue, runtime.practice, language, to, self.clock())
            bodies += rendered
        if self.reminders is not None:
            await self.reminders.answered(
                runtime.practice.phone_number_id, [a for r in runs for a in r.actions]
            )
        self._count(run)
        if "handoff" in run.events:
            await self._handed_off(turn, runtime, run)
        try:
            if len(runs) > len(cues):  # the patient wrote: a reminder alone starts no conversation of theirs
                await self._figures(turn, runtime, run)
        except (OSError, RedisError) as exc:  # the figures are a dashboard's, never a reason to fail a turn
            logger.warning("dashboard figures not recorded: %s", type(exc).__name__)
        return TurnResult(
            session=run.session,
            replies=bodies,
            trace=_trace(run) if len(runs) == 1 else {"runs": [_trace(r) for r in runs]},
            notes=[n for r in runs for n in r.notes],
            events=[e for r in runs for e in r.events],
        )

    async def _handed_off(self, turn: Turn, runtime: PracticeRuntime, run: TurnRun) -> None:
        """Beyond the graph's commlog: a task for the front desk (queued), the consoles' alert, the webhook
        (queued too: a slow webhook must not hold the patient's reply)."""
        practice, status = runtime.practice, run.session.handoff
        conversation = run.session.conversation
        pat_num = conversation.patient or next(iter(conversation.family), 0)
        at = status.since or self.clock().timestamp()
        if self.writes is not None and practice.handoff.task_list_num is not None:
            local = datetime.fromtimestamp(at, practice.zone).strftime("%Y-%m-%d %H:%M %Z")
            reason = REASONS.get(status.reason, status.reason)
            text = f"WhatsApp handoff at {local}: {reason}. Answer in the assistant console."
            await self.writes.put(practice.phone_number_id, pat_num, text, kind="task", once=turn.id)
        alert = Alert(practice_id=practice.phone_number_id, conversation=turn.conversation, reason=status.reason, at=at)  # fmt: skip
        if self.alerts is not None:
            await self.alerts.publish(alert)
        if practice.handoff.alert_webhook:
            self.alert_webhooks.tell(practice.handoff.alert_webhook, alert, practice.name)

    async def _figures(self, turn: Turn, runtime: PracticeRuntime, run: TurnRun) -> None:
        """The dashboard's daily figures; a replayed turn (same id) is not counted twice."""
        pid, zone, now = runtime.practice.phone_number_id, runtime.practice.zone, self.clock().timestamp()
        day, figures = local_day(now, zone), self.figures
        if turn.id and not await figures.first_today(pid, day, turn.id, "turn", now):
            return
        started = min((float(m.timestamp) for m in turn.messages if m.timestamp), default=now)
        if await figures.first_today(pid, day, turn.conversation, "conversation", started):
            language = run.session.conversation.language or runtime.practice.default_language
            await figures.add(pid, day, "conversations")
            await figures.add(pid, day, f"language:{language}")
            if run.replies:
                await figures.sample(pid, day, "first_reply", max(0.0, now - started))
        if "refilled" in run.events:
            await figures.add(pid, day, "refilled")
        for action in run.actions:
            if action.action in OUTCOMES:
                await figures.add(pid, day, OUTCOMES[action.action])
            if action.action == "book":
                first = await figures.seen_at(pid, day, turn.conversation, "conversation") or started
                await figures.sample(pid, day, "to_booking", max(0.0, now - first))
            if action.action == "handoff":
                await figures.add(pid, day, f"handoff:{action.reason}")
                if await figures.first_today(pid, day, turn.conversation, "handoff", now):
                    await figures.add(pid, day, "handed_off")
        requests = runtime.client.stats.requests
        used = requests - self._od_requests.get(pid, 0)
        self._od_requests[pid] = requests
        if used > 0:
            await figures.add(pid, day, "od_requests", used)

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


async def _confirmation_status(runtime: PracticeRuntime, pending: PendingWrite) -> int:
    """A reminder's "Sent" (or a moved visit's reset): never over a status the patient gave since."""
    held = await runtime.office.appointments.held(pending.apt_num)
    if held is None or held.apt_status is not AptStatus.SCHEDULED:
        return 0
    if pending.note != "None" and (
        held.confirm_def in await runtime.confirmed() or await runtime.office.confirmed_here(pending.apt_num)
    ):
        return 0  # the patient confirmed in the meantime: "Sent" must not undo it
    if pending.note.isdecimal():
        await runtime.client.confirm_appointment(pending.apt_num, def_num=int(pending.note))
    else:
        await runtime.client.confirm_appointment(pending.apt_num, confirm_val=pending.note)
    return pending.apt_num


async def _task(runtime: PracticeRuntime, pending: PendingWrite) -> int:
    """A handoff's task on the practice's list; its text as a commlog where the key may not add tasks (or
    Open Dental is older than 22.3.17, or the list is wrong). A retry first looks for the task a lost answer
    may have added. Its TaskNum, or the commlog's CommlogNum."""
    rules, ref = runtime.practice.handoff, pending.key.rsplit(":", 1)[-1]
    descript = f"{pending.note} [ref {ref}]"
    if pending.attempts and pending.pat_num:
        for task in await runtime.client.patient_tasks(pending.pat_num):
            if f"[ref {ref}]" in task.descript:
                return task.task_num
    try:
        if rules.task_list_num is None:
            raise OdNotFound("no task list configured")
        task = await runtime.client.create_task(
            NewTask(
                task_list_num=rules.task_list_num,
                descript=descript,
                user_num=rules.task_user_num or None,
                key_num=pending.pat_num or None,
                object_type="Patient" if pending.pat_num else None,
            )
        )
    except (OdUnauthorized, OdNotFound, OdBadRequest) as exc:
        logger.warning("handoff task refused (%s): writing it as a commlog", type(exc).__name__)
        if not pending.pat_num:
            return 0  # no chart to write on: the console and its alert are all staff get
        book = runtime.office.appointments
        return await book.note_once(pending.pat_num, pending.note, retried=pending.attempts > 0, comm_type=rules.comm_type)  # fmt: skip
    return task.task_num


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
    alerts: Alerts | None = None,
    *,
    store: KeyValueStore | None = None,
    outreach: Outreach | None = None,
) -> ConversationHandler:
    """One Open Dental client, book cache and booking guard per practice, sharing the store and the limiter;
    with `writes`, the guard's commlogs go to that durable queue instead of the reply path. `store` is the
    process's sealed book store (the events endpoint nudges the loaders through it); else one is made."""
    storage, sealer = conversations.storage, conversations.sealer
    assert settings.conversation_key is not None, "the CLI and the demo always provide one"
    phi_key = settings.conversation_key.get_secret_value()
    if store is None:
        plain: KeyValueStore = RedisStore(redis) if redis is not None else MemoryStore()
        store = SealedStore(plain, sealer)  # the book cache and booking records hold PHI too
    runtimes = {}
    tls = httpx.create_ssl_context()  # one CA bundle for all: per client it was 0.8 MB and 20 ms per practice
    for practice in practices.practices:
        keys = settings.open_dental_keys(practice.open_dental)
        client = OpenDentalClient.for_practice(practice.open_dental, limiter, keys=keys, tls=tls)
        cache = BookCache(client, store, practice.od, book_settings(settings))
        journal = writes.journal(practice.phone_number_id) if writes is not None else None
        book = AppointmentBook(
            practice.od, client, cache, store, option_keys=settings.choice_keys, journal=journal
        )
        family_ttl = settings.patient_cache_hours * 3600
        patients = Patients(practice.od, client)
        directory = PatientDirectory(practice.od, store, lambda e164: keyed_hash(phi_key, "phone", e164))
        office = OdOffice(
            practice,
            book,
            patients,
            storage,
            sealer,
            phi_key,
            family_ttl=family_ttl,
            directory=directory,
            outreach=outreach,
        )
        changes = PatientChanges(practice.od, client, store)
        runtimes[practice.phone_number_id] = PracticeRuntime(
            practice, facts(practice), office, client, changes
        )
    return ConversationHandler(
        runtimes,
        conversations,
        understand=understanding(settings, practices),
        metrics=metrics,
        writes=writes,
        alerts=alerts,
    )


def book_settings(settings: Settings) -> CacheSettings:
    return CacheSettings(fresh_for=settings.book_fresh_seconds, stale_limit=settings.book_stale_limit_seconds)


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
