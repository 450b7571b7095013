"""The practices file: today's files load unchanged, and every mistake names the file, the practice, the field and the fix."""

from __future__ import annotations

import tomllib
from datetime import time
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.practices import load_practices
from od_adapter import OdPractice

DEMO = Path(__file__).parents[2] / "od_adapter" / "sandbox" / "data" / "demo_practices.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "practices.toml"
    path.write_text(text)
    return path


def demo_with(tmp_path: Path, old: str, new: str) -> Path:
    text = DEMO.read_text()
    assert old in text
    return write(tmp_path, text.replace(old, new, 1))


def test_the_demo_practices_file_loads() -> None:
    practices = load_practices(DEMO)
    practice = practices.by_phone_number_id()["100000000000001"]
    assert (practice.name, practice.timezone, practice.languages) == (
        "Bright Smile Dental",
        "America/Los_Angeles",
        ["en", "es", "pt", "fr", "de", "ar", "hi"],
    )
    assert practice.open_dental.spacing_seconds == 1.0
    assert practice.booking.earliest == time(8, 0)
    assert [t.kind for t in practice.booking.appointment_types] == [
        "new_patient",
        "cleaning",
        "consultation",
        "emergency",
    ]
    od = practice.od
    assert isinstance(od, OdPractice) and (od.id, od.timezone, od.region) == (
        "100000000000001",
        "America/Los_Angeles",
        "US",
    )
    assert (od.open_dental, od.booking, od.commlog) == (
        practice.open_dental,
        practice.booking,
        practice.commlog,
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'timezone = "America/Los_Angeles"',
            'timezone = "Mars/Olympus"',
            "field timezone: .*unknown time zone",
        ),
        (
            'languages = ["en", "es", "pt", "fr", "de", "ar", "hi"]',
            'languages = ["en", "xx"]',
            "field languages: .*unsupported languages",
        ),
        (
            'emergency_phone = "(503) 555-0100"',
            'emergency_phone = "(503) 555-0100"\nemergency_number = "555"',
            "'555' is not an emergency number in US",
        ),
        ('default_language = "en"', 'default_language = "it"', "default_language 'it' is not in languages"),
        ("grid_minutes = 10", "grid_minutes = 12", "field booking.grid_minutes: .*multiple of 5"),
        ('mode = "remote"', 'mode = "cloud"', "field open_dental.mode"),
        (
            'customer_key_env = "DEMO_OD_CUSTOMER_KEY"',
            "",
            "field open_dental.customer_key_env: Field required",
        ),
        ('earliest = "08:00:00"', 'earliest = "19:00:00"', "earliest must be before latest"),
        ('region = "US"', 'region = "ZZ"', "unknown phone region"),
        (
            'comm_type = "ApptRelated"',
            'comm_type = "ApptRelated"\ncolour = "red"',
            "Extra inputs are not permitted",
        ),
    ],
)
def test_mistakes_name_the_practice_and_the_field(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"practice 'Bright Smile Dental' .*{message}"):
        load_practices(demo_with(tmp_path, old, new))


def test_duplicate_phone_number_ids_are_refused(tmp_path: Path) -> None:
    text = DEMO.read_text()
    second_entry = text[text.index("\n[[practices]]") :]
    assert len(tomllib.loads(text + "\n\n" + second_entry)["practices"]) == 2
    with pytest.raises(ConfigError, match="appears twice"):
        load_practices(write(tmp_path, text + "\n\n" + second_entry))


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_practices(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_practices(write(tmp_path, "[[practices]\nname="))
    with pytest.raises(ConfigError, match="practices"):
        load_practices(write(tmp_path, "practices = []"))


@pytest.mark.parametrize(("region", "number"), [("US", "911"), ("GB", "999"), ("IN", "112"), ("AU", "000")])
def test_the_emergency_number_defaults_to_the_regions(tmp_path: Path, region: str, number: str) -> None:
    practices = load_practices(demo_with(tmp_path, 'region = "US"', f'region = "{region}"'))
    assert practices.practices[0].emergency_number == number


@pytest.mark.parametrize(
    ("old", "new", "field", "fix"),
    [
        (
            'phone_number_id = "100000000000001"',
            'phone_numer_id = "100000000000001"',
            "field phone_numer_id",
            "did you mean 'phone_number_id'",
        ),
        (
            "[practices.handoff]",
            "[practices.handoff]\nhourz = 3",
            "field handoff.hourz",
            "did you mean 'hours'",
        ),
        (
            "grid_minutes = 10",
            "grid_minutes = 10\nfailures = 2",
            "field booking.failures",
            "'failures' belongs in \\[practices.handoff\\]",
        ),
        (
            'comm_type = "ApptRelated"',
            'comm_type = "ApptRelated"\ncolour = "red"',
            "field commlog.colour",
            "remove it",
        ),
    ],
)
def test_an_unknown_misspelled_or_moved_field_names_the_file_the_field_and_the_fix(
    tmp_path: Path, old: str, new: str, field: str, fix: str
) -> None:
    path = demo_with(tmp_path, old, new)
    with pytest.raises(ConfigError, match=f"{path}: .*{field}: Extra inputs are not permitted; {fix}"):
        load_practices(path)


def test_a_changed_copy_of_a_practice_gives_the_adapter_the_change() -> None:
    practice = load_practices(DEMO).practices[0]
    moved = practice.model_copy(update={"timezone": "Europe/Lisbon"})
    assert (moved.od.timezone, moved.zone.key) == ("Europe/Lisbon", "Europe/Lisbon")
