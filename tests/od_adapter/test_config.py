"""An Open Dental practice's settings: throttle and page size follow the API mode, and keys come from the environment."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from od_adapter.config import ApiMode, OdPractice, PermissionTier
from od_adapter.errors import AdapterError, ConfigError

DEMO = Path(__file__).parents[2] / "od_adapter" / "sandbox" / "data" / "demo_practices.toml"


def demo_practice() -> OdPractice:
    entry = tomllib.loads(DEMO.read_text(encoding="utf-8"))["practices"][0]
    fields = {name: entry[name] for name in OdPractice.model_fields if name in entry}
    return OdPractice.model_validate({"id": entry["phone_number_id"], **fields})


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
    connection = demo_practice().open_dental.model_copy(update={"mode": mode, "tier": tier, "base_url": None})
    assert (connection.spacing_seconds, connection.page_limit) == (spacing, page)
    assert connection.url.endswith("/api/v1")


def test_keys_come_from_the_environment_and_a_missing_one_is_named() -> None:
    connection = demo_practice().open_dental
    dev, cust = connection.keys({"DEMO_OD_DEVELOPER_KEY": "dev-123", "DEMO_OD_CUSTOMER_KEY": "cust-456"})
    assert (dev.get_secret_value(), cust.get_secret_value()) == ("dev-123", "cust-456")
    assert "cust-456" not in repr(cust) and "cust-456" not in str(connection)
    with pytest.raises(ConfigError, match="DEMO_OD_CUSTOMER_KEY is not set") as raised:
        connection.keys({"DEMO_OD_DEVELOPER_KEY": "d"})

    assert isinstance(raised.value, AdapterError)


def test_a_practice_refuses_an_unknown_zone_or_region() -> None:
    practice = demo_practice()
    for update in ({"timezone": "Mars/Olympus"}, {"region": "ZZ"}):
        with pytest.raises(ValueError, match="unknown"):
            OdPractice.model_validate({**practice.model_dump(), **update})
