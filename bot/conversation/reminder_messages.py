"""A scheduler's message as WhatsApp carries it: the conversation's interactive message inside the 24-hour window,
and the practice's approved template for the outbox to send outside it: a reminder's (first name, day, time,
provider, practice) or a freed time's offer (first name, day, time, provider, practice, the current visit's day)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.practices import Practice, ReminderTemplate
from bot.records.outbox import EXPIRES_FIELD, FALLBACK_FIELD
from bot.whatsapp import messages
from flows import choices
from flows.choices import REMINDER_ANSWERS
from flows.context import Cue
from locales.catalog import SCRIPT_VARIANTS, day_and_time


def template_language(template: ReminderTemplate, language: str, default: str) -> str:
    """The template's language code at Meta for a catalog language ("hi-Latn" has only Devanagari "hi")."""
    base = SCRIPT_VARIANTS.get(language, language)
    for candidate in (language, base, default):
        if candidate in template.languages:
            return template.languages[candidate]
    return next(iter(template.languages.values()))


def cue_body(body: dict[str, Any], cue: Cue, practice: Practice, language: str, to: str, now: datetime) -> dict[str, Any]:  # fmt: skip
    """A scheduler's rendered message with its template fallback (a reminder's or an offer's)."""
    if cue.offer is not None:
        return offer_body(body, cue, practice, language, to, now)
    return reminder_body(body, cue, practice, language, to, now)


def offer_body(body: dict[str, Any], cue: Cue, practice: Practice, language: str, to: str, now: datetime) -> dict[str, Any]:  # fmt: skip
    """The rendered offer with its template fallback (Yes / No buttons naming the offer); not sent once the
    opening is within the lead time, nor after the template's time-to-live."""
    offer, rules = cue.offer, practice.refill
    assert offer is not None
    locale = SCRIPT_VARIANTS.get(language, language)
    day, at = day_and_time(offer.start, locale, practice.region)
    current, _ = day_and_time(offer.current, locale, practice.region)
    parameters = [offer.first_name or "-", day, at, offer.provider or practice.name, practice.name, current]
    buttons = [choices.opening(offer.id, "yes"), choices.opening(offer.id, "no")]
    code = template_language(rules.template, language, practice.default_language)
    fallback = messages.template(to, rules.template.name, code, parameters, buttons)
    last_useful = offer.start.replace(tzinfo=practice.zone) - timedelta(minutes=rules.lead_minutes)
    expires = min(now + timedelta(seconds=rules.ttl_seconds), last_useful)
    return {**body, FALLBACK_FIELD: fallback, EXPIRES_FIELD: expires.timestamp()}


def reminder_body(body: dict[str, Any], cue: Cue, practice: Practice, language: str, to: str, now: datetime) -> dict[str, Any]:  # fmt: skip
    """The rendered reminder with its template fallback and the time after which it is not worth sending."""
    reminder = cue.reminder
    if reminder is None:
        return body
    step = next((s for s in practice.reminders.steps if s.id == reminder.step), None)
    if step is None:
        return body
    day, at = day_and_time(reminder.start, SCRIPT_VARIANTS.get(language, language), practice.region)
    parameters = [reminder.first_name or "-", day, at, reminder.provider or practice.name, practice.name]
    buttons = [choices.reminder(reminder.id, a) for a in REMINDER_ANSWERS] if step.ask_confirm else None
    code = template_language(step.template, language, practice.default_language)
    fallback = messages.template(to, step.template.name, code, parameters, buttons)
    start = reminder.start.replace(tzinfo=practice.zone)
    last_useful = start - timedelta(minutes=practice.reminders.min_lead_minutes)
    expires = min(now + timedelta(seconds=step.ttl_seconds), last_useful)
    return {**body, FALLBACK_FIELD: fallback, EXPIRES_FIELD: expires.timestamp()}
