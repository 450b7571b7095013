"""Measure the offline understanding on real user language (`../shared/eval/`), as its README defines the scores.

- SGD (English): date and time accuracy over the typed `appointment_date` / `appointment_time` spans, resolved
  from the whole utterance against 2019-03-01 09:00; act accuracy over turns whose acts map to a label.
- Recognizers-Text: the booking-relevant subset (exactly one result, of type date, time or datetime), per
  language, correct when the date (and time) equals one of the listed values.

Failures are grouped into classes (the span with digits and words folded) so the worst patterns show first.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal, TypedDict

from flows.nlu.rules import understand
from flows.nlu.understanding import Intent, Understanding

SGD_NOW = datetime(2019, 3, 1, 9, 0)
# Expected labels from SGD acts, in the README's order of precedence.
ACT_LABELS = [
    ("INFORM_INTENT:BookAppointment", "book"),
    ("NEGATE", "no"),
    ("NEGATE_INTENT", "no"),
    ("AFFIRM", "yes"),
    ("AFFIRM_INTENT", "yes"),
    ("SELECT", "yes"),
    ("REQUEST_ALTS", "other_options"),
    ("REQUEST", "info"),
    ("THANK_YOU", "close"),
    ("GOODBYE", "close"),
]
LANGUAGES = {"English": "en", "Spanish": "es", "French": "fr", "German": "de", "Portuguese": "pt",
             "Italian": "it", "Hindi": "hi", "Arabic": "ar"}  # fmt: skip
# The system's last turn asked the patient to confirm, as the graph does before a write.
CONFIRMING = re.compile(
    r"\b(?:book|appointment|schedule|reserve|confirm|correct|right|proceed)\b[^?]*\?\s*$", re.I
)
# The system's last turn read back a visit's details to confirm ("... at 3:30 pm on March 5th, correct?",
# "Booking an appointment with ... at 12 pm"), or said it was done ("Your appointment is booked").
CLOCK_TIME = r"(?=.*\b(?:\d{1,2}(?::\d{2})?\s*[ap]\.?m\b|\d{1,2}:\d{2}))"
CONFIRMING_DETAILS = re.compile(
    rf"^{CLOCK_TIME}(?=.*\b(?:confirm\w*|correct|right|verify|proceed|ok(?:ay)?)\b)", re.I | re.S
)
READ_BACK = re.compile(rf"^{CLOCK_TIME}(?=.*\b(?:appointment|booking|reservation)\b)", re.I | re.S)
DONE = re.compile(
    r"\b(?:booked|scheduled|is confirmed|has been confirmed|got the appointment|reserved|all set)\b[^?]*$",
    re.I,
)
# The system's last turn asked whether there is anything else; "that's all, thanks" answers it with a no.
ANYTHING_ELSE = re.compile(
    r"\b(?:anything else|any other|anything more|further assistance|further help"
    r"|(?:help|assist) you (?:with )?(?:anything|something)|else i can)\b[^?]*\?\s*$",
    re.I,
)
BOOKING_TYPES = {"datetimeV2.date", "datetimeV2.time", "datetimeV2.datetime"}
# A spoken intent that maps to a label of its own when nothing else decided.
INTENT_LABELS: dict[Intent | None, str] = {Intent.INFO: "info", Intent.THANKS: "close"}

Failures = dict[str, list[tuple[str, int]]]
"""The commonest failure classes per group (a slot, or a language), with their counts."""


class Score(TypedDict):
    correct: int
    total: int
    accuracy: float | None
    """A percentage to one decimal; None when there was nothing to score."""


class SgdReport(TypedDict):
    date: Score
    time: Score
    act: Score
    top_failures: Failures


class RecognizersReport(TypedDict):
    per_language: dict[str, Score]
    overall: Score
    top_failures: Failures


def predicted_label(
    u: Understanding,
    asked: bool = False,
    confirming: bool = False,
    anything_else: bool = False,
    done: bool = False,
) -> str | None:
    """Our understanding mapped to the SGD labels the way the graph acts on it. `asked`: the system's last turn
    was a question, as when the graph awaits a yes; then "yes, book it" answers it rather than asking anew,
    while after a statement a thank-you closes even when it starts with "okay". `confirming`: it read back a
    visit to confirm; a new day or time without a yes is then a no to that visit (the graph searches again).
    `anything_else`: it asked whether there is anything else, which a closing thank-you answers no. `done`: it
    said the visit is booked; "great" then closes, there being nothing left to say yes to."""
    if (
        done
        and not asked
        and u.yes is True
        and u.intent in (None, Intent.THANKS)
        and not u.has_when
        and not u.choice
    ):
        return "close"
    if confirming and u.yes is not True and u.has_when and u.intent is not Intent.THANKS:
        return "no"
    if anything_else and u.intent is Intent.THANKS and u.yes is not True:
        return "no"
    if u.intent is Intent.OTHER_TIMES and (u.at or u.start or u.earliest):
        return "book"  # "try 5 pm instead": the graph offers that time, as for a request to book
    if u.intent is Intent.OTHER_TIMES:  # "no, someone else": the graph offers alternatives
        return "other_options"
    # "No, but book me on Friday" when nothing of ours was asked: the no answers something else, the graph books.
    if (
        u.yes is False and (asked or u.intent is not Intent.BOOK)
    ) or u.intent is Intent.NEVER_MIND:  # "no, book it Thursday": a correction
        return "no"
    if u.intent is Intent.THANKS and not asked:
        return "close"
    if u.yes is True and asked:
        return "yes"
    if u.intent is Intent.BOOK:
        return "book"
    if u.yes is True or u.choice is not None:
        return "yes"
    if u.intent is None and (u.has_when or u.kind):
        return "book"  # "Try March 10th": the graph offers times for it, as for a request to book
    return INTENT_LABELS.get(u.intent)


def expected_label(actions: list[dict[str, Any]]) -> str | None:
    present = {a["act"] for a in actions} | {
        f"{a['act']}:{v}" for a in actions if a["act"] == "INFORM_INTENT" for v in a.get("values", [])
    }
    return next((label for act, label in ACT_LABELS if act in present), None)


def failure_class(text: str) -> str:
    folded = re.sub(r"\d+", "#", text.lower())
    return re.sub(r"\s+", " ", folded).strip()


def score(correct: int, total: int) -> Score:
    return {
        "correct": correct,
        "total": total,
        "accuracy": round(100 * correct / total, 1) if total else None,
    }


def evaluate_sgd(rows: Iterable[dict[str, Any]]) -> SgdReport:
    dates = times = acts = 0
    dates_ok = times_ok = acts_ok = 0
    failures: dict[str, Counter[str]] = {"date": Counter(), "time": Counter(), "act": Counter()}
    for row in rows:
        u = understand(row["utterance"], SGD_NOW, language="en")
        for span in row.get("span_slots", []):
            if span["slot"] == "appointment_date":
                dates += 1
                if u.start is not None and u.start.isoformat() == span["canonical"]:
                    dates_ok += 1
                else:
                    failures["date"][failure_class(span["text"])] += 1
            elif span["slot"] == "appointment_time":
                times += 1
                if u.at is not None and u.at.strftime("%H:%M") == span["canonical"]:
                    times_ok += 1
                else:
                    failures["time"][failure_class(span["text"])] += 1
        if row.get("user_actions") and (expected := expected_label(row["user_actions"])):
            acts += 1
            prev = row.get("prev_system_utterance") or ""
            done = bool(DONE.search(prev))
            confirming = bool(CONFIRMING_DETAILS.search(prev) or (READ_BACK.search(prev) and not done))
            got = predicted_label(
                u,
                asked=confirming or bool(CONFIRMING.search(prev)),
                confirming=confirming,
                anything_else=bool(ANYTHING_ELSE.search(prev)),
                done=done,
            )
            if got == expected:
                acts_ok += 1
            else:
                failures["act"][f"{expected} read as {got}"] += 1
    return {
        "date": score(dates_ok, dates),
        "time": score(times_ok, times),
        "act": score(acts_ok, acts),
        "top_failures": {k: v.most_common(10) for k, v in failures.items()},
    }


def _expected_values(result: dict[str, Any]) -> list[tuple[date | None, time | None]]:
    values: list[tuple[date | None, time | None]] = []
    resolution = result.get("Resolution")
    if not isinstance(resolution, dict):
        return values
    for value in resolution.get("values") or []:
        raw = value.get("value")
        if not raw:
            continue
        kind = value.get("type")
        try:
            if kind == "date":
                values.append((date.fromisoformat(raw), None))
            elif kind == "time":
                values.append((None, time.fromisoformat(raw)))
            elif kind == "datetime":
                moment = datetime.fromisoformat(raw)
                values.append((moment.date(), moment.time()))
        except (TypeError, ValueError):
            continue  # "not resolved" and other non-values in the corpus

    return values


def _moment(u: Understanding) -> time | None:
    """The time we read, as the corpus writes it: "the end of the day" (our `late`, each day's latest
    openings) is the day's last second."""
    return u.at if u.at is not None or not u.late else time(23, 59, 59)


def evaluate_recognizers(rows: Iterable[dict[str, Any]]) -> RecognizersReport:
    per_language: dict[str, list[int]] = {}
    failures: dict[str, Counter[str]] = {}
    for row in rows:
        results = row.get("results") or []
        if len(results) != 1 or results[0]["TypeName"] not in BOOKING_TYPES:
            continue
        expected = _expected_values(results[0])
        if not expected or not isinstance(row.get("reference_datetime"), str):
            continue  # nothing resolved to compare with, or no "now" to resolve against
        language = LANGUAGES.get(row["lang"], row["lang"])
        tally = per_language.setdefault(language, [0, 0])
        tally[1] += 1
        now = datetime.fromisoformat(row["reference_datetime"])
        u = understand(row["input"], now, language=language)
        got = (u.start if u.start == u.end else None, _moment(u))
        type_name = results[0]["TypeName"]
        matched = any(
            (exp_date is None or got[0] == exp_date) and (exp_time is None or got[1] == exp_time)
            for exp_date, exp_time in expected
        )
        if matched and (type_name != "datetimeV2.time" or got[1] is not None):
            tally[0] += 1
        else:
            failures.setdefault(language, Counter())[failure_class(results[0]["Text"])] += 1
    return {
        "per_language": {lang: score(ok, total) for lang, (ok, total) in sorted(per_language.items())},
        "overall": score(sum(t[0] for t in per_language.values()), sum(t[1] for t in per_language.values())),
        "top_failures": {lang: c.most_common(8) for lang, c in sorted(failures.items())},
    }


def evaluate_file(path: Path, kind: Literal["sgd", "recognizers"]) -> SgdReport | RecognizersReport:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return evaluate_sgd(rows) if kind == "sgd" else evaluate_recognizers(rows)
