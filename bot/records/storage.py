"""The bot's durable records (conversations, transcripts, the outbox) on Redis or, embedded, in memory.

Values are bytes and already sealed by the caller when they hold PHI. `claim` is an atomic create-if-absent;
an index is a scored set used to find due work (outbox records waiting to be sent).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol, cast

from redis.asyncio import Redis

from bot.records.crypto import Sealer
from od_adapter import KeyValueStore, MemoryStore, RedisStore


class Storage(KeyValueStore, Protocol):
    async def append(self, key: str, value: bytes, ttl_seconds: float) -> None: ...

    async def items(self, key: str, start: int = 0, end: int = -1) -> list[bytes]: ...

    async def index_add(self, key: str, member: str, score: float) -> None: ...

    async def index_due(self, key: str, max_score: float, count: int = 100) -> list[str]: ...

    async def index_remove(self, key: str, member: str) -> None: ...

    async def index_newest(self, key: str, count: int) -> list[tuple[str, float]]: ...

    async def index_trim(self, key: str, below: float) -> None: ...

    async def incr(self, key: str, ttl_seconds: float) -> int:
        """Add one to a counter that expires `ttl_seconds` after it was created."""
        ...

    async def tally(self, key: str, name: str, amount: float, ttl_seconds: float) -> None:
        """Add to one named figure of a set of figures (a hash) that expires `ttl_seconds` after its last change."""
        ...

    async def tallies(self, key: str) -> dict[str, float]: ...


class MemoryStorage(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self._lists: dict[str, list[bytes]] = defaultdict(list)
        self._indexes: dict[str, dict[str, float]] = defaultdict(dict)
        self._tallies: dict[str, dict[str, float]] = {}

    async def append(self, key: str, value: bytes, ttl_seconds: float) -> None:
        self._lists[key].append(value)

    async def items(self, key: str, start: int = 0, end: int = -1) -> list[bytes]:
        values = self._lists.get(key, [])
        return values[start:] if end == -1 else values[start : end + 1]

    async def index_add(self, key: str, member: str, score: float) -> None:
        self._indexes[key][member] = score

    async def index_due(self, key: str, max_score: float, count: int = 100) -> list[str]:
        due = sorted((score, member) for member, score in self._indexes[key].items() if score <= max_score)
        return [member for _, member in due[:count]]

    async def index_remove(self, key: str, member: str) -> None:
        self._indexes[key].pop(member, None)

    async def index_newest(self, key: str, count: int) -> list[tuple[str, float]]:
        ranked = sorted(self._indexes[key].items(), key=lambda item: item[1], reverse=True)
        return ranked[:count]

    async def index_trim(self, key: str, below: float) -> None:
        self._indexes[key] = {m: score for m, score in self._indexes[key].items() if score >= below}

    async def incr(self, key: str, ttl_seconds: float) -> int:
        if await self.get(key) is None:
            await self.set(key, b"0", ttl_seconds)
        value, expires = self._data[key]
        self._data[key] = (str(int(value) + 1).encode(), expires)  # the window runs from the first failure
        return int(value) + 1

    async def tally(self, key: str, name: str, amount: float, ttl_seconds: float) -> None:
        figures = self._tallies.setdefault(key, {})
        figures[name] = figures.get(name, 0.0) + amount

    async def tallies(self, key: str) -> dict[str, float]:
        return dict(self._tallies.get(key, {}))


class RedisStorage(RedisStore):
    def __init__(self, redis: Redis, prefix: str = "wa") -> None:
        super().__init__(redis, prefix)

    async def append(self, key: str, value: bytes, ttl_seconds: float) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(self._key(key), value)
            pipe.pexpire(self._key(key), int(ttl_seconds * 1000))
            await pipe.execute()

    async def items(self, key: str, start: int = 0, end: int = -1) -> list[bytes]:
        # The client does not decode responses, so the values are bytes (redis-py types them bytes | str).
        return [bytes(v) for v in cast("list[bytes]", await self.redis.lrange(self._key(key), start, end))]

    async def index_add(self, key: str, member: str, score: float) -> None:
        await self.redis.zadd(self._key(key), {member: score})

    async def index_due(self, key: str, max_score: float, count: int = 100) -> list[str]:
        members = await self.redis.zrangebyscore(self._key(key), "-inf", max_score, start=0, num=count)
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]

    async def index_remove(self, key: str, member: str) -> None:
        await self.redis.zrem(self._key(key), member)

    async def index_newest(self, key: str, count: int) -> list[tuple[str, float]]:
        # withscores=True answers (member, score) pairs; redis-py's return type also allows bare members.
        members = cast(
            "list[tuple[bytes | str, float]]",
            await self.redis.zrevrange(self._key(key), 0, count - 1, withscores=True),
        )
        return [(m.decode() if isinstance(m, bytes) else str(m), float(score)) for m, score in members]

    async def index_trim(self, key: str, below: float) -> None:
        await self.redis.zremrangebyscore(self._key(key), "-inf", f"({below}")

    async def incr(self, key: str, ttl_seconds: float) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(self._key(key))
            pipe.pexpire(self._key(key), int(ttl_seconds * 1000), nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def tally(self, key: str, name: str, amount: float, ttl_seconds: float) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrbyfloat(self._key(key), name, amount)
            pipe.pexpire(self._key(key), int(ttl_seconds * 1000))
            await pipe.execute()

    async def tallies(self, key: str) -> dict[str, float]:
        raw = cast("dict[bytes, bytes]", await self.redis.hgetall(self._key(key)))
        return {k.decode(): float(v) for k, v in raw.items()}


class SealedStore:
    """A key-value store whose values are sealed: what `od_adapter` caches (the appointment book, booking
    records) is PHI too, and `od_adapter` knows nothing of our keys, so the edge wraps its store."""

    def __init__(self, store: KeyValueStore, sealer: Sealer) -> None:
        self.store = store
        self.sealer = sealer

    async def get(self, key: str) -> bytes | None:
        raw = await self.store.get(key)
        return self.sealer.open(raw) if raw is not None else None

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        return [self.sealer.open(raw) if raw is not None else None for raw in await self.store.get_many(keys)]

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        await self.store.set(key, self.sealer.seal(value), ttl_seconds)

    async def claim(self, key: str, value: bytes, ttl_seconds: float) -> bool:
        return await self.store.claim(key, self.sealer.seal(value), ttl_seconds)

    async def delete(self, key: str) -> None:
        await self.store.delete(key)
