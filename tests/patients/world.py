"""Who writes to which office, and what Open Dental holds for them before they write.

One sandbox office per ten conversations; an office's conversations run one after another (so every write in
its request log belongs to the conversation running then), the offices at once. Seeded patients alone on
their phone book, change, confirm and ask; family phones book for a child; new patients write from numbers
the office does not know. A patient who will change or confirm a visit gets one first, posted as staff
would (confirm: tomorrow at 15:30, the time the confirm bank names).
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from od_adapter.models import AptStatus
from od_adapter.sandbox.seed import build_office, load_seed
from tests.patients import banks
from tests.patients.patient import PERSONAS, Conversation, Goal, Person
from tests.simulator import Stack, practice_id

ZONE = ZoneInfo("America/Los_Angeles")  # the demo practice's (Portland, Oregon)
"""The demo practice's zone: "tomorrow" is the practice's tomorrow."""
PER_OFFICE = 10
MIX: tuple[Goal, ...] = ("book", "book", "family", "new", "reschedule", "cancel", "confirm", "info", "book", "staff")  # fmt: skip
"""Ten conversations of an office; every other office asks for an emergency where this one asks for staff."""
NEW_NAMES = [("Lena", "Okafor"), ("Tomas", "Lindqvist"), ("Priya", "Castell"), ("Yusuf", "Haddad"),
             ("Ines", "Moreau"), ("Marek", "Brandt"), ("Noor", "Vasquez"), ("Dario", "Kowalski")]  # fmt: skip
"""Invented names, none in the demo seed."""


@dataclass(frozen=True)
class Phones:
    solo: list[dict[str, Any]]
    """Seeded patients alone on their phone, those with the fewest upcoming visits first."""
    families: dict[str, list[dict[str, Any]]]
    """Phones several charts share, by WhatsApp id."""


def practice_today() -> date:
    return datetime.now(ZONE).date()


def wa_id_of(patient: dict[str, Any]) -> str:
    return "1" + re.sub(r"\D", "", patient.get("WirelessPhone") or patient.get("HmPhone") or "")


def seeded_phones(now: datetime) -> Phones:
    """The demo seed's phones, as the sandbox seeds every office (deterministic for a given day)."""
    office = build_office(load_seed())
    by_phone: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for patient in office.patients.values():
        row = patient.model_dump(mode="json", by_alias=True)
        if len(wa_id_of(row)) == 11 and row.get("WirelessPhone"):
            by_phone[wa_id_of(row)].append(row)
    upcoming = Counter(a.pat_num for a in office.appointments.values() if a.apt_status is AptStatus.SCHEDULED and a.apt_date_time > now)  # fmt: skip
    # Those with the fewest visits first: a reschedule or cancel then has the fewest to choose from.
    solo = sorted((rows[0] for rows in by_phone.values() if len(rows) == 1), key=lambda r: (upcoming[r["PatNum"]], r["PatNum"]))  # fmt: skip
    families = {phone: rows for phone, rows in sorted(by_phone.items()) if len(rows) > 1}
    return Phones(solo, families)


def children(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["Birthdate"] >= "2006-01-01"]


def cast(count: int, *, seed: int, languages: tuple[str, ...] = banks.LANGUAGES) -> list[Conversation]:
    """`count` conversations: goals in the office mix, languages and halves in turn, personas drawn."""
    rng = random.Random(seed)
    phones = seeded_phones(datetime.now(ZONE).replace(tzinfo=None))
    family_phones = [(p, rows) for p, rows in phones.families.items() if children(rows)]
    conversations = []
    for index in range(count):
        office, slot = index // PER_OFFICE + 1, index % PER_OFFICE
        goal = MIX[slot]
        if goal == "staff" and office % 2 == 0:
            goal = "emergency"
        language = languages[(index + office) % len(languages)]
        half = banks.HALVES[(index // len(languages)) % 2]
        persona = rng.choice(PERSONAS)
        person = _person(goal, language, office, slot, phones, family_phones, rng)
        conversations.append(
            Conversation(index, office, practice_id(office), goal, persona, language, half, person)
        )
    return conversations


def _person(
    goal: Goal,
    language: str,
    office: int,
    slot: int,
    phones: Phones,
    family_phones: list[tuple[str, list[dict[str, Any]]]],
    rng: random.Random,
) -> Person:
    if goal == "new":
        first, last = NEW_NAMES[(office + slot) % len(NEW_NAMES)]
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 45))
        return Person(f"1202555{office:02d}{slot:02d}", [], new={"first": first, "last": last, "birthdate": born.isoformat()})  # fmt: skip
    if goal == "family":
        named = {"es": ("María", "García"), "en": ("Michael", "Johnson")}.get(language)
        chosen = next(
            (f for f in family_phones if named and (f[1][0]["FName"], f[1][0]["LName"]) == named), None
        )
        phone, rows = chosen or family_phones[(office * 3 + slot) % len(family_phones)]
        kids = children(rows)
        wanted = {"es": "Sofía", "en": "Emma"}.get(language)
        member = next((k for k in kids if k["FName"] == wanted), kids[0])
        return Person(phone, rows, intended=member)
    spread = 10 + (slot * 11 + office) % (len(phones.solo) - 10)
    # Who changes or confirms a visit: the patients with the fewest visits of their own (the one confirming
    # "tomorrow" has none, so "tomorrow" names only the visit the run gives them).
    changing = {"confirm": 0, "reschedule": 1, "cancel": 2}
    patient = phones.solo[changing.get(goal, spread)]
    return Person(wa_id_of(patient), [patient], intended=patient)


async def give_visits(stack: Stack, conversations: list[Conversation]) -> None:
    """Post the visit each reschedule, cancel or confirm is about, as staff would, before anyone writes."""
    today = practice_today()
    tomorrow = today + timedelta(days=1)
    for convo in conversations:
        if convo.goal not in ("reschedule", "cancel", "confirm"):
            continue
        when = datetime.combine(tomorrow, datetime.min.time()).replace(hour=15, minute=30)
        if convo.goal != "confirm":
            day = today + timedelta(days=4 + convo.index % 5)
            when = datetime.combine(day, datetime.min.time()).replace(hour=9 + convo.index % 6)
        convo.person.target = await _post_visit(stack, convo.office, convo.person.intended or {}, when)
        convo.person.visit_day = when.date()


async def _post_visit(stack: Stack, office: int, patient: dict[str, Any], when: datetime) -> int:
    suffix = "" if office == 1 else f"-{office}"
    headers = {
        "Authorization": f"ODFHIR sandbox-dev/sandbox-customer{suffix}",
        "Content-Type": "application/json",
    }
    base = f"http://127.0.0.1:{stack.od_port}/api/v1/"
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as od:
        for op in (1, 2, 4):
            visit = {"PatNum": patient["PatNum"], "Op": op, "ProvNum": 1, "AptDateTime": f"{when:%Y-%m-%d %H:%M:%S}",
                     "Pattern": "/XXXX/", "AppointmentTypeNum": 4}  # fmt: skip
            response = await od.post("appointments", json=visit)
            if response.status_code < 300:
                return int(response.json()["AptNum"])
    raise RuntimeError(f"no chair free for a visit at {when} in office {office}")


async def records(stack: Stack, office: int) -> dict[str, Any]:
    """What Open Dental holds for an office, read through the sandbox's admin side."""
    async with httpx.AsyncClient(timeout=30) as client:
        return dict((await client.get(f"{stack.od_admin}/offices/{office}/records")).json())


async def request_log(stack: Stack, office: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as client:
        return list((await client.get(f"{stack.od_admin}/requests", params={"office": office})).json())
