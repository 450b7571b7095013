"""`python -m od_adapter.sandbox`: run the Open Dental sandbox on its own."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from aiohttp import web

from od_adapter.sandbox.app import create_sandbox_app
from od_adapter.sandbox.state import DEVELOPER_KEY, SandboxSettings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = SandboxSettings()
    parser = argparse.ArgumentParser(prog="python -m od_adapter.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8181)
    parser.add_argument("--config", type=Path, help="a JSON file of settings (the flags below override it)")
    parser.add_argument("--seed", type=Path, help="seed data file (default: the demo practice)")
    parser.add_argument("--offices", type=int, help=f"number of offices (default {defaults.offices})")
    parser.add_argument(
        "--scale",
        type=int,
        help="K copies of the practice's providers, operatories, patients, schedules and book (default 1)",
    )
    parser.add_argument(
        "--throttle-mode", choices=["delay", "429"], help="hold early requests, or reject them"
    )
    parser.add_argument("--throttle-seconds", type=float, help="spacing for full keys (default 1)")
    parser.add_argument(
        "--readonly-throttle-seconds", type=float, help="spacing for read-only keys (default 5)"
    )
    overlap = parser.add_mutually_exclusive_group()
    overlap.add_argument("--allow-overlap", dest="allow_overlap", action="store_true", default=None)
    overlap.add_argument("--reject-overlap", dest="allow_overlap", action="store_false")
    parser.add_argument("--latency-ms", type=float, help="latency added to every API request")
    parser.add_argument("--share-5xx", type=float, help="share of requests answered 500")
    parser.add_argument(
        "--share-504", type=float, help="share of requests answered 504 after --timeout-seconds"
    )
    parser.add_argument("--share-lost-response", type=float, help="share of writes done but answered 504")
    parser.add_argument("--timeout-seconds", type=float, help="how long a 504 takes")
    parser.add_argument("--error-body", choices=["json", "text", "object"], help="style of error bodies")
    parser.add_argument("--max-limit", type=int, help="largest page (100 Remote, 1000 Local/Service)")
    parser.add_argument("--fault-seed", type=int)
    parser.add_argument(
        "--workstations",
        type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        help="the machines that send API Events (default ODSERVER,FRONTDESK)",
    )
    parser.add_argument(
        "--no-events", dest="events", action="store_false", default=None,
        help="send API Events only on POST /_admin/events/deliver",
    )  # fmt: skip
    parser.add_argument("--events-tick-seconds", type=float, help="how often the machines poll (default 1)")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> SandboxSettings:
    values = json.loads(args.config.read_text()) if args.config else {}
    for name in SandboxSettings.model_fields:
        flag = getattr(args, name, None)
        if flag is not None:
            values[name] = flag
    return SandboxSettings.model_validate(values)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from(args)
    app = create_sandbox_app(settings, seed_path=args.seed)
    print(f"Open Dental sandbox on http://{args.host}:{args.port}/api/v1/")
    print(f"  Authorization: ODFHIR {DEVELOPER_KEY}/sandbox-customer   (read-only: sandbox-readonly)")
    print(f"  throttle {settings.throttle_mode.value} {settings.throttle_seconds}s; admin: /_admin/offices")
    if settings.scale > 1:
        print(f"  the practice scaled {settings.scale}x")
    # No access log: query strings carry phone digits and names; /_admin/requests has the request log.
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
