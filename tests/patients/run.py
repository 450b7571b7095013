"""Simulated patients against the demo practice: task success, turns, fallbacks and invariant violations.

Starts the deployment as production runs it (tests/simulator.py `Stack`: its own redis-server, the Open Dental
sandbox with one office per ten conversations and no throttle, `serve --no-worker`, workers, a short debounce),
lets the patients of `tests/patients/world.py` hold their conversations through the signed webhook, and checks
each against Open Dental (`invariants.py`). Prints a table per language and per goal for both halves of the
phrase banks, and one line of JSON last. `--baseline DIR` runs the product from another checkout (the commit
before the change, `git worktree add /tmp/patients-base b1e81b1`) against the same patients and sandbox.

    python -m tests.patients.run                      # the full run: 70 conversations per language
    python -m tests.patients.run --conversations 100  # the CI sample's size
    python -m tests.patients.run --baseline /tmp/patients-base
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import shutil
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

from tests.patients import invariants, replies, world
from tests.patients.patient import Conversation, Patient
from tests.simulator import ROOT, Stack, percentile


async def run(
    conversations: int,
    *,
    seed: int = 18,
    workers: int = 2,
    product_root: Path = ROOT,
    parallel: int = 10,
    keep: bool = False,
) -> dict[str, Any]:
    """Hold `conversations` conversations and return their figures (see `figures`)."""
    cast = world.cast(conversations, seed=seed)
    replies.read_catalogs_of(product_root)
    offices = math.ceil(conversations / world.PER_OFFICE)
    workdir = Path(tempfile.mkdtemp(prefix="patients-"))
    if keep:
        print(f"logs in {workdir}")
    stack = Stack(workdir, practices=offices, workers=workers, od_throttle=0.0, debounce=0.1, product_root=product_root)  # fmt: skip
    started = time.perf_counter()
    try:
        async with stack:
            await world.give_visits(stack, cast)
            by_office: dict[int, list[Conversation]] = defaultdict(list)
            for convo in cast:
                by_office[convo.office].append(convo)
            gate = asyncio.Semaphore(parallel)
            async with httpx.AsyncClient(timeout=30) as client:
                results = await asyncio.gather(
                    *(_office(stack, client, convos, gate, seed) for convos in by_office.values())
                )
            errors = [line for line in stack.log_lines("ERROR")]
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    checked = [item for office in results for item in office]
    return figures(checked, time.perf_counter() - started, len(errors))


async def _office(
    stack: Stack, client: httpx.AsyncClient, convos: list[Conversation], gate: asyncio.Semaphore, seed: int
) -> list[tuple[Conversation, list[str]]]:
    """One office's conversations, one after another, each checked against the office's records."""
    checked = []
    async with gate:
        for convo in convos:
            before = await world.records(stack, convo.office)
            rng = random.Random(seed * 1000 + convo.index)
            await Patient(stack, convo, rng).run(client)
            await asyncio.sleep(
                0.3
            )  # a write a turn started before the patient stopped still lands in the log
            after = await world.records(stack, convo.office)
            log = await world.request_log(stack, convo.office)
            convo.achieved = invariants.achieved(convo, before, after)
            checked.append((convo, invariants.check(convo, before, after, log)))
    return checked


def success(convo: Conversation, broken: list[str]) -> bool:
    """The goal reached as Open Dental shows it, said so, and no invariant broken on the way."""
    return convo.success_at is not None and convo.achieved and not broken


def _group(items: list[tuple[Conversation, list[str]]]) -> dict[str, Any]:
    done = [c.success_at for c, broken in items if success(c, broken) and c.success_at is not None]
    return {
        "conversations": len(items),
        "success": round(len(done) / len(items), 3) if items else None,
        "turns_median": statistics.median(done) if done else None,
        "turns_p90": percentile([float(d) for d in done], 0.9) if done else None,
        "fallbacks": sum(sum(1 for r in c.replies if r.key == "fallback") for c, _ in items),
        "violations": sum(len(broken) for _, broken in items),
    }


def figures(
    checked: list[tuple[Conversation, list[str]]], seconds: float, error_lines: int
) -> dict[str, Any]:
    """Per half, per language and per goal: success, turns to success, fallback replies, violations."""
    result: dict[str, Any] = {"seconds": round(seconds, 1), "error_log_lines": error_lines}
    for half in ("dev", "held", "all"):
        items = [x for x in checked if half == "all" or x[0].half == half]
        by_language = defaultdict(list)
        by_goal = defaultdict(list)
        for item in items:
            by_language[item[0].language].append(item)
            by_goal[item[0].goal].append(item)
        result[half] = {
            **_group(items),
            "by_language": {k: _group(v) for k, v in sorted(by_language.items())},
            "by_goal": {k: _group(v) for k, v in sorted(by_goal.items())},
        }
    seeded_asks = [
        c.success_at for c, broken in checked if c.goal == "book" and success(c, broken) and c.success_at
    ]
    result["seeded_day_and_part_turns_median"] = statistics.median(seeded_asks) if seeded_asks else None
    result["chitchat_started_booking"] = sum(1 for c, _ in checked if c.chitchat_booked)
    latin = [
        r for c, _ in checked if c.language == "hi" and _latin_opening(c) for r in c.replies if r.languages
    ]
    result["latin_hindi_replies_in_latin"] = (
        f"{sum(1 for r in latin if 'hi-Latn' in r.languages)}/{len(latin)}"
    )
    result["violations_by_class"] = dict(Counter(v.split(":")[0] for _, broken in checked for v in broken))
    result["failures_by_class"] = dict(
        Counter(
            f"{c.goal}: {c.stop or ('violation' if broken else 'not done in Open Dental')}"
            for c, broken in checked
            if not success(c, broken)
        )
    )
    result["examples"] = [
        {"goal": c.goal, "language": c.language, "persona": c.persona, "half": c.half, "stop": c.stop,
         "broken": broken[:3], "said": [s.what for s in c.sent], "keys": [[r.key for r in s.replies] for s in c.sent]}
        for c, broken in checked if not success(c, broken)
    ][:40]  # fmt: skip
    return result


def _latin_opening(convo: Conversation) -> bool:
    """The patient opened (after any aside) in Hindi written in Latin letters."""
    first = 1 if convo.persona == "chatty" else 0
    opening = convo.sent[first].what if len(convo.sent) > first else ""
    return opening.isascii() and not opening.startswith("[")


def table(name: str, result: dict[str, Any]) -> None:
    print(f"\n## {name}: {result['all']['conversations']} conversations in {result['seconds']} s")
    print("| half | group | n | success | turns median | turns p90 | fallbacks | violations |")
    print("|---|---|---|---|---|---|---|---|")
    for half in ("dev", "held"):
        rows = {"all": result[half]} | result[half]["by_language"] | result[half]["by_goal"]
        for group, g in rows.items():
            print(f"| {half} | {group} | {g['conversations']} | {g['success']} | {g['turns_median']} | {g['turns_p90']} | {g['fallbacks']} | {g['violations']} |")  # fmt: skip
    print("violations:", result["violations_by_class"])
    print("failures:", result["failures_by_class"])


def summary(result: dict[str, Any]) -> dict[str, Any]:
    keep = ("conversations", "success", "turns_median", "turns_p90", "fallbacks", "violations")
    out: dict[str, Any] = {}
    for half in ("dev", "held"):
        out[half] = {k: result[half][k] for k in keep} | {
            "by_language": result[half]["by_language"],
            "by_goal": result[half]["by_goal"],
        }
    for k in ("seconds", "seeded_day_and_part_turns_median", "chitchat_started_booking", "latin_hindi_replies_in_latin", "violations_by_class", "failures_by_class", "error_log_lines"):  # fmt: skip
        out[k] = result[k]
    return out


async def main(args: argparse.Namespace) -> None:
    runs = {"change": await run(args.conversations, seed=args.seed, workers=args.workers, keep=args.keep)}
    if args.baseline:
        runs["baseline"] = await run(args.conversations, seed=args.seed, workers=args.workers, product_root=args.baseline)  # fmt: skip
    for name, result in runs.items():
        table(name, result)
    if args.examples:
        for example in runs["change"]["examples"]:
            print(json.dumps(example, ensure_ascii=False))
    print(json.dumps({name: summary(result) for name, result in runs.items()}, ensure_ascii=False))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=490, help="70 per language by default")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", type=Path, help="a checkout of the commit before the change")
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs (printed where)")
    parser.add_argument("--examples", action="store_true", help="print the failed conversations")
    asyncio.run(main(parser.parse_args()))
