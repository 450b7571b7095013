"""The inbound queue: the broker (Redis Streams or memory), the workers that turn it into conversation turns, the
turn-handler port, and the pipeline's parts built from settings."""

from bot.queue.broker import Broker, MemoryBroker, RedisBroker
from bot.queue.pipeline import Pipeline, build_pipeline
from bot.queue.turns import Turn, TurnHandler, TurnResult
from bot.queue.worker import Worker

__all__ = [
    "Broker",
    "MemoryBroker",
    "Pipeline",
    "RedisBroker",
    "Turn",
    "TurnHandler",
    "TurnResult",
    "Worker",
    "build_pipeline",
]
