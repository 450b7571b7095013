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
from babel.numbers import format_currency

from bot.console import plots
from bot.console.accounts import Operator
from bot.console.service import Console
from bot.keys import CONSOLE_KEY, OPERATOR_KEY
from bot.practices import Practice
from bot.records.figures import MAX_DAYS, OUTCOMES, Period
from bot.whatsapp.pricing import MICROS
from flows.handoff import REASONS
from locales.catalog import regional

DEFAULT_DAYS = 30
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""What a spreadsheet reads as a formula (OWASP's CSV injection list)."""
REMINDERS = ("reminders_sent", "reminder_confirm_requests", "reminders_confirmed")
"""Counted by the schedulers when a reminder goes, and by the reminders' answer hook once a visit is confirmed
from one (`bot.reminders`)."""
REMINDER_COLUMNS = [*REMINDERS, "reminder_confirmation_rate"]
COLUMNS = ["date", "conversations", *OUTCOMES, "handed_off", "handled_without_staff", "median_first_reply_seconds", "median_to_booking_seconds", *REMINDER_COLUMNS, "open_dental_requests", "whatsapp_billable", "whatsapp_cost", "whatsapp_currency", "whatsapp_unpriced"]  # fmt: skip


@dataclass
class WhatsAppLine:
    """One pricing category's charged messages over the period and what they cost."""

    category: str
    messages: int
    cost: str | None
    """None when none of them had a rate."""
    unpriced: int
    """Those charged while the practice had no rate for the category: counted, not priced."""


@dataclass
class WhatsAppCost:
    lines: list[WhatsAppLine]
    total: str
    """The period's cost in the practice's currency (several, joined, if the practice changed it)."""
    unpriced: int


@dataclass
class ReminderDay:
    day: date
    sent: int
    requests: int
    confirmed: int
    rate: float | None
    """Visits confirmed through WhatsApp over the confirm requests sent; None with no request."""


def confirmation_rate(confirmed: float, requests: float) -> float | None:
    return confirmed / requests if requests else None


def reminder_days(period: Period) -> list[ReminderDay]:
    """The days with reminder figures, oldest first."""
    found = []
    for day in period.days:
        sent, requests, confirmed = (period.daily.get(day, {}).get(n, 0.0) for n in REMINDERS)
        if sent or requests or confirmed:
            rate = confirmation_rate(confirmed, requests)
            found.append(ReminderDay(day, int(sent), int(requests), int(confirmed), rate))
    return found


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
    last = parse_date(query.get("to", "")) or today
    first = parse_date(query.get("from", "")) or last - timedelta(days=DEFAULT_DAYS - 1)
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
        "whatsapp": whatsapp_cost(period, choice.practice),
        "plots": _plots(period),
        "reminders": {n: int(period.total(n)) for n in REMINDERS},
        "reminder_rate": confirmation_rate(
            period.total("reminders_confirmed"), period.total("reminder_confirm_requests")
        ),
        "reminder_days": reminder_days(period),
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
        writer.writerow([safe_cell(v) for v in _day_row(period, day, choice.practice.whatsapp.currency)])
    name = f"dashboard-{choice.practice.phone_number_id}-{choice.first}-{choice.last}.csv"
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def whatsapp_cost(period: Period, practice: Practice) -> WhatsAppCost:
    """The charged messages per category with their cost, as the statuses priced them when they came."""
    locale = regional("en", practice.region)
    costs: dict[str, dict[str, float]] = {}
    for name, micros in period.by_prefix("whatsapp_cost").items():
        currency, _, category = name.partition(":")
        costs.setdefault(category, {})[currency] = micros
    unpriced = period.by_prefix("whatsapp_unpriced")
    lines, totals = [], {practice.whatsapp.currency: 0.0}
    for category, count in period.by_prefix("whatsapp").items():
        priced = costs.get(category, {})
        cost = _money(priced, locale) if priced else None
        # None priced: all of them unpriced (including any counted before the dashboard priced messages).
        missing = int(count) if cost is None else int(unpriced.get(category, 0.0))
        lines.append(WhatsAppLine(category, int(count), cost, missing))
        for currency, micros in priced.items():
            totals[currency] = totals.get(currency, 0.0) + micros
    return WhatsAppCost(lines, _money(totals, locale), sum(line.unpriced for line in lines))


def _money(micros: dict[str, float], locale: str) -> str:
    """Amounts in millionths of their currencies, as the practice's region writes money ("$0.012")."""
    shown = {c: m for c, m in micros.items() if m} or dict(list(micros.items())[:1])
    return " + ".join(
        format_currency(m / MICROS, c, locale=locale, decimal_quantization=False) for c, m in shown.items()
    )


def safe_cell(value: object) -> str:
    """A cell no spreadsheet runs as a formula: text starting like one is quoted with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _day_row(period: Period, day: date, currency: str) -> list[object]:
    figures = period.daily.get(day, {})
    conversations = figures.get("conversations", 0.0)
    handed = figures.get("handed_off", 0.0)
    alone = f"{max(0.0, 1 - handed / conversations):.2f}" if conversations else ""
    billable = sum(v for k, v in figures.items() if k.startswith("whatsapp:"))
    costs: dict[str, float] = {}
    for name, micros in figures.items():
        if name.startswith("whatsapp_cost:"):
            costs[name.split(":")[1]] = costs.get(name.split(":")[1], 0.0) + micros
    unpriced = sum(v for k, v in figures.items() if k.startswith("whatsapp_unpriced:"))
    medians = [period.daily_medians[n].get(day) for n in ("first_reply", "to_booking")]
    rate = confirmation_rate(
        figures.get("reminders_confirmed", 0.0), figures.get("reminder_confirm_requests", 0.0)
    )
    return [
        day.isoformat(),
        int(conversations),
        *(int(figures.get(o, 0.0)) for o in OUTCOMES),
        int(handed),
        alone,
        *("" if m is None else f"{m:.1f}" for m in medians),
        *(int(figures.get(n, 0.0)) for n in REMINDERS),
        "" if rate is None else f"{rate:.2f}",
        int(figures.get("od_requests", 0.0)),
        int(billable),
        "; ".join(f"{m / MICROS:.6f}".rstrip("0").rstrip(".") for m in costs.values()) or "0",
        "; ".join(costs) or currency,
        int(unpriced),
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


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
