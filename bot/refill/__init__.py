"""Freed chairs refilled: openings found in the book's change reports, offered in batches to the ASAP list, the
first yes booked through the booking guard (see docs/refill.md)."""

from bot.refill.candidates import fits, ranked
from bot.refill.desk import RefillDesk, Taken
from bot.refill.detect import freed_visit, worth_offering
from bot.refill.ledger import Offer, Opening, RefillLedger, opening_id
from bot.refill.scheduler import RefillScheduler

__all__ = [
    "Offer",
    "Opening",
    "RefillDesk",
    "RefillLedger",
    "RefillScheduler",
    "Taken",
    "fits",
    "freed_visit",
    "opening_id",
    "ranked",
    "worth_offering",
]
