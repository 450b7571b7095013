"""The inbound queue: a Redis Stream with a consumer group, or its in-memory twin for the embedded default.

- `enqueue_all` dedupes and appends in one atomic step per event (a Lua script: `SET key NX EX` and `XADD`
  together), so a failure between them can never turn Meta's retry into a lost message. All the events of
  the deliveries that arrive while one script call is in flight go in the next call (`Coalescer`).
- Workers `read` new entries and `reclaim` entries left pending by a worker that died (`XAUTOCLAIM`).
- Each conversation has a waiting set of entry ids: whichever worker reads an entry adds it there; the worker
  holding the conversation's lock takes the whole set as one turn, and `ack`s it (XACK, then XDEL) only
  after the turn is durably recorded.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.queue.coalescing import Coalescer

DEDUPE_TTL_SECONDS = 7 * 24 * 3600  # Meta retries for up to seven days
DEAD_LETTER_TTL_SECONDS = 30 * 24 * 3600  # as long as the transcript that explains them


@dataclass(frozen=True)
class Entry:
    id: str
    payload: bytes


def entry_order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class Broker(Protocol):
    async def setup(self) -> None: ...

    async def enqueue(self, dedupe_key: str, payload: bytes) -> bool:
        """Queue the payload unless this key was queued before; True when queued."""
        ...

    async def enqueue_all(self, events: list[tuple[str, bytes]]) -> list[bool]:
        """`enqueue` each (dedupe key, payload) in order, in one Redis call; which of them were queued."""
        ...

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Entry]: ...

    async def reclaim(self, consumer: str, idle_ms: int, count: int) -> list[Entry]: ...

    async def fetch(self, ids: list[str]) -> list[Entry]: ...

    async def hold(self, conversation: str, entry_id: str) -> None: ...

    async def waiting(self, conversation: str) -> list[str]: ...

    async def ack(self, conversation: str | None, ids: list[str]) -> None: ...

    async def lock(self, conversation: str, token: str, ttl_ms: int) -> bool: ...

    async def renew(self, conversation: str, token: str, ttl_ms: int) -> bool: ...

    async def unlock(self, conversation: str, token: str) -> None: ...

    async def backlog(self) -> dict[str, int]:
        """Entries in the stream and entries read but not yet acknowledged."""
        ...

    async def failed(self, ids: list[str]) -> int:
        """Count one failed attempt at these entries; the most any of them has failed."""
        ...

    async def bury(self, conversation: str, entries: list[Entry]) -> None:
        """Move entries that keep failing out of the queue into the conversation's dead letters."""
        ...

    async def buried(self, conversation: str) -> int:
        """How many of the conversation's entries are dead letters."""
        ...

    async def revive(self, conversation: str) -> int:
        """Queue the conversation's dead letters again (staff retry them); how many."""
        ...


# KEYS: the stream, then one dedupe key per event; ARGV: the dedupe TTL, then one payload per event.
_ENQUEUE = """
local queued = {}
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    queued[i - 1] = redis.call('XADD', KEYS[1], '*', 'd', ARGV[i])
  else
    queued[i - 1] = false
  end
end
return queued
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisBroker:
    def __init__(self, redis: Redis, *, stream: str = "wa:inbound", group: str = "workers") -> None:
        self.redis = redis
        self.stream = stream
        self.group = group
        self._enqueue = redis.register_script(_ENQUEUE)
        self._coalescer: Coalescer[tuple[str, bytes], bool] = Coalescer(self._enqueue_batch)
        self._renew = redis.register_script(_RENEW)
        self._unlock = redis.register_script(_UNLOCK)

    async def setup(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def enqueue(self, dedupe_key: str, payload: bytes) -> bool:
        return (await self.enqueue_all([(dedupe_key, payload)]))[0]

    async def enqueue_all(self, events: list[tuple[str, bytes]]) -> list[bool]:
        return await self._coalescer.submit(events)

    async def _enqueue_batch(self, events: list[tuple[str, bytes]]) -> list[bool]:
        keys = [self.stream, *(f"wa:seen:{key}" for key, _ in events)]
        results = await self._enqueue(keys=keys, args=[DEDUPE_TTL_SECONDS, *(p for _, p in events)])
        return [result is not None for result in results]

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        # block=None does not block; block=0 would block forever.
        # With redis-py's default legacy responses the answer is [[stream, [(id, fields), ...]], ...] (empty, or
        # None, when nothing came); its return type also names the dict shapes of the other response modes.
        response = cast(
            "list[list[Any]] | None",
            await self.redis.xreadgroup(
                self.group, consumer, {self.stream: ">"}, count=count, block=block_ms or None
            ),
        )
        return [_entry(entry_id, fields) for _, entries in response or [] for entry_id, fields in entries]

    async def reclaim(self, consumer: str, idle_ms: int, count: int) -> list[Entry]:
        _, entries, *_ = await self.redis.xautoclaim(
            self.stream, self.group, consumer, min_idle_time=idle_ms, start_id="0-0", count=count
        )
        return [_entry(entry_id, fields) for entry_id, fields in entries if fields]

    async def fetch(self, ids: list[str]) -> list[Entry]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry_id in ids:
                pipe.xrange(self.stream, entry_id, entry_id)
            results = await pipe.execute()
        return [_entry(found[0][0], found[0][1]) for found in results if found]

    async def hold(self, conversation: str, entry_id: str) -> None:
        await self.redis.sadd(f"wa:waiting:{conversation}", entry_id)

    async def waiting(self, conversation: str) -> list[str]:
        members = await self.redis.smembers(f"wa:waiting:{conversation}")
        return sorted((m.decode() if isinstance(m, bytes) else m for m in members), key=entry_order)

    async def ack(self, conversation: str | None, ids: list[str]) -> None:
        if not ids:
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, self.group, *ids)
            pipe.xdel(self.stream, *ids)
            if conversation is not None:
                pipe.srem(f"wa:waiting:{conversation}", *ids)
            await pipe.execute()

    async def lock(self, conversation: str, token: str, ttl_ms: int) -> bool:
        return bool(await self.redis.set(f"wa:lock:{conversation}", token, nx=True, px=ttl_ms))

    async def renew(self, conversation: str, token: str, ttl_ms: int) -> bool:
        return bool(await self._renew(keys=[f"wa:lock:{conversation}"], args=[token, ttl_ms]))

    async def unlock(self, conversation: str, token: str) -> None:
        await self._unlock(keys=[f"wa:lock:{conversation}"], args=[token])

    async def backlog(self) -> dict[str, int]:
        length = await self.redis.xlen(self.stream)
        pending = await self.redis.xpending(self.stream, self.group)
        return {"stream": int(length), "pending": int(pending["pending"])}

    async def failed(self, ids: list[str]) -> int:
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry_id in ids:
                pipe.incr(f"wa:attempts:{entry_id}")
                pipe.expire(f"wa:attempts:{entry_id}", DEDUPE_TTL_SECONDS)
            counts = await pipe.execute()
        return max(int(c) for c in counts[::2]) if ids else 0

    async def bury(self, conversation: str, entries: list[Entry]) -> None:
        if not entries:
            return
        ids = [e.id for e in entries]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(f"wa:dead:{conversation}", *(e.payload for e in entries))
            pipe.expire(f"wa:dead:{conversation}", DEAD_LETTER_TTL_SECONDS)
            pipe.xack(self.stream, self.group, *ids)
            pipe.xdel(self.stream, *ids)
            pipe.srem(f"wa:waiting:{conversation}", *ids)
            pipe.delete(*(f"wa:attempts:{i}" for i in ids))
            await pipe.execute()

    async def buried(self, conversation: str) -> int:
        return int(await self.redis.llen(f"wa:dead:{conversation}"))

    async def revive(self, conversation: str) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrange(f"wa:dead:{conversation}", 0, -1)
            pipe.delete(f"wa:dead:{conversation}")
            payloads, _ = await pipe.execute()
        for payload in payloads:
            await self.redis.xadd(self.stream, {"d": payload})
        return len(payloads)


def _entry(entry_id: bytes | str, fields: dict[bytes, bytes]) -> Entry:
    key = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return Entry(key, bytes(fields[b"d"]))


@dataclass
class MemoryBroker:
    """The same semantics in one process: nothing survives a restart, which the embedded default accepts."""

    _seen: dict[str, float] = field(default_factory=dict)
    _entries: dict[str, bytes] = field(default_factory=dict)
    _new: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    _pending: dict[str, tuple[str, float]] = field(default_factory=dict)
    _waiting: dict[str, set[str]] = field(default_factory=dict)
    _locks: dict[str, tuple[str, float]] = field(default_factory=dict)
    _attempts: dict[str, int] = field(default_factory=dict)
    _dead: dict[str, list[bytes]] = field(default_factory=dict)
    _last_ms: int = 0
    _seq: int = 0

    async def setup(self) -> None:
        return None

    async def enqueue_all(self, events: list[tuple[str, bytes]]) -> list[bool]:
        return [await self.enqueue(key, payload) for key, payload in events]

    async def enqueue(self, dedupe_key: str, payload: bytes) -> bool:
        now = time.time()
        if self._seen.get(dedupe_key, 0) > now:
            return False
        self._seen[dedupe_key] = now + DEDUPE_TTL_SECONDS
        self._add(payload)
        return True

    def _add(self, payload: bytes) -> None:
        ms = int(time.time() * 1000)
        self._seq = self._seq + 1 if ms <= self._last_ms else 0
        self._last_ms = max(ms, self._last_ms)
        entry_id = f"{self._last_ms}-{self._seq}"
        self._entries[entry_id] = payload
        self._new.put_nowait(entry_id)

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        ids: list[str] = []
        if self._new.empty() and block_ms <= 0:
            return []
        try:
            ids.append(await asyncio.wait_for(self._new.get(), timeout=block_ms / 1000 or None))
        except TimeoutError:
            return []
        while len(ids) < count and not self._new.empty():
            ids.append(self._new.get_nowait())
        for entry_id in ids:
            self._pending[entry_id] = (consumer, time.monotonic())
        return [Entry(i, self._entries[i]) for i in ids if i in self._entries]

    async def reclaim(self, consumer: str, idle_ms: int, count: int) -> list[Entry]:
        cutoff = time.monotonic() - idle_ms / 1000
        stale = [i for i, (_, since) in self._pending.items() if since <= cutoff][:count]
        for entry_id in stale:
            self._pending[entry_id] = (consumer, time.monotonic())
        return [Entry(i, self._entries[i]) for i in stale if i in self._entries]

    async def fetch(self, ids: list[str]) -> list[Entry]:
        return [Entry(i, self._entries[i]) for i in ids if i in self._entries]

    async def hold(self, conversation: str, entry_id: str) -> None:
        self._waiting.setdefault(conversation, set()).add(entry_id)

    async def waiting(self, conversation: str) -> list[str]:
        return sorted(self._waiting.get(conversation, set()), key=entry_order)

    async def ack(self, conversation: str | None, ids: list[str]) -> None:
        for entry_id in ids:
            self._pending.pop(entry_id, None)
            self._entries.pop(entry_id, None)
            if conversation is not None:
                self._waiting.get(conversation, set()).discard(entry_id)

    async def lock(self, conversation: str, token: str, ttl_ms: int) -> bool:
        held = self._locks.get(conversation)
        if held is not None and held[1] > time.monotonic():
            return False
        self._locks[conversation] = (token, time.monotonic() + ttl_ms / 1000)
        return True

    async def renew(self, conversation: str, token: str, ttl_ms: int) -> bool:
        held = self._locks.get(conversation)
        if held is None or held[0] != token:
            return False
        self._locks[conversation] = (token, time.monotonic() + ttl_ms / 1000)
        return True

    async def unlock(self, conversation: str, token: str) -> None:
        held = self._locks.get(conversation)
        if held is not None and held[0] == token:
            del self._locks[conversation]

    async def backlog(self) -> dict[str, int]:
        return {"stream": len(self._entries), "pending": len(self._pending)}

    async def failed(self, ids: list[str]) -> int:
        for entry_id in ids:
            self._attempts[entry_id] = self._attempts.get(entry_id, 0) + 1
        return max((self._attempts[i] for i in ids), default=0)

    async def bury(self, conversation: str, entries: list[Entry]) -> None:
        self._dead.setdefault(conversation, []).extend(e.payload for e in entries)
        await self.ack(conversation, [e.id for e in entries])
        for entry in entries:
            self._attempts.pop(entry.id, None)

    async def buried(self, conversation: str) -> int:
        return len(self._dead.get(conversation, []))

    async def revive(self, conversation: str) -> int:
        payloads = self._dead.pop(conversation, [])
        for payload in payloads:
            self._add(payload)
        return len(payloads)
