"""The inbound pipeline's parts, built once from settings: on Redis when configured, in memory otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict, Unpack
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from redis.asyncio import Redis

from bot.monitoring.metrics import Metrics
from bot.queue.broker import Broker, MemoryBroker, RedisBroker
from bot.queue.turns import TurnHandler
from bot.queue.worker import Worker
from bot.records.conversations import Conversations
from bot.records.crypto import Sealer
from bot.records.outbox import Outbox
from bot.records.storage import MemoryStorage, RedisStorage, Storage
from bot.settings import Settings
from bot.whatsapp.cloud_api import CloudApiClient
from bot.whatsapp.pricing import WhatsAppPricing
from bot.whatsapp.typing import TypingPolicy


class WorkerOptions(TypedDict, total=False):
    """The `Worker` options that settings do not decide."""

    consumer: str | None
    batch: int
    block: float
    read_receipts: bool


@dataclass
class Pipeline:
    broker: Broker
    storage: Storage
    sealer: Sealer
    conversations: Conversations
    cloud_api: CloudApiClient
    outbox: Outbox
    metrics: Metrics | None = None

    def worker(self, settings: Settings, handler: TurnHandler, **options: Unpack[WorkerOptions]) -> Worker:
        assert settings.conversation_key is not None
        return Worker(
            self.broker,
            self.sealer,
            self.conversations,
            self.outbox,
            handler,
            conversation_key=settings.conversation_key.get_secret_value(),
            debounce=settings.debounce_seconds,
            lock_ttl=settings.lock_ttl_seconds,
            claim_idle=settings.claim_idle_seconds,
            metrics=self.metrics,
            max_attempts=settings.turn_max_attempts,
            typing=TypingPolicy(after=settings.typing_after_seconds, every=settings.typing_every_seconds),
            **options,
        )

    async def aclose(self) -> None:
        await self.cloud_api.aclose()


def build_pipeline(
    settings: Settings,
    redis: Redis | None,
    metrics: Metrics | None = None,
    zones: Mapping[str, ZoneInfo] | None = None,
    pricing: Mapping[str, WhatsAppPricing] | None = None,
) -> Pipeline:
    sealer = Sealer(settings.encryption_keys)
    storage: Storage = RedisStorage(redis) if redis is not None else MemoryStorage()
    broker: Broker = RedisBroker(redis) if redis is not None else MemoryBroker()
    search_key = settings.conversation_key.get_secret_value() if settings.conversation_key else None
    conversations = Conversations(
        storage, sealer, settings.transcript_retention_days * 24 * 3600, search_key=search_key
    )
    cloud_api = CloudApiClient(
        base_url=settings.graph_api_base_url,
        version=settings.graph_api_version,
        token=settings.whatsapp_token or SecretStr(""),
    )
    outbox = Outbox(
        storage,
        sealer,
        cloud_api,
        conversations,
        metrics=metrics,
        sending_claim=settings.lock_ttl_seconds,
        zones=zones,
        pricing=pricing,
    )
    return Pipeline(broker, storage, sealer, conversations, cloud_api, outbox, metrics)
