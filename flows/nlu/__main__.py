"""`python -m flows.nlu parse --lang en --now 2019-03-01T09:00 --tz America/New_York "text"`."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flows.nlu.evaluate import evaluate_file
from flows.nlu.rules import understand


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.nlu")
    commands = parser.add_subparsers(dest="command", required=True)
    parse = commands.add_parser("parse", help="print what the offline rules understand, as JSON")
    parse.add_argument("text")
    parse.add_argument("--lang", default="en")
    parse.add_argument("--now", help="ISO date and time (default: now)")
    parse.add_argument("--tz", default="UTC")
    evaluate = commands.add_parser("evaluate", help="score the offline rules on an evaluation file")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--format", choices=["sgd", "recognizers"], required=True)
    args = parser.parse_args()
    if args.command == "evaluate":
        print(json.dumps(evaluate_file(args.file, args.format), indent=2, ensure_ascii=False))
        return
    zone = ZoneInfo(args.tz)
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(zone).replace(tzinfo=None)
    print(understand(args.text, now, language=args.lang).model_dump_json(indent=2, exclude_defaults=True))


if __name__ == "__main__":
    main()
