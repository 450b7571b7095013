"""The refill ledger in Redis: one record per freed slot (an opening) and one per offer made for it, sealed.

An opening is keyed by its chair and time, so the same freed slot seen twice (the sync and an API Event, two
workers) is one opening. It is open (in the due index, for its next batch), then filled, expired or excluded.
A batch takes a short claim on the opening first, as a reminder does: two workers never send one batch. An offer
id is random and only the ledger knows it: a made-up or edited id finds nothing and is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from bot.records.crypto import Sealer
from bot.records.storage import Storage

OpeningState = Literal["open", "filled", "expired", "excluded"]
OfferState = Literal["sent", "accepted", "declined", "taken", "expired"]
KEEP = 14 * 24 * 3600
CLAIM_SECONDS = 60.0


def opening_id(practice_id: str, op: int, start: datetime) -> str:
    """Names the chair and the time: the same freed slot reported twice is one opening."""
    seed = f"{practice_id}:{op}:{start.replace(tzinfo=None).isoformat()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


class Opening(BaseModel):
    id: str
    practice_id: str
    start: datetime
    """Local, naive (as Open Dental keeps it)."""
    minutes: int
    op: int
    prov_num: int
    appointment_type_num: int = 0
    hygiene: bool = False
    freed_by: int = 0
    """The patient whose visit left the slot: never offered it."""
    freed_apt: int = 0
    cause: str = ""
    """broken, deleted, moved, unscheduled."""
    depth: int = 0
    """0: freed by the patient or staff; 1: freed by a visit a refill moved earlier (not refilled further)."""
    found_at: float
    due: float
    """When its next batch goes."""
    state: OpeningState = "open"
    reason: str = ""
    offers: list[str] = Field(default_factory=list)
    batches: int = 0
    filled_by: int = 0
    filled_apt: int = 0
    filled_at: float = 0.0


class Offer(BaseModel):
    id: str
    practice_id: str
    opening: str
    pat_num: int
    apt_num: int
    """The patient's ASAP visit the opening would replace."""
    current: datetime
    minutes: int
    appointment_type_num: int = 0
    wa_id: str
    sent_at: float
    state: OfferState = "sent"
    answered_at: float = 0.0


class RefillLedger:
    def __init__(self, storage: Storage, sealer: Sealer, practice_id: str) -> None:
        self.storage = storage
        self.sealer = sealer
        self.practice_id = practice_id
        self._due = f"refill:due:{practice_id}"
        self._log = f"refill:log:{practice_id}"

    async def opening(self, oid: str) -> Opening | None:
        raw = await self.storage.get(f"refill:opening:{self.practice_id}:{oid}")
        return Opening.model_validate_json(self.sealer.open(raw)) if raw else None

    async def save(self, opening: Opening) -> None:
        sealed = self.sealer.seal(opening.model_dump_json().encode())
        await self.storage.set(f"refill:opening:{self.practice_id}:{opening.id}", sealed, KEEP)
        if opening.state == "open":
            await self.storage.index_add(self._due, opening.id, opening.due)
        else:
            await self.storage.index_remove(self._due, opening.id)
        await self.storage.index_add(self._log, opening.id, opening.found_at)

    async def found(self, opening: Opening) -> bool:
        """Record a newly freed slot; False when it is already known (an open one is kept as it is)."""
        held = await self.opening(opening.id)
        if held is not None and (held.state == "open" or held.found_at >= opening.found_at - 60):
            return False
        await self.save(opening)
        return True

    async def due(self, now: float, count: int = 50) -> list[Opening]:
        found = [await self.opening(oid) for oid in await self.storage.index_due(self._due, now, count)]
        return [o for o in found if o is not None]

    async def recent(self, count: int = 200) -> list[Opening]:
        """The openings found lately, newest first (the console's list)."""
        found = [await self.opening(oid) for oid, _ in await self.storage.index_newest(self._log, count)]
        return [o for o in found if o is not None]

    async def claim(self, oid: str) -> bool:
        return await self.storage.claim(f"refill-claim:{self.practice_id}:{oid}", b"1", CLAIM_SECONDS)

    async def release(self, oid: str) -> None:
        await self.storage.delete(f"refill-claim:{self.practice_id}:{oid}")

    def new_offer_id(self) -> str:
        return secrets.token_urlsafe(12)

    async def offer(self, offer_id: str) -> Offer | None:
        if not offer_id or len(offer_id) > 40:
            return None
        raw = await self.storage.get(f"refill:offer:{self.practice_id}:{offer_id}")
        return Offer.model_validate_json(self.sealer.open(raw)) if raw else None

    async def save_offer(self, offer: Offer) -> None:
        sealed = self.sealer.seal(offer.model_dump_json().encode())
        await self.storage.set(f"refill:offer:{self.practice_id}:{offer.id}", sealed, KEEP)

    async def count_offer(self, day: str, pat_num: int) -> int:
        """Count an offer to the patient today; the count so far, this one included."""
        return await self.storage.incr(f"refill:count:{self.practice_id}:{day}:{pat_num}", 2 * 24 * 3600)

    async def take(self, oid: str, offer_id: str) -> bool:
        """The first yes holds the opening (across workers and conversations); later ones hear it is taken."""
        return await self.storage.claim(f"refill:taking:{self.practice_id}:{oid}", offer_id.encode(), KEEP)

    async def taker(self, oid: str) -> str | None:
        raw = await self.storage.get(f"refill:taking:{self.practice_id}:{oid}")
        return raw.decode() if raw else None

    async def let_go(self, oid: str) -> None:
        """The taker's booking did not hold (the guard found the chair taken): the opening is free again."""
        await self.storage.delete(f"refill:taking:{self.practice_id}:{oid}")

    async def moved_by_refill(self, apt_num: int, depth: int) -> None:
        await self.storage.set(f"refill:moved:{self.practice_id}:{apt_num}", str(depth).encode(), KEEP)

    async def refill_depth(self, apt_num: int) -> int | None:
        """The depth of the opening this visit filled, if a refill moved it."""
        raw = await self.storage.get(f"refill:moved:{self.practice_id}:{apt_num}")
        return int(raw) if raw else None
