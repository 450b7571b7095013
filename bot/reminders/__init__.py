"""Reminders the assistant sends first: the plan per visit, the durable ledger, the schedulers, STOP and START."""

from bot.reminders.ledger import Entry, Ledger, reminder_id
from bot.reminders.messages import reminder_body, template_language
from bot.reminders.optouts import OptOut, OptOuts
from bot.reminders.plan import Planned, Visit, Window, plan
from bot.reminders.scheduler import Deliver, ReminderScheduler, Statuses
from bot.reminders.service import OptOutDesk, Reminders, office_statuses, office_window, scheduler_for

__all__ = [
    "Deliver",
    "Entry",
    "Ledger",
    "OptOut",
    "OptOutDesk",
    "OptOuts",
    "Planned",
    "ReminderScheduler",
    "Reminders",
    "Statuses",
    "Visit",
    "Window",
    "office_statuses",
    "office_window",
    "plan",
    "reminder_body",
    "reminder_id",
    "scheduler_for",
    "template_language",
]
