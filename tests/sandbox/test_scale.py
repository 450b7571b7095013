"""The sandbox's `scale`: K consistent copies of the demo practice, served in pages of 100 like Open Dental."""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import date, timedelta
from itertools import pairwise

import httpx
import pytest
from aiohttp.test_utils import TestServer

from bot import cli
from bot.keys import GRAPH_FAKE_KEY
from bot.practices import PracticesFile, load_practices
from bot.sandbox.demo import (
    DEMO_SANDBOX_URL,
    create_demo_app,
    point_at_demo_sandbox,
    scale_demo_practices,
)
from bot.settings import Settings, demo_practices_file
from od_adapter.models import Appointment, SchedType
from od_adapter.sandbox import SandboxSettings
from od_adapter.sandbox.__main__ import parse_args, settings_from
from od_adapter.sandbox.office import Office
from od_adapter.sandbox.scale import MAX_SCALE, scale_office
from od_adapter.sandbox.seed import build_office, load_seed
from tests.conftest import SandboxFactory, free_port, make_client
from tests.flows.test_conversations import OD_HEADERS, Clinic

SCALE = 3


@pytest.fixture(name="base", scope="module")
def fixture_base() -> Office:
    return build_office(load_seed())


@pytest.fixture(name="scaled", scope="module")
def fixture_scaled() -> Office:
    return build_office(load_seed(), scale=SCALE)


def overlaps(office: Office) -> int:
    """Pairs of appointments that share an operatory at the same time (the base book has none)."""
    by_op: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in office.appointments.values():
        by_op[appointment.op].append(appointment)
    found = 0
    for rows in by_op.values():
        spans = sorted((a.apt_date_time, a.end) for a in rows if a.apt_date_time and a.end)
        found += sum(1 for (_, end), (start, _) in pairwise(spans) if start < end)
    return found


def outside_schedules(office: Office) -> list[int]:
    """Appointments not inside a Provider schedule of their chair's provider that lists their operatory."""
    schedules = defaultdict(list)
    for s in office.schedules.values():
        if s.sched_type is SchedType.PROVIDER:
            schedules[(s.prov_num, s.sched_date)].append(s)
    lost = []
    for a in office.appointments.values():
        assert a.apt_date_time is not None and a.end is not None
        provider = a.prov_hyg if a.is_hygiene else a.prov_num
        if not any(
            a.op in s.operatories and s.start <= a.apt_date_time and a.end <= s.stop
            for s in schedules[(provider, a.apt_date_time.date())]
        ):
            lost.append(a.apt_num)
    return lost


def test_a_scaled_office_has_k_times_the_base_rows(base: Office, scaled: Office) -> None:
    for table in ("providers", "operatories", "patients", "appointments", "commlogs"):
        assert len(getattr(scaled, table)) == SCALE * len(getattr(base, table)), table
    kinds = Counter(s.sched_type for s in base.schedules.values())
    scaled_kinds = Counter(s.sched_type for s in scaled.schedules.values())
    assert scaled_kinds[SchedType.PROVIDER] == SCALE * kinds[SchedType.PROVIDER] > 0
    assert scaled_kinds[SchedType.BLOCKOUT] == SCALE * kinds[SchedType.BLOCKOUT] > 0
    assert scaled_kinds[SchedType.PRACTICE] == kinds[SchedType.PRACTICE], (
        "a holiday closes the whole practice"
    )
    assert (scaled.appointment_types, scaled.definitions) == (base.appointment_types, base.definitions)


def test_every_scaled_appointment_sits_in_its_copy(base: Office, scaled: Office) -> None:
    assert overlaps(base) == 0 and outside_schedules(base) == []
    assert overlaps(scaled) == 0
    assert outside_schedules(scaled) == []
    for a in scaled.appointments.values():
        patient = scaled.patients[a.pat_num]
        assert a.op in scaled.operatories and a.prov_num in scaled.providers
        assert scaled.providers[a.prov_num].abbr == a.prov_abbr
        # Copy c's appointment is for copy c's patient, in copy c's chair, with copy c's providers.
        copy = (a.op - 1) // max(base.operatories)
        assert (a.prov_num - 1) // max(base.providers) == copy
        assert (a.pat_num - 1) // max(base.patients) == copy
        assert patient.guarantor in scaled.patients and patient.pri_prov in scaled.providers


def test_blockouts_and_chairs_point_into_their_copy(scaled: Office) -> None:
    for s in scaled.schedules.values():
        assert all(op in scaled.operatories for op in s.operatories)
        assert s.prov_num == 0 or s.prov_num in scaled.providers
    for o in scaled.operatories.values():
        assert all(p == 0 or p in scaled.providers for p in (o.prov_dentist, o.prov_hygienist))


def test_each_copy_is_a_different_person(base: Office, scaled: Office) -> None:
    """A lookup by phone, or by name and date of birth, finds the chart in one copy only."""
    people = Counter((p.l_name, p.f_name, p.birthdate) for p in scaled.patients.values())
    assert people.most_common(1)[0][1] == 1
    owners: dict[str, set[int]] = defaultdict(set)
    for p in scaled.patients.values():
        for phone in p.phones:
            owners["".join(ch for ch in phone if ch.isdigit())].add((p.pat_num - 1) // max(base.patients))
    assert all(len(copies) == 1 for copies in owners.values())
    assert len(owners) == SCALE * len({"".join(c for c in ph if c.isdigit()) for p in base.patients.values() for ph in p.phones})  # fmt: skip
    jane = [p for p in scaled.patients.values() if p.wireless_phone == "(503)555-1234"]
    assert [p.pat_num for p in jane] == [1], "the showcase patients keep their numbers"


def test_scale_is_bounded() -> None:
    with pytest.raises(ValueError, match="scale"):
        scale_office(Office(name="x", timezone="UTC"), MAX_SCALE + 1)


# -- over HTTP: pages of at most 100, and the client reads every page ---------------------------------------


async def test_a_scaled_sandbox_pages_its_lists(start_sandbox: SandboxFactory, scaled: Office) -> None:
    server: TestServer = await start_sandbox(scale=SCALE)
    start = date.today()
    end = start + timedelta(days=13)
    async with make_client(server) as od:
        for path, params in (
            ("appointments", {"dateStart": f"{start}", "dateEnd": f"{end}"}),
            ("schedules", {"dateStart": f"{start}", "dateEnd": f"{end}"}),
            ("patients/Simple", {}),
        ):
            rows = await od._http.request("GET", path, params={**params, "Limit": 1000}, idempotent=True)
            assert len(rows) == 100, f"{path}: Open Dental's Remote API returns at most 100 rows"
        before = od.stats.requests
        appointments = await od.appointments(start=start, end=end)
        schedules = await od.schedules(start, end)
        patients = await od.search_patients()
        pages = od.stats.requests - before
    in_window = [
        a for a in scaled.appointments.values() if a.apt_date_time and start <= a.apt_date_time.date() <= end
    ]
    assert len(appointments) == len(in_window) > 100
    assert len(schedules) == sum(
        1 for s in scaled.schedules.values() if s.sched_date and start <= s.sched_date <= end
    )
    assert len(patients) == len(scaled.patients) == SCALE * 200
    assert pages == sum(n // 100 + 1 for n in (len(appointments), len(schedules), len(patients)))


# -- the command lines --------------------------------------------------------------------------------------


def test_the_sandbox_command_takes_a_scale() -> None:
    assert settings_from(parse_args(["--scale", "50"])).scale == 50
    assert settings_from(parse_args([])).scale == 1


def test_the_demo_command_takes_a_scale(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.parse_args(["demo", "--scale", "50"]).scale == 50
    assert cli.parse_args(["demo"]).scale == 1
    with pytest.raises(SystemExit):
        cli.parse_args(["demo", "--scale", "0"])
    assert "--scale" in capsys.readouterr().err


def test_the_scaled_demo_books_in_every_copy(scaled: Office) -> None:
    """The demo's practices file names every copy's providers and operatories, and only ones that exist."""
    app, practices, _ = cli.demo_app(Settings(_env_file=None), "127.0.0.1", 8099, scale=SCALE)
    [practice] = practices.practices
    for rule in practice.booking.appointment_types:
        assert rule.operatories and set(rule.operatories) <= set(scaled.operatories)
        assert rule.providers and set(rule.providers) <= set(scaled.providers)
        assert len(rule.operatories) % SCALE == 0 and len(rule.providers) % SCALE == 0
    hygiene = next(r for r in practice.booking.appointment_types if r.hygiene)
    assert all(scaled.operatories[op].is_hygiene for op in hygiene.operatories)
    assert all(scaled.providers[p].is_hygienist for p in hygiene.providers)
    assert app is not None


def test_only_practices_on_the_demo_sandbox_are_scaled() -> None:
    practices = load_practices(demo_practices_file())
    elsewhere = practices.practices[0].open_dental.model_copy(
        update={"base_url": "https://od.example/api/v1"}
    )
    moved = practices.model_copy(update={"practices": [practices.practices[0].model_copy(update={"open_dental": elsewhere})]})  # fmt: skip
    assert practices.practices[0].open_dental.base_url == DEMO_SANDBOX_URL
    assert scale_demo_practices(moved, SCALE) == moved
    assert scale_demo_practices(practices, SCALE) != practices


@contextlib.asynccontextmanager
async def scaled_clinic(scale: int) -> AsyncIterator[Clinic]:
    """The demo, scaled, on one loopback port with no throttle (as `python -m bot demo --scale` runs it)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo = scale_demo_practices(load_practices(demo_practices_file()), scale)
    demo = point_at_demo_sandbox(demo, "127.0.0.1", port)
    unthrottled = [
        p.model_copy(update={"open_dental": p.open_dental.model_copy(update={"throttle_seconds": 0.0})})
        for p in demo.practices
    ]
    config = Settings(
        _env_file=None, INBOUND_DEBOUNCE_SECONDS=0.15, METRICS_ADDRESS="127.0.0.1:0"
    ).with_demo_defaults(base)
    od_sandbox = SandboxSettings(throttle_seconds=0, scale=scale)
    app = create_demo_app(
        config,
        PracticesFile(practices=unthrottled),
        od_sandbox=od_sandbox,
        operator=None,
        enforce_window=False,
    )
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server(access_log=None)
    try:
        async with httpx.AsyncClient(base_url=f"{base}/sandbox/od/api/v1/", headers=OD_HEADERS) as od:
            yield Clinic(base, app[GRAPH_FAKE_KEY], od, app)
    finally:
        await server.close()


async def test_a_patient_of_another_copy_books_in_the_scaled_demo(od_keys: None, scaled: Office) -> None:
    """Copy 2's Jane Smith is found on her own phone and books a cleaning with one of the copies' hygienists."""
    jane = scaled.patients[1 + 2 * 200]
    assert (jane.f_name, jane.l_name) == ("Jane", "Smith") and jane.pri_prov == 1 + 2 * 3
    async with scaled_clinic(SCALE) as clinic:
        patient = clinic.patient("1" + "".join(ch for ch in jane.wireless_phone if ch.isdigit()))
        assert "I found" in await patient.say("Hi, can I get a cleaning next week please?")
        await patient.tap(patient.rows[0]["id"])
        assert "Booked!" in await patient.tap(patient.buttons[0])
        booked = [a for a in await clinic.appointments_of(jane.pat_num) if a["AptStatus"] == "Scheduled"]
        new = [a for a in booked if a["AptNum"] > max(scaled.appointments)]
        assert len(new) == 1 and scaled.operatories[new[0]["Op"]].is_hygiene
        assert scaled.providers[new[0]["ProvHyg"]].is_hygienist and new[0]["ProvNum"] == jane.pri_prov
