"""The ids of the buttons and list rows the conversation offers, encoded and read in one place.

A tap comes back as one of these ids; `parse` turns it into a `Tap` the router and the steps read, so no other
module knows the prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TapKind = Literal["option", "visit", "kind", "menu", "yes", "no", "other", "reminder", "opening", "unknown"]
ReminderAnswer = Literal["confirm", "change", "cancel"]
REMINDER_ANSWERS: tuple[ReminderAnswer, ...] = ("confirm", "change", "cancel")
OpeningAnswer = Literal["yes", "no"]
MenuItem = Literal["book", "reschedule", "cancel", "confirm"]
MENU: tuple[MenuItem, ...] = ("book", "reschedule", "cancel", "confirm")

YES, NO, OTHER = "yes", "no", "other"


@dataclass(frozen=True)
class Tap:
    kind: TapKind
    value: str = ""

    @property
    def visit(self) -> int | None:
        return int(self.value) if self.kind == "visit" and self.value.isdecimal() else None

    @property
    def reminder(self) -> tuple[str, ReminderAnswer] | None:
        """The reminder id and the answer of a reminder's button."""
        rid, _, answer = self.value.partition(":")
        for known in REMINDER_ANSWERS:
            if self.kind == "reminder" and answer == known and rid:
                return rid, known
        return None

    @property
    def opening(self) -> tuple[str, OpeningAnswer] | None:
        """The offer id and the answer of a freed time's button."""
        offer, _, answer = self.value.rpartition(":")
        if self.kind == "opening" and offer and answer in ("yes", "no"):
            return offer, "yes" if answer == "yes" else "no"
        return None


def yes(nonce: str | None) -> str:
    """The Yes of one confirmation question: a tap names the question it answers."""
    return f"{YES}:{nonce}" if nonce else YES


def no(nonce: str | None) -> str:
    return f"{NO}:{nonce}" if nonce else NO


def option(option_id: str) -> str:
    return f"opt:{option_id}"


def visit(apt_num: int) -> str:
    return f"apt:{apt_num}"


def kind(name: str) -> str:
    return f"kind:{name}"


def menu(item: MenuItem) -> str:
    return f"menu:{item}"


def reminder(reminder_id: str, answer: ReminderAnswer) -> str:
    """A reminder's button (a template's quick-reply payload): it names the reminder, hence the visit and time."""
    return f"rem:{reminder_id}:{answer}"


def opening(offer_id: str, answer: OpeningAnswer) -> str:
    """A freed time's button (a template's quick-reply payload): it names the offer, which only our ledger knows."""
    return f"fill:{offer_id}:{answer}"


_PREFIXES: dict[str, TapKind] = {
    "fill": "opening",
    "opt": "option",
    "apt": "visit",
    "kind": "kind",
    "menu": "menu",
    "rem": "reminder",
}
_WORDS: dict[str, TapKind] = {YES: "yes", NO: "no", OTHER: "other"}


def parse(choice_id: str | None) -> Tap | None:
    """What a tapped id means; None when nothing was tapped, `unknown` for an id we never sent."""
    if not choice_id:
        return None
    if choice_id in _WORDS:
        return Tap(_WORDS[choice_id])  # typed, or a button sent before questions carried their nonce
    prefix, _, value = choice_id.partition(":")
    if prefix in (YES, NO) and value:
        return Tap(_WORDS[prefix], value)
    tap_kind = _PREFIXES.get(prefix)
    if tap_kind is None or not value or (tap_kind == "menu" and value not in MENU):
        return Tap("unknown", choice_id)
    tap = Tap(tap_kind, value)
    if (tap_kind == "reminder" and tap.reminder is None) or (tap_kind == "opening" and tap.opening is None):
        return Tap("unknown", choice_id)
    return tap
