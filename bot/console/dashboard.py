"""`/console/dashboard`: what the assistant did for a practice over a period, in figures, plots and a CSV.

The figures come from the daily aggregates (`bot.records.figures`), never from transcripts, so they outlive the
transcripts' retention. An operator chooses among their own practices only; a period is at most a year, and
a period with nothing in it answers zeros, in the page and in the CSV alike.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import aiohttp_jinja2
from aiohttp import web

from bot.console import plots
from bot.console.accounts import Operator
from bot.console.service import Console
from bot.keys import CONSOLE_KEY, OPERATOR_KEY
from bot.practices import Practice
from bot.records.figures import MAX_DAYS, OUTCOMES, Period
from flows.handoff import REASONS

DEFAULT_DAYS = 30
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""What a spreadsheet reads as a formula (OWASP's CSV injection list)."""
COLUMNS = ["date", "conversations", *OUTCOMES, "handed_off", "handled_without_staff", "median_first_reply_seconds", "median_to_booking_seconds", "open_dental_requests", "whatsapp_billable"]  # fmt: skip


@dataclass
class Choice:
    practice: Practice
    first: date
    last: date


def chosen(console: Console, operator: Operator, query: dict[str, str]) -> Choice | None:
    """The practice (one the operator sees) and the period asked for, with bad dates read as the default."""
    visible = console.visible(operator)
    practice = next((p for p in visible if p.phone_number_id == query.get("practice")), None)
    practice = practice or (visible[0] if visible else None)
    if practice is None:
        return None
    today = datetime.now(practice.zone).date()
    last = _date(query.get("to", "")) or today
    first = _date(query.get("from", "")) or last - timedelta(days=DEFAULT_DAYS - 1)
    first, last = min(first, last), max(first, last)
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    return Choice(practice, first, last)


async def dashboard(request: web.Request) -> web.Response:
    console, operator = request.config_dict[CONSOLE_KEY], request[OPERATOR_KEY]
    choice = chosen(console, operator, dict(request.query))
    if choice is None:
        raise web.HTTPNotFound(text="No practice to show.")
    period = await console.figures.period(choice.practice.phone_number_id, choice.first, choice.last)
    context = {
        "choice": choice,
        "practices": console.visible(operator),
        "period": period,
        "outcomes": {o: period.total(o) for o in OUTCOMES},
        "handoffs": {REASONS.get(r, r): v for r, v in period.by_prefix("handoff").items()},
        "languages": period.by_prefix("language"),
        "whatsapp": period.by_prefix("whatsapp"),
        "plots": _plots(period),
    }
    return aiohttp_jinja2.render_template("dashboard.html", request, context)


async def dashboard_csv(request: web.Request) -> web.Response:
    console, operator = request.config_dict[CONSOLE_KEY], request[OPERATOR_KEY]
    choice = chosen(console, operator, dict(request.query))
    if choice is None:
        raise web.HTTPNotFound(text="No practice to show.")
    period = await console.figures.period(choice.practice.phone_number_id, choice.first, choice.last)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["practice", safe_cell(choice.practice.name), "from", choice.first, "to", choice.last])
    writer.writerow(COLUMNS)
    for day in period.days:
        writer.writerow([safe_cell(v) for v in _day_row(period, day)])
    name = f"dashboard-{choice.practice.phone_number_id}-{choice.first}-{choice.last}.csv"
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def safe_cell(value: object) -> str:
    """A cell no spreadsheet runs as a formula: text starting like one is quoted with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _day_row(period: Period, day: date) -> list[object]:
    figures = period.daily.get(day, {})
    conversations = figures.get("conversations", 0.0)
    handed = figures.get("handed_off", 0.0)
    alone = f"{max(0.0, 1 - handed / conversations):.2f}" if conversations else ""
    billable = sum(v for k, v in figures.items() if k.startswith("whatsapp:"))
    medians = [period.daily_medians[n].get(day) for n in ("first_reply", "to_booking")]
    return [
        day.isoformat(),
        int(conversations),
        *(int(figures.get(o, 0.0)) for o in OUTCOMES),
        int(handed),
        alone,
        *("" if m is None else f"{m:.1f}" for m in medians),
        int(figures.get("od_requests", 0.0)),
        int(billable),
    ]


def _plots(period: Period) -> dict[str, object]:
    labels = [d.isoformat() for d in period.days]
    booked = [period.daily[d].get("booked", 0.0) for d in period.days]
    replies = [period.daily_medians["first_reply"].get(d) or 0.0 for d in period.days]
    outcomes = {o: period.total(o) for o in OUTCOMES}
    outcomes["handed to staff"] = period.total("handed_off")
    return {
        "bookings": plots.columns("Bookings per day", labels, booked),
        "outcomes": plots.rows("Outcomes", outcomes),
        "replies": plots.columns("Median time to first reply per day", labels, replies, " s"),
    }


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
