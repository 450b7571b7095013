"""`/console/reminders`: a practice's reminders for a few days, read from its ledger, and the front desk's call list.

For the visits of the chosen local days (by default today and the next two): reminders planned, sent, skipped
(by reason) and withdrawn (the visit moved or went), the visits confirmed, changed and cancelled from a reminder,
and the numbers that opted out. The call list is tomorrow's visits whose reminder went unanswered, or whose
confirm request could not go because the patient cannot be messaged: the front desk phones them. The page shows
chart names (behind sign-in, and each opening is in the access log); nothing of it is logged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import aiohttp_jinja2
from aiohttp import web

from bot.console.dashboard import parse_date
from bot.console.service import Console
from bot.keys import CONSOLE_KEY, OPERATOR_KEY
from bot.practices import Practice
from bot.records.charts import chart_title, masked_phone
from bot.reminders.ledger import Entry
from bot.reminders.optouts import OptOut

DEFAULT_DAYS = 3
MAX_DAYS = 31
"""The ledger keeps an entry three weeks: a longer range would only show empty days."""
UNREACHABLE = ("no mobile number", "the number is a landline", "TxtMsgOk is No", "TxtMsgOk is Unknown", "opted out", "undeliverable (131026)")  # fmt: skip
"""The skip reasons that mean the patient cannot be messaged (the scheduler's `_reachable`)."""


@dataclass
class Call:
    """A visit of tomorrow the front desk should phone about."""

    start: datetime
    """Local and naive, as Open Dental keeps it."""
    apt_num: int
    pat_num: int
    step: str
    state: str
    """"sent" (no answer yet) or "skipped: <why>"."""
    name: str = ""
    at: float = 0.0
    """The start as a moment (for the page's clock)."""


@dataclass
class Report:
    first: date
    last: date
    planned: int = 0
    sent: int = 0
    """Reminders that went (answered or not)."""
    outcomes: Counter[str] = field(default_factory=Counter)
    """Visits confirmed, changed and cancelled from a reminder (a visit once, however many reminders it had)."""
    skipped: Counter[str] = field(default_factory=Counter)
    withdrawn: Counter[str] = field(default_factory=Counter)
    calls: list[Call] = field(default_factory=list)


def summarise(
    entries: list[Entry], first: date, last: date, tomorrow: date, confirm_steps: set[str]
) -> Report:
    """The figures of the entries whose visits fall on `first`..`last`, and the call list for `tomorrow`."""
    report = Report(first, last)
    answered: dict[tuple[int, datetime], str] = {}
    for entry in entries:
        if first <= entry.start.date() <= last:
            if entry.state == "planned":
                report.planned += 1
            elif entry.state == "skipped":
                report.skipped[entry.reason or "no reason given"] += 1
            elif entry.state == "cancelled":
                report.withdrawn[entry.reason or "no reason given"] += 1
            else:
                report.sent += 1
            if entry.outcome:
                answered[(entry.apt_num, entry.start)] = entry.outcome
    report.outcomes = Counter(answered.values())
    report.calls = calls(entries, tomorrow, confirm_steps)
    return report


def calls(entries: list[Entry], day: date, confirm_steps: set[str]) -> list[Call]:
    """The day's visits nobody has confirmed through a reminder and the patient may not know of: a reminder went
    without an answer, or the confirm request could not go (no mobile number, a landline, TxtMsgOk No, opted out,
    undeliverable). A visit with a withdrawn reminder at that time moved or went, and is left out."""
    visits: dict[tuple[int, datetime], list[Entry]] = {}
    for entry in entries:
        if entry.start.date() == day:
            visits.setdefault((entry.apt_num, entry.start), []).append(entry)
    found = []
    for (apt_num, start), held in visits.items():
        if any(e.outcome or e.state == "cancelled" for e in held):
            continue
        sent = [e for e in held if e.state in ("sent", "answered")]
        unreachable = [e for e in held if e.state == "skipped" and e.step in confirm_steps and e.reason in UNREACHABLE]  # fmt: skip
        if sent:
            latest = max(sent, key=lambda e: e.sent_at)
            found.append(Call(start, apt_num, latest.pat_num, latest.step, "sent, no answer"))
        elif unreachable:
            why = unreachable[0]
            found.append(Call(start, apt_num, why.pat_num, why.step, f"skipped: {why.reason}"))
    return sorted(found, key=lambda c: (c.start, c.apt_num))


@dataclass
class Listed:
    """An opted-out number as the page shows it: when, and whose conversation (a chart name or a masked number)."""

    optout: OptOut
    who: str


async def reminders(request: web.Request) -> web.Response:
    console, operator = request.config_dict[CONSOLE_KEY], request[OPERATOR_KEY]
    visible = console.visible(operator)
    asked = request.query.get("practice", "")
    practice = next((p for p in visible if p.phone_number_id == asked), None) if asked else None
    practice = practice or (None if asked else next(iter(visible), None))
    if practice is None:
        raise web.HTTPNotFound(text="No practice to show.")
    today = datetime.now(practice.zone).date()
    first = parse_date(request.query.get("from", "")) or today
    last = parse_date(request.query.get("to", "")) or first + timedelta(days=DEFAULT_DAYS - 1)
    first, last = min(first, last), max(first, last)
    last = min(last, first + timedelta(days=MAX_DAYS - 1))
    tomorrow = today + timedelta(days=1)
    entries = await _entries(console, practice, min(first, tomorrow), max(last, tomorrow))
    confirm_steps = {s.id for s in practice.reminders.steps if s.ask_confirm}
    report = summarise(entries, first, last, tomorrow, confirm_steps)
    names = await console.chart_names(practice, {c.pat_num for c in report.calls})
    for call in report.calls:
        call.name = names.get(call.pat_num, "")
        call.at = call.start.replace(tzinfo=practice.zone).timestamp()
    await console.access.record(operator.username, "view_reminders", "", practice.phone_number_id, detail=f"{len(report.calls)} to call")  # fmt: skip
    context = {
        "practice": practice,
        "practices": visible,
        "report": report,
        "tomorrow": tomorrow,
        "optouts": await _optouts(console, practice),
    }
    return aiohttp_jinja2.render_template("reminders.html", request, context)


async def _entries(console: Console, practice: Practice, first: date, last: date) -> list[Entry]:
    """The ledger indexes an entry by its naive start read as this process's local time: the range is widened by a
    day each side for that, and `summarise` keeps the exact days."""
    since = datetime.combine(first - timedelta(days=1), time.min).timestamp()
    until = datetime.combine(last + timedelta(days=2), time.min).timestamp()
    return await console.ledger(practice.phone_number_id).recent(since, until, count=20_000)


async def _optouts(console: Console, practice: Practice) -> list[Listed]:
    if console.optouts is None:
        return []
    listed = []
    for optout in await console.optouts.listed(practice.phone_number_id):
        record = await console.conversations.load(optout.conversation)
        if record is not None and record.practice_id != practice.phone_number_id:
            continue
        who = (
            (chart_title(record.session.conversation.members) or masked_phone(record.user_key))
            if record
            else ""
        )
        listed.append(Listed(optout, who or "a conversation no longer kept"))
    return listed
