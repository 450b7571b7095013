"""The graph's nodes: each does one thing to the conversation and adds the replies it owes the patient.

Nothing here writes to Open Dental without the patient's explicit yes: `answer` acts on a pending option or
cancellation (and `change` on a "yes, I'll be there"); every write goes through the office port with an
idempotency key made of the conversation and the confirmed choice, so a repeated "yes" books once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from langgraph.runtime import Runtime

from flows.context import ActionTaken, Deps, TurnState
from flows.nlu.language import requested, settle
from flows.nlu.lexicon import fold
from flows.nlu.matching import has
from flows.nlu.understanding import Intent, Understanding
from flows.ports import AppointmentInfo, BookResult, OptionInfo, PatientInfo, PracticeFacts
from flows.replies import Choice, Reply, text
from flows.state import ConversationState, Wanted
from od_adapter.availability import PartOfDay, Preferences

Update = dict[str, Any]


def _with(state: TurnState, *replies: Reply) -> TurnState:
    """The state with more replies queued: nodes hand it on when they continue into another step."""
    return {**state, "replies": [*state.get("replies", []), *replies]}


def _out(state: TurnState, *replies: Reply) -> Update:
    return {
        "conv": state["conv"],
        "replies": [*state.get("replies", []), *replies],
        "actions": state.get("actions", []),
    }


def _acted(state: TurnState, action: str, done: AppointmentInfo) -> TurnState:
    taken = ActionTaken(action=action, apt_num=done.apt_num, commlog_num=done.commlog_num)
    return {**state, "actions": [*state.get("actions", []), taken]}


async def understand(state: TurnState, runtime: Runtime[Deps]) -> Update:
    deps, conv = runtime.context, state["conv"]
    words = " ".join(t for t in state.get("texts", []) if t).strip()
    detection = deps.languages.detect(words, deps.practice.languages) if words else None
    asked = requested(words, deps.practice.languages) if words else None
    switched = asked is not None and asked != conv.language
    if asked is not None:
        conv.language, conv.language_run = asked, None
    else:
        prior = None if conv.language or detection else await _chart_language(conv, deps)
        conv.language, conv.language_run = settle(
            conv.language, conv.language_run, detection, prior or deps.practice.default_language
        )
    # A message in another language is read in that language ("gracias" in an English conversation), even
    # though the replies stay in the conversation's language until it switches.
    reading = detection.language if detection else conv.language
    u = await deps.understand(words, deps.now.replace(tzinfo=None), reading, conv)
    first_day = u.start or u.end
    if first_day is not None and first_day < deps.now.date():
        # A past date ("yesterday", a date of birth) is never a visit the patient asks for.
        u = u.model_copy(update={"start": None, "end": None})
    if (
        not u.emergency
        and deps.practice.emergency_words
        and has(fold(words), tuple(deps.practice.emergency_words))
    ):
        u = u.model_copy(update={"emergency": True})
    replies = [text("language.switched")] if switched else []
    return {"u": u, "conv": conv, "language_switched": switched, "replies": replies}


async def _chart_language(conv: ConversationState, deps: Deps) -> str | None:
    """The language on the patient's chart, when the first message cannot tell (a tap, "ok", "2")."""
    family = await deps.office.patients_on_phone(deps.user_key)
    conv.family, conv.family_checked = [p.pat_num for p in family], True
    return next((p.language for p in family if p.language in deps.practice.languages), None)


async def acknowledge(state: TurnState, runtime: Runtime[Deps]) -> Update:
    """A message that only asked for another language: its confirmation is the whole reply."""
    return _out(state)


async def emergency(state: TurnState, runtime: Runtime[Deps]) -> Update:
    """Safety first: tell the patient to call now, and have staff follow up on the chart."""
    deps = runtime.context
    state["conv"].handoff = "emergency"
    return _out(
        state,
        text(
            "emergency",
            phone=deps.practice.emergency_phone or "-",
            emergency_number=deps.practice.emergency_number,
        ),
        handoff_reply(deps.practice, deps.now),
    )


async def handoff(state: TurnState, runtime: Runtime[Deps]) -> Update:
    u = state["u"]
    state["conv"].handoff = u.out_of_scope if u.out_of_scope in ("billing", "clinical") else "asked"  # type: ignore[assignment]
    return _out(state, handoff_reply(runtime.context.practice, runtime.context.now))


def handoff_reply(practice: PracticeFacts, now: datetime) -> Reply:
    """Who will answer and when: now if staff are in, else when they are next."""
    opens = practice.hours.next_open(now)
    return text("handoff") if opens is None else text("handoff.closed", when=opens)


async def reset(state: TurnState, runtime: Runtime[Deps]) -> Update:
    state["conv"].finish_flow()
    return _out(state, _menu("reset", runtime.context))


async def greet(state: TurnState, runtime: Runtime[Deps]) -> Update:
    if state["u"].intent is Intent.THANKS:
        return _out(state, text("welcome"))
    return _out(state, _menu("greeting", runtime.context))


async def info(state: TurnState, runtime: Runtime[Deps]) -> Update:
    facts = runtime.context.practice.info
    topic = state["u"].info_topic
    if topic and topic in facts:
        return _out(state, text("info.answer", answer=facts[topic]))
    return _out(state, text("info.topics", topics=", ".join(sorted(facts)) or "-"))


async def fallback(state: TurnState, runtime: Runtime[Deps]) -> Update:
    conv = state["conv"]
    conv.failures += 1
    if conv.failures >= runtime.context.practice.handoff_failures:
        conv.handoff = "not_understood"
        return _out(
            state, text("fallback.giving_up"), handoff_reply(runtime.context.practice, runtime.context.now)
        )
    return _out(state, _menu("fallback", runtime.context))


def _menu(key: str, deps: Deps) -> Reply:
    buttons = [
        Choice(id="menu:book", key="button.book"),
        Choice(id="menu:reschedule", key="button.reschedule"),
        Choice(id="menu:cancel", key="button.cancel"),
    ]
    return Reply(key=key, params={"practice": deps.practice.name}, buttons=buttons)


# -- booking and rescheduling: who, what, when ------------------------------------------------------------------


async def offer(state: TurnState, runtime: Runtime[Deps]) -> Update:
    """Move a booking (or a reschedule) forward: ask for what is missing, else offer options."""
    deps, conv, u = runtime.context, state["conv"], state["u"]
    choice = state.get("choice_id") or ""
    if choice == "menu:book" or conv.intent is None or (u.intent is Intent.BOOK and conv.intent != "book"):
        conv.finish_flow()
        conv.intent = "book"
    if choice.startswith("kind:"):
        conv.kind = choice.removeprefix("kind:")
    elif u.kind and conv.intent == "book":
        conv.kind = u.kind
    later = u.intent is Intent.OTHER_TIMES or choice == "other"
    _merge_wanted(conv, u, later=later)
    if conv.intent == "book":
        if conv.patient is None and (question := await _identify(state, deps)):
            return question
        if conv.kind is None:
            return _ask_kind(state, deps)
    options = await _search(conv, deps)
    if not options and later and conv.wanted.end is not None:
        conv.wanted.end = None  # the asked-for days are used up: "other times" looks beyond them
        options = await _search(conv, deps)
    if not options and conv.wanted.at is not None:
        conv.wanted.at = None  # that exact time is taken: show what else the day has
        state = _with(state, text("offer.exact_taken"))
        options = await _search(conv, deps)
    return _offer(state, options)


async def _search(conv: ConversationState, deps: Deps) -> list[OptionInfo]:
    if conv.intent == "reschedule" and conv.target is not None:
        return await deps.office.reschedule_options(conv.target, _prefs(conv))
    assert conv.kind is not None
    return await deps.office.options(
        conv.kind, _prefs(conv), new_patient=conv.new_patient, dentist=conv.dentist
    )


def _merge_wanted(conv: ConversationState, u: Understanding, *, later: bool) -> None:
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
    wanted.asap = u.asap or (wanted.asap and not u.has_when)
    if later and conv.offered:
        # "Other times": the days after the last one shown.
        wanted.start = max(o.start for o in conv.offered).date() + timedelta(days=1)
        if wanted.end is not None and wanted.end < wanted.start:
            wanted.end = None
        wanted.at = None


def _prefs(conv: ConversationState) -> Preferences:
    wanted = conv.wanted
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


def _offer(state: TurnState, options: list[OptionInfo]) -> Update:
    conv = state["conv"]
    if not options:
        conv.awaiting = "nothing"
        return _out(state, text("offer.none"))
    conv.offered, conv.awaiting, conv.pending = options[:10], "option", None
    rows = [_row(f"opt:{o.id}", o.start, o.provider, o.minutes) for o in conv.offered]
    return _out(state, Reply(key="offer.list", params={"count": len(rows)}, rows=rows))


def _row(choice_id: str, when: Any, provider: str, minutes: int) -> Choice:
    params = {"when": when, "provider": provider, "minutes": minutes}
    return Choice(id=choice_id, key="row.option", params=params, description_key="row.option_detail")


async def _identify(state: TurnState, deps: Deps) -> Update | None:
    """Find who the visit is for; return the question to ask, or None when the patient is known."""
    conv = state["conv"]
    family = await deps.office.patients_on_phone(deps.user_key)
    conv.family, conv.family_checked = [p.pat_num for p in family], True
    if len(family) == 1:
        conv.patient, conv.dentist = family[0].pat_num, family[0].dentist
        return None
    conv.awaiting = "who" if family else "details"
    return _out(state, text("ask.who" if family else "ask.details"))


def _ask_kind(state: TurnState, deps: Deps) -> Update:
    state["conv"].awaiting = "kind"
    rows = [Choice(id=f"kind:{kind}", key=f"kind.{kind}") for kind in deps.practice.kinds]
    return _out(state, Reply(key="ask.kind", rows=rows, list_key="button.choose"))


async def who(state: TurnState, runtime: Runtime[Deps]) -> Update:
    """A family shares the phone: match the first name (and birthdate) typed, or add a new family member."""
    deps, conv, u = runtime.context, state["conv"], state["u"]
    family = await deps.office.patients_on_phone(deps.user_key)
    named = [p for p in family if u.first_name and fold(p.first_name) == fold(u.first_name)]
    if u.birthdate is not None:
        named = [p for p in named if p.birthdate == u.birthdate]
    if len(named) == 1:
        conv.patient, conv.dentist, conv.awaiting = named[0].pat_num, named[0].dentist, "nothing"
        return await offer(state, runtime)
    if u.first_name and u.last_name and u.birthdate and family:
        conv.details.first_name, conv.details.last_name, conv.details.birthdate = (
            u.first_name,
            u.last_name,
            u.birthdate,
        )
        return await _create_patient(state, runtime, guarantor=family[0].guarantor or family[0].pat_num)
    return _out(state, text("ask.who_again"))


async def details(state: TurnState, runtime: Runtime[Deps]) -> Update:
    """A new patient: collect first and last name and date of birth, then create the chart."""
    conv, u = state["conv"], state["u"]
    conv.details.first_name = u.first_name or conv.details.first_name
    conv.details.last_name = u.last_name or conv.details.last_name
    conv.details.birthdate = u.birthdate or conv.details.birthdate
    if not conv.details.complete:
        return _out(state, text("ask.details_missing"))
    return await _create_patient(state, runtime, guarantor=None)


async def _create_patient(state: TurnState, runtime: Runtime[Deps], *, guarantor: int | None) -> Update:
    deps, conv = runtime.context, state["conv"]
    wanted = conv.details
    assert wanted.first_name and wanted.last_name and wanted.birthdate
    patient = await deps.office.create_patient(
        wanted.first_name, wanted.last_name, wanted.birthdate, deps.user_key, conv.language or "en", guarantor
    )
    conv.patient, conv.dentist, conv.new_patient, conv.awaiting = (
        patient.pat_num,
        patient.dentist,
        True,
        "nothing",
    )
    if deps.user_key.isdecimal():
        # Only a number on the chart lets a conversation see and change existing visits; a user without one,
        # matched to a chart by name and date of birth, may book but not read or move what is booked.
        conv.family = [*conv.family, patient.pat_num]
    if deps.practice.new_patient_kinds and conv.kind not in deps.practice.new_patient_kinds:
        conv.kind = deps.practice.new_patient_kinds[0]
    return await offer(state, runtime)


# -- choosing and confirming ------------------------------------------------------------------------------------


async def choose(state: TurnState, runtime: Runtime[Deps]) -> Update:
    conv, u = state["conv"], state["u"]
    choice = state.get("choice_id") or ""
    picked = _picked(conv, u, choice)
    if picked is None and choice.startswith("opt:"):
        # A tap on an old list: its times may be gone. Say so and show what is free now.
        return await offer(_with({**state, "choice_id": None}, text("offer.stale")), runtime)
    if picked is None:
        return await offer(state, runtime)
    conv.pending, conv.awaiting = picked.id, "confirm"
    key = "confirm.reschedule" if conv.intent == "reschedule" else "confirm.book"
    buttons = [
        Choice(id="yes", key="button.yes"),
        Choice(id="no", key="button.no"),
        Choice(id="other", key="button.other_times"),
    ]
    params = {"when": picked.start, "provider": picked.provider, "kind": f"kind.{conv.kind or 'visit'}"}
    return _out(state, Reply(key=key, params=params, buttons=buttons))


def _picked(conv: ConversationState, u: Understanding, choice: str) -> OptionInfo | None:
    if choice.startswith("opt:"):
        return next((o for o in conv.offered if o.id == choice.removeprefix("opt:")), None)
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


async def answer(state: TurnState, runtime: Runtime[Deps]) -> Update:
    """The patient's yes or no to what is pending: the place where writes happen."""
    deps, conv, u = runtime.context, state["conv"], state["u"]
    choice = state.get("choice_id")
    if choice == "other":
        return await offer(state, runtime)
    if not (choice == "yes" or (choice is None and u.yes is True)):
        conv.pending = None
        if conv.offered and conv.intent in ("book", "reschedule"):
            return _offer(_with(state, text("ok.other_time")), conv.offered)
        conv.finish_flow()
        return _out(state, text("kept"))
    key = f"{deps.conversation}:{conv.intent}:{conv.target or ''}:{conv.pending or ''}"
    if conv.intent == "cancel" and conv.target is not None:
        cancelled = await deps.office.cancel(conv.target, conv.family, key)
        conv.finish_flow()
        return _out(_acted(state, "cancel", cancelled), text("cancelled", when=cancelled.start))
    if conv.pending is None or conv.patient is None:
        return await fallback(state, runtime)
    if conv.intent == "reschedule":
        if conv.target is None:  # never turn a move into a second booking that keeps the old visit
            return await fallback(state, runtime)
        result = await deps.office.reschedule(conv.target, conv.pending, conv.family, key)
    else:
        patient = PatientInfo(pat_num=conv.patient, first_name="", dentist=conv.dentist)
        result = await deps.office.book(conv.pending, patient, key, new_patient=conv.new_patient)
    return _settled(state, result)


def _settled(state: TurnState, result: BookResult) -> Update:
    conv = state["conv"]
    if result.appointment is None:
        if result.alternatives:
            return _offer(_with(state, text("taken")), result.alternatives)
        conv.finish_flow()
        return _out(state, text("taken"), text("offer.none"))
    done = result.appointment
    key = "rescheduled" if conv.intent == "reschedule" else "booked"
    action = conv.intent or "book"
    conv.finish_flow()
    return _out(_acted(state, action, done), text(key, when=done.start, provider=done.provider))


# -- reschedule, cancel, confirm: which appointment -------------------------------------------------------------

MENU_INTENTS = {"menu:reschedule": "reschedule", "menu:cancel": "cancel", "menu:confirm": "confirm"}
SPOKEN_INTENTS = {Intent.RESCHEDULE: "reschedule", Intent.CANCEL: "cancel", Intent.CONFIRM: "confirm"}


async def change(state: TurnState, runtime: Runtime[Deps]) -> Update:
    deps, conv, u = runtime.context, state["conv"], state["u"]
    intent = MENU_INTENTS.get(state.get("choice_id") or "") or SPOKEN_INTENTS.get(u.intent)  # type: ignore[arg-type]
    conv.finish_flow()
    conv.intent = intent  # type: ignore[assignment]
    if not conv.family_checked:
        family = await deps.office.patients_on_phone(deps.user_key)
        conv.family, conv.family_checked = [p.pat_num for p in family], True
    upcoming = await deps.office.upcoming(conv.family) if conv.family else []
    if not upcoming:
        conv.finish_flow()
        return _out(state, text("none_upcoming"))
    if len(upcoming) == 1:
        return await _act_on(state, runtime, upcoming[0])
    conv.appointments, conv.awaiting = [a.apt_num for a in upcoming[:10]], "which"
    rows = [_row(f"apt:{a.apt_num}", a.start, a.provider, a.minutes) for a in upcoming[:10]]
    return _out(state, Reply(key="ask.which", rows=rows, list_key="button.choose"))


async def pick(state: TurnState, runtime: Runtime[Deps]) -> Update:
    deps, conv, u = runtime.context, state["conv"], state["u"]
    choice = state.get("choice_id") or ""
    apt_num = int(choice[4:]) if choice.startswith("apt:") and choice[4:].isdecimal() else None
    if apt_num is None and u.choice is not None and conv.appointments:
        index = len(conv.appointments) - 1 if u.choice == -1 else u.choice - 1
        apt_num = conv.appointments[index] if 0 <= index < len(conv.appointments) else None
    upcoming = (
        {a.apt_num: a for a in await deps.office.upcoming(conv.family)}
        if apt_num in conv.appointments
        else {}
    )
    if apt_num not in upcoming:
        return _out(state, text("ask.which_again"))
    return await _act_on(state, runtime, upcoming[apt_num])  # type: ignore[index]


async def _act_on(state: TurnState, runtime: Runtime[Deps], appointment: AppointmentInfo) -> Update:
    deps, conv = runtime.context, state["conv"]
    conv.target, conv.patient = appointment.apt_num, appointment.pat_num
    if conv.intent == "confirm":
        confirmed = await deps.office.confirm(
            appointment.apt_num, conv.family, f"{deps.conversation}:confirm:{appointment.apt_num}"
        )
        conv.finish_flow()
        return _out(_acted(state, "confirm", confirmed), text("confirmed", when=appointment.start))
    if conv.intent == "cancel":
        conv.awaiting = "confirm"
        buttons = [Choice(id="yes", key="button.yes_cancel"), Choice(id="no", key="button.no_keep")]
        return _out(state, Reply(key="cancel.ask", params={"when": appointment.start}, buttons=buttons))
    conv.wanted = Wanted(start=(deps.now + timedelta(days=1)).date())
    return await offer(_with(state, text("reschedule.current", when=appointment.start)), runtime)
