"""Open Dental requests and wall time to offer options and to book, at Open Dental's real throttle.

Runs the sandbox on loopback with its 1 request/s throttle and a client that spaces its requests the same way,
then measures, for the demo practice:
  (a) the first options for a two-week window, and
  (b) a complete booking of a known patient (find by phone, options, book through the guard, commlog),
on a cold cache and on a warm one, next to a naive baseline in the same run that asks Slots per provider and
re-reads the appointments every time. Prints a table, then the figures as one line of JSON.

    python -m tests.bench.od_requests
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.conversation.office import OdOffice
from bot.practices import Practice, load_practices
from bot.records.crypto import Sealer, new_key
from bot.records.storage import MemoryStorage
from od_adapter.availability import Book, Preferences, conflicts, openings_from_slots
from od_adapter.book_cache import BookCache
from od_adapter.booking import AppointmentBook, Booked, PatientRef
from od_adapter.client import OpenDentalClient
from od_adapter.models import NewAppointment, NewCommlog
from od_adapter.options import Option
from od_adapter.patients import Patients
from od_adapter.ratelimit import MemoryRateLimiter
from od_adapter.sandbox import DEVELOPER_KEY, SandboxSettings, create_sandbox_app
from od_adapter.store import MemoryStore

DEMO_PRACTICES = Path(__file__).parents[2] / "od_adapter/sandbox/data/demo_practices.toml"
KIND = "cleaning"
# Carlos Hernández, Jane Smith and Michael Johnson of the demo practice: one for each run that books.
PHONES = {"cold": "15035553000", "warm": "15035551234", "naive": "15035554000"}


@dataclass
class Measure:
    requests: int
    seconds: float


class Meter:
    """Counts one client's requests and the wall time of a block."""

    def __init__(self, od: OpenDentalClient) -> None:
        self.od = od

    async def run(self, work: Callable[[], Awaitable[Any]]) -> tuple[Measure, Any]:
        before, started = self.od.stats.requests, time.perf_counter()
        result = await work()
        return Measure(self.od.stats.requests - before, round(time.perf_counter() - started, 2)), result


def window() -> Preferences:
    start = date.today() + timedelta(days=1)
    return Preferences(start=start, end=start + timedelta(days=13))


def practice_for(server: TestServer) -> Practice:
    practice = load_practices(DEMO_PRACTICES).practices[0]
    connection = practice.open_dental.model_copy(update={"base_url": str(server.make_url("/api/v1"))})
    return practice.model_copy(update={"open_dental": connection})


def client_for(practice: Practice) -> OpenDentalClient:
    keys = (SecretStr(DEVELOPER_KEY), SecretStr("sandbox-customer"))
    return OpenDentalClient.for_practice(practice.open_dental, MemoryRateLimiter(), keys=keys)


async def guarded_booking(office: OdOffice, phone: str, key: str) -> Booked:
    """What the conversation does: find the patient on the phone, offer, book through the guard."""
    book = office.appointments
    [patient] = await office.patients_on_phone(phone)
    options = await book.find_options(KIND, window())
    result = await book.book(
        book.option_id(options[0]), PatientRef(patient.pat_num, dentist=patient.dentist), key
    )
    assert isinstance(result, Booked), result
    return result


async def naive_options(od: OpenDentalClient, practice: Practice) -> list[Option]:
    """What most bots do: Slots for every provider, and the whole book again to check the chairs."""
    prefs = window()
    assert prefs.start and prefs.end
    rule = next(r for r in practice.booking.appointment_types if r.kind == KIND)
    providers = await od.providers()
    types = {t.appointment_type_name: t for t in await od.appointment_types()}
    options: list[Option] = []
    for provider in providers:
        slots = await od.slots(prefs.start, prefs.end, prov_num=provider.prov_num)
        options += openings_from_slots(
            slots,
            practice.booking,
            types[rule.name],
            rule,
            prefs,
            now=datetime.now(UTC),
            zone=practice.zone,
            limit=50,
        )
    book = Book([], [], [], [], await od.appointments(start=prefs.start, end=prefs.end))
    return sorted((o for o in options if not conflicts(book, o, allow_overlap=False)), key=lambda o: o.start)[
        :10
    ]


async def naive_booking(od: OpenDentalClient, practice: Practice, phone: str) -> int:
    [patient, *_] = await od.find_patients_by_phone(phone, "US")
    option = (await naive_options(od, practice))[0]
    day = option.start.date()
    await od.appointments(start=day, end=day)  # re-read before the POST
    created = await od.create_appointment(
        NewAppointment(
            pat_num=patient.pat_num, op=option.op, apt_date_time=option.start, prov_num=option.prov_num
        )
    )
    await od.appointments(start=day, end=day)  # read back after it
    await od.create_commlog(NewCommlog(pat_num=patient.pat_num, note="Booked via WhatsApp"))
    return created.apt_num


async def main() -> None:
    settings = SandboxSettings(throttle_seconds=1.0)
    server = TestServer(create_sandbox_app(settings), host="127.0.0.1")
    await server.start_server()
    practice = practice_for(server)
    figures: dict[str, dict[str, float]] = {}
    try:
        async with client_for(practice) as od:
            meter = Meter(od)
            cold_book = AppointmentBook(
                practice.od,
                od,
                BookCache(od, MemoryStore(), practice.od),
                MemoryStore(),
                option_keys=[b"bench-option-key"],
            )
            figures["options_cold"] = vars(
                (await meter.run(lambda: cold_book.find_options(KIND, window())))[0]
            )
            await asyncio.sleep(1.1)  # older than fresh_for: the next search must refresh
            figures["options_warm"] = vars(
                (await meter.run(lambda: cold_book.find_options(KIND, window())))[0]
            )

            fresh_book = AppointmentBook(
                practice.od,
                od,
                BookCache(od, MemoryStore(), practice.od),
                MemoryStore(),
                option_keys=[b"bench-option-key"],
            )
            office = OdOffice(
                practice,
                fresh_book,
                Patients(practice.od, od),
                MemoryStorage(),
                Sealer([new_key()]),
                "bench-phi-key",
            )
            cold_phone = PHONES["cold"]
            figures["booking_cold"] = vars(
                (await meter.run(lambda: guarded_booking(office, cold_phone, "bench-cold")))[0]
            )
            warm_phone = PHONES["warm"]
            await office.patients_on_phone(warm_phone)  # the conversation identified the patient earlier
            await asyncio.sleep(1.1)
            figures["booking_warm"] = vars(
                (await meter.run(lambda: guarded_booking(office, warm_phone, "bench-warm")))[0]
            )
            figures["options_naive"] = vars((await meter.run(lambda: naive_options(od, practice)))[0])
            naive_phone = PHONES["naive"]
            figures["booking_naive"] = vars(
                (await meter.run(lambda: naive_booking(od, practice, naive_phone)))[0]
            )
    finally:
        await server.close()
    print_table(figures)


def print_table(figures: dict[str, dict[str, float]]) -> None:
    print("| step | cache | Open Dental requests | wall time (s) |")
    print("|---|---|---|---|")
    for name, label in (
        ("options", "first options, two-week window"),
        ("booking", "complete booking, known patient"),
    ):
        for variant in ("cold", "warm", "naive"):
            figure = figures[f"{name}_{variant}"]
            cache = {"naive": "naive baseline"}.get(variant, variant)
            print(f"| {label} | {cache} | {figure['requests']} | {figure['seconds']} |")
    ratios = {
        f"{name}_naive_over_warm_requests": round(
            figures[f"{name}_naive"]["requests"] / max(1, figures[f"{name}_warm"]["requests"]), 1
        )
        for name in ("options", "booking")
    }
    print(json.dumps({**figures, **ratios}))


if __name__ == "__main__":
    asyncio.run(main())
