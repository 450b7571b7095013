"""The embedded demo: the product app plus both sandboxes, the demo operator, and the demo practice pointed at
the address this process really listens on."""

from __future__ import annotations

from aiohttp import web

from bot.app import create_app
from bot.keys import DEMO_OPERATOR_KEY
from bot.practices import Practice, PracticesFile
from bot.queue.turns import TurnHandler
from bot.sandbox.phone import add_phone_simulator
from bot.sandbox.whatsapp import GraphFake, add_whatsapp_sandbox
from bot.settings import Settings
from locales.catalog import message
from od_adapter.sandbox import SandboxSettings, create_sandbox_app
from od_adapter.sandbox.scale import MAX_SCALE, scaled_nums, seed_steps
from od_adapter.sandbox.seed import load_seed

SANDBOX_OD_PREFIX = "/sandbox/od"
REMINDER_BUTTONS = ("button.confirm_visit", "button.change_visit", "button.cancel_visit")
DEMO_SANDBOX_URL = "http://127.0.0.1:8080/sandbox/od/api/v1"
DEMO_OPERATOR = ("demo", "bright-smile-demo")
__all__ = [
    "DEMO_OPERATOR",
    "DEMO_SANDBOX_URL",
    "MAX_SCALE",
    "SANDBOX_OD_PREFIX",
    "create_demo_app",
    "point_at_demo_sandbox",
    "scale_demo_practices",
]


def point_at_demo_sandbox(practices: PracticesFile, host: str, port: int) -> PracticesFile:
    """Practices configured for the demo sandbox follow the host and port the demo really listens on."""
    url = f"http://{host}:{port}{SANDBOX_OD_PREFIX}/api/v1"
    entries = []
    for practice in practices.practices:
        if practice.open_dental.base_url == DEMO_SANDBOX_URL:
            connection = practice.open_dental.model_copy(update={"base_url": url})
            practice = practice.model_copy(update={"open_dental": connection})
        entries.append(practice)
    return PracticesFile(practices=entries)


def scale_demo_practices(practices: PracticesFile, scale: int) -> PracticesFile:
    """Booking rules of the practices on the demo sandbox name every copy of their providers and operatories,
    as the sandbox's `scale` makes them (the demo seed's numbers, moved up per copy). Before pointing them."""
    if scale == 1:
        return practices
    providers, operatories = seed_steps(load_seed())
    entries = []
    for practice in practices.practices:
        if practice.open_dental.base_url == DEMO_SANDBOX_URL:
            rules = [
                rule.model_copy(
                    update={
                        "providers": scaled_nums(rule.providers, providers, scale),
                        "operatories": scaled_nums(rule.operatories, operatories, scale),
                    }
                )
                for rule in practice.booking.appointment_types
            ]
            booking = practice.booking.model_copy(update={"appointment_types": rules})
            practice = practice.model_copy(update={"booking": booking})
        entries.append(practice)
    return PracticesFile(practices=entries)


def approve_reminder_templates(fake: GraphFake, practice: Practice) -> None:
    """The practice's reminder templates as Meta would hold them once approved: the catalog's wording in each
    language, with Meta's numbered parameters (first name, day, time, provider, practice)."""
    numbered = {"name": "{{1}}", "when": "{{2}}, {{3}}", "provider": "{{4}}", "practice": "{{5}}"}
    for step in practice.reminders.steps:
        key = (
            "reminder.ask"
            if step.ask_confirm
            else ("reminder.today" if step.id == "day_of" else "reminder.plain")
        )
        for language, code in step.template.languages.items():
            buttons = [message(b, language) for b in REMINDER_BUTTONS] if step.ask_confirm else []
            fake.approve(step.template.name, code, message(key, language).format(**numbered), buttons)


def approve_refill_template(fake: GraphFake, practice: Practice) -> None:
    """The practice's freed-time offer template as Meta would hold it once approved (parameters: first name,
    day, time, provider, practice, the current visit's day; buttons Yes, No)."""
    numbered = {"name": "{{1}}", "when": "{{2}}, {{3}}", "provider": "{{4}}", "practice": "{{5}}", "current": "{{6}}"}  # fmt: skip
    template = practice.refill.template
    for language, code in template.languages.items():
        buttons = [message(b, language) for b in ("button.take_opening", "button.decline_opening")]
        fake.approve(template.name, code, message("refill.offer", language).format(**numbered), buttons)


def create_demo_app(
    settings: Settings,
    practices: PracticesFile,
    *,
    od_sandbox: SandboxSettings | None = None,
    scale: int = 1,
    operator: tuple[str, str] | None = DEMO_OPERATOR,
    run_worker: bool = True,
    handler: TurnHandler | None = None,
    enforce_window: bool = True,
) -> web.Application:
    """The product with the WhatsApp sandbox, the phone simulator and the Open Dental sandbox mounted; the
    sandbox's practice `scale` times over (give `od_sandbox` a scale instead when giving it).

    The WhatsApp sandbox holds each practice's re-engagement template as approved and, like Meta, fails
    free-form messages outside the 24-hour window (`enforce_window`; tests that post webhooks to the product
    directly, never opening a window through the sandbox, turn it off)."""
    if od_sandbox is not None and scale != 1:
        raise ValueError("give the scale in od_sandbox")
    app = create_app(settings, practices, run_worker=run_worker, handler=handler)
    app[DEMO_OPERATOR_KEY] = operator
    assert settings.whatsapp_app_secret is not None, "the demo settings provide the sandbox's secret"
    fake = add_whatsapp_sandbox(
        app, settings.whatsapp_app_secret.get_secret_value(), enforce_window=enforce_window
    )
    for practice in practices.practices:
        if name := practice.handoff.reengagement_template:
            body = (
                f"{practice.name} has an answer for you. Reply to this message to continue the conversation."
            )
            fake.approve(name, practice.handoff.template_language, body)
        approve_reminder_templates(fake, practice)
        approve_refill_template(fake, practice)
    add_phone_simulator(app, practices)
    app.add_subapp(SANDBOX_OD_PREFIX, create_sandbox_app(od_sandbox or SandboxSettings(scale=scale)))
    return app
