"""The embedded demo: the product app plus both sandboxes, the demo operator, and the demo practice pointed at
the address this process really listens on."""

from __future__ import annotations

from aiohttp import web

from bot.app import create_app
from bot.keys import DEMO_OPERATOR_KEY
from bot.practices import PracticesFile
from bot.queue.turns import TurnHandler
from bot.sandbox.phone import add_phone_simulator
from bot.sandbox.whatsapp import add_whatsapp_sandbox
from bot.settings import Settings
from od_adapter.sandbox import SandboxSettings, create_sandbox_app

SANDBOX_OD_PREFIX = "/sandbox/od"
DEMO_SANDBOX_URL = "http://127.0.0.1:8080/sandbox/od/api/v1"
DEMO_OPERATOR = ("demo", "bright-smile-demo")


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


def create_demo_app(
    settings: Settings,
    practices: PracticesFile,
    *,
    od_sandbox: SandboxSettings | None = None,
    operator: tuple[str, str] | None = DEMO_OPERATOR,
    run_worker: bool = True,
    handler: TurnHandler | None = None,
) -> web.Application:
    """The product with the WhatsApp sandbox, the phone simulator and the Open Dental sandbox mounted."""
    app = create_app(settings, practices, run_worker=run_worker, handler=handler)
    app[DEMO_OPERATOR_KEY] = operator
    assert settings.whatsapp_app_secret is not None, "the demo settings provide the sandbox's secret"
    add_whatsapp_sandbox(app, settings.whatsapp_app_secret.get_secret_value())
    add_phone_simulator(app, practices)
    app.add_subapp(SANDBOX_OD_PREFIX, create_sandbox_app(od_sandbox or SandboxSettings()))
    return app
