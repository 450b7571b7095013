"""Every typed application key of the bot's aiohttp app, in one place."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis

from bot.broker import Broker
from bot.console.service import Console
from bot.crypto import Sealer
from bot.metrics import Metrics
from bot.pipeline import Pipeline
from bot.settings import Settings
from od_adapter.config import PracticesFile
from od_adapter.ratelimit import RateLimiter

SETTINGS_KEY = web.AppKey("settings", Settings)
PRACTICES_KEY = web.AppKey("practices", PracticesFile)
REDIS_KEY = web.AppKey("redis", Redis | None)  # type: ignore[arg-type]
LIMITER_KEY = web.AppKey("od_limiter", RateLimiter)  # type: ignore[type-abstract]
PIPELINE_KEY = web.AppKey("pipeline", Pipeline)
BROKER_KEY = web.AppKey("broker", Broker)  # type: ignore[type-abstract]
SEALER_KEY = web.AppKey("sealer", Sealer)
METRICS_KEY = web.AppKey("metrics", Metrics)
CONSOLE_KEY = web.AppKey("console", Console)
METRICS_URL_KEY = web.AppKey("metrics_url", str)
"""Where the separate metrics listener answers ("" when it is off or could not bind)."""
METRICS_TOKEN_KEY = web.AppKey("metrics_token", str)
