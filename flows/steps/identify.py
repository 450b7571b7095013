"""Who the visit is for: the phone's patients (the only lookup), a family member by name, a new patient's chart."""

from __future__ import annotations

import re
from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from flows.context import ActionTaken, Deps, TurnState
from flows.nlu.lexicon import fold
from flows.questions import read_back_question
from flows.replies import text
from flows.state import Member, NewPatient
from flows.steps import END
from flows.steps.trouble import OpenDentalTrouble, after_trouble


async def identify(
    state: TurnState, runtime: Runtime[Deps]
) -> Command[Literal["language", "offer", "upcoming", "ahead", "who", "hand_off", "reminded", "opt_out", "opening_answer", "od_failed", "__end__"]]:  # fmt: skip
    """Ask Open Dental once per conversation who is on this phone, then go back to the step that asked."""
    deps, then = runtime.context, state.get("then", "offer")
    try:
        family = await deps.office.patients_on_phone(deps.user_key)
    except OpenDentalTrouble as exc:
        if then == "hand_off":  # staff are told even when the chart cannot be found
            return Command(goto="hand_off")
        return Command(**after_trouble(state, exc))
    conv = state["conv"].model_copy(deep=True)
    conv.family = [p.pat_num for p in family]
    conv.members = [
        Member(
            pat_num=p.pat_num,
            first_name=p.first_name,
            last_name=p.last_name,
            birthdate=p.birthdate,
            dentist=p.dentist,
            guarantor=p.guarantor,
            language=p.language,
        )
        for p in family
    ]
    conv.family_checked = True
    return Command(goto=then, update={"conv": conv})


def who(
    state: TurnState, runtime: Runtime[Deps]
) -> Command[Literal["identify", "offer", "read_back", "__end__"]]:
    """A family shares the phone: match the first name (and birthdate) typed, or read back a new member."""
    conv, u = state["conv"].model_copy(deep=True), state["understood"]
    if not conv.family_checked:
        return Command(goto="identify", update={"then": "who"})
    typed = set(re.findall(r"[^\W\d_]+", fold(" ".join(state.get("texts", [])))))
    named = [m for m in conv.members if fold(m.first_name) in typed or (u.first_name and fold(m.first_name) == fold(u.first_name))]  # fmt: skip
    if u.birthdate is not None:
        named = [m for m in named if m.birthdate == u.birthdate]
    if len(named) == 1:
        conv.patient, conv.dentist, conv.awaiting = named[0].pat_num, named[0].dentist, "nothing"
        return Command(goto="offer", update={"conv": conv})
    if u.first_name and u.last_name and u.birthdate and conv.members:
        conv.details = NewPatient(first_name=u.first_name, last_name=u.last_name, birthdate=u.birthdate)
        return Command(goto="read_back", update={"conv": conv, "asking": True})
    return Command(goto=END, update={"replies": [text("ask.who_again")]})


def details(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["read_back", "__end__"]]:
    """A new patient: keep each detail given, ask for what is missing, then read them back."""
    conv, u = state["conv"].model_copy(deep=True), state["understood"]
    conv.details.first_name = u.first_name or conv.details.first_name
    conv.details.last_name = u.last_name or conv.details.last_name
    conv.details.birthdate = u.birthdate or conv.details.birthdate
    if not conv.details.complete:
        conv.awaiting = "details"
        return Command(goto=END, update={"conv": conv, "replies": [text(missing_details(conv.details))]})
    return Command(goto="read_back", update={"conv": conv, "asking": True})


def missing_details(have: NewPatient) -> str:
    """The message that asks for exactly what a new patient has not given yet."""
    if have.birthdate is None:
        return "ask.details_missing" if not (have.first_name and have.last_name) else "ask.details_birthdate"
    return "ask.details_name" if not have.first_name else "ask.details_last_name"


def read_back(state: TurnState, runtime: Runtime[Deps]) -> Command[Literal["create_patient", "__end__"]]:
    """Read the name and date of birth back; a chart is created only after the patient's yes."""
    conv = state["conv"].model_copy(deep=True)
    if state.get("asking"):
        conv.awaiting, conv.nonce = "read_back", runtime.context.nonce("read_back")
        return Command(
            goto=END, update={"conv": conv, "asking": False, "replies": [read_back_question(conv)]}
        )
    tap, u = state.get("tap"), state["understood"]
    if tap is not None and tap.value and tap.value != conv.nonce:  # a button of an earlier read-back
        return Command(goto=END, update={"replies": [text("confirm.stale"), read_back_question(conv)]})
    if (tap is not None and tap.kind == "yes") or (tap is None and u.yes is True):
        return Command(goto="create_patient")
    conv.details, conv.awaiting = NewPatient(), "details"
    return Command(goto=END, update={"conv": conv, "replies": [text("details.again")]})


async def create_patient(
    state: TurnState, runtime: Runtime[Deps]
) -> Command[Literal["search", "offer", "od_failed", "__end__"]]:
    """Create the chart the patient confirmed (a family member joins the guarantor's family)."""
    deps, conv = runtime.context, state["conv"].model_copy(deep=True)
    wanted = conv.details
    assert wanted.first_name and wanted.last_name and wanted.birthdate
    head = conv.members[0] if conv.members else None
    guarantor = (head.guarantor or head.pat_num) if head is not None else None
    try:
        patient = await deps.office.create_patient(
            wanted.first_name,
            wanted.last_name,
            wanted.birthdate,
            deps.user_key,
            conv.language or "en",
            guarantor,
        )
    except OpenDentalTrouble as exc:
        return Command(**after_trouble(state, exc))
    conv.patient, conv.dentist, conv.new_patient, conv.awaiting = (
        patient.pat_num,
        patient.dentist,
        True,
        "nothing",
    )
    if deps.user_key.isdecimal() and not patient.existing_chart:
        # Only a number on the chart lets a conversation see and change existing visits; a user without one,
        # matched to a chart by name and date of birth, may book but not read or move what is booked.
        conv.family = [*conv.family, patient.pat_num]
        conv.members = [
            *conv.members,
            Member(pat_num=patient.pat_num, first_name=patient.first_name, last_name=patient.last_name, birthdate=wanted.birthdate, dentist=patient.dentist),
        ]  # fmt: skip
    replies = []
    if deps.practice.new_patient_kinds and conv.kind not in deps.practice.new_patient_kinds:
        if conv.kind is not None:
            replies.append(text("offer.new_patient_exam"))  # the patient asked for another kind: say why
        conv.kind = deps.practice.new_patient_kinds[0]
    created = ActionTaken(action="create_patient", pat_num=patient.pat_num)
    update: TurnState = {"conv": conv, "actions": [created], "replies": replies}
    return Command(goto="search" if conv.kind else "offer", update=update)
