"""The planner as a table: when each step goes, or why it does not (pure: no clock, no store)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.practices import ReminderSettings, ReminderStep, ReminderTemplate
from bot.reminders import Visit, Window, plan

ZONE = ZoneInfo("America/Los_Angeles")
RULES = ReminderSettings(enabled=True)  # 2 days before at 10:00 asking to confirm; the day itself at 08:00
WINDOW = Window.of(RULES, ZONE)
VISIT = datetime(2026, 12, 10, 15, 0)  # a Thursday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=ZONE)


def visit(start: datetime = VISIT, **changes: object) -> Visit:
    fields: dict[str, object] = {
        "apt_num": 1,
        "pat_num": 2,
        "start": start,
        "scheduled": True,
        "confirmed": False,
    }
    return Visit(**(fields | changes))  # type: ignore[arg-type]


def outcome(found: list[object]) -> list[tuple[str, datetime, str | None]]:
    return [(p.step.id, p.due, p.skip) for p in found]  # type: ignore[attr-defined]


def test_each_step_at_its_time() -> None:
    assert outcome(plan(visit(), RULES, WINDOW, at(1, 9))) == [
        ("confirm", at(8, 10), None),
        ("day_of", at(10, 8), None),
    ]


def test_a_step_on_a_closed_day_goes_on_the_open_day_before() -> None:
    monday = datetime(2026, 12, 14, 9, 0)  # two days before is Saturday; Sunday is closed by default
    rules = RULES.model_copy(update={"closed_weekdays": [5, 6]})
    found = plan(visit(monday), rules, Window.of(rules, ZONE), at(1, 9))
    assert outcome(found)[0] == ("confirm", at(11, 19, 45), None), "Friday, just before the window's end"


def test_a_step_outside_the_window_moves_to_its_end_before() -> None:
    rules = RULES.model_copy(update={"steps": [ReminderStep(id="late", days_before=1, at=time(22, 0), template=ReminderTemplate(name="t"))]})  # fmt: skip
    assert outcome(plan(visit(), rules, Window.of(rules, ZONE), at(1, 9))) == [("late", at(9, 19, 45), None)]


def test_steps_already_due_collapse_into_the_latest() -> None:
    """A visit made today for tomorrow: the confirm request goes now (not two messages at once)."""
    tomorrow = datetime(2026, 12, 2, 15, 0)
    found = plan(visit(tomorrow), RULES, WINDOW, at(1, 12))
    assert outcome(found) == [("confirm", at(1, 12), None), ("day_of", at(2, 8), None)]


def test_overdue_steps_send_only_the_latest() -> None:
    found = plan(visit(), RULES, WINDOW, at(10, 9))  # the scheduler was away for days
    assert outcome(found) == [
        ("confirm", at(8, 10), "superseded by a later step"),
        ("day_of", at(10, 9), None),
    ]


def test_outside_the_window_an_overdue_step_waits_for_it_to_open() -> None:
    found = plan(visit(), RULES, WINDOW, at(9, 21))
    assert outcome(found)[0] == ("confirm", at(10, 8), None)


def test_nothing_goes_after_the_lead_time_before_the_visit() -> None:
    found = plan(visit(datetime(2026, 12, 10, 8, 30)), RULES, WINDOW, at(10, 8, 0))
    assert [p.skip for p in found][-1] == "too late to be useful"
    assert all(p.due <= at(10, 7, 30) or p.skip for p in found)


def test_a_visit_booked_moments_ago_is_not_asked_to_confirm_while_a_later_step_remains() -> None:
    made = datetime(2026, 12, 8, 9, 30)
    found = plan(visit(created=made), RULES, WINDOW, at(8, 9, 31))
    assert outcome(found) == [("confirm", at(8, 10), "booked recently"), ("day_of", at(10, 8), None)]
    alone = RULES.model_copy(update={"steps": RULES.steps[:1]})
    assert outcome(plan(visit(created=made), alone, WINDOW, at(8, 9, 31))) == [("confirm", at(8, 10), None)]


def test_a_confirmed_visit_gets_no_confirm_request_but_its_reminder() -> None:
    found = plan(visit(confirmed=True), RULES, WINDOW, at(1, 9))
    assert [(p.step.id, p.skip) for p in found] == [("confirm", "already confirmed"), ("day_of", None)]


def test_a_visit_not_scheduled_gets_nothing() -> None:
    assert {p.skip for p in plan(visit(scheduled=False), RULES, WINDOW, at(1, 9))} == {"not scheduled"}


def test_hours_before_steps() -> None:
    rules = RULES.model_copy(update={"steps": [ReminderStep(id="soon", hours_before=2, template=ReminderTemplate(name="t"))]})  # fmt: skip
    assert outcome(plan(visit(), rules, Window.of(rules, ZONE), at(1, 9))) == [("soon", at(10, 13), None)]


def test_the_window_from_open_dental_and_closed_dates() -> None:
    rules = RULES.model_copy(update={"closed_dates": [date(2026, 12, 8)]})
    window = Window.of(rules, ZONE, time(9, 0), time(17, 0))
    assert window.latest_at_or_before(at(8, 10)) == at(7, 16, 45)
    assert window.earliest_at_or_after(at(7, 18)) == at(9, 9)
    assert not window.is_open(at(7, 8, 59)) and window.is_open(at(7, 9)) and not window.is_open(at(8, 12))
    assert WINDOW.latest_at_or_before(at(1, 7)) == datetime(2026, 11, 30, 19, 45, tzinfo=ZONE), (
        "the evening before"
    )
