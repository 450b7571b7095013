"""Where `od_adapter` keeps shared state: the appointment-book cache and booking idempotency records.

Redis in production, so every process shares one cache and one record of what was booked; memory for the
embedded default. Values are bytes with a time to live; `claim` is an atomic set-if-absent, which is what makes
one booking out of many replays.
"""

from __future__ import annotations

import time
from typing import Protocol

from redis.asyncio import Redis


class KeyValueStore(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        """Several values in one round trip, in the order asked."""
        ...

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None: ...

    async def claim(self, key: str, value: bytes, ttl_seconds: float) -> bool:
        """Set the key only if it is absent; True when this caller set it."""
        ...

    async def delete(self, key: str) -> None: ...


class MemoryStore:
    def __init__(self) -> None:
        self._data: dict[str, tuple[bytes, float]] = {}

    async def get(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None or item[1] < time.monotonic():
            self._data.pop(key, None)
            return None
        return item[0]

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        return [await self.get(key) for key in keys]

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        self._data[key] = (value, time.monotonic() + ttl_seconds)

    async def claim(self, key: str, value: bytes, ttl_seconds: float) -> bool:
        if await self.get(key) is not None:
            return False
        await self.set(key, value, ttl_seconds)
        return True

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)


class RedisStore:
    def __init__(self, redis: Redis, prefix: str = "od") -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def get(self, key: str) -> bytes | None:
        value = await self.redis.get(self._key(key))
        if value is None:
            return None
        # A client made with decode_responses=True hands back text; the store's values are bytes either way.
        return value.encode() if isinstance(value, str) else bytes(value)

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        if not keys:
            return []
        values = await self.redis.mget([self._key(key) for key in keys])
        return [None if v is None else v.encode() if isinstance(v, str) else bytes(v) for v in values]

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        await self.redis.set(self._key(key), value, px=max(1, int(ttl_seconds * 1000)))

    async def claim(self, key: str, value: bytes, ttl_seconds: float) -> bool:
        return bool(await self.redis.set(self._key(key), value, px=max(1, int(ttl_seconds * 1000)), nx=True))

    async def delete(self, key: str) -> None:
        await self.redis.delete(self._key(key))
