"""The durability rule on real Redis servers of each kind: AOF with everysec or always passes; no AOF,
`appendfsync no`, or a managed Redis that hides CONFIG and has AOF off are refused, by the check, by
`serve` and `worker` at start, and by `/readyz`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.records.durability import durability
from tests.bot.test_commands import SECRETS, run
from tests.conftest import free_port
from tests.redis_server import start_redis

HIDDEN_CONFIG = ("--rename-command", "CONFIG", "")
KEYS = {"DEMO_OD_DEVELOPER_KEY": "sandbox-dev", "DEMO_OD_CUSTOMER_KEY": "sandbox-customer"}


@contextlib.contextmanager
def redis_of(tmp_path: Path, **options: object) -> Iterator[str]:
    port = free_port()
    process = start_redis(port, tmp_path, **options)  # type: ignore[arg-type]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("options", "ok", "said"),
    [
        ({"aof": True}, True, "appendfsync everysec"),
        ({"aof": True, "fsync": "always"}, True, "appendfsync always"),
        ({"aof": False}, False, "no append-only file"),
        ({"aof": True, "fsync": "no"}, False, "appendfsync no"),
        ({"aof": True, "extra": HIDDEN_CONFIG}, True, "INFO persistence"),
        ({"aof": False, "extra": HIDDEN_CONFIG}, False, "no append-only file (INFO persistence)"),
    ],
)
async def test_the_rule_on_each_kind_of_redis(
    tmp_path: Path, options: dict[str, object], ok: bool, said: str
) -> None:
    with redis_of(tmp_path, **options) as url:
        redis = Redis.from_url(url)
        try:
            found = await durability(redis)
        finally:
            await redis.aclose()
    assert (found.ok, said in found.said) == (ok, True), found.said


async def test_off_is_never_checked_and_says_so(tmp_path: Path) -> None:
    with redis_of(tmp_path, aof=False) as url:
        redis = Redis.from_url(url)
        try:
            found = await durability(redis, "off")
        finally:
            await redis.aclose()
    assert found.ok and "may be lost" in found.said


def test_serve_and_worker_refuse_a_redis_without_aof(tmp_path: Path) -> None:
    with redis_of(tmp_path, aof=False) as url:
        for command in ("serve", "worker"):
            result = run("-m", "bot", command, env={**SECRETS, **KEYS, "REDIS_URL": url})
            assert result.returncode == 2, result.stderr
            assert "not durable enough" in result.stderr and "appendonly yes" in result.stderr


def test_serve_refuses_the_in_memory_store() -> None:
    result = run("-m", "bot", "serve", "--port", str(free_port()), env={**SECRETS, **KEYS, "REDIS_URL": ""})
    assert result.returncode == 2
    assert "needs REDIS_URL" in result.stderr and "loses every acknowledged message" in result.stderr


def test_check_config_says_what_redis_keeps(tmp_path: Path) -> None:
    with redis_of(tmp_path, aof=False) as url:
        result = run("-m", "bot", "check-config", env={"REDIS_URL": url, "DEMO_OD_DEVELOPER_KEY": "x", "DEMO_OD_CUSTOMER_KEY": "y"})  # fmt: skip
    assert "FAIL Redis: Redis keeps no append-only file" in result.stdout
    assert result.returncode == 1
