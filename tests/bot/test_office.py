"""The conversation's Office port: the family lookup is cached sealed, and what od_adapter stores is sealed too."""

from __future__ import annotations

import hashlib
from datetime import date

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.conversation.office import OdOffice
from bot.practices import Practice, load_practices
from bot.records.crypto import Sealer, new_key
from bot.records.storage import MemoryStorage, RedisStorage, SealedStore
from od_adapter.availability import Preferences
from od_adapter.book_cache import BookCache
from od_adapter.booking import AppointmentBook
from od_adapter.client import OpenDentalClient
from od_adapter.patients import Patients
from od_adapter.store import RedisStore
from tests.conftest import api_url
from tests.od_adapter.test_booking import DEMO_PRACTICES

PHI_KEY = "test-phi-key"


def demo_practice(server: TestServer) -> Practice:
    practice = load_practices(DEMO_PRACTICES).practices[0]
    connection = practice.open_dental.model_copy(
        update={"base_url": api_url(server), "throttle_seconds": 0.0}
    )
    return practice.model_copy(update={"open_dental": connection})


async def test_the_family_on_a_phone_is_looked_up_once_and_after_a_new_patient_again(
    sandbox: TestServer, od: OpenDentalClient, redis: Redis
) -> None:
    practice = demo_practice(sandbox)
    sealer = Sealer([new_key()])
    store = SealedStore(RedisStore(redis), sealer)
    cache = BookCache(od, store, practice.od)
    book = AppointmentBook(practice.od, od, cache, store, option_keys=[b"k"])
    office = OdOffice(practice, book, Patients(practice.od, od), RedisStorage(redis), sealer, PHI_KEY)
    family = await office.patients_on_phone("15035552000")
    assert sorted(p.first_name for p in family) == ["María", "Mateo", "Sofía"]
    assert {p.dentist for p in family} == {2} and {p.guarantor for p in family} == {2}
    before = od.stats.requests
    assert await office.patients_on_phone("15035552000") == family
    assert od.stats.requests == before
    await office.create_patient("Lía", "García", date(2021, 1, 5), "15035552000", "es", guarantor=2)
    assert len(await office.patients_on_phone("15035552000")) == 4
    await book.find_options("consultation", Preferences())
    dump = b"".join(
        [
            (await redis.get(k) or b"") if (await redis.type(k)) == b"string" else k
            async for k in redis.scan_iter()
        ]
    )
    assert b"Mar\\u00eda" not in dump and "María".encode() not in dump and b"PatNum" not in dump


async def test_a_user_without_a_number_has_no_family_on_file(
    sandbox: TestServer, od: OpenDentalClient
) -> None:
    practice = demo_practice(sandbox)
    sealer = Sealer([new_key()])
    book = AppointmentBook(
        practice.od,
        od,
        BookCache(od, SealedStore(MemoryStorage(), sealer), practice.od.model_copy(update={"id": "p"})),
        MemoryStorage(),
        option_keys=[b"k"],
    )
    office = OdOffice(practice, book, Patients(practice.od, od), MemoryStorage(), sealer, PHI_KEY)
    assert await office.patients_on_phone("US.13491208655302741918") == []


async def test_the_family_cache_key_is_keyed_not_a_plain_hash_of_the_number(
    sandbox: TestServer, od: OpenDentalClient, redis: Redis
) -> None:
    practice = demo_practice(sandbox)
    sealer = Sealer([new_key()])
    store = SealedStore(RedisStore(redis), sealer)
    book = AppointmentBook(practice.od, od, BookCache(od, store, practice.od), store, option_keys=[b"k"])
    await OdOffice(
        practice, book, Patients(practice.od, od), RedisStorage(redis), sealer, PHI_KEY
    ).patients_on_phone("15035552000")
    keys = [k.decode() async for k in redis.scan_iter(match="*:family:*")]
    assert len(keys) == 1
    plain = hashlib.sha256(b"15035552000").hexdigest()[:24]
    assert plain not in keys[0], "anyone with a phone number could recompute a plain hash and find the key"
    other = OdOffice(practice, book, Patients(practice.od, od), RedisStorage(redis), sealer, "another-key")
    assert other._family_key("15035552000") not in keys[0], "the key name depends on the server's key"
