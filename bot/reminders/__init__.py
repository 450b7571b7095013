"""Reminders the assistant sends first: the plan per visit, the durable ledger, the schedulers, STOP and START."""

from bot.reminders.ledger import Entry, Ledger, reminder_id
from bot.reminders.optouts import OptOut, OptOuts
from bot.reminders.plan import Planned, Visit, Window, plan
from bot.reminders.scheduler import Deliver, ReminderScheduler
from bot.reminders.service import OptOutDesk, Reminders, office_window, scheduler_for

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
    "Visit",
    "Window",
    "office_window",
    "plan",
    "reminder_id",
    "scheduler_for",
]
