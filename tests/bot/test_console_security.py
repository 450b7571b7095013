"""The console's hardening over real HTTP and real Redis: sessions that end when they should, sign-in throttling
that slows attackers without locking staff out, hashing off the event loop, the metrics listener, HSTS, and
clean refusals of bad input."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from argon2 import PasswordHasher
from redis.asyncio import Redis

from bot.console.accounts import Role
from bot.console.hashing import HashQueueFull, PasswordHashing
from bot.errors import ConfigError
from bot.keys import CONSOLE_KEY, METRICS_URL_KEY
from bot.records.crypto import DEMO_ENCRYPTION_KEY
from bot.settings import DEMO_APP_SECRET, Settings
from bot.whatsapp.webhook import sign
from tests.bot.test_console import PASSWORD, browser, csrf_in, handed_off, sign_in
from tests.deliveries import text_delivery
from tests.flows.test_conversations import PRACTICE_ID, Clinic, open_clinic
from tests.flows.test_handoff import handoff

ATTACKER = {"X-Forwarded-For": "203.0.113.66"}


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")


@pytest.fixture(name="clinic")
async def fixture_clinic(redis: Redis, redis_server: str) -> AsyncIterator[Clinic]:
    settings = {"REDIS_URL": redis_server, "CONSOLE_CLIENT_IP_HEADER": "X-Forwarded-For"}
    async with open_clinic(handoff(), **settings) as clinic:
        accounts = clinic.app[CONSOLE_KEY].accounts
        await accounts.add("maria", PASSWORD, Role.OPERATOR, [PRACTICE_ID])
        await accounts.add("root", PASSWORD, Role.ADMIN, [])
        yield clinic


def from_address(clinic: Clinic, address: str) -> httpx.AsyncClient:
    client = browser(clinic)
    client.headers["X-Forwarded-For"] = address
    return client


def copy_session(source: httpx.AsyncClient, clinic: Clinic) -> httpx.AsyncClient:
    """A second client holding only a copy of the session cookie (what a thief would have)."""
    thief = browser(clinic)
    thief.cookies.set(
        "console_session", source.cookies.get("console_session", path="/console"), domain="127.0.0.1"
    )
    return thief


async def signed_in_as(client: httpx.AsyncClient, username: str) -> None:
    response = await sign_in(client, username)
    assert response.status_code == 303, response.text


# -- sessions ---------------------------------------------------------------------------------------------------


async def test_a_copied_cookie_stops_working_at_sign_out(clinic: Clinic) -> None:
    conversation = await handed_off(clinic)
    async with browser(clinic) as client:
        await signed_in_as(client, "maria")
        async with copy_session(client, clinic) as thief:
            assert (await thief.get(f"/c/{conversation}")).status_code == 200
            page = await client.get("/")
            assert (await client.post("/logout", data={"csrf": csrf_in(page.text)})).status_code == 303
            assert (await thief.get(f"/c/{conversation}")).status_code == 302
            assert (await thief.get(f"/c/{conversation}?partial=1")).status_code == 401
        assert (await client.get("/")).status_code == 302


async def test_replacing_an_account_from_the_command_line_ends_its_sessions(
    clinic: Clinic, redis_server: str
) -> None:
    async with browser(clinic) as client:
        await signed_in_as(client, "maria")
        async with copy_session(client, clinic) as thief:
            assert (await thief.get("/")).status_code == 200
            env = {
                **os.environ,
                "REDIS_URL": redis_server,
                "DATA_ENCRYPTION_KEYS": DEMO_ENCRYPTION_KEY,  # the clinic's (the demo's) key
                "OPERATOR_PASSWORD": "a brand new password",
            }
            args = ["-m", "bot", "operators", "add", "maria", "--practice", PRACTICE_ID, "--replace"]
            reset = await asyncio.create_subprocess_exec(
                sys.executable, *args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            _, stderr = await asyncio.wait_for(reset.communicate(), 60)
            assert reset.returncode == 0, stderr.decode()
            assert (await thief.get("/")).status_code == 302, (
                "a cookie from before the password reset is dead"
            )
        assert (await client.get("/")).status_code == 302


async def test_removing_an_operator_or_changing_the_role_ends_their_sessions(clinic: Clinic) -> None:
    accounts = clinic.app[CONSOLE_KEY].accounts
    async with browser(clinic) as client:
        await signed_in_as(client, "maria")
        await accounts.add("maria", PASSWORD, Role.ADMIN, [], replace=True)
        assert (await client.get("/")).status_code == 302, "a role change ends the session"
        await signed_in_as(client, "maria")
        assert await accounts.remove("maria")
        assert (await client.get("/")).status_code == 302
        assert (await sign_in(client, "maria")).status_code == 401


async def test_an_admin_lists_and_ends_sessions(clinic: Clinic) -> None:
    async with browser(clinic) as admin, browser(clinic) as first, browser(clinic) as second:
        await signed_in_as(admin, "root")
        await signed_in_as(first, "maria")
        await signed_in_as(second, "maria")
        page = await admin.get("/sessions")
        assert page.status_code == 200 and page.text.count("<td>maria</td>") == 2
        [one, _] = await clinic.app[CONSOLE_KEY].sessions.of("maria")
        ended = await admin.post(
            "/sessions/end", data={"csrf": csrf_in(page.text), "username": "maria", "handle": one.handle}
        )
        assert ended.status_code == 303
        assert sorted([(await first.get("/")).status_code, (await second.get("/")).status_code]) == [200, 302]
        await admin.post("/sessions/end", data={"csrf": csrf_in(page.text), "username": "maria"})
        assert [(await c.get("/")).status_code for c in (first, second)] == [302, 302]
        assert (await first.get("/sessions")).status_code == 302
        log = await admin.get("/access-log")
        assert "<td>root</td><td>end_session</td>" in log.text
        async with browser(clinic) as operator:
            await signed_in_as(operator, "maria")
            assert (await operator.get("/sessions")).status_code == 403, "only administrators"


# -- sign-in throttling -----------------------------------------------------------------------------------------


async def test_an_attacker_cannot_lock_out_a_browser_that_signed_in_before(clinic: Clinic) -> None:
    async with from_address(clinic, "198.51.100.7") as maria:
        await signed_in_as(maria, "maria")
        assert maria.cookies.get("console_device", path="/console")
        page = await maria.get("/")
        await maria.post("/logout", data={"csrf": csrf_in(page.text)})
        async with from_address(clinic, ATTACKER["X-Forwarded-For"]) as attacker:
            statuses = [(await sign_in(attacker, "maria", f"guess number {n}")).status_code for n in range(6)]
        assert statuses == [401] * 5 + [429], "the sixth try waits"
        assert (await sign_in(maria, "maria")).status_code == 303, "her browser's device cookie lets her in"
    async with from_address(clinic, "198.51.100.8") as new_browser:
        slowed = await sign_in(new_browser, "maria")
        assert slowed.status_code == 429, "a browser she never used waits, like the attacker"
        await asyncio.sleep(float(slowed.headers["Retry-After"]) + 0.2)
        assert (await sign_in(new_browser, "maria")).status_code == 303, "slowed down, never locked out"
    async with browser(clinic) as admin:
        await signed_in_as(admin, "root")
        log = (await admin.get("/access-log")).text
        assert "<td>maria</td><td>lockout_account</td>" in log and "failed sign-ins for account maria" in log


async def test_one_address_trying_many_names_is_slowed_and_other_addresses_are_not(clinic: Clinic) -> None:
    async with from_address(clinic, ATTACKER["X-Forwarded-For"]) as attacker:
        for n in range(20):
            assert (await sign_in(attacker, f"user{n}", "not the password")).status_code == 401
        refused = await sign_in(attacker, "maria")
        assert refused.status_code == 429 and "from this address" in refused.text
    async with from_address(clinic, "198.51.100.9") as elsewhere:
        assert (await sign_in(elsewhere, "maria")).status_code == 303
    async with browser(clinic) as admin:
        await signed_in_as(admin, "root")
        assert "address 203.0.113.66" in (await admin.get("/access-log")).text


async def test_a_forged_device_cookie_is_ignored(clinic: Clinic) -> None:
    async with from_address(clinic, ATTACKER["X-Forwarded-For"]) as attacker:
        attacker.cookies.set("console_device", "maria.abcdefghijklmnop.forgedmac", domain="127.0.0.1")
        statuses = [(await sign_in(attacker, "maria", f"guess number {n}")).status_code for n in range(6)]
    assert statuses[-1] == 429, "only a cookie the server signed exempts a browser"


# -- hashing off the event loop ---------------------------------------------------------------------------------


async def test_password_checks_do_not_block_the_event_loop() -> None:
    hashing = PasswordHashing(PasswordHasher(time_cost=2, memory_cost=32 * 1024, parallelism=1), queue=4)
    try:
        stored = await hashing.hash(PASSWORD)
        gaps: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        started = time.perf_counter()
        results = await asyncio.gather(
            *(hashing.verify(stored, p) for p in (PASSWORD, "no", "nope", PASSWORD))
        )
        spent = time.perf_counter() - started
        done.set()
        await tick
        assert results == [True, False, False, True]
        assert max(gaps) < max(0.1, spent / 3), (
            f"the loop stalled {max(gaps):.3f}s during {spent:.3f}s of hashing"
        )
        with pytest.raises(HashQueueFull):
            await asyncio.gather(*(hashing.verify(stored, "x") for _ in range(5)))
    finally:
        hashing.close()


async def test_a_sign_in_flood_gets_429_and_the_webhook_keeps_answering(
    redis: Redis, redis_server: str
) -> None:
    settings = {
        "REDIS_URL": redis_server,
        "CONSOLE_CLIENT_IP_HEADER": "X-Forwarded-For",
        "PASSWORD_HASH_QUEUE": 2,
    }
    async with open_clinic(**settings) as clinic, browser(clinic) as client:
        form = await client.get("/login")
        token = csrf_in(form.text)

        async def attempt(n: int) -> int:
            response = await client.post(
                "/login",
                data={"username": f"random{n}", "password": "whatever it is", "csrf": token},
                headers={"X-Forwarded-For": f"192.0.2.{n}"},
            )
            return response.status_code

        flood = asyncio.gather(*(attempt(n) for n in range(12)))
        await asyncio.sleep(0.05)  # the hashing thread is busy now
        body = json.dumps(text_delivery("wamid.FLOOD1", "hello")).encode()
        started = time.perf_counter()
        async with httpx.AsyncClient() as webhook:
            answer = await webhook.post(
                f"{clinic.base}/webhook/whatsapp",
                content=body,
                headers={
                    "X-Hub-Signature-256": sign(DEMO_APP_SECRET, body),
                    "Content-Type": "application/json",
                },
            )
        webhook_seconds = time.perf_counter() - started
        statuses = await flood
    assert answer.status_code == 200
    assert webhook_seconds < 1.0, f"the webhook waited {webhook_seconds:.2f}s behind the hashing"
    assert statuses.count(429) >= 8 and statuses.count(401) >= 2, statuses


# -- metrics, headers, bad input --------------------------------------------------------------------------------


async def test_metrics_are_only_on_their_own_listener_and_need_the_token(redis_server: str) -> None:
    assert Settings(_env_file=None).metrics_address == "127.0.0.1:9464", "loopback by default"
    async with open_clinic(REDIS_URL=redis_server, METRICS_TOKEN="scrape-token") as clinic:
        url = clinic.app[METRICS_URL_KEY]
        assert url.startswith("http://127.0.0.1:") and not url.startswith(clinic.base)
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{clinic.base}/metrics")).status_code == 404
            assert (await client.get(url)).status_code == 401
            assert (await client.get(url, headers={"Authorization": "Bearer wrong"})).status_code == 401
            scrape = await client.get(url, headers={"Authorization": "Bearer scrape-token"})
            assert scrape.status_code == 200 and "wa_inbound_messages" in scrape.text
    async with open_clinic(METRICS_ADDRESS="off") as clinic:
        assert clinic.app[METRICS_URL_KEY] == ""


async def test_the_console_sends_hsts_unless_turned_off(redis_server: str) -> None:
    async with open_clinic(REDIS_URL=redis_server) as clinic, browser(clinic) as client:
        hsts = (await client.get("/login")).headers["Strict-Transport-Security"]
        assert hsts == "max-age=31536000; includeSubDomains"
        assert "Strict-Transport-Security" in (await client.get("/")).headers, "redirects carry it too"
    async with (
        open_clinic(REDIS_URL=redis_server, CONSOLE_HSTS_SECONDS=0) as clinic,
        browser(clinic) as client,
    ):
        assert "Strict-Transport-Security" not in (await client.get("/login")).headers


@pytest.mark.parametrize(
    "cookie",
    ["P" * 43, "not-a-session", "%%%;;\\x00", "a" * 5000, "=" * 43],
)
async def test_forged_and_malformed_session_cookies_are_sent_to_sign_in(clinic: Clinic, cookie: str) -> None:
    async with browser(clinic) as client:
        response = await client.get("/", headers={"Cookie": f"console_session={cookie}"})
        assert response.status_code == 302 and response.headers["Location"] == "/console/login"
        partial = await client.get("/?partial=1", headers={"Cookie": f"console_session={cookie}"})
        assert partial.status_code == 401


async def test_bad_bodies_get_a_clean_refusal(clinic: Clinic) -> None:
    conversation = await handed_off(clinic)
    async with browser(clinic) as client:
        await signed_in_as(client, "maria")
        page = await client.get(f"/c/{conversation}")
        token = csrf_in(page.text)
        huge = await client.post(f"/c/{conversation}/reply", data={"csrf": token, "text": "x" * 100_000})
        assert huge.status_code == 413
        broken = await client.post(
            f"/c/{conversation}/reply",
            content=b'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nno end',
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        assert broken.status_code in (400, 403)
        latin = await client.post(
            f"/c/{conversation}/reply",
            content=b"csrf=" + token.encode() + b"&text=\xff\xfe",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        assert latin.status_code < 500
        login = await client.post("/login", content=b"\xff" * 10, headers={"Content-Type": "text/plain"})
        assert login.status_code in (400, 403)
        forged = await client.post(f"/c/{conversation}/release", data={"csrf": "forged"})
        assert forged.status_code == 403
    async with browser(clinic) as admin:
        await signed_in_as(admin, "root")
        log = (await admin.get("/access-log")).text
        assert (
            "<td>maria</td><td>csrf_refused</td>" in log and f"POST /console/c/{conversation}/release" in log
        )


def test_choice_id_keys_come_from_the_environment_with_the_previous_ones_after() -> None:
    settings = Settings(_env_file=None, CHOICE_ID_SECRET="new", CHOICE_ID_SECRET_PREVIOUS="old, older")
    assert settings.choice_keys == [b"new", b"old", b"older"]
    demo = Settings(_env_file=None).with_demo_defaults("http://127.0.0.1:1")
    assert demo.choice_keys, "the demo runs with no configuration"
    with pytest.raises(ConfigError, match="CHOICE_ID_SECRET"):
        Settings(_env_file=None).require_secrets()
