"""The operator console over real HTTP: sign-in, lockout, CSRF, practice isolation, headers, the access log,
and what operators do (take over, reply, release), with Redis as the store so nothing is read in plaintext."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from bot.console.accounts import Role
from bot.keys import CONSOLE_KEY
from tests.flows.test_conversations import PRACTICE_ID, Clinic, open_clinic
from tests.flows.test_handoff import JANE, conversation_of, handoff, post_quietly

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_OD_DEVELOPER_KEY", "sandbox-dev")
    monkeypatch.setenv("DEMO_OD_CUSTOMER_KEY", "sandbox-customer")


@pytest.fixture(name="clinic")
async def fixture_clinic(redis: Redis, redis_server: str) -> AsyncIterator[Clinic]:
    async with open_clinic(handoff(), REDIS_URL=redis_server) as clinic:
        accounts = clinic.app[CONSOLE_KEY].accounts
        await accounts.add("maria", PASSWORD, Role.OPERATOR, [PRACTICE_ID])
        await accounts.add("other", PASSWORD, Role.OPERATOR, ["999999999999999"])
        await accounts.add("root", PASSWORD, Role.ADMIN, [])
        yield clinic


def browser(clinic: Clinic) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"{clinic.base}/console", follow_redirects=False, timeout=30)


def csrf_in(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the form"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/login")
    return await client.post(
        "/login", data={"username": username, "password": password, "csrf": csrf_in(form.text)}
    )


async def handed_off(clinic: Clinic) -> str:
    await clinic.patient(JANE).say("I'd like to talk to a person")
    return conversation_of(clinic, JANE)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/?filter=needs_human"),
        ("GET", "/c/0123456789abcdef0123456789abcdef"),
        ("POST", "/c/0123456789abcdef0123456789abcdef/release"),
        ("POST", "/c/0123456789abcdef0123456789abcdef/reply"),
        ("GET", "/operators"),
        ("POST", "/operators"),
        ("GET", "/access-log"),
        ("GET", "/reminders"),
    ],
)
async def test_nothing_is_served_without_signing_in(clinic: Clinic, method: str, path: str) -> None:
    async with browser(clinic) as client:
        response = await client.request(method, path)
        assert response.status_code == 302 and response.headers["Location"] == "/console/login"
        partial = await client.get(path.split("?")[0] + "?partial=1") if method == "GET" else None
        if partial is not None:
            assert partial.status_code == 401


async def test_sign_in_renews_the_session_and_sets_strict_cookies(clinic: Clinic) -> None:
    async with browser(clinic) as client:
        planted = "P" * 43  # an attacker's id, well formed, planted before sign-in (fixation)
        client.cookies.set("console_session", planted, domain="127.0.0.1", path="/console")
        form = await client.get("/login")
        assert form.status_code == 200
        response = await client.post(
            "/login", data={"username": "maria", "password": PASSWORD, "csrf": csrf_in(form.text)}
        )
        assert response.status_code == 303
        cookies = response.headers.get_list("Set-Cookie")
        session_cookie = next(c for c in cookies if c.startswith("console_session="))
        assert all("HttpOnly" in c and "SameSite=Strict" in c and "Path=/console" in c for c in cookies)
        assert len(session_cookie.split(";")[0]) == len("console_session=") + 43, "an opaque id, nothing more"
        assert client.cookies.get("console_session", path="/console") != planted, (
            "a session planted before sign-in is replaced"
        )
        page = await client.get("/")
        assert page.status_code == 200
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]


async def test_secure_cookies_unless_turned_off(redis_server: str) -> None:
    async with (
        open_clinic(REDIS_URL=redis_server, CONSOLE_SECURE_COOKIES="true") as clinic,
        browser(clinic) as client,
    ):
        assert "Secure" in (await client.get("/login")).headers["Set-Cookie"]


async def test_wrong_passwords_slow_the_account_down(clinic: Clinic) -> None:
    async with browser(clinic) as client:
        for _ in range(5):
            response = await sign_in(client, "maria", "wrong password!")
            assert response.status_code == 401 and "Wrong username or password" in response.text
        slowed = await sign_in(client, "maria")
        assert slowed.status_code == 429 and "for this account" in slowed.text, "the right password waits too"
        assert 0 < int(slowed.headers["Retry-After"]) <= 2, "a short wait, not a 15-minute lockout"
        assert (await client.get("/")).status_code == 302
        unknown = await sign_in(client, "nobody", "whatever it is")
        assert "Wrong username or password" in unknown.text, "an unknown name reads like a wrong password"


async def test_forms_without_the_csrf_token_are_refused(clinic: Clinic) -> None:
    conversation = await handed_off(clinic)
    async with browser(clinic) as client:
        refused = await client.post("/login", data={"username": "maria", "password": PASSWORD})
        assert refused.status_code == 403
        await sign_in(client, "maria")
        for token in ("", "forged-token"):
            response = await client.post(f"/c/{conversation}/release", data={"csrf": token})
            assert response.status_code == 403
        record = await clinic.app[CONSOLE_KEY].conversations.load(conversation)
        assert record is not None and record.session.handoff.active, "nothing changed"


async def test_an_operator_sees_only_their_practice(clinic: Clinic) -> None:
    conversation = await handed_off(clinic)
    async with browser(clinic) as client:
        await sign_in(client, "other")
        assert conversation not in (await client.get("/")).text
        assert (await client.get(f"/c/{conversation}")).status_code == 404
        page = await client.get("/login")  # any page gives the session's token
        response = await client.post(f"/c/{conversation}/release", data={"csrf": csrf_in(page.text)})
        assert response.status_code == 404
        assert (await client.get("/operators")).status_code == 403, "operators are managed by admins only"


async def test_take_over_reply_and_release_over_http(clinic: Clinic) -> None:
    conversation = await handed_off(clinic)
    await post_quietly(clinic, JANE, "is anyone there?")
    async with browser(clinic) as client:
        await sign_in(client, "maria")
        listing = await client.get("/", params={"filter": "needs_human"})
        assert conversation in listing.text and "needs a human" in listing.text
        page = await client.get(f"/c/{conversation}")
        assert "is anyone there?" in page.text and "the patient asked for a person" in page.text
        assert (
            "understood intent=human" in page.text
            and "understand → staff_request → escalate → identify → hand_off" in page.text
        )
        reply = await client.post(
            f"/c/{conversation}/reply", data={"csrf": csrf_in(page.text), "text": "Hello Jane, Maria here."}
        )
        assert reply.status_code == 303 and reply.headers["Location"].endswith("message=sent")
        assert clinic.fake.sent[-1].body["text"]["body"] == "Hello Jane, Maria here."
        assert conversation not in (await client.get("/", params={"filter": "needs_human"})).text
        release = await client.post(f"/c/{conversation}/release", data={"csrf": csrf_in(page.text)})
        assert release.status_code == 303
    assert "I found" in await clinic.patient(JANE).say("book a cleaning next week")
    async with browser(clinic) as admin:
        await sign_in(admin, "root")
        log = await admin.get("/access-log")
        assert log.status_code == 200
        for action in ("view", "reply", "release"):
            assert f"<td>maria</td><td>{action}</td>" in log.text


async def test_transcripts_and_accounts_in_redis_are_not_plaintext(clinic: Clinic, redis: Redis) -> None:
    await handed_off(clinic)
    await post_quietly(clinic, JANE, "my secret words")
    found: list[Any] = []
    async for key in redis.scan_iter(count=500):
        kind = (await redis.type(key)).decode()
        values: list[bytes] = [key]
        if kind == "string":
            values.append(await redis.get(key))
        elif kind == "list":
            values += await redis.lrange(key, 0, -1)
        elif kind == "zset":
            values += [m for m, _ in await redis.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            for _, fields in await redis.xrange(key):
                values += list(fields.values())
        elif kind == "hash":
            values += list((await redis.hgetall(key)).values())
        found += [
            v
            for v in values
            if v and any(s in v for s in (b"secret words", JANE.encode(), b"argon2", PASSWORD.encode()))
        ]
    assert found == []


def test_operators_are_added_from_the_command_line(redis_server: str) -> None:
    env = {
        **os.environ,
        "REDIS_URL": redis_server,
        "DATA_ENCRYPTION_KEYS": "q0pVSq1v9sLmRqO1y0wjH7i2Ie9xq6f0ZfQpTtQm2lE=",
        "OPERATOR_PASSWORD": PASSWORD,
    }
    name = f"lucia{os.getpid()}"  # the session's Redis is shared: a name no other test uses

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "operators", *args],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )

    added = run("add", name, "--practice", PRACTICE_ID)
    assert added.returncode == 0, added.stderr
    assert f"{name}\toperator\t{PRACTICE_ID}" in run("list").stdout
    assert run("add", name, "--practice", PRACTICE_ID).returncode == 1, "no silent overwrite"
    unknown = run("add", "pablo", "--practice", "123")
    assert unknown.returncode == 2 and "unknown practices" in unknown.stderr
    short = run("add", "pablo", "--role", "admin", OPERATOR_PASSWORD="short")
    assert short.returncode == 1 and "12 characters" in short.stderr


async def test_outside_the_window_only_the_reengagement_template_can_be_sent(clinic: Clinic) -> None:
    conversation = await handed_off(clinic)
    console = clinic.app[CONSOLE_KEY]
    record = await console.conversations.load(conversation)
    assert record is not None
    record.last_inbound_at -= 25 * 3600  # the patient last wrote yesterday
    await console.conversations.save(record)
    async with browser(clinic) as client:
        await sign_in(client, "maria")
        page = await client.get(f"/c/{conversation}")
        assert 'textarea name="text"' not in page.text
        assert 'id="template"' in page.text and "follow_up" in page.text
        refused = await client.post(
            f"/c/{conversation}/reply", data={"csrf": csrf_in(page.text), "text": "hi"}
        )
        assert refused.headers["Location"].endswith("message=window_closed")
        sent = await client.post(f"/c/{conversation}/template", data={"csrf": csrf_in(page.text)})
        assert sent.headers["Location"].endswith("message=sent")
    last = clinic.fake.sent[-1].body
    assert last["type"] == "template" and last["template"]["name"] == "follow_up"


async def test_an_empty_reply_is_refused_with_a_reason(clinic: Clinic) -> None:
    conversation = await handed_off(clinic)
    sent = len(clinic.fake.sent)
    async with browser(clinic) as client:
        await sign_in(client, "maria")
        page = await client.get(f"/c/{conversation}")
        empty = await client.post(
            f"/c/{conversation}/reply", data={"csrf": csrf_in(page.text), "text": "   "}
        )
        assert empty.headers["Location"].endswith("message=empty")
        assert (
            "Write something before sending."
            in (await client.get(empty.headers["Location"].removeprefix("/console"))).text
        )
    assert len(clinic.fake.sent) == sent


async def test_dead_letters_are_flagged_and_staff_retry_them(clinic: Clinic) -> None:
    from bot.keys import PIPELINE_KEY
    from bot.queue.broker import Entry
    from bot.whatsapp.events import InboundMessage

    jane = clinic.patient(JANE)
    await jane.say("hello")
    conversation = conversation_of(clinic, JANE)
    pipeline = clinic.app[PIPELINE_KEY]
    message = InboundMessage(practice_id=PRACTICE_ID, wamid="wamid.DEAD1", user_key=JANE, timestamp=int(__import__("time").time()), type="text", text="what are your opening hours?")  # fmt: skip
    await pipeline.broker.bury(
        conversation, [Entry("1-1", pipeline.sealer.seal(message.model_dump_json().encode()))]
    )
    async with browser(clinic) as client:
        await sign_in(client, "maria")
        page = await client.get(f"/c/{conversation}")
        assert 'id="dead-letters"' in page.text and "could not be handled" in page.text
        answered = len(jane._mine())
        retried = await client.post(f"/c/{conversation}/retry", data={"csrf": csrf_in(page.text)})
        assert retried.status_code == 303 and retried.headers["Location"].endswith("message=retried")
        assert await pipeline.broker.buried(conversation) == 0
    async with browser(clinic) as admin:
        await sign_in(admin, "root")
        assert "retry" in (await admin.get("/access-log")).text
    for _ in range(100):  # the revived message is handled like any other
        if len(jane._mine()) > answered:
            break
        await __import__("asyncio").sleep(0.1)
    assert len(jane._mine()) > answered


async def test_open_dental_writes_that_keep_failing_are_shown_to_staff(clinic: Clinic) -> None:
    from bot.records.od_writes import OpenDentalWrites, PendingWrite
    from od_adapter import OdUnavailable

    console = clinic.app[CONSOLE_KEY]
    writes: OpenDentalWrites = console.od_writes
    clock = [__import__("time").time() + 1e6]  # in the future: the app's own drainer never finds it due
    writes.clock = lambda: clock[0]
    await writes.put(PRACTICE_ID, 1, "WhatsApp assistant booked a visit (AptNum 1).")

    async def down(write: PendingWrite) -> int:
        raise OdUnavailable("Open Dental answered 500")

    for _ in range(5):
        await writes.drain({PRACTICE_ID: down})
        clock[0] += 400
    async with browser(clinic) as client:
        await sign_in(client, "maria")
        page = (await client.get("/")).text
        assert 'id="od-writes"' in page and "failing for a while" in page
        await sign_in(other := browser(clinic), "other")
        assert 'id="od-writes"' not in (await other.get("/")).text, "another practice's operator sees none"
        await other.aclose()
