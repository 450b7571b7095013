"""One practice's refill scheduler: freed time from the book's change reports, offered in batches, once.

Detection reads only the sync's change reports (staff's changes and ours, and those an API Event made the
loader read at once); candidates come from the ASAP list (`GET /appointments/ASAP`, read in the background
class and kept `asap_every_seconds`), the synced book and the patient directory: one request per few minutes,
none per offer. A due opening is claimed in the ledger (two workers never send one batch), checked again
(still ahead of the lead time, still free in the book, the send window open), and each offer is handed to the
patient's conversation queue as a turn of its own (`Cue`), like a reminder.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.conversation.office import provider_name
from bot.practices import Practice
from bot.refill.candidates import provider_of, ranked
from bot.refill.detect import freed_visit, worth_offering
from bot.refill.ledger import Offer, Opening, RefillLedger, opening_id
from bot.reminders.optouts import OptOuts
from bot.reminders.plan import Window
from bot.reminders.scheduler import Deliver, reachable
from flows.context import Cue
from flows.state import Offered
from od_adapter import (
    AdapterError,
    Appointment,
    AptStatus,
    BookCache,
    BookChange,
    OpenDentalClient,
    PatientDirectory,
    iso639_1,
)

logger = logging.getLogger(__name__)


class RefillScheduler:
    def __init__(
        self,
        practice: Practice,
        client: OpenDentalClient,
        cache: BookCache,
        directory: PatientDirectory,
        ledger: RefillLedger,
        optouts: OptOuts,
        deliver: Deliver,
        *,
        window: Window | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.practice = practice
        self.rules = practice.refill
        self.client = client
        self.cache = cache
        self.directory = directory
        self.ledger = ledger
        self.optouts = optouts
        self.deliver = deliver
        self.window = window or Window.of(practice.reminders, practice.zone)
        self.clock = clock
        self.offered = 0
        self._asap: list[Appointment] = []
        self._asap_at: float | None = None

    @property
    def practice_id(self) -> str:
        return self.practice.phone_number_id

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), self.practice.zone)

    def local_now(self) -> datetime:
        return self.now().replace(tzinfo=None)

    # -- detection --------------------------------------------------------------------------------------------

    async def on_changes(self, changes: list[BookChange]) -> None:
        """The sync's report: every visit broken, deleted, unscheduled or moved away frees its old time."""
        for change in changes:
            found = freed_visit(change)
            if found is None:
                continue
            visit, cause = found
            if not worth_offering(visit, self.rules, self.local_now()):
                continue
            depth = await self.ledger.refill_depth(visit.apt_num)
            if cause == "moved" and depth is not None and depth >= 1:
                continue  # a visit a refill moved earlier frees its old time: offered one level deep only
            assert visit.apt_date_time is not None
            opening = Opening(
                id=opening_id(self.practice_id, visit.op, visit.apt_date_time),
                practice_id=self.practice_id,
                start=visit.apt_date_time,
                minutes=visit.minutes,
                op=visit.op,
                prov_num=provider_of(visit),
                appointment_type_num=visit.appointment_type_num,
                hygiene=visit.is_hygiene,
                freed_by=visit.pat_num,
                freed_apt=visit.apt_num,
                cause=cause,
                depth=0 if depth is None or cause != "moved" else depth + 1,
                found_at=self.clock(),
                due=self.clock(),
            )
            if await self.ledger.found(opening):
                logger.info("refill: a %d-minute opening found (%s)", opening.minutes, cause)

    # -- offers -----------------------------------------------------------------------------------------------

    async def tick(self) -> int:
        """Send the batches that are due; how many offers went."""
        sent = 0
        for opening in await self.ledger.due(self.clock()):
            if not await self.ledger.claim(opening.id):
                continue  # another worker has it
            try:
                sent += await self._batch(opening)
            except (AdapterError, OSError) as exc:
                logger.warning("refill: a batch could not go now (%s); it is tried again", type(exc).__name__)
            finally:
                await self.ledger.release(opening.id)
        self.offered += sent
        return sent

    async def _batch(self, opening: Opening) -> int:
        held = await self.ledger.opening(opening.id)
        if held is None or held.state != "open":
            return 0
        opening = held
        if self.local_now() > opening.start - timedelta(minutes=self.rules.lead_minutes):
            await self.ledger.save(opening.model_copy(update={"state": "expired", "reason": "within the lead time"}))  # fmt: skip
            return 0
        holder = await self._holder(opening)
        if (
            holder is not None
            and holder.apt_num == opening.freed_apt
            and holder.apt_status is AptStatus.BROKEN
        ):
            waiting = {"due": self.clock() + self.rules.batch_every_minutes * 60, "reason": "the broken visit still holds the chair"}  # fmt: skip
            await self.ledger.save(opening.model_copy(update=waiting))
            return 0
        if holder is not None:
            await self.ledger.save(opening.model_copy(update={"state": "filled", "reason": "booked in Open Dental"}))  # fmt: skip
            return 0
        if not self.window.is_open(self.now()):
            later = self.window.earliest_at_or_after(self.now())
            due = later.timestamp() if later is not None else self.clock() + 3600
            await self.ledger.save(opening.model_copy(update={"due": due, "reason": "outside the send window"}))  # fmt: skip
            return 0
        offers = await self._offers(opening)
        for offer, cue in offers:
            await self.ledger.save_offer(offer)
            await self.deliver(self.practice_id, offer.wa_id, cue)
        update = {
            "due": self.clock() + self.rules.batch_every_minutes * 60,
            "offers": [*opening.offers, *(o.id for o, _ in offers)],
            "batches": opening.batches + (1 if offers else 0),
            "reason": "" if offers else "no fitting patient yet",
        }
        await self.ledger.save(opening.model_copy(update=update))
        return len(offers)

    async def _offers(self, opening: Opening) -> list[tuple[Offer, Cue]]:
        """The next batch: the best-ranked fitting patients not offered it yet, reachable, under the daily cap."""
        offered = {o.pat_num for oid in opening.offers if (o := await self.ledger.offer(oid)) is not None}
        today = self.now().date()
        soon = today + timedelta(days=self.rules.skip_if_visit_within_days)
        booked: dict[int, list[datetime]] = {}
        for held in await self.cache.held(today, soon):
            if held.apt_status is AptStatus.SCHEDULED and held.apt_date_time is not None:
                booked.setdefault(held.pat_num, []).append(held.apt_date_time)
        chosen: list[tuple[Offer, Cue]] = []
        for visit in ranked(opening, await self.asap(), self.rules, offered=offered, booked=booked, now=self.local_now()):  # fmt: skip
            if len(chosen) >= self.rules.batch_size:
                break
            patient = await self.directory.chart(visit.pat_num)
            if patient is None:
                continue
            wa_id, _ = await reachable(patient, self.practice, self.optouts)
            if wa_id is None:
                continue
            if await self.ledger.count_offer(today.isoformat(), visit.pat_num) > self.rules.max_offers_per_patient_per_day:  # fmt: skip
                continue
            assert visit.apt_date_time is not None
            offer = Offer(id=self.ledger.new_offer_id(), practice_id=self.practice_id, opening=opening.id, pat_num=visit.pat_num, apt_num=visit.apt_num, current=visit.apt_date_time, minutes=visit.minutes, appointment_type_num=visit.appointment_type_num, wa_id=wa_id, sent_at=self.clock())  # fmt: skip
            offered_to = Offered(id=offer.id, pat_num=offer.pat_num, apt_num=offer.apt_num, start=opening.start, current=offer.current, provider=await self._provider(opening.prov_num), first_name=patient.preferred or patient.f_name)  # fmt: skip
            chosen.append((offer, Cue(offer=offered_to, language=iso639_1(patient.language))))
        return chosen

    async def asap(self) -> list[Appointment]:
        """The ASAP list, read again when older than `asap_every_seconds` (kept on a failed read)."""
        if self._asap_at is None or self.clock() - self._asap_at >= self.rules.asap_every_seconds:
            clinic = self.practice.od.clinic_num or None
            self._asap = await self.client.asap_appointments(clinic_num=clinic)
            self._asap_at = self.clock()
        return self._asap

    async def _holder(self, opening: Opening) -> Appointment | None:
        """A visit that holds the chair at that time (staff booked it, or moved one back), as Open Dental counts
        it: a Broken visit left on the schedule still takes its time, until sent to the Unscheduled List."""
        end = opening.start + timedelta(minutes=opening.minutes)
        for held in await self.cache.held(opening.start.date(), opening.start.date()):
            if not held.apt_status.occupies_chair or held.apt_date_time is None or held.op != opening.op:
                continue
            if held.apt_date_time < end and opening.start < held.apt_date_time + timedelta(
                minutes=held.minutes
            ):
                return held
        return None

    async def _provider(self, prov_num: int) -> str:
        providers = {p.prov_num: p for p in (await self.cache.reference()).providers}
        return provider_name(providers.get(prov_num))

    # -- the loop ---------------------------------------------------------------------------------------------

    async def run(self, *, tick_every: float = 5.0) -> None:
        """Send the due batches every `tick_every` seconds, until cancelled."""
        while True:
            try:
                await self.tick()
            except Exception:  # a bug or Redis away must not stop the practice's refill for good
                logger.exception("the refill scheduler failed a round; retrying")
            await asyncio.sleep(tick_every)
