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


# -- who a number speaks for ------------------------------------------------------------------------------------


async def chart(clinic: Clinic, first: str, **fields: object) -> int:
    body = {"LName": "Family", "FName": first, "PriProv": 1, **fields}
    return int((await clinic.od.post("patients", json=body)).json()["PatNum"])


async def visit(clinic: Clinic, pat_num: int, hour: int) -> int:
    from tests.flows.test_conversations import next_monday_at

    when = next_monday_at(hour)
    body = {"PatNum": pat_num, "Op": 2, "ProvNum": 2, "AptDateTime": f"{when:%Y-%m-%d %H:%M:%S}", "Pattern": "/XX/", "AppointmentTypeNum": 4}  # fmt: skip
    return int((await clinic.od.post("appointments", json=body)).json()["AptNum"])


async def test_a_work_phone_is_no_family_tie_and_an_adult_dependant_is_not_family(clinic: Clinic) -> None:
    number = "(503) 555-7201"
    head = await chart(clinic, "Gail", WirelessPhone=number, Birthdate="1975-02-03")
    child = await chart(clinic, "Kit", Guarantor=head, Birthdate="2016-04-05", Position="Child")
    adult = await chart(clinic, "Ross", Guarantor=head, Birthdate="1999-04-05")
    colleague = await chart(clinic, "Walt", WkPhone=number, Birthdate="1960-01-01")
    visits = {who: await visit(clinic, who, hour) for who, hour in ((head, 9), (child, 10), (adult, 11), (colleague, 12))}  # fmt: skip
    gail = clinic.patient("15035557201")
    await gail.say("I need to cancel an appointment")
    assert listed(gail.rows) == {visits[head], visits[child]}
    await gail.say("actually no. cancel the appointment at 12")
    assert visits[colleague] in await scheduled(clinic, colleague), "a colleague's visit is never touched"


async def test_a_home_phone_counts_only_where_the_practice_says_so(clinic: Clinic) -> None:
    number = "(503) 555-7202"
    home = await chart(clinic, "Hana", HmPhone=number, Birthdate="1980-01-01")
    await visit(clinic, home, 9)
    hana = clinic.patient("15035557202")
    assert "can't find an upcoming appointment" in await hana.say("I need to cancel my appointment")


async def test_a_stranger_with_an_existing_patients_name_gets_a_new_flagged_chart_and_sees_nothing(
    clinic: Clinic,
) -> None:
    janes_visits = await scheduled(clinic, 1)
    stranger = clinic.patient("15035557299")
    await stranger.say("hi, I'd like to book a check-up")
    assert "Jane Smith, born May 24, 1976" in await stranger.say("Jane Smith 05/24/1976")
    await stranger.tap(stranger.buttons[0])
    charts = (await clinic.od.get("patients/Simple", params={"LName": "Smith", "FName": "Jane"})).json()
    assert len(charts) == 2
    new = next(c["PatNum"] for c in charts if c["PatNum"] != 1)
    assert any(
        "possible duplicate" in c["Note"] and "PatNum 1" in c["Note"] for c in await clinic.commlogs_of(new)
    )
    assert "can't find an upcoming appointment" in await stranger.say("I need to cancel my appointment")
    assert await scheduled(clinic, 1) == janes_visits
