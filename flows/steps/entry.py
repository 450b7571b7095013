"""The start of every turn: the handoff gate, the language, and what the patient said."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from flows.context import Deps, TurnState
from flows.nlu.language import requested, script_after, settle
from flows.nlu.lexicon import fold
from flows.nlu.matching import has
from flows.nlu.picking import pick
from flows.nlu.triggers import opt_out_word
from flows.nlu.understanding import Intent, Understanding
from flows.replies import text
from flows.session import HandoffStatus
from flows.state import ConversationState
from flows.steps import END

ERRORS_BEFORE_HANDOFF = 2
REMINDER_AFTERLIFE = timedelta(hours=12)
NO_DAY: dict[str, object] = {"start": None, "end": None, "weekdays": [], "part_of_day": None, "at": None, "earliest": None, "latest": None, "late": False}  # fmt: skip
"""What is left of a day that is no visit the patient asks for: nothing."""
REQUESTS = (Intent.BOOK, Intent.CONFIRM, Intent.RESCHEDULE, Intent.CANCEL, Intent.OTHER_TIMES)
"""Turns in a row that failed inside the graph before the next one goes to staff."""


def words_of(state: TurnState) -> str:
    return " ".join(t for t in state.get("texts", []) if t).strip()


def gate(
    state: TurnState, runtime: Runtime[Deps]
) -> Command[Literal["remind", "offer_opening", "language", "unsupported", "escalate", "__end__"]]:
    """While staff have the conversation the assistant stays quiet, until released or the quiet period ends.
    A reminder the scheduler sends goes in any case: it is the practice's message, not a reply."""
    deps, status = runtime.context, state["handoff"]
    if "cue" in state:
        return Command(goto="remind" if state["cue"].reminder is not None else "offer_opening")
    update: TurnState = {}
    if status.active:
        quiet = deps.practice.resume_after_minutes * 60
        if deps.now.timestamp() < status.resumes_at(quiet):
            return Command(goto=END, update={"events": ["paused"]})
        note = f"Assistant resumed: no staff activity for {quiet / 60:g} minutes"
        update = {"handoff": HandoffStatus(), "notes": [note], "events": ["resumed"]}
    if not state.get("readable"):
        return Command(goto=END if state.get("silent") else "unsupported", update=update)
    if state.get("errors", 0) >= ERRORS_BEFORE_HANDOFF:
        # The last turns failed on our side: a person takes over rather than the patient retrying a bug.
        return Command(goto="escalate", update={**update, "reason": "assistant_error", "replies": [text("turn.sorry_staff")]})  # fmt: skip
    return Command(goto="language", update=update)


def unsupported(state: TurnState, runtime: Runtime[Deps]) -> TurnState:
    return {"replies": [text("unsupported")]}


def language(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["identify", "understand"]]:
    """Settle the conversation's language; the chart's language decides when the message cannot tell."""
    deps, conv, words = runtime.context, state["conv"], words_of(state)
    languages = deps.practice.languages
    detection = deps.languages.detect(words, languages) if words else None
    asked = requested(words, languages) if words else None
    if asked is None and conv.language is None and detection is None and not conv.family_checked:
        return Command(goto="identify", update={"then": "language"})
    conv = conv.model_copy(deep=True)
    switched = asked is not None and asked != conv.language
    if asked is not None:
        conv.language, conv.language_run = asked, None
    else:
        prior = None
        if not conv.language and detection is None:
            prior = next((m.language for m in conv.members if m.language in languages), None)
        conv.language, conv.language_run = settle(
            conv.language, conv.language_run, detection, prior or deps.practice.default_language
        )
    conv.script = script_after(conv.script, detection) if conv.language == "hi" else None
    # A message in another language is read in that language ("gracias" in an English conversation), even
    # though the replies stay in the conversation's language until it switches.
    reading = detection.language if detection else conv.language
    return Command(
        goto="understand",
        update={
            "conv": conv,
            "language_switched": switched,
            "reading": reading,
            "replies": [text("language.switched")] if switched else [],
        },
    )


def _as_pick(u: Understanding, words: str, conv: ConversationState, language: str) -> Understanding:
    """With times on the screen, "the 2nd" or "the wed 9th one" names a row, not a date (flows/nlu/picking.py)."""
    if conv.awaiting not in ("option", "confirm") or not conv.offered or u.yes is not None:
        return u
    if u.intent not in (None, Intent.BOOK, Intent.GREETING, Intent.THANKS):
        return u
    row = pick(words, [o.start for o in conv.offered], language)
    if row is None:
        return u
    cleared: dict[str, object] = {"start": None, "end": None, "weekdays": [], "at": None, "part_of_day": None, "earliest": None, "latest": None}  # fmt: skip
    return u.model_copy(update={"choice": row, **cleared})


def _asks_for_a_visit(u: Understanding, conv: ConversationState) -> bool:
    """The message asks to book, confirm or change a visit, or answers the conversation about one."""
    return u.intent in REQUESTS or u.kind is not None or conv.intent is not None or conv.awaiting != "nothing"


async def understand(state: TurnState, runtime: Runtime[Deps]) -> TurnState:
    """Read the patient's words (offline rules or the LLM) into one `Understanding`."""
    deps, words = runtime.context, words_of(state)
    reading = state.get("reading") or deps.practice.default_language
    u = await deps.understand(words, deps.now.replace(tzinfo=None), reading, state["conv"])
    first_day = u.start or u.end
    if first_day is not None and first_day < deps.now.date():
        # A past date ("yesterday", "el partido de anoche", a date of birth) is never a visit the patient asks
        # for, and neither is its time of day.
        u = u.model_copy(update=NO_DAY)
    if u.either_day and not _asks_for_a_visit(u, state["conv"]):
        # Hindi "kal" is tomorrow or yesterday: in chit-chat ("kal match dekhoge?") it asks for no visit.
        u = u.model_copy(update=NO_DAY)
    u = _as_pick(u, words, state["conv"], reading)
    if (
        not u.emergency
        and deps.practice.emergency_words
        and has(fold(words), tuple(deps.practice.emergency_words))
    ):
        u = u.model_copy(update={"emergency": True})
    update: TurnState = {"understood": u}
    if (stop := opt_out_word(words, fold)) is not None and not state.get("tap"):
        update["opt_out"] = stop
    conv, forget_before = state["conv"], deps.now.replace(tzinfo=None) - REMINDER_AFTERLIFE
    if any(r.start <= forget_before for r in conv.reminders):
        # Long after its visit a reminder is about nothing; until then an answer to it hears the visit began.
        update["conv"] = conv.model_copy(update={"reminders": [r for r in conv.reminders if r.start > forget_before]})  # fmt: skip
    return update
