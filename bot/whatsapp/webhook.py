"""`/webhook/whatsapp`: Meta's verification handshake, and deliveries verified, deduplicated and queued.

Nothing but verification, parsing and one atomic dedupe-and-enqueue per event (one Redis call per delivery,
shared by the deliveries that arrive meanwhile) happens inside the request, so Meta gets its 200 within
milliseconds. A forged or unsigned delivery is refused and nothing is processed; a
body we cannot read is logged (never its content) and acknowledged, since Meta retrying it would not help.
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web
from pydantic import ValidationError
from redis.exceptions import RedisError

from bot.keys import BROKER_KEY, METRICS_KEY, PRACTICES_KEY, SEALER_KEY, SETTINGS_KEY
from bot.settings import Settings
from bot.whatsapp.events import InboundMessage, StatusEvent, events_from
from bot.whatsapp.payloads import Envelope

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Hub-Signature-256"


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta sends: `sha256=` and the HMAC-SHA256 of the raw body under the app secret."""
    return "sha256=" + hmac.digest(app_secret.encode(), body, "sha256").hex()  # one C call, not hmac.new


def signature_valid(app_secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(sign(app_secret, body).encode(), header.strip().encode())


async def verify(request: web.Request) -> web.Response:
    """The GET Meta sends when the callback URL is set: echo the challenge if the token matches."""
    settings = request.app[SETTINGS_KEY]
    mode = request.query.get("hub.mode", "")
    token = request.query.get("hub.verify_token", "")
    challenge = request.query.get("hub.challenge", "")
    expected = settings.whatsapp_verify_token.get_secret_value() if settings.whatsapp_verify_token else ""
    if (
        mode == "subscribe"
        and challenge
        and expected
        and hmac.compare_digest(token.encode(), expected.encode())
    ):
        return web.Response(text=challenge, content_type="text/plain")
    return web.Response(status=403, text="verification failed")


async def receive(request: web.Request) -> web.Response:
    body = await request.read()  # raises 413 past client_max_size (3 MB, Meta's largest payload)
    refusal = _refusal(request.app[SETTINGS_KEY], body, request.headers.get(SIGNATURE_HEADER))
    if refusal is not None:
        return refusal
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as exc:
        logger.warning(
            "acknowledged an unreadable webhook body (%d bytes, %d errors)", len(body), exc.error_count()
        )
        return web.Response(text="ok")
    events = _known(request.app, events_from(envelope))
    sealer = request.app[SEALER_KEY]
    try:
        # One Redis call for the whole delivery, shared with the deliveries that arrive meanwhile.
        await request.app[BROKER_KEY].enqueue_all(
            [
                (_dedupe_key(event), sealer.seal(event.model_dump_json().encode(), compress=False))
                for event in events
            ]
        )
    except (RedisError, OSError) as exc:  # Redis down: not acknowledged, so Meta retries; nothing is lost
        logger.error("could not queue a webhook event: %s", type(exc).__name__)
        return web.Response(status=503, text="try again")
    return web.Response(text="ok")


def _refusal(settings: Settings, body: bytes, header: str | None) -> web.Response | None:
    """401 for an unsigned delivery, 403 for a wrong signature (or no app secret to check it with)."""
    if header is None:
        return web.Response(status=401, text="missing signature")
    secret = settings.whatsapp_app_secret.get_secret_value() if settings.whatsapp_app_secret else ""
    if not secret or not signature_valid(secret, body, header):
        logger.warning("refused a webhook delivery with a wrong signature (%d bytes)", len(body))
        return web.Response(status=403, text="invalid signature")
    return None


def _known(
    app: web.Application, events: list[InboundMessage | StatusEvent]
) -> list[InboundMessage | StatusEvent]:
    """The events for a configured practice, counted by type; the others are logged and skipped."""
    practices = app[PRACTICES_KEY].by_phone_number_id()  # built once, so flat in the number of practices
    inbound = app[METRICS_KEY].inbound
    known = []
    for event in events:
        if event.practice_id not in practices:
            logger.warning("acknowledged a delivery for unknown phone_number_id %s", event.practice_id)
            continue
        inbound.labels(event.type if isinstance(event, InboundMessage) else "status").inc()
        known.append(event)
    return known


def _dedupe_key(event: InboundMessage | StatusEvent) -> str:
    """A message is queued once per practice and wamid; a status once per wamid and status."""
    if isinstance(event, InboundMessage):
        return f"m:{event.practice_id}:{event.wamid}"
    return f"s:{event.wamid}:{event.status}"
