"""`/console/openings`: the freed times refill found for a practice, who was offered each, and the outcome.

Read from the refill ledger (`bot/refill/ledger.py`), newest first; patients appear by PatNum only, as staff
find them in Open Dental.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiohttp_jinja2
from aiohttp import web

from bot.keys import CONSOLE_KEY, OPERATOR_KEY
from bot.refill.ledger import Offer, Opening, RefillLedger


@dataclass
class Row:
    opening: Opening
    offers: list[Offer]
    found: str
    filled_in: str
    """How long from found to filled ("12 min"), or empty."""


async def openings(request: web.Request) -> web.Response:
    console, operator = request.config_dict[CONSOLE_KEY], request[OPERATOR_KEY]
    visible = console.visible(operator)
    practice = next((p for p in visible if p.phone_number_id == request.query.get("practice")), None)
    practice = practice or (visible[0] if visible else None)
    if practice is None:
        raise web.HTTPNotFound(text="No practice to show.")
    records = console.conversations
    ledger = RefillLedger(records.storage, records.sealer, practice.phone_number_id)
    rows = []
    for opening in await ledger.recent(200):
        offers = [o for oid in opening.offers if (o := await ledger.offer(oid)) is not None]
        found = datetime.fromtimestamp(opening.found_at, practice.zone).strftime("%a %d %b %H:%M")
        minutes = (opening.filled_at - opening.found_at) / 60 if opening.filled_at else None
        rows.append(Row(opening, offers, found, f"{minutes:.0f} min" if minutes is not None else ""))
    context = {"practice": practice, "practices": visible, "rows": rows}
    return aiohttp_jinja2.render_template("openings.html", request, context)
