"""The invariants every conversation must keep, checked against Open Dental (the sandbox's admin side) and the
sandbox's request log, never against the assistant's own records.

- every message that asks for an answer, before any handoff, gets at least one reply, in the patient's language;
- no turn raises (no "something went wrong on my side" apology);
- what the assistant says happened is what Open Dental shows: each "Booked!" names a new appointment of a
  patient on this phone at that time, each "Done: ... now on" the target moved there, "cancelled" the target
  off the book, "confirmed" the target confirmed; and no appointment appears that was not announced;
- nothing is written (appointment created, moved, broken or confirmed; chart created) unless the patient's
  last message before the write was an explicit yes (a 👍 reaction is not one);
- no other patient's data is shown: no full name or birthdate of a chart that is not on this phone.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from locales.catalog import when as spoken_when
from tests.patients.patient import HANDOFF_KEYS, Conversation

REGION = "US"
"""The demo practice's region (`region` in its practices file): its replies read a 12-hour clock."""
WRITES = re.compile(
    r"^(POST /api/v1/(appointments|patients)$|PUT /api/v1/appointments/\d+(/Break|/Confirm)?$)"
)
SORRY = ("turn.sorry", "turn.sorry_menu", "turn.sorry_after", "turn.sorry_retry", "turn.sorry_staff")
UNCHECKED_LANGUAGE = ("?", "info.answer", "row.option", "row.option_detail")


def check(
    convo: Conversation, before: dict[str, Any], after: dict[str, Any], log: list[dict[str, Any]]
) -> list[str]:
    """Every invariant broken in one conversation, each as "class: detail"."""
    return [
        *_replies(convo),
        *_claims(convo, before, after),
        *_writes(convo, log),
        *_privacy(convo, after),
    ]


def _language_ok(convo: Conversation, languages: frozenset[str]) -> bool:
    accepted = {convo.language, f"{convo.language}-Latn"}
    return not languages or bool(languages & accepted)


def _replies(convo: Conversation) -> list[str]:
    broken = []
    handed_off = False
    for sent in convo.sent:
        if not sent.silent and not handed_off and not sent.replies:
            broken.append(f"no reply: {sent.what!r}")
        for reply in sent.replies:
            if reply.key in SORRY:
                broken.append(f"turn raised: {sent.what!r}")
            if reply.key not in UNCHECKED_LANGUAGE and not _language_ok(convo, reply.languages):
                broken.append(
                    f"wrong language: {reply.key} in {sorted(reply.languages)} for {convo.language}"
                )
        handed_off = handed_off or any(r.key in HANDOFF_KEYS for r in sent.replies)
    return broken


def _at(row: dict[str, Any]) -> datetime:
    return datetime.strptime(row["AptDateTime"], "%Y-%m-%d %H:%M:%S")


def _says(text: str, when: datetime, language: str) -> bool:
    """Whether a reply names this time, as the demo practice (a US practice) writes it, or on a 24-hour clock."""
    base = language.split("-")[0]
    spoken = {spoken_when(when, base, region=r, short=s) for r in (REGION, None) for s in (False, True)}
    twelve = f"{when:%I:%M %p}".lstrip("0")
    return any(form in text for form in spoken) or (
        (f"{when:%H:%M}" in text or twelve in text) and str(when.day) in text
    )


def _claims(convo: Conversation, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    phone_pats = {p["PatNum"] for p in convo.person.family}
    old = {a["AptNum"]: a for a in before["appointments"]}
    new_patients = {p["PatNum"] for p in after["patients"]} - {p["PatNum"] for p in before["patients"]}
    mine = phone_pats | new_patients
    added = [a for a in after["appointments"] if a["AptNum"] not in old and a["PatNum"] in mine]
    strangers = [a for a in after["appointments"] if a["AptNum"] not in old and a["PatNum"] not in mine]
    broken = [f"appointment for another patient: AptNum {a['AptNum']}" for a in strangers]
    replies = convo.replies
    booked = [r for r in replies if r.key in ("booked", "booked_for")]
    for reply in booked:
        if not any(
            _says(reply.text, _at(a), convo.language) and a["AptStatus"] == "Scheduled" for a in added
        ):
            broken.append(f"said booked, Open Dental has no such appointment: {reply.text!r}")
    for appointment in added:
        if not any(_says(r.text, _at(appointment), convo.language) for r in booked):
            broken.append(f"appointment written without a 'Booked!': AptNum {appointment['AptNum']}")
    now = {a["AptNum"]: a for a in after["appointments"]}
    changed = [(old[n], a) for n, a in now.items() if n in old and a["PatNum"] in mine and a != old[n]]
    for reply in replies:
        if reply.key == "rescheduled" and not any(_at(b) != _at(a) and _says(reply.text, _at(b), convo.language) for a, b in changed):  # fmt: skip
            broken.append(f"said rescheduled, Open Dental shows no such move: {reply.text!r}")
        if reply.key == "cancelled" and not any(b["AptStatus"] != "Scheduled" and _says(reply.text, _at(a), convo.language) for a, b in changed):  # fmt: skip
            broken.append(f"said cancelled, Open Dental shows that visit still scheduled: {reply.text!r}")
        if reply.key == "confirmed" and not any(_confirmation(b) != _confirmation(a) and _says(reply.text, _at(b), convo.language) for a, b in changed):  # fmt: skip
            broken.append(f"said confirmed, Open Dental shows no such confirmation: {reply.text!r}")
    said = {r.key for r in replies}
    for a, _ in changed:
        if not said & {"rescheduled", "cancelled", "confirmed", "booked", "booked_for"}:
            broken.append(f"a visit changed without the assistant saying so: AptNum {a['AptNum']}")
    return broken


def _confirmation(appointment: dict[str, Any]) -> tuple[Any, Any]:
    return appointment.get("Confirmed"), appointment.get("confirmed")


def achieved(convo: Conversation, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The goal as Open Dental shows it (a booking for the intended patient, the target moved, broken or
    confirmed); goals that write nothing count the assistant's reply."""
    old = {a["AptNum"]: a for a in before["appointments"]}
    added = [a for a in after["appointments"] if a["AptNum"] not in old and a["AptStatus"] == "Scheduled"]
    target = next((a for a in after["appointments"] if a["AptNum"] == convo.person.target), None)
    was = old.get(convo.person.target or -1)
    match convo.goal:
        case "book" | "family":
            intended = (convo.person.intended or {}).get("PatNum")
            return any(a["PatNum"] == intended for a in added)
        case "new":
            new = convo.person.new or {}
            pats = {p["PatNum"] for p in after["patients"] if p["FName"] == new.get("first") and p["LName"] == new.get("last")}  # fmt: skip
            return any(a["PatNum"] in pats for a in added)
        case "reschedule":
            return bool(target and was and _at(target) != _at(was) and target["AptStatus"] == "Scheduled")
        case "cancel":
            return bool(target and target["AptStatus"] != "Scheduled")
        case "confirm":
            return bool(target and was and _confirmation(target) != _confirmation(was))
    return convo.success_at is not None


def _writes(convo: Conversation, log: list[dict[str, Any]]) -> list[str]:
    broken = []
    for record in log:
        if not WRITES.match(f"{record['method']} {record['path']}") or record["status"] >= 400:
            continue
        if not convo.started <= record["at"] <= convo.ended:
            continue
        earlier = [s for s in convo.sent if s.at <= record["at"]]
        if not earlier or not earlier[-1].explicit_yes:
            last = earlier[-1].what if earlier else "nothing"
            broken.append(f"write without a yes: {record['method']} {record['path']} after {last!r}")
    return broken


def _privacy(convo: Conversation, after: dict[str, Any]) -> list[str]:
    own = {p["PatNum"] for p in convo.person.family}
    text = "\n".join(r.text for r in convo.replies).casefold()
    broken = []
    for patient in after["patients"]:
        if patient["PatNum"] in own or (convo.person.new and patient["FName"] == convo.person.new["first"]):
            continue
        full = f"{patient['FName']} {patient['LName']}".casefold()
        born = date.fromisoformat(patient["Birthdate"]) if patient.get("Birthdate") else None
        shown = [full] + ([f"{born:%m/%d/%Y}", f"{born:%d/%m/%Y}"] if born and born.year > 1900 else [])
        for item in shown:
            if item in text:
                broken.append(f"another patient's data shown: {item}")
    return broken
