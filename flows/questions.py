"""The questions the conversation asks, built from its state: the steps ask them, and an apology repeats them."""

from __future__ import annotations

from datetime import datetime

from flows import choices
from flows.ports import OptionInfo, PracticeFacts
from flows.replies import Choice, Param, Reply, text
from flows.state import ConversationState


def menu(key: str, practice: PracticeFacts, *, confirm: bool = False) -> Reply:
    """What the assistant can do; with `confirm` (the patient has a visit ahead) confirming it too."""
    buttons = [
        Choice(id=choices.menu("book"), key="button.book"),
        Choice(id=choices.menu("reschedule"), key="button.reschedule"),
        Choice(id=choices.menu("cancel"), key="button.cancel"),
    ]
    params: dict[str, Param] = {"practice": practice.name}
    if confirm:
        # WhatsApp shows three reply buttons at most: with a fourth choice the menu is a list.
        rows = [*buttons, Choice(id=choices.menu("confirm"), key="button.menu_confirm")]
        return Reply(key=key, params=params, rows=rows, list_key="button.choose")
    return Reply(key=key, params=params, buttons=buttons)


def handoff_reply(practice: PracticeFacts, now: datetime) -> Reply:
    """Who will answer and when: now if staff are in, else when they are next."""
    opens = practice.hours.next_open(now)
    return text("handoff") if opens is None else text("handoff.closed", when=opens)


def row(choice_id: str, when: datetime, provider: str, minutes: int) -> Choice:
    params = {"when": when, "provider": provider, "minutes": minutes}
    return Choice(id=choice_id, key="row.option", params=params, description_key="row.option_detail")


def options_list(options: list[OptionInfo]) -> Reply:
    rows = [row(choices.option(o.id), o.start, o.provider, o.minutes) for o in options]
    return Reply(key="offer.list", params={"count": len(rows)}, rows=rows)


def kind_question(practice: PracticeFacts) -> Reply:
    rows = [Choice(id=choices.kind(kind), key=f"kind.{kind}") for kind in practice.kinds]
    return Reply(key="ask.kind", rows=rows, list_key="button.choose")


def confirm_question(conv: ConversationState, option: OptionInfo) -> Reply:
    key = "confirm.reschedule" if conv.intent == "reschedule" else "confirm.book"
    buttons = [
        Choice(id=choices.yes(conv.nonce), key="button.yes"),
        Choice(id=choices.no(conv.nonce), key="button.no"),
        Choice(id=choices.OTHER, key="button.other_times"),
    ]
    params: dict[str, Param] = {"when": option.start, "provider": option.provider, "kind": f"kind.{conv.kind or 'visit'}"}  # fmt: skip
    name = family_name(conv)
    if key == "confirm.book" and name is not None:
        key, params["name"] = "confirm.book_for", name
    return Reply(key=key, params=params, buttons=buttons)


def family_name(conv: ConversationState) -> str | None:
    """The first name of whom the visit is for, when the phone is a family's (else None: "you")."""
    if len(conv.members) < 2 or conv.patient is None:
        return None
    return next((m.first_name for m in conv.members if m.pat_num == conv.patient), None)


def cancel_question(when: datetime, nonce: str | None) -> Reply:
    buttons = [
        Choice(id=choices.yes(nonce), key="button.yes_cancel"),
        Choice(id=choices.no(nonce), key="button.no_keep"),
    ]
    return Reply(key="cancel.ask", params={"when": when}, buttons=buttons)


def read_back_question(conv: ConversationState) -> Reply:
    details = conv.details
    assert details.first_name and details.last_name and details.birthdate
    buttons = [
        Choice(id=choices.yes(conv.nonce), key="button.details_right"),
        Choice(id=choices.no(conv.nonce), key="button.details_fix"),
    ]
    name = f"{details.first_name} {details.last_name}"
    return Reply(
        key="details.read_back", params={"name": name, "birthdate": details.birthdate}, buttons=buttons
    )


def pending_question(conv: ConversationState, practice: PracticeFacts) -> Reply | None:
    """The question the conversation is waiting on, asked again; None when it cannot be rebuilt from state."""
    pending = next((o for o in conv.offered if o.id == conv.pending), None)
    if conv.awaiting == "confirm" and pending is not None:
        return confirm_question(conv, pending)
    if conv.awaiting in ("option", "confirm") and conv.offered and conv.intent in ("book", "reschedule"):
        return options_list(conv.offered)
    if conv.awaiting == "read_back" and conv.details.complete:
        return read_back_question(conv)
    if conv.awaiting == "kind":
        return kind_question(practice)
    simple = {"who": "ask.who", "details": "ask.details"}
    return text(simple[conv.awaiting]) if conv.awaiting in simple else None
