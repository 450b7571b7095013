"""A file of many practices: the webhook's lookup is built once, and the worker's Open Dental clients share one
TLS context (one per client was 0.8 MB and 20 ms of start-up per practice: 950 MB and 20 s at 1,000)."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from bot.conversation.handler import build_conversation_handler
from bot.practices import PracticesFile, load_practices
from bot.records.conversations import Conversations
from bot.records.crypto import Sealer, new_key
from bot.records.storage import MemoryStorage
from bot.settings import Settings
from od_adapter import MemoryRateLimiter, OpenDentalClient
from tests.bench.webhook import practices_file


@pytest.fixture(name="practices")
def fixture_practices(tmp_path: Path) -> PracticesFile:
    return load_practices(practices_file(30, tmp_path))


def test_the_phone_number_id_lookup_is_built_once_and_cannot_be_changed(practices: PracticesFile) -> None:
    lookup = practices.by_phone_number_id()
    assert lookup is practices.by_phone_number_id()
    assert list(lookup) == [p.phone_number_id for p in practices.practices]
    with pytest.raises(TypeError):
        lookup["1"] = practices.practices[0]  # type: ignore[index]


def tls_context(client: OpenDentalClient) -> ssl.SSLContext:
    """The context httpx's pool opens connections with (httpx keeps it private; this is the one place we look)."""
    return client._http._client._transport._pool._ssl_context  # type: ignore[attr-defined,no-any-return]


async def test_every_practices_client_shares_one_tls_context(
    practices: PracticesFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "d")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "c")
    settings = Settings(_env_file=None).with_demo_defaults("http://127.0.0.1")
    conversations = Conversations(MemoryStorage(), Sealer([new_key()]))
    handler = build_conversation_handler(practices, MemoryRateLimiter(), None, conversations, settings)
    try:
        contexts = {id(tls_context(runtime.client)) for runtime in handler.practices.values()}
        assert len(handler.practices) == 30 and len(contexts) == 1
    finally:
        await handler.aclose()
