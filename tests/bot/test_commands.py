"""The commands a person types, run as real subprocesses: the demo, the sandbox alone, and their errors."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.practices import load_practices
from bot.records.crypto import new_key
from bot.settings import Settings
from tests.conftest import free_port

ROOT = Path(__file__).parents[2]


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def test_demo_checks_the_practice_through_the_real_client() -> None:
    result = run("-m", "bot", "demo", "--port", str(free_port()), "--check-only")
    assert result.returncode == 0, result.stderr
    assert "OK  Bright Smile Dental" in result.stdout
    assert "phone_number_id 100000000000001" in result.stdout
    assert "appointments in the next 7 days" in result.stdout
    assert "/console/  (sign in as demo / bright-smile-demo)" in result.stdout
    assert "5035551234" not in result.stderr  # no phone numbers in the logs


def demo_with_practices(tmp_path: Path, old: str, new: str) -> subprocess.CompletedProcess[str]:
    """Run the demo's check on the demo practices file with one edit."""
    practices = tmp_path / "practices.toml"
    practices.write_text((ROOT / "od_adapter/sandbox/data/demo_practices.toml").read_text().replace(old, new))
    port = str(free_port())
    return run("-m", "bot", "demo", "--port", port, "--check-only", env={"PRACTICES_FILE": str(practices)})


def test_demo_reports_a_broken_practices_file_and_exits_2(tmp_path: Path) -> None:
    result = demo_with_practices(tmp_path, "America/Los_Angeles", "Nowhere/City")
    assert result.returncode == 2
    assert "practice 'Bright Smile Dental' field timezone" in result.stderr


def test_demo_reports_an_unknown_appointment_type_without_crashing(tmp_path: Path) -> None:
    result = demo_with_practices(tmp_path, '"Consultation"', '"Whitening"')
    assert result.returncode == 0, result.stderr
    assert "FAIL Bright Smile Dental" in result.stdout
    assert "appointment type 'Whitening' is not in Open Dental" in result.stdout


def test_the_sandbox_runs_alone_with_its_flags() -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "od_adapter.sandbox",
            "--port",
            str(port),
            "--throttle-mode",
            "429",
            "--offices",
            "2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                offices = httpx.get(f"{url}/_admin/offices").json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "sandbox did not start"
                time.sleep(0.1)
        assert [o["customer_key"] for o in offices] == ["sandbox-customer", "sandbox-customer-2"]
        headers = {
            "Authorization": "ODFHIR sandbox-dev/sandbox-customer-2",
            "Content-Type": "application/json",
        }
        assert httpx.get(f"{url}/api/v1/providers", headers=headers).status_code == 200
        assert httpx.get(f"{url}/api/v1/providers", headers=headers).status_code == 429
        assert httpx.get(f"{url}/_admin/settings").json()["throttle_mode"] == "429"
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "Open Dental sandbox on" in output


async def test_readiness_follows_redis(redis_server: str) -> None:
    practices = load_practices(ROOT / "od_adapter/sandbox/data/demo_practices.toml")
    for url, expected in ((redis_server, 200), (f"redis://127.0.0.1:{free_port()}/0", 503)):
        settings = Settings(_env_file=None, REDIS_URL=url).with_demo_defaults("http://127.0.0.1:1")
        app = create_app(settings, practices, run_worker=False)
        async with TestClient(TestServer(app)) as client:
            assert (await client.get("/healthz")).status == 200
            response = await client.get("/readyz")
            assert response.status == expected, await response.text()


SECRETS = {
    "WHATSAPP_APP_SECRET": "s",
    "WHATSAPP_VERIFY_TOKEN": "v",
    "WHATSAPP_TOKEN": "t",
    "DATA_ENCRYPTION_KEYS": new_key(),
    "CONVERSATION_KEY": "k",
    "CONSOLE_SECRET": "console-secret",
    "CHOICE_ID_SECRET": "test-choice-id-secret",
    "METRICS_ADDRESS": "127.0.0.1:0",
}


def test_serve_refuses_to_start_without_its_secrets() -> None:
    result = run("-m", "bot", "serve", "--port", str(free_port()), env={name: "" for name in SECRETS})
    assert result.returncode == 2
    assert "missing environment variables: WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN" in result.stderr


def test_serve_refuses_to_start_without_practice_keys() -> None:
    result = run(
        "-m", "bot", "serve", "--port", str(free_port()), env={**SECRETS, "DEMO_OD_DEVELOPER_KEY": ""}
    )
    assert result.returncode == 2
    assert "DEMO_OD_DEVELOPER_KEY is not set" in result.stderr


def test_a_worker_process_needs_redis() -> None:
    result = run("-m", "bot", "worker", env={**SECRETS, "REDIS_URL": ""})
    assert result.returncode == 2
    assert "needs REDIS_URL" in result.stderr


def test_the_demo_books_through_the_real_path() -> None:
    """The README's first command: a patient chats a booking and the appointment is in the Open Dental sandbox."""
    port = free_port()
    # The embedded defaults, whatever this machine's environment says.
    env = {k: v for k, v in os.environ.items() if k not in ("PRACTICES_FILE", "REDIS_URL")}
    env["INBOUND_DEBOUNCE_SECONDS"] = "0.2"
    demo = subprocess.Popen([sys.executable, "-m", "bot", "demo", "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    od = {"Authorization": "ODFHIR sandbox-dev/sandbox-customer", "Content-Type": "application/json"}
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):  # not listening yet
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            assert time.monotonic() < deadline and demo.poll() is None, "the demo did not start"
            time.sleep(0.2)
        before = {
            a["AptNum"]
            for a in httpx.get(
                f"{base}/sandbox/od/api/v1/appointments", params={"PatNum": 1}, headers=od
            ).json()
        }

        def say(**message: str) -> dict:
            sent = len(httpx.get(f"{base}/sandbox/whatsapp/outbox", params={"to": "15035551234"}).json())
            httpx.post(
                f"{base}/sandbox/whatsapp/inbound",
                json={"from": "15035551234", "phone_number_id": "100000000000001", **message},
                timeout=30,
            )
            end = time.monotonic() + 60
            while (
                len(
                    replies := httpx.get(
                        f"{base}/sandbox/whatsapp/outbox", params={"to": "15035551234"}
                    ).json()
                )
                == sent
            ):
                assert time.monotonic() < end, f"no reply to {message}"
                time.sleep(0.2)
            return replies[-1]["body"]

        offer = say(text="Hi, I'd like a check-up next week please")
        rows = offer["interactive"]["action"]["sections"][0]["rows"]
        say(list_id=rows[0]["id"])
        assert "Booked!" in say(button_id="yes")["text"]["body"]
        after = httpx.get(f"{base}/sandbox/od/api/v1/appointments", params={"PatNum": 1}, headers=od).json()
        assert len([a for a in after if a["AptNum"] not in before]) == 1
        with httpx.Client(base_url=f"{base}/console") as console:  # the printed demo operator signs in
            form = console.get("/login").text
            token = form.split('name="csrf" value="')[1].split('"')[0]
            console.post("/login", data={"username": "demo", "password": "bright-smile-demo", "csrf": token})
            assert "Sandbox Patient" in console.get("/").text
    finally:
        demo.terminate()
        demo.wait(timeout=15)


def test_check_config_reaches_each_practice_and_redis(tmp_path: Path) -> None:
    sandbox_port = free_port()
    sandbox = subprocess.Popen([sys.executable, "-m", "od_adapter.sandbox", "--port", str(sandbox_port), "--throttle-seconds", "0"], cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{sandbox_port}/_admin/offices")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        practices = tmp_path / "practices.toml"
        practices.write_text(
            (ROOT / "od_adapter/sandbox/data/demo_practices.toml")
            .read_text()
            .replace("http://127.0.0.1:8080/sandbox/od/api/v1", f"http://127.0.0.1:{sandbox_port}/api/v1")
        )
        env = {"PRACTICES_FILE": str(practices), "DEMO_OD_DEVELOPER_KEY": "sandbox-dev", "REDIS_URL": ""}
        good = run("-m", "bot", "check-config", env={**env, "DEMO_OD_CUSTOMER_KEY": "sandbox-customer"})
        assert good.returncode == 0, good.stdout + good.stderr
        assert "OK  Bright Smile Dental" in good.stdout and "Open Dental answered" in good.stdout
        bad = run(
            "-m",
            "bot",
            "check-config",
            env={**env, "DEMO_OD_CUSTOMER_KEY": "wrong", "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"},
        )
        assert bad.returncode == 1
        assert "FAIL Bright Smile Dental" in bad.stdout and "401" in bad.stdout and "FAIL Redis" in bad.stdout
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


def test_chat_in_the_terminal_books_a_visit() -> None:
    lines = "Hi, I'd like a check-up next week please\n#1\n#1\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--phone", "+15035551234"],
        cwd=ROOT,
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "INBOUND_DEBOUNCE_SECONDS": "0.2"},
    )
    assert result.returncode == 0, result.stderr
    assert "#1 " in result.stdout and "Shall I book it?" in result.stdout
    assert "bot> Booked!" in result.stdout
