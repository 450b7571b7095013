"""`/console/problems`: what keeps failing, with a retry for each: patients' messages whose turns were
dead-lettered, and Open Dental writes (commlogs, tasks) that Open Dental has not taken yet."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from bot.console.accounts import Operator
from bot.console.security import read_form
from bot.console.service import SCANNED, Console
from bot.keys import CONSOLE_KEY, OPERATOR_KEY
from bot.records.charts import chart_title, masked_phone
from bot.records.conversations import ConversationRecord


async def problems(request: web.Request) -> web.Response:
    console, operator = request.config_dict[CONSOLE_KEY], request[OPERATOR_KEY]
    visible = {p.phone_number_id for p in console.visible(operator)}
    context = {
        "dead": await _dead_lettered(console, operator),
        "writes": await console.od_writes.waiting(visible),
        "practices": console.by_id,
        "message": request.query.get("message", ""),
    }
    return aiohttp_jinja2.render_template("problems.html", request, context)


async def retry_write(request: web.Request) -> web.Response:
    console, operator = request.config_dict[CONSOLE_KEY], request[OPERATOR_KEY]
    key = str((await read_form(request)).get("key", ""))[:200]
    visible = {p.phone_number_id for p in console.visible(operator)}
    done = await console.od_writes.retry_now(key, visible)
    if done:
        await console.access.record(operator.username, "retry_od_write", "", key.split(":", 1)[0])
    raise web.HTTPSeeOther(f"/console/problems?message={'retried' if done else 'gone'}")


async def _dead_lettered(console: Console, operator: Operator) -> list[tuple[ConversationRecord, str, int]]:
    """Recent conversations with dead letters, with how each is shown (chart name or masked number)."""
    found = []
    for practice in console.visible(operator):
        for conversation, _ in await console.conversations.listed(
            practice.phone_number_id, "recent", SCANNED
        ):
            count = await console.broker.buried(conversation)
            record = await console.conversations.load(conversation) if count else None
            if record is not None:
                shown = chart_title(record.session.conversation.members) or masked_phone(record.user_key)
                found.append((record, shown, count))
    return found
