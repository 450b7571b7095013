"""The practices file: the demo file loads, and every mistake is reported with the practice and the field."""

from __future__ import annotations

import tomllib
from datetime import time
from pathlib import Path

import pytest

from od_adapter.config import ApiMode, ConfigError, PermissionTier, load_practices

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
        "America/New_York",
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


@pytest.mark.parametrize(
    ("mode", "tier", "spacing", "page"),
    [
        (ApiMode.REMOTE, PermissionTier.STANDARD, 1.0, 100),
        (ApiMode.REMOTE, PermissionTier.READ_ONLY, 5.0, 100),
        (ApiMode.REMOTE, PermissionTier.ENTERPRISE, 0.5, 1000),
        (ApiMode.SERVICE, PermissionTier.STANDARD, 0.0, 1000),
        (ApiMode.LOCAL, PermissionTier.ENTERPRISE, 0.0, 10000),
    ],
)
def test_throttle_and_page_size_follow_mode_and_tier(
    mode: ApiMode, tier: PermissionTier, spacing: float, page: int
) -> None:
    connection = (
        load_practices(DEMO)
        .practices[0]
        .open_dental.model_copy(update={"mode": mode, "tier": tier, "base_url": None})
    )
    assert (connection.spacing_seconds, connection.page_limit) == (spacing, page)
    assert connection.url.endswith("/api/v1")


def test_keys_come_from_the_environment_and_a_missing_one_is_named() -> None:
    connection = load_practices(DEMO).practices[0].open_dental
    dev, cust = connection.keys({"DEMO_OD_DEVELOPER_KEY": "dev-123", "DEMO_OD_CUSTOMER_KEY": "cust-456"})
    assert (dev.get_secret_value(), cust.get_secret_value()) == ("dev-123", "cust-456")
    assert "cust-456" not in repr(cust) and "cust-456" not in str(connection)
    with pytest.raises(ConfigError, match="DEMO_OD_CUSTOMER_KEY is not set"):
        connection.keys({"DEMO_OD_DEVELOPER_KEY": "d"})


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('timezone = "America/New_York"', 'timezone = "Mars/Olympus"', "field timezone: .*unknown time zone"),
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
