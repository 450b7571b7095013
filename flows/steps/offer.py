"""Booking and rescheduling: what is missing, the search for openings, the list, the time the patient picks."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from flows import nearest
from flows.context import Deps, TurnState
from flows.nlu.understanding import Intent, Understanding
from flows.ports import OptionInfo
from flows.questions import kind_question, options_list
from flows.replies import Reply, text
from flows.state import ConversationState, Wanted
from flows.steps import END
from flows.steps.trouble import OpenDentalTrouble, after_trouble
from od_adapter import PartOfDay, Preferences


def offer(
    state: TurnState, runtime: Runtime[Deps]
) -> Command[Literal["identify", "search", "change", "__end__"]]:
    """Move a booking (or a reschedule) forward: ask for what is missing, else search."""
    deps, u, tap = runtime.context, state["understood"], state.get("tap")
    conv = state["conv"].model_copy(deep=True)
    menu_book = tap is not None and tap.kind == "menu" and tap.value == "book"
    if (
        menu_book
        or conv.intent not in ("book", "reschedule")
        or (u.intent is Intent.BOOK and conv.intent != "book")
    ):
        conv.finish_flow()
        conv.intent = "book"
    if tap is not None and tap.kind == "kind":
        conv.kind = tap.value
    elif u.kind and conv.intent == "book":
        conv.kind = u.kind
    later = u.intent is Intent.OTHER_TIMES or (tap is not None and tap.kind == "other")
    merge_wanted(conv, u, later=later)
    if conv.intent == "reschedule" and conv.target is None:
        return Command(goto="change", update={"conv": conv})  # which visit to move is not known yet
    if conv.intent == "book" and conv.patient is None:
        if not conv.family_checked:
            return Command(goto="identify", update={"conv": conv, "then": "offer"})
        if len(conv.members) != 1:
            conv.awaiting = "who" if conv.members else "details"
            return Command(goto=END, update={"conv": conv, "replies": [text("ask.who" if conv.members else "ask.details")]})  # fmt: skip
        conv.patient, conv.dentist = conv.members[0].pat_num, conv.members[0].dentist
    if conv.intent == "book" and conv.kind is None:
        conv.awaiting = "kind"
        return Command(goto=END, update={"conv": conv, "replies": [kind_question(deps.practice)]})
    return Command(goto="search", update={"conv": conv, "later": later})


FEW = 2
"""Fewer matches than this and the nearest other times are offered beside them ("the second one" has a row)."""


async def search(
    state: TurnState, runtime: Runtime[Deps]
) -> Command[Literal["present", "od_failed", "__end__"]]:
    """Find openings; when none match, widen what was asked in the ways the patient would expect."""
    deps, conv = runtime.context, state["conv"].model_copy(deep=True)
    replies: list[Reply] = []
    try:
        options = await _find(conv, deps)
        if not options and state.get("later") and conv.wanted.end is not None:
            conv.wanted.end = None  # the asked-for days are used up: "other times" looks beyond them
            options = await _find(conv, deps)
        if not options and conv.wanted.at is not None:
            conv.wanted.at = None  # that exact time is taken: show what else the day has
            replies.append(text("offer.exact_taken"))
            options = await _find(conv, deps)
        nearby = not options  # the list is the nearest times only, said as such
        if len(options) < FEW and (conv.kind is not None or conv.target is not None):
            # No dead end: say what was searched and offer the nearest times too, one tap away.
            around = await _find(conv, deps, nearest.wider(conv.wanted, deps.now.date()))
            more = nearest.rank([o for o in around if o.id not in {x.id for x in options}], conv.wanted)
            said = nearest.searched(conv.wanted) if not options else text("offer.few")
            replies.extend([said] if said is not None and more else [])
            options = options + more[: nearest.SHOWN - len(options)]
    except OpenDentalTrouble as exc:
        return Command(**after_trouble(state, exc))
    return Command(
        goto="present", update={"conv": conv, "found": options, "replies": replies, "nearby": nearby}
    )


async def _find(conv: ConversationState, deps: Deps, wanted: Wanted | None = None) -> list[OptionInfo]:
    asked = prefs(conv, wanted)
    if conv.intent == "reschedule" and conv.target is not None:
        return await deps.office.reschedule_options(conv.target, asked)
    if conv.kind is None:
        return []
    return await deps.office.options(conv.kind, asked, new_patient=conv.new_patient, dentist=conv.dentist)


def present(state: TurnState, runtime: Runtime[Deps]) -> TurnState:
    """Show the options found (up to a list's ten rows), or say that nothing matched."""
    conv, options = state["conv"].model_copy(deep=True), state.get("found", [])
    if not options:
        conv.awaiting = "nothing"
        return {"conv": conv, "replies": [text("offer.none")]}
    conv.offered, conv.awaiting, conv.pending = options[:10], "option", None
    listed = options_list(conv.offered)
    if state.get("nearby"):
        listed.key, listed.params = "offer.nearest", {}
    return {"conv": conv, "replies": [listed]}


def choose_time(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["offer", "consent"]]:
    """The patient picked one of the times offered (a tap, a number, a time); ask for their yes."""
    conv, u, tap = state["conv"].model_copy(deep=True), state["understood"], state.get("tap")
    picked = _picked(conv, u, tap.value if tap is not None and tap.kind == "option" else None)
    if picked is None and tap is not None:
        # A tap on an old list: its times may be gone. Say so and show what is free now.
        return Command(goto="offer", update={"tap": None, "replies": [text("offer.stale")]})
    if picked is None:
        return Command(goto="offer")
    conv.pending, conv.awaiting = picked.id, "confirm"
    return Command(goto="consent", update={"conv": conv, "asking": True})


def _picked(conv: ConversationState, u: Understanding, tapped: str | None) -> OptionInfo | None:
    if tapped is not None:
        return next((o for o in conv.offered if o.id == tapped), None)
    if u.choice is not None and conv.offered:
        index = len(conv.offered) - 1 if u.choice == -1 else u.choice - 1
        return conv.offered[index] if 0 <= index < len(conv.offered) else None
    if u.at is not None:
        same = [
            o
            for o in conv.offered
            if o.start.time() == u.at and (u.start is None or o.start.date() == u.start)
        ]
        return same[0] if same else None
    if u.start is not None:
        same_day = [o for o in conv.offered if o.start.date() == u.start]
        return same_day[0] if len(same_day) == 1 else None
    return None


def merge_wanted(conv: ConversationState, u: Understanding, *, later: bool) -> None:
    """Later words correct earlier ones: a new day replaces the old day, a new time of day the old time."""
    wanted = conv.wanted
    if u.start or u.end or u.weekdays:
        wanted.start, wanted.end, wanted.weekdays = u.start, u.end, list(u.weekdays)
    if u.part_of_day or u.earliest or u.latest or u.at or u.late:
        wanted.part_of_day, wanted.earliest, wanted.latest, wanted.at, wanted.late = (
            u.part_of_day,
            u.earliest,
            u.latest,
            u.at,
            u.late,
        )
    if u.asap and not (u.start or u.end or u.weekdays or u.part_of_day or u.at):
        # "As soon as possible" after a day that had nothing: any day now, the earliest first.
        conv.wanted = wanted = Wanted()
    wanted.asap = u.asap or (wanted.asap and not u.has_when)
    if later and conv.offered:
        # "Other times": the days after the last one shown.
        wanted.start = max(o.start for o in conv.offered).date() + timedelta(days=1)
        if wanted.end is not None and wanted.end < wanted.start:
            wanted.end = None
        wanted.at = None


def prefs(conv: ConversationState, wanted: Wanted | None = None) -> Preferences:
    wanted = wanted or conv.wanted
    earliest, latest = (wanted.at, wanted.at) if wanted.at is not None else (wanted.earliest, wanted.latest)
    return Preferences(
        start=wanted.start,
        end=wanted.end,
        weekdays=frozenset(wanted.weekdays),
        part_of_day=PartOfDay(wanted.part_of_day) if wanted.part_of_day else None,
        earliest_start=earliest,
        latest_start=latest,
        preferred_prov_num=conv.dentist,
        asap=wanted.asap,
        late=wanted.late,
    )
