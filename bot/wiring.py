"""The composition root: every long-lived part of a process, as aiohttp cleanup contexts in dependency order.

Redis (the only place a client is built), the Open Dental limiter it backs, the inbound pipeline, the console,
the conversation handler, the worker and the metrics listener. `serve`, `worker`, `demo` and `chat` all enter
these same contexts: the web process through `bot.app.create_app`, a worker process through `create_worker`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError

from bot.alerts import MemoryAlerts, RedisAlerts
from bot.console.access_log import AccessLog
from bot.console.accounts import Accounts, Role
from bot.console.hashing import PasswordHashing
from bot.console.service import Console
from bot.console.sessions import Sessions
from bot.console.signin import Backoff, DeviceCookies, SignInGuard
from bot.conversation.handler import ConversationHandler, build_conversation_handler
from bot.keys import (
    ALERTS_KEY,
    BOOK_STORE_KEY,
    BROKER_KEY,
    CONSOLE_KEY,
    CONVERSATION_KEY,
    DEMO_OPERATOR_KEY,
    LIMITER_KEY,
    METRICS_KEY,
    PIPELINE_KEY,
    PRACTICES_KEY,
    REDIS_KEY,
    REMINDERS_KEY,
    SEALER_KEY,
    SETTINGS_KEY,
    TURN_HANDLER_KEY,
    WORKER_TASK_KEY,
)
from bot.monitoring.listener import metrics_listener_ctx
from bot.monitoring.metrics import Metrics
from bot.od_events import od_events_ctx
from bot.practices import PracticesFile
from bot.queue.broker import Broker
from bot.queue.pipeline import build_pipeline
from bot.queue.turns import TurnHandler
from bot.records.crypto import Sealer, conversation_id, keyed_hash
from bot.records.figures import Figures
from bot.records.od_writes import OpenDentalWrites
from bot.records.storage import SealedStore
from bot.refill.desk import RefillDesk
from bot.refill.ledger import RefillLedger
from bot.refill.scheduler import RefillScheduler
from bot.reminders.ledger import Ledger
from bot.reminders.optouts import OptOuts
from bot.reminders.scheduler import Deliver
from bot.reminders.service import OptOutDesk, Reminders, office_window, scheduler_for
from bot.settings import Settings
from bot.whatsapp.events import InboundMessage
from flows.context import Cue
from od_adapter import (
    AdapterError,
    MemoryRateLimiter,
    MemoryStore,
    RedisRateLimiter,
    RedisStore,
    in_background,
)

Context = Callable[[web.Application], AsyncIterator[None]]


logger = logging.getLogger(__name__)


def redis_client(settings: Settings, *, socket_timeout: float) -> Redis:
    """A client on REDIS_URL with REDIS_MAX_CONNECTIONS pooled connections (it owns the pool and closes it)."""
    assert settings.redis_url, "only called when REDIS_URL is set"
    pool = ConnectionPool.from_url(
        settings.redis_url, max_connections=settings.redis_max_connections, socket_timeout=socket_timeout
    )
    return Redis.from_pool(pool)


@contextlib.asynccontextmanager
async def open_redis(settings: Settings, *, socket_timeout: float = 10) -> AsyncIterator[Redis]:
    """Redis for a one-off command (operators, check-config)."""
    client = redis_client(settings, socket_timeout=socket_timeout)
    try:
        yield client
    finally:
        await client.aclose()


def configure(
    app: web.Application,
    settings: Settings,
    practices: PracticesFile,
    *,
    handler: TurnHandler | None = None,
    demo_operator: tuple[str, str] | None = None,
) -> None:
    """The app's configuration, set once before its contexts run."""
    app[SETTINGS_KEY] = settings
    app[PRACTICES_KEY] = practices
    app[TURN_HANDLER_KEY] = handler
    app[DEMO_OPERATOR_KEY] = demo_operator
    app[METRICS_KEY] = Metrics()


def contexts(*, web_process: bool, worker: bool) -> list[Context]:
    """The contexts a process enters: a web process needs the console, a worker the conversation."""
    chosen: list[Context] = [redis_ctx, limiter_ctx, pipeline_ctx, alerts_ctx, book_store_ctx]
    if worker:
        chosen.append(conversation_ctx)
    if web_process:
        chosen += [console_ctx, od_events_ctx]
    if worker:
        chosen.append(worker_ctx)
    chosen.append(metrics_listener_ctx)
    return chosen


def create_worker(settings: Settings, practices: PracticesFile) -> web.Application:
    """A worker process: the same contexts as the web process's worker, with no routes to serve."""
    app = web.Application()
    configure(app, settings, practices)
    app.cleanup_ctx.extend(contexts(web_process=False, worker=True))
    return app


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS_KEY]
    client = redis_client(settings, socket_timeout=5) if settings.redis_url else None
    app[REDIS_KEY] = client
    yield
    if client is not None:
        await client.aclose()


async def limiter_ctx(app: web.Application) -> AsyncIterator[None]:
    redis = app[REDIS_KEY]
    limiter = RedisRateLimiter(redis) if redis is not None else MemoryRateLimiter()
    app[LIMITER_KEY] = limiter
    app[METRICS_KEY].watch_limiter(limiter.stats)
    yield


async def pipeline_ctx(app: web.Application) -> AsyncIterator[None]:
    practices = app[PRACTICES_KEY].practices
    zones = {p.phone_number_id: p.zone for p in practices}
    pricing = {p.phone_number_id: p.whatsapp for p in practices}
    pipeline = build_pipeline(app[SETTINGS_KEY], app[REDIS_KEY], app[METRICS_KEY], zones, pricing)
    app[PIPELINE_KEY] = pipeline
    app[BROKER_KEY] = pipeline.broker
    app[SEALER_KEY] = pipeline.sealer
    if app[REDIS_KEY] is not None:
        # Redis down at start: /readyz says so and the webhook answers 503 until it is back.
        with contextlib.suppress(OSError, RedisError):
            await pipeline.broker.setup()
    yield
    await pipeline.aclose()


async def book_store_ctx(app: web.Application) -> AsyncIterator[None]:
    """The book cache's store, sealed (it holds PHI): one per process, in Redis when there is one."""
    redis = app[REDIS_KEY]
    plain = RedisStore(redis) if redis is not None else MemoryStore()
    app[BOOK_STORE_KEY] = SealedStore(plain, app[PIPELINE_KEY].sealer)
    yield


async def alerts_ctx(app: web.Application) -> AsyncIterator[None]:
    redis = app[REDIS_KEY]
    app[ALERTS_KEY] = RedisAlerts(redis) if redis is not None else MemoryAlerts()
    yield


async def console_ctx(app: web.Application) -> AsyncIterator[None]:
    pipeline, settings = app[PIPELINE_KEY], app[SETTINGS_KEY]
    session_seconds = settings.console_session_hours * 3600
    hashing = PasswordHashing(queue=settings.password_hash_queue)
    sessions = Sessions(pipeline.storage, pipeline.sealer, session_seconds)
    accounts = Accounts(pipeline.storage, pipeline.sealer, hashing, sessions)
    access = AccessLog(pipeline.storage, pipeline.sealer, pipeline.conversations.retention)
    assert settings.console_secret is not None, "the CLI and the demo always provide one"
    secret = settings.console_secret.get_secret_value()
    if (demo := app[DEMO_OPERATOR_KEY]) is not None:
        await accounts.add(*demo, Role.ADMIN, [], replace=True)
    app[CONSOLE_KEY] = Console(
        accounts=accounts,
        access=access,
        conversations=pipeline.conversations,
        outbox=pipeline.outbox,
        broker=pipeline.broker,
        practices=app[PRACTICES_KEY],
        session_seconds=session_seconds,
        sessions=sessions,
        guard=SignInGuard(accounts, Backoff(pipeline.storage), DeviceCookies(secret), access),
        login_key=hashlib.sha256(f"console-login:{secret}".encode()).digest(),
        device_seconds=settings.console_device_days * 24 * 3600,
        od_writes=OpenDentalWrites(pipeline.storage, pipeline.sealer),
        figures=Figures(pipeline.storage),
        optouts=opt_outs(app),
        book_store=app[BOOK_STORE_KEY],
    )
    try:
        yield
    finally:
        hashing.close()


def opt_outs(app: web.Application) -> OptOuts:
    """The opt-out store, its phones keyed as every process keys them (the worker's STOP, the console's list)."""
    pipeline, settings = app[PIPELINE_KEY], app[SETTINGS_KEY]
    assert settings.conversation_key is not None, "the CLI and the demo always provide one"
    key = settings.conversation_key.get_secret_value()
    return OptOuts(pipeline.storage, pipeline.sealer, lambda wa_id: keyed_hash(key, "phone", wa_id))


async def conversation_ctx(app: web.Application) -> AsyncIterator[None]:
    """The graph-backed turn handler: one Open Dental client, cache and guard per practice."""
    if app[TURN_HANDLER_KEY] is not None:  # a test of the pipeline brings its own
        yield
        return
    pipeline, settings = app[PIPELINE_KEY], app[SETTINGS_KEY]
    writes = OpenDentalWrites(pipeline.storage, pipeline.sealer, metrics=app[METRICS_KEY])
    assert settings.conversation_key is not None, "the CLI and the demo always provide one"
    key = settings.conversation_key.get_secret_value()
    optouts = opt_outs(app)
    handler = build_conversation_handler(
        app[PRACTICES_KEY],
        app[LIMITER_KEY],
        app[REDIS_KEY],
        pipeline.conversations,
        settings,
        app[METRICS_KEY],
        writes,
        app[ALERTS_KEY],
        store=app[BOOK_STORE_KEY],
        outreach=OptOutDesk(optouts, writes, lambda pid, wa_id: conversation_id(key, pid, wa_id)),
    )
    app[CONVERSATION_KEY] = handler
    reminders = Reminders(
        {}, optouts, pipeline.conversations, writes, app[ALERTS_KEY], figures=Figures(pipeline.storage)
    )
    handler.reminders = reminders
    pipeline.outbox.failure_hooks.append(reminders.on_send_failed)
    app[REMINDERS_KEY] = reminders
    loaders = (
        handler.loaders(sync_every=settings.book_sync_seconds, patients_every=settings.patient_sync_seconds)
        if settings.book_loader
        else {}
    )
    with in_background():  # the tasks inherit the class: their requests yield to patients' requests
        tasks = [asyncio.create_task(writes.run(handler.writers()), name="od-writes")]
        tasks += [
            asyncio.create_task(loader.run(), name=f"book-loader-{pid}") for pid, loader in loaders.items()
        ]
        if settings.reminders:
            deliver = reminder_delivery(pipeline.broker, pipeline.sealer)
            tasks += [
                asyncio.create_task(
                    run_reminders(handler, pid, reminders, deliver, writes, settings), name=f"reminders-{pid}"
                )
                for pid, runtime in handler.practices.items()
                if runtime.practice.reminders.enabled
            ]
        deliver = reminder_delivery(pipeline.broker, pipeline.sealer)
        for pid, runtime in handler.practices.items():
            if runtime.practice.refill.enabled:
                ledger = RefillLedger(pipeline.storage, pipeline.sealer, pid)
                runtime.office.refill = RefillDesk(runtime.practice, ledger, runtime.office.appointments)
                tasks.append(asyncio.create_task(run_refill(handler, pid, ledger, optouts, deliver, settings), name=f"refill-{pid}"))  # fmt: skip
    tasks.append(asyncio.create_task(handler.alert_webhooks.run(), name="alert-webhooks"))
    yield
    for task in tasks:
        await stop(task, within=10.0)
    for loader in loaders.values():
        await loader.release()
    await handler.aclose()


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    handler: TurnHandler = app[TURN_HANDLER_KEY] or app[CONVERSATION_KEY]
    worker = app[PIPELINE_KEY].worker(app[SETTINGS_KEY], handler)
    task = asyncio.create_task(worker.run(), name="worker")
    app[WORKER_TASK_KEY] = task
    yield
    task.cancel()
    # The worker finishes the turns under way (up to the lock's time) before it ends.
    await asyncio.wait({task}, timeout=app[SETTINGS_KEY].lock_ttl_seconds + 5)
    if not await stop(task, within=10.0):
        logger.error("the worker did not stop; shutting down without it")
    elif not task.cancelled() and task.exception() is not None:
        logger.error("the worker stopped with %s", type(task.exception()).__name__)


def reminder_delivery(broker: Broker, sealer: Sealer) -> Deliver:
    """A due reminder (or a freed time's offer) becomes an event on the inbound queue: its conversation's worker
    sends it under the lock."""

    async def deliver(practice_id: str, wa_id: str, cue: Cue) -> None:
        event = InboundMessage(practice_id=practice_id, wamid=cue.id, user_key=wa_id, wa_id=wa_id, timestamp=int(time.time()), type="reminder", cue=cue)  # fmt: skip
        kind, _, ident = cue.id.partition(".")
        await broker.enqueue(f"{kind}:{practice_id}:{ident}", sealer.seal(event.model_dump_json().encode()))

    return deliver


async def run_reminders(
    handler: ConversationHandler, practice_id: str, reminders: Reminders, deliver: Deliver, writes: OpenDentalWrites, settings: Settings
) -> None:  # fmt: skip
    """A practice's scheduler: its Open Dental settings read (retried while Open Dental is away), then its loop."""
    runtime = handler.practices[practice_id]
    directory = runtime.office.directory
    assert directory is not None, "the handler builds a directory for each practice"
    ledger = Ledger(handler.conversations.storage, handler.conversations.sealer, practice_id)
    while True:
        try:
            scheduler = await scheduler_for(runtime.practice, runtime.client, runtime.office.appointments.cache, directory, ledger, reminders.optouts, deliver, writes, figures=reminders.figures)  # fmt: skip
            break
        except (AdapterError, OSError):
            await asyncio.sleep(30.0)
    reminders.schedulers[practice_id] = scheduler
    await scheduler.run(
        tick_every=settings.reminder_tick_seconds, sweep_every=settings.reminder_sweep_seconds
    )


async def run_refill(
    handler: ConversationHandler, practice_id: str, ledger: RefillLedger, optouts: OptOuts, deliver: Deliver, settings: Settings
) -> None:  # fmt: skip
    """A practice's refill scheduler: the send window read (retried while Open Dental is away), its change
    reports subscribed to, then its loop."""
    runtime = handler.practices[practice_id]
    directory = runtime.office.directory
    assert directory is not None, "the handler builds a directory for each practice"
    cache = runtime.office.appointments.cache
    while True:
        try:
            window = await office_window(runtime.client, runtime.practice)
            break
        except (AdapterError, OSError):
            await asyncio.sleep(30.0)
    scheduler = RefillScheduler(runtime.practice, runtime.client, cache, directory, ledger, optouts, deliver, window=window)  # fmt: skip
    cache.subscribers.append(scheduler.on_changes)
    await scheduler.run(tick_every=settings.reminder_tick_seconds)


async def stop(task: asyncio.Task[None], *, within: float) -> bool:
    """Cancel a background loop until it has ended: a timeout racing a cancel can turn it into an error the
    loop survives (Python 3.11's `wait_for`), so one cancel is not enough. False if it outlived `within`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not task.done() and loop.time() < deadline:
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    return task.done()
