"""Reminders: the one the scheduler sends (a turn of its own), the patient's answer to it, and STOP / START.

A reminder's button names the reminder, so the visit and the time it was sent for: an answer is honoured only
for a visit of this phone's family that is still at that time; otherwise the patient hears what changed.
"""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from flows import choices
from flows.choices import ReminderAnswer
from flows.context import Deps, TurnState
from flows.nlu.lexicon import fold
from flows.nlu.matching import has
from flows.nlu.understanding import Intent, Understanding
from flows.questions import menu
from flows.replies import Choice, Reply, text
from flows.state import ConversationState, Reminded
from flows.steps import END
from flows.steps.entry import words_of
from flows.steps.trouble import OpenDentalTrouble, after_trouble

KEEP_REMINDERS = 5
Answer = ReminderAnswer | Literal["declined"]
AfterAnswer = Command[Literal["identify", "confirm_visit", "pick", "od_failed", "__end__"]]


def remind(state: TurnState, runtime: Runtime[Deps]) -> TurnState:
    """The scheduler's reminder: remembered on the conversation (its visit's answers are read about it), then sent."""
    deps, cue = runtime.context, state["cue"]
    assert cue.reminder is not None, "the gate sends only a reminder's cue here"
    conv = cued_state(state, deps)
    now = deps.now.replace(tzinfo=None)
    kept = [r for r in conv.reminders if r.start > now and r.id != cue.reminder.id]
    conv.reminders = [*kept[-(KEEP_REMINDERS - 1) :], cue.reminder]
    return {
        "conv": conv,
        "replies": [reminder_message(cue.reminder, deps.practice.name)],
        "events": ["reminded"],
    }


def cued_state(state: TurnState, deps: Deps) -> ConversationState:
    """A copy of the conversation for a scheduler's message, in the chart's language if it has none yet."""
    cue, conv = state["cue"], state["conv"].model_copy(deep=True)
    if conv.language is None:
        conv.language = (
            cue.language if cue.language in deps.practice.languages else deps.practice.default_language
        )
    return conv


def reminder_message(reminder: Reminded, practice: str) -> Reply:
    params = {
        "name": reminder.first_name,
        "when": reminder.start,
        "provider": reminder.provider,
        "practice": practice,
    }
    if not reminder.ask_confirm:
        return Reply(key="reminder.today" if reminder.step == "day_of" else "reminder.plain", params=params)
    return Reply(
        key="reminder.ask",
        params=params,
        buttons=answer_buttons(reminder.id, ("confirm", "change", "cancel")),
    )


def answer_buttons(rid: str, answers: tuple[ReminderAnswer, ...]) -> list[Choice]:
    keys = {
        "confirm": "button.confirm_visit",
        "change": "button.change_visit",
        "cancel": "button.cancel_visit",
    }
    return [Choice(id=choices.reminder(rid, a), key=keys[a]) for a in answers]


# Said about the visit just reminded of, these ask to move it ("can we make it later?", "¿podemos cambiarla?").
CHANGE_WORDS = (
    "later", "earlier", "move it", "change it", "change the time", "another time", "another day", "different time",
    "mas tarde", "mas temprano", "cambiar", "cambiarla", "moverla", "otra hora", "otro dia",
    "mais tarde", "mais cedo", "mudar", "remarcar", "outro horario", "outro dia",
    "plus tard", "plus tot", "changer", "deplacer", "un autre jour", "une autre heure",
    "spater", "spaeter", "fruher", "frueher", "verschieben", "andern", "aendern", "anderen termin",
    "لاحقا", "لاحقاً", "تغيير", "تأجيل", "موعد آخر", "وقت آخر",
    "बाद में", "बदल", "baad mein", "baad me", "badal", "dusra time",
)  # fmt: skip


def spoken_answer(u: Understanding, words: str = "") -> Answer | None:
    """What a typed message says about the reminder: a yes confirms, a change or a cancel asks for that."""
    if u.intent is Intent.CANCEL:
        return "cancel"
    if u.intent in (Intent.RESCHEDULE, Intent.OTHER_TIMES) or (
        u.intent is None and u.has_when and u.yes is None
    ):
        return "change"
    if u.intent in (None, Intent.GREETING, Intent.THANKS) and has(fold(words), CHANGE_WORDS):
        return "change"
    if u.intent is Intent.CONFIRM or (u.yes is True and u.intent in (None, Intent.GREETING, Intent.THANKS)):
        return "confirm"
    if u.yes is False and u.intent is None:
        return "declined"
    return None


async def reminded(state: TurnState, runtime: Runtime[Deps]) -> AfterAnswer:
    """An answer to a reminder: checked against the family and the book, then the confirm, change or cancel."""
    deps, conv, tap = runtime.context, state["conv"].model_copy(deep=True), state.get("tap")
    answer: Answer | None
    if tap is not None and tap.reminder is not None:
        rid, answer = tap.reminder
        reminder = next((r for r in conv.reminders if r.id == rid), None)
    else:
        reminder, answer = conv.live_reminder(), spoken_answer(state["understood"], words_of(state))
    if reminder is None or answer is None:
        return _end(conv, [text("reminder.unknown"), menu("menu.more", deps.practice)])
    if not conv.family_checked:
        return Command(goto="identify", update={"then": "reminded"})
    if reminder.pat_num not in conv.family:
        return _end(conv, [text("reminder.unknown"), menu("menu.more", deps.practice)])
    if reminder.start <= deps.now.replace(tzinfo=None):
        return _end(conv, [text("reminder.passed", when=reminder.start), menu("menu.more", deps.practice)])
    try:
        visit = await deps.office.visit(reminder.apt_num)
    except OpenDentalTrouble as exc:
        return Command(**after_trouble(state, exc))
    if visit is None or visit.pat_num != reminder.pat_num:
        return _end(conv, [text("reminder.gone", when=reminder.start), menu("menu.more", deps.practice)])
    if visit.start != reminder.start:
        return _end(conv, [text("reminder.moved", before=reminder.start, when=visit.start), menu("menu.more", deps.practice)])  # fmt: skip
    if answer == "declined":
        question = Reply(key="reminder.declined", buttons=answer_buttons(reminder.id, ("change", "cancel")))
        return _end(conv, [question])
    reminder.answered = True
    conv = conv.finished()
    conv.target, conv.patient = visit.apt_num, visit.pat_num
    if answer == "confirm":
        key = f"{deps.conversation}:reminder:{reminder.id}:confirm"
        return Command(goto="confirm_visit", update={"conv": conv, "chosen": visit, "write_key": key})
    conv.intent = "reschedule" if answer == "change" else "cancel"
    return Command(goto="pick", update={"conv": conv, "visits": [visit]})


def _end(conv: ConversationState, replies: list[Reply]) -> AfterAnswer:
    return Command(goto=END, update={"conv": conv, "replies": replies})


async def opt_out(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["identify", "od_failed", "__end__"]]:  # fmt: skip
    """STOP or START: reminders for this phone stop (or start again), on the chart too. Written without a
    question: the word is the request, and START undoes it."""
    deps, conv, stop = runtime.context, state["conv"], state["opt_out"]
    if not conv.family_checked:
        return Command(goto="identify", update={"then": "opt_out"})
    try:
        changed = await deps.office.set_reminders(deps.user_key, conv.family, allowed=not stop)
    except OpenDentalTrouble as exc:
        return Command(**after_trouble(state, exc))
    key = ("optout.stopped" if changed else "optout.already_stopped") if stop else ("optout.started" if changed else "optout.already_started")  # fmt: skip
    # The word ends what was under way too: a question left open would take a later "yes" as its answer.
    update: TurnState = {"conv": conv.finished(), "replies": [text(key, practice=deps.practice.name)], "events": ["opted_out" if stop else "opted_in"]}  # fmt: skip
    return Command(goto=END, update=update)
