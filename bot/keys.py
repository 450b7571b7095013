"""Every typed application key of the bot's aiohttp app, in one place.

The keys name their types only for the type checker (aiohttp does not need them at run time), so asking for a
key does not import the console, the pipeline or Redis.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.alerts import Alerts
    from bot.console.accounts import Operator
    from bot.console.service import Console
    from bot.console.sessions import ConsoleSession
    from bot.conversation.handler import ConversationHandler
    from bot.monitoring.metrics import Metrics
    from bot.od_events import OdEvents
    from bot.practices import PracticesFile
    from bot.queue.broker import Broker
    from bot.queue.pipeline import Pipeline
    from bot.queue.turns import TurnHandler
    from bot.records.crypto import Sealer
    from bot.reminders.service import Reminders
    from bot.sandbox.whatsapp import GraphFake
    from bot.settings import Settings
    from od_adapter import KeyValueStore, RateLimiter

SETTINGS_KEY: web.AppKey[Settings] = web.AppKey("settings")
PRACTICES_KEY: web.AppKey[PracticesFile] = web.AppKey("practices")
REDIS_KEY: web.AppKey[Redis | None] = web.AppKey("redis")
LIMITER_KEY: web.AppKey[RateLimiter] = web.AppKey("od_limiter")
PIPELINE_KEY: web.AppKey[Pipeline] = web.AppKey("pipeline")
BROKER_KEY: web.AppKey[Broker] = web.AppKey("broker")
SEALER_KEY: web.AppKey[Sealer] = web.AppKey("sealer")
METRICS_KEY: web.AppKey[Metrics] = web.AppKey("metrics")
CONSOLE_KEY: web.AppKey[Console] = web.AppKey("console")
ALERTS_KEY: web.AppKey[Alerts] = web.AppKey("handoff_alerts")
"""Handoff alerts: published by the worker, streamed to the console (Redis pub/sub, or memory embedded)."""
CLOSING_KEY: web.AppKey[asyncio.Event] = web.AppKey("console_closing")
"""Set when the server shuts down, so the console's alert streams end."""
BOOK_STORE_KEY: web.AppKey[KeyValueStore] = web.AppKey("book_store")
"""The sealed store of the book cache and booking records: shared by the conversation (its loaders) and the
Open Dental events endpoint (its nudges), Redis or one process's memory."""
OD_EVENTS_KEY: web.AppKey[OdEvents] = web.AppKey("od_events")
CONVERSATION_KEY: web.AppKey[ConversationHandler] = web.AppKey("conversation_handler")
"""The graph-backed turn handler, built once per process for the worker (and closed with it)."""
REMINDERS_KEY: web.AppKey[Reminders] = web.AppKey("reminders")
"""The worker's reminder schedulers and opt-outs (absent in a process without a worker)."""
TURN_HANDLER_KEY: web.AppKey[TurnHandler | None] = web.AppKey("turn_handler")
"""A turn handler given in place of the conversation (tests of the pipeline); None for the real one."""
METRICS_URL_KEY: web.AppKey[str] = web.AppKey("metrics_url")
"""Where the separate metrics listener answers ("" when it is off or could not bind)."""
METRICS_TOKEN_KEY: web.AppKey[str] = web.AppKey("metrics_token")
WORKER_TASK_KEY: web.AppKey[asyncio.Task[None]] = web.AppKey("worker_task")
"""The running worker, which a worker process waits on."""
DEMO_OPERATOR_KEY: web.AppKey[tuple[str, str] | None] = web.AppKey("demo_operator")
"""The demo's operator account, created at start (None outside the demo)."""
GRAPH_FAKE_KEY: web.AppKey[GraphFake] = web.AppKey("graph_fake")
"""The WhatsApp sandbox's Graph API fake (the demo and tests)."""
WEBHOOK_SECRET_KEY: web.AppKey[str] = web.AppKey("sandbox_webhook_secret")
PHONE_PRACTICES_KEY: web.AppKey[PracticesFile] = web.AppKey("phone_practices")
"""The practices the phone simulator lets a patient write to."""

OPERATOR_KEY: web.RequestKey[Operator] = web.RequestKey("operator")
"""The signed-in operator of a console request."""
SESSION_KEY: web.RequestKey[ConsoleSession] = web.RequestKey("console_session")
LOGIN_TOKEN_KEY: web.RequestKey[str] = web.RequestKey("console_login_token")
