"""The practice's confirmation statuses: which mean the patient confirmed, and the default a visit starts with."""

from __future__ import annotations

from dataclasses import dataclass

from bot.practices import Practice
from od_adapter import OpenDentalClient


@dataclass(frozen=True)
class Statuses:
    """The practice's confirmation definitions the reminders read and write."""

    confirmed: frozenset[int]
    """DefNums that mean the patient confirmed (a confirm request is skipped, "Sent" never overwrites them)."""
    unconfirmed: int | None = None
    """The default definition a moved visit goes back to (Open Dental's first ApptConfirmed one)."""


async def office_statuses(client: OpenDentalClient, practice: Practice) -> Statuses:
    """The confirmed definitions (the practice's, or eConfirmations' Accepted) and the default (the first)."""
    confirmed = {practice.booking.confirm_def_num} if practice.booking.confirm_def_num else set()
    for pref in await client.preferences("ApptEConfirmStatusAccepted"):
        if pref.value_string.isdecimal():
            confirmed.add(int(pref.value_string))
    definitions = await client.definitions(category=2)
    return Statuses(frozenset(confirmed), definitions[0].def_num if definitions else None)
