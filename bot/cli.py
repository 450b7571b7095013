"""`python -m bot ...`: the command line. The only place that starts an event loop."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import os
import socket
import sys
import time
from collections.abc import Sequence

from aiohttp import web
from redis.exceptions import RedisError

from bot.app import create_app
from bot.console.accounts import AccountError, Accounts, Role
from bot.console.hashing import PasswordHashing
from bot.console.sessions import Sessions
from bot.errors import ConfigError
from bot.keys import LIMITER_KEY, WORKER_TASK_KEY
from bot.monitoring.checks import check_practice, ping_practice
from bot.monitoring.logs import configure_logging
from bot.od_subscribe import sync_subscriptions
from bot.practices import PracticesFile, load_practices
from bot.records.crypto import Sealer
from bot.records.durability import durability
from bot.records.storage import RedisStorage
from bot.sandbox.chat import converse
from bot.sandbox.demo import (
    DEMO_OPERATOR,
    MAX_SCALE,
    SANDBOX_OD_PREFIX,
    create_demo_app,
    point_at_demo_sandbox,
    scale_demo_practices,
)
from bot.settings import DEMO_OD_KEYS, Settings
from bot.wiring import create_worker, open_redis
from od_adapter import MemoryRateLimiter

REDIS_START_WAIT_SECONDS = 30.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="WhatsApp booking assistant for Open Dental"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run everything in one process on embedded defaults")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8080)
    demo.add_argument("--check-only", action="store_true", help="start, check the practices, and exit")
    demo.add_argument(
        "--scale",
        type=scale_factor,
        default=1,
        help="the demo practice K times over (providers, operatories, patients, schedules, book)",
    )
    serve = commands.add_parser("serve", help="run the web process (with a worker unless --no-worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    serve.add_argument(
        "--no-worker", action="store_true", help="only receive webhooks; workers run elsewhere"
    )
    commands.add_parser("worker", help="consume the inbound queue (needs REDIS_URL)")
    commands.add_parser("check-config", help="validate the practices file and test every connection")
    subscribe = commands.add_parser(
        "od-subscribe",
        help="subscribe each practice's Open Dental to Appointment and AppointmentDeleted API Events "
        "(idempotent; needs OD_EVENTS_BASE_URL and OD_EVENTS_SECRET)",
    )
    subscribe.add_argument("--remove", action="store_true", help="delete every subscription of ours instead")
    operators = commands.add_parser("operators", help="manage operator console accounts (needs REDIS_URL)")
    actions = operators.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add", help="create an account; the password is read from OPERATOR_PASSWORD or asked for"
    )
    add.add_argument("username")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.OPERATOR.value)
    add.add_argument(
        "--practice", action="append", default=[], help="a phone_number_id the operator may see (repeat)"
    )
    add.add_argument(
        "--replace",
        action="store_true",
        help="replace an existing account (a password reset or a role change); its sessions end",
    )
    remove = actions.add_parser("remove", help="delete an account and end its sessions")
    remove.add_argument("username")
    actions.add_parser("list", help="list the accounts")
    chat = commands.add_parser("chat", help="be a patient in the terminal, against the embedded demo")
    chat.add_argument("--phone", default="+15035551234", help="the patient's WhatsApp number")
    chat.add_argument(
        "--port", type=int, default=0, help="port for the embedded demo (default: any free one)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        if args.command == "demo":
            asyncio.run(
                run_demo(settings, args.host, args.port, check_only=args.check_only, scale=args.scale)
            )
        elif args.command == "chat":
            asyncio.run(run_chat(settings, args.phone, args.port))
        elif args.command == "check-config":
            raise SystemExit(asyncio.run(check_config(settings)))
        elif args.command == "od-subscribe":
            raise SystemExit(asyncio.run(od_subscribe(settings, remove=args.remove)))
        elif args.command == "operators":
            raise SystemExit(asyncio.run(manage_operators(settings, args)))
        elif args.command == "serve":
            asyncio.run(run_serve(settings, args.host, args.port, with_worker=not args.no_worker))
        else:
            asyncio.run(run_worker(settings))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    except KeyboardInterrupt:
        pass


def load_checked(settings: Settings) -> PracticesFile:
    """The practices file, with every practice's Open Dental keys present (or a ConfigError naming the variable)."""
    practices = load_practices(settings.practices_file)
    for practice in practices.practices:
        settings.open_dental_keys(practice.open_dental)  # fail now, naming the variable, not on a request
    return practices


def scale_factor(value: str) -> int:
    number = int(value)
    if not 1 <= number <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_SCALE}, not {number}")
    return number


def demo_app(
    settings: Settings, host: str, port: int, *, scale: int = 1
) -> tuple[web.Application, PracticesFile, Settings]:
    """The embedded demo: the assistant, both sandboxes, the demo practice (`scale` times over) pointed at this
    process."""
    settings = settings.with_demo_defaults(f"http://{host}:{port}")
    practices = scale_demo_practices(load_checked(settings), scale)
    practices = point_at_demo_sandbox(practices, host, port)
    return create_demo_app(settings, practices, scale=scale), practices, settings


async def run_chat(settings: Settings, phone: str, port: int) -> None:
    host, port = "127.0.0.1", port or free_port()
    app, practices, _ = demo_app(settings, host, port)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        print(
            f"Chatting with {practices.practices[0].name} as {phone}. Type a message; #n taps a choice; Ctrl-D ends."
        )
        await converse(f"http://{host}:{port}", phone, practices.practices[0].phone_number_id)
    finally:
        await runner.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_demo(
    settings: Settings, host: str, port: int, *, check_only: bool = False, scale: int = 1
) -> None:
    app, practices, settings = demo_app(settings, host, port, scale=scale)
    base = f"http://{host}:{port}"
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        print(f"Demo running on {base}")
        print(
            f"  WhatsApp webhook: {base}/webhook/whatsapp (app secret and verify token: sandbox-secret, sandbox-verify)"
        )
        print(
            f'  Chat as a patient: curl -X POST {base}/sandbox/whatsapp/inbound -d \'{{"from": "15035551234", "text": "hi", "phone_number_id": "{practices.practices[0].phone_number_id}"}}\''
        )
        print(f"  Replies sent: {base}/sandbox/whatsapp/outbox?to=15035551234")
        print(f"  Phone simulator: {base}/sandbox/phone")
        print(f"  Operator console: {base}/console/  (sign in as {DEMO_OPERATOR[0]} / {DEMO_OPERATOR[1]})")
        print(f"  Open Dental sandbox API: {base}{SANDBOX_OD_PREFIX}/api/v1/")
        od_keys = "/".join(DEMO_OD_KEYS.values())
        print(f"    Authorization: ODFHIR {od_keys}  (Content-Type: application/json)")
        print(
            f"    request log: {base}{SANDBOX_OD_PREFIX}/_admin/requests   offices: {base}{SANDBOX_OD_PREFIX}/_admin/offices"
        )
        print(f"  health: {base}/healthz   readiness: {base}/readyz")
        for practice in practices.practices:
            print(f"  practice {practice.name!r}: WhatsApp phone_number_id {practice.phone_number_id}")
        print("Checking each practice's Open Dental connection at the real throttle (1 request/s)...")
        for practice in practices.practices:
            keys = settings.open_dental_keys(practice.open_dental)
            report = await check_practice(practice, app[LIMITER_KEY], keys)
            print("\n".join(report.lines()), flush=True)
        if not check_only:
            print("Press Ctrl-C to stop.", flush=True)
            await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def require_durable_redis(settings: Settings, command: str) -> None:
    """Outside the demo a process keeps acknowledged messages in Redis, and that Redis must keep them."""
    if not settings.redis_url:
        raise ConfigError(
            f"python -m bot {command} needs REDIS_URL: the in-memory store loses every acknowledged message "
            "when the process exits (only the demo uses it)"
        )
    deadline = time.monotonic() + REDIS_START_WAIT_SECONDS
    async with open_redis(settings, socket_timeout=5) as redis:
        while True:
            try:
                found = await durability(redis, settings.redis_durability)
                break
            except (RedisError, OSError) as exc:
                # Redis restarting as this process starts (an orchestrator starts both): wait for it a while.
                if time.monotonic() > deadline:
                    raise ConfigError(f"Redis at REDIS_URL does not answer ({type(exc).__name__})") from exc
                await asyncio.sleep(1.0)
    if not found.ok:
        raise ConfigError(f"Redis is not durable enough: {found.said}")


def settle_heap() -> None:
    """Move what start-up built (modules, models, clients) out of the collector's sight, once started."""
    # They live as long as the process, yet each full collection scanned all ~167,000 of them: up to 45 ms,
    # a stall for every webhook request in flight.
    gc.collect()
    gc.freeze()


async def run_serve(settings: Settings, host: str, port: int, *, with_worker: bool) -> None:
    settings.require_secrets()
    practices = load_checked(settings)
    await require_durable_redis(settings, "serve")
    runner = web.AppRunner(create_app(settings, practices, run_worker=with_worker), access_log=None)
    await runner.setup()
    settle_heap()
    try:
        await web.TCPSite(runner, host, port).start()
        print(f"Serving {len(practices.practices)} practices on http://{host}:{port}", flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def run_worker(settings: Settings) -> None:
    """A worker process: it shares the queue with every other process through Redis, so it needs Redis."""
    settings.require_secrets()
    if not settings.redis_url:
        raise ConfigError("python -m bot worker needs REDIS_URL: workers share the queue through Redis")
    practices = load_checked(settings)
    await require_durable_redis(settings, "worker")
    app = create_worker(settings, practices)
    app.freeze()
    await app.startup()  # enters the same cleanup contexts as the web process's worker
    settle_heap()
    try:
        print("Worker consuming the inbound queue", flush=True)
        await app[WORKER_TASK_KEY]
    finally:
        await app.cleanup()


async def manage_operators(settings: Settings, args: argparse.Namespace) -> int:
    """Accounts live in Redis beside the conversations they give access to (the demo makes its own)."""
    if not settings.redis_url:
        raise ConfigError(
            "python -m bot operators needs REDIS_URL (the demo signs in as its own demo operator)"
        )
    if not settings.encryption_keys:
        raise ConfigError("missing environment variables: DATA_ENCRYPTION_KEYS")
    known = {p.phone_number_id for p in load_practices(settings.practices_file).practices}
    hashing = PasswordHashing()
    async with open_redis(settings) as redis:
        storage, sealer = RedisStorage(redis), Sealer(settings.encryption_keys)
        try:
            return await _operators(
                Accounts(storage, sealer, hashing, Sessions(storage, sealer)), args, known
            )
        finally:
            hashing.close()


async def _operators(accounts: Accounts, args: argparse.Namespace, known: set[str]) -> int:
    if args.action == "list":
        for operator in await accounts.all():
            print(f"{operator.username}\t{operator.role.value}\t{','.join(operator.practices) or '*'}")
        return 0
    if args.action == "remove":
        if not await accounts.remove(args.username):
            print(f"no operator {args.username.lower()!r}", file=sys.stderr)
            return 1
        print(f"operator {args.username.lower()} removed; their sessions ended")
        return 0
    if unknown := [p for p in args.practice if p not in known]:
        raise ConfigError(f"unknown practices {unknown}; the practices file has {sorted(known)}")
    password = os.environ.get("OPERATOR_PASSWORD") or _ask_password()
    try:
        operator = await accounts.add(
            args.username, password, Role(args.role), args.practice, replace=args.replace
        )
    except AccountError as exc:
        print(f"not added: {exc}", file=sys.stderr)
        return 1
    ended = " (every session it had is ended)" if args.replace else ""
    print(f"operator {operator.username} ({operator.role.value}) saved{ended}")
    return 0


def _ask_password() -> str:
    first = getpass.getpass("Password (12 characters or more): ")
    if getpass.getpass("Again: ") != first:
        raise ConfigError("the two passwords differ")
    return first


async def check_config(settings: Settings) -> int:
    """Validate the practices and reach each one's Open Dental (and Redis); 0 when everything answers."""
    practices = load_practices(settings.practices_file)
    print(f"{settings.practices_file}: {len(practices.practices)} practices, valid")
    failures = 0
    limiter = MemoryRateLimiter()
    for practice in practices.practices:
        report = await ping_practice(practice, limiter, settings.open_dental_keys(practice.open_dental))
        failures += not report.ok
        print("\n".join(report.lines()))
    if settings.redis_url:
        async with open_redis(settings, socket_timeout=5) as redis:
            try:
                found = await durability(redis, settings.redis_durability)
                failures += not found.ok
                print(f"{'OK ' if found.ok else 'FAIL'} Redis: {found.said}")
            except (RedisError, OSError) as exc:
                failures += 1
                print(f"FAIL Redis: {type(exc).__name__}")
    return 1 if failures else 0


async def od_subscribe(settings: Settings, *, remove: bool) -> int:
    """Make each practice's API Events subscriptions match this deployment (see `bot.od_subscribe`)."""
    practices = load_checked(settings)
    return await sync_subscriptions(settings, practices, MemoryRateLimiter(), remove=remove)
