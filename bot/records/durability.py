"""Whether Redis keeps what the webhook acknowledged: the rule every process applies before it starts.

Once the webhook answers 200, Meta never sends the message again, so Redis must keep it through a crash: the
append-only file with `appendfsync always` (nothing lost) or `everysec` (at most a second on a host crash).
`CONFIG GET` tells; managed Redis often refuses it, and then `INFO persistence` says whether AOF is on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import ResponseError

Check = Literal["enforce", "assume-durable", "off"]
FIX = (
    "turn on the append-only file: `appendonly yes` and `appendfsync everysec` in redis.conf (or CONFIG SET)"
)


class Durability(BaseModel):
    ok: bool
    said: str
    """What Redis told, or why it is refused, in words for the operator."""


async def durability(redis: Redis, check: Check = "enforce") -> Durability:
    """Apply the rule: AOF with fsync always or everysec; no AOF or `appendfsync no` is refused."""
    if check == "off":
        return Durability(
            ok=True, said="not checked (REDIS_DURABILITY=off: acknowledged messages may be lost)"
        )
    try:
        config = await redis.config_get("append*")
    except ResponseError:  # managed Redis: CONFIG is not for customers
        config = {}
    if config:
        aof, fsync = str(config.get("appendonly", "")), str(config.get("appendfsync", ""))
        if aof != "yes":
            return Durability(ok=False, said=f"Redis keeps no append-only file, so a crash loses acknowledged messages: {FIX}")  # fmt: skip
        if fsync not in ("always", "everysec"):
            return Durability(ok=False, said=f"Redis has appendfsync {fsync or 'unset'}, which can lose minutes of messages: set appendfsync everysec")  # fmt: skip
        return Durability(ok=True, said=f"append-only file, appendfsync {fsync}")
    info = await _persistence(redis)
    if info.get("aof_enabled") in (1, "1"):
        return Durability(
            ok=True, said="append-only file on (INFO persistence; its fsync policy is not visible)"
        )
    if info.get("aof_enabled") in (0, "0"):
        return Durability(ok=False, said=f"Redis keeps no append-only file (INFO persistence): {FIX}")
    if check == "assume-durable":
        return Durability(ok=True, said="cannot tell; assumed durable (REDIS_DURABILITY=assume-durable)")
    return Durability(ok=False, said="Redis does not say whether it keeps an append-only file; check with your provider, then set REDIS_DURABILITY=assume-durable")  # fmt: skip


async def _persistence(redis: Redis) -> dict[str, object]:
    try:
        return dict(await redis.info("persistence"))
    except ResponseError:
        return {}
