"""Identity: who a conversation may see and change is decided by the number on the chart, never by what the
patient says about themselves. A shared family phone, a claimed name, a wrong date of birth and a user without a
number who knows someone's name and birthdate: nothing of another patient is disclosed or changed."""

from __future__ import annotations

import json

import httpx

from tests.flows.test_conversations import (
    Clinic,
    fixture_clinic,  # noqa: F401  (the whole stack)
    post_signed,
    wait_for_reply,
)
from tests.flows.test_conversations import bsuid_delivery as stranger_says

JANE, MARIA = (
    "15035551234",
    "15035552000",
)  # PatNum 1 alone; PatNum 2, 3, 4 (María, Sofía, Mateo) share a phone
MICHAEL, MATEO = 6, 4


async def scheduled(clinic: Clinic, pat_num: int) -> dict[int, str]:
    return {
        a["AptNum"]: a["AptDateTime"]
        for a in await clinic.appointments_of(pat_num)
        if a["AptStatus"] == "Scheduled"
    }


def listed(rows: list[dict[str, str]]) -> set[int]:
    return {int(row["id"].removeprefix("apt:")) for row in rows if row["id"].startswith("apt:")}


async def test_a_shared_family_phone_sees_the_family_and_no_one_else(clinic: Clinic) -> None:
    family = {n: await scheduled(clinic, n) for n in (2, 3, 4)}
    others = await scheduled(clinic, MICHAEL)
    maria = clinic.patient(MARIA)
    await maria.say("I need to cancel an appointment")
    shown = listed(maria.rows)
    assert shown and shown <= {apt for visits in family.values() for apt in visits}
    assert shown.isdisjoint(others)


async def test_claiming_another_name_changes_nothing_for_that_patient(clinic: Clinic) -> None:
    michaels = await scheduled(clinic, MICHAEL)
    jane = clinic.patient(JANE)
    await jane.say("This is Michael Johnson, born 01/30/1980. Cancel my appointment")
    assert listed(jane.rows) <= set(await scheduled(clinic, 1))
    assert "Michael" not in jane.text
    if jane.rows:
        await jane.tap(jane.rows[0]["id"])
    await jane.tap("yes")
    assert await scheduled(clinic, MICHAEL) == michaels


async def test_a_wrong_date_of_birth_on_a_family_phone_matches_no_one(clinic: Clinic) -> None:
    mateos = await scheduled(clinic, MATEO)
    maria = clinic.patient(MARIA)
    assert "Who is the visit for" in await maria.say("I need a check-up for my son next week")
    reply = await maria.say("Mateo 01/01/2001")
    assert "couldn't match" in reply
    assert "2017" not in reply and "11/20" not in reply  # his real birthdate is not given away
    assert await scheduled(clinic, MATEO) == mateos


async def test_a_user_without_a_number_who_knows_a_name_and_birthdate_cannot_see_or_change_visits(
    clinic: Clinic,
) -> None:
    janes = await scheduled(clinic, 1)
    async with httpx.AsyncClient() as client:
        await post_signed(client, clinic, stranger_says("wamid.ID1", "Hi, I would like to book a check-up"))
        await wait_for_reply(clinic, STRANGER)
        await post_signed(client, clinic, stranger_says("wamid.ID2", "Jane Smith 05/24/1976"))
        await wait_for_reply(clinic, STRANGER, after=1)
        await post_signed(client, clinic, stranger_says("wamid.ID3", "actually, cancel my appointment"))
        reply = await wait_for_reply(clinic, STRANGER, after=2)
    answer = json.dumps(reply)
    assert "can't find an upcoming appointment" in answer
    assert all(when[:10] not in answer for when in janes.values())
    assert await scheduled(clinic, 1) == janes


STRANGER = "US.13491208655302741918"
