"""The answer to a freed time: the first yes moves the patient's visit there through the booking guard.

The ledger decides who was first (a claim on the opening, across workers and conversations); the guard then
makes the move exactly once for the offer's key, re-reading the chair before it writes, and leaves the commlog
on the chart. A yes after the opening was filled, expired or excluded hears so, with the next earlier times.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.practices import Practice
from bot.refill.ledger import Offer, Opening, RefillLedger
from od_adapter import AppointmentBook, Booked, Conflict, Lapsed, NotAllowed, Option, Preferences

logger = logging.getLogger(__name__)


@dataclass
class Taken:
    outcome: Literal["booked", "taken", "expired", "unknown"]
    booked: Booked | None = None
    alternatives: list[Option] = field(default_factory=list)


class RefillDesk:
    """One practice's answers to its offers."""

    def __init__(
        self,
        practice: Practice,
        ledger: RefillLedger,
        book: AppointmentBook,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.practice = practice
        self.ledger = ledger
        self.book = book
        self.clock = clock

    def _local_now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), self.practice.zone).replace(tzinfo=None)

    def expired(self, opening: Opening) -> bool:
        """Within the lead time of its start: too late to offer or take."""
        return self._local_now() > opening.start - timedelta(minutes=self.practice.refill.lead_minutes)

    async def take(self, offer_id: str, allowed: set[int], key: str) -> Taken:
        offer = await self.ledger.offer(offer_id)
        if offer is None or offer.pat_num not in allowed:
            return Taken("unknown")
        opening = await self.ledger.opening(offer.opening)
        if opening is None:
            return Taken("unknown")
        mine = opening.state == "filled" and opening.filled_by == offer.pat_num
        if not mine and (opening.state != "open" or self.expired(opening)):
            await self._answered(offer, "expired" if opening.state != "filled" else "taken")
            outcome: Literal["taken", "expired"] = "taken" if opening.state == "filled" else "expired"
            return Taken(outcome, alternatives=await self._earlier(offer))
        if (
            not await self.ledger.take(opening.id, offer.id)
            and await self.ledger.taker(opening.id) != offer.id
        ):
            await self._answered(offer, "taken")
            return Taken("taken", alternatives=await self._earlier(offer))
        # Before the move: the guard's write reports the visit moved at once, and its old time is offered in
        # turn only one level deep.
        await self.ledger.moved_by_refill(offer.apt_num, opening.depth)
        try:
            result = await self._move(opening, offer, key)
        except BaseException:
            # Open Dental away (or an outcome unknown): the opening is free for the next yes again; the guard's
            # re-read before any write, and its key on a retry of this one, keep the chair to one visit.
            await self.ledger.let_go(opening.id)
            raise
        if not isinstance(result, Booked):
            # The chair was taken in Open Dental meanwhile (staff, another booking): the opening is gone.
            await self.ledger.let_go(opening.id)
            await self.ledger.save(opening.model_copy(update={"state": "filled", "reason": "taken in Open Dental"}))  # fmt: skip
            await self._answered(offer, "taken")
            return Taken("taken", alternatives=await self._earlier(offer))
        now = self.clock()
        if opening.state == "open":
            filled = {
                "state": "filled",
                "filled_by": offer.pat_num,
                "filled_apt": offer.apt_num,
                "filled_at": now,
            }
            await self.ledger.save(opening.model_copy(update=filled))
        await self._answered(offer, "accepted")
        return Taken("booked", booked=result)

    async def decline(self, offer_id: str, allowed: set[int]) -> bool:
        offer = await self.ledger.offer(offer_id)
        if offer is None or offer.pat_num not in allowed:
            return False
        if offer.state == "sent":
            await self._answered(offer, "declined")
        return True

    async def _move(self, opening: Opening, offer: Offer, key: str) -> Booked | Conflict | Lapsed:
        """The guard's reschedule of the patient's visit to the opening, in its own visit type where the practice
        books that type (else the freed visit's)."""
        last: NotAllowed | None = None
        for type_num in dict.fromkeys((offer.appointment_type_num, opening.appointment_type_num)):
            option = Option(start=opening.start, minutes=offer.minutes, op=opening.op, prov_num=opening.prov_num, appointment_type_num=type_num, hygiene=opening.hygiene)  # fmt: skip
            try:
                return await self.book.reschedule(offer.apt_num, self.book.option_id(option), {offer.pat_num}, key)  # fmt: skip
            except NotAllowed as exc:
                last = exc
        assert last is not None
        raise last

    async def _answered(
        self, offer: Offer, state: Literal["accepted", "declined", "taken", "expired"]
    ) -> None:
        await self.ledger.save_offer(offer.model_copy(update={"state": state, "answered_at": self.clock()}))

    async def _earlier(self, offer: Offer) -> list[Option]:
        """The next times earlier than the patient's visit (a cached search), for a yes that came too late."""
        try:
            found = await self.book.reschedule_options(offer.apt_num, Preferences(), limit=10)
        except NotAllowed:
            return []
        return [o for o in found if o.start < offer.current][:5]
