"""Shared fixtures: a redis-server of our own on a free loopback port, and the Open Dental sandbox over HTTP."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from redis.asyncio import Redis

from od_adapter.client import OpenDentalClient
from od_adapter.config import ApiMode, OpenDentalConnection
from od_adapter.http import RetryPolicy
from od_adapter.ratelimit import MemoryRateLimiter, RateLimiter
from od_adapter.sandbox import DEVELOPER_KEY, SandboxSettings, create_sandbox_app
from tests.redis_server import start_redis

FIXTURES = Path(__file__).parent / "fixtures"
# The demo practice reminds its showcase patients as soon as it starts: tests of everything else would see those
# messages among the replies they read. The reminder tests turn reminders on (`REMINDERS=true`) for themselves.
os.environ.setdefault("REMINDERS", "false")
FAST_RETRY = RetryPolicy(attempts=4, initial_backoff=0.01, max_backoff=0.05, deadline=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(name="od_keys")
def fixture_od_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment variables the demo practices file names for its Open Dental keys."""
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")


@pytest.fixture(name="redis_server", scope="session")
def fixture_redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server started for this test session only; never a server we did not start."""
    port = free_port()
    try:
        process = start_redis(port, tmp_path_factory.mktemp("redis"), aof=True)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(name="redis")
async def fixture_redis(redis_server: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server, socket_timeout=5)
    await client.flushdb()
    yield client
    await client.aclose()


SandboxFactory = Callable[..., Any]


@pytest.fixture(name="start_sandbox")
async def fixture_start_sandbox() -> AsyncIterator[SandboxFactory]:
    """Start a sandbox on a real loopback port; settings default to no throttle so tests run fast."""
    servers: list[TestServer] = []

    async def start(seed_path: Path | None = None, **settings: Any) -> TestServer:
        settings.setdefault("throttle_seconds", 0)
        settings.setdefault("readonly_throttle_seconds", 0)
        server = TestServer(
            create_sandbox_app(SandboxSettings(**settings), seed_path=seed_path), host="127.0.0.1"
        )
        await server.start_server()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


@pytest.fixture(name="sandbox")
async def fixture_sandbox(start_sandbox: SandboxFactory) -> TestServer:
    return await start_sandbox()


def api_url(server: TestServer) -> str:
    return str(server.make_url("/api/v1"))


def make_client(
    server: TestServer,
    *,
    customer_key: str = "sandbox-customer",
    limiter: RateLimiter | None = None,
    spacing: float = 0.0,
    retry: RetryPolicy = FAST_RETRY,
) -> OpenDentalClient:
    connection = OpenDentalConnection(
        mode=ApiMode.REMOTE,
        base_url=api_url(server),
        developer_key_env="UNUSED_DEV",
        customer_key_env="UNUSED_CUST",
        throttle_seconds=spacing,
    )
    return OpenDentalClient.for_practice(
        connection,
        limiter or MemoryRateLimiter(),
        keys=(SecretStr(DEVELOPER_KEY), SecretStr(customer_key)),
        retry=retry,
    )


@pytest.fixture(name="od")
async def fixture_od(sandbox: TestServer) -> AsyncIterator[OpenDentalClient]:
    async with make_client(sandbox) as client:
        yield client
