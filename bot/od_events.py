"""`POST /od/events/<token>`: Open Dental's API Events, taken as hints that a practice's book changed.

Each practice has its own secret path token (an HMAC of its phone_number_id under `OD_EVENTS_SECRET`), which
`python -m bot od-subscribe` puts in the EndPointUrl it subscribes. Open Dental signs nothing; it sends the
practice's bare CustomerKey as `Authorization`, so a delivery must carry both. In order: an unknown token is
404; a wrong key 401; a body that is not a database event 400; an event identical to one seen within
`OD_EVENTS_DEDUPE_SECONDS` (the same table and bytes: a blank Workstation sends each from every machine) is
a no-op; an event about another table is acknowledged and ignored. What is left nudges the practice's book
loader (`od_adapter.BookNudge`): it reads Open Dental at once, and the days of deleted appointments whole.
Nothing in the event is kept or believed; a forged one can only cause reads.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from redis.exceptions import RedisError

from bot.keys import BOOK_STORE_KEY, OD_EVENTS_KEY, PRACTICES_KEY, SETTINGS_KEY
from bot.practices import Practice
from bot.settings import Settings
from od_adapter import BookNudge, KeyValueStore, MalformedEvent, parse_event

logger = logging.getLogger(__name__)
PATH = "/od/events/{token}"
ROUTE_PREFIX = "/od/events/"


def path_token(secret: str, practice_id: str) -> str:
    """The practice's secret path segment: stable for one secret, unguessable without it."""
    return hmac.new(secret.encode(), f"od-events:{practice_id}".encode(), hashlib.sha256).hexdigest()[:40]


def endpoint_url(settings: Settings, practice: Practice) -> str:
    """Where Open Dental is to send this practice's events."""
    assert settings.od_events_base_url and settings.od_events_secret, "checked by the caller"
    token = path_token(settings.od_events_secret.get_secret_value(), practice.phone_number_id)
    return events_prefix(settings) + token


def events_prefix(settings: Settings) -> str:
    """Every EndPointUrl of ours starts with this: how `od-subscribe` tells its subscriptions from others'."""
    assert settings.od_events_base_url, "checked by the caller"
    return settings.od_events_base_url.rstrip("/") + ROUTE_PREFIX


@dataclass(frozen=True)
class Target:
    practice: Practice
    token: str
    customer_key: str


@dataclass
class OdEvents:
    """The receiver's state: each practice's token and key, and the store the nudges and dedupe keys go to."""

    targets: list[Target]
    store: KeyValueStore
    dedupe_seconds: float

    def find(self, token: str) -> Target | None:
        found = None
        for target in self.targets:  # compare with each, in constant time: the token is the secret
            if hmac.compare_digest(target.token.encode(), token.encode()):
                found = target
        return found


async def od_events_ctx(app: web.Application) -> AsyncIterator[None]:
    settings: Settings = app[SETTINGS_KEY]
    targets = []
    if settings.od_events_secret is not None and settings.od_events_secret.get_secret_value().strip():
        secret = settings.od_events_secret.get_secret_value()
        for practice in app[PRACTICES_KEY].practices:
            key = settings.open_dental_keys(practice.open_dental)[1].get_secret_value()
            targets.append(Target(practice, path_token(secret, practice.phone_number_id), key))
    app[OD_EVENTS_KEY] = OdEvents(targets, app[BOOK_STORE_KEY], settings.od_events_dedupe_seconds)
    yield


async def receive(request: web.Request) -> web.Response:
    events = request.app[OD_EVENTS_KEY]
    target = events.find(request.match_info["token"])
    if target is None:
        return web.json_response({"error": "not found"}, status=404)
    given = request.headers.get("Authorization", "").strip()
    if not hmac.compare_digest(given.encode(), target.customer_key.encode()):
        return web.json_response({"error": "wrong key"}, status=401)
    body = await request.read()  # past the app's client_max_size aiohttp answers 413
    event_type = request.headers.get("Event-Type")
    try:
        event = parse_event(body, event_type)
    except MalformedEvent as exc:
        return web.json_response({"error": str(exc)}, status=400)
    pid = target.practice.phone_number_id
    if not event.about_appointments:
        return web.json_response({"ignored": event.watch_table})
    digest = hashlib.sha256(f"{event.watch_table}\n".encode() + body).hexdigest()
    try:
        if not await events.store.claim(f"odevents:{pid}:{digest}", b"1", events.dedupe_seconds):
            logger.info("a duplicate API event for practice %s", pid)
            return web.json_response({"duplicate": True})
        # Deletions show only when the day is read whole; other changes show in the DateTStamp read.
        deleted = event.watch_table in (None, "AppointmentDeleted")
        await BookNudge(events.store, pid).nudge(event.days if deleted else ())
    except (RedisError, OSError) as exc:
        logger.warning("an API event could not be recorded: %s", type(exc).__name__)
        return web.json_response({"error": "unavailable"}, status=503)  # Open Dental sends it again
    logger.info("API event %s for practice %s: %d rows, sync nudged", event.watch_table, pid, len(event.rows))
    return web.json_response({"nudged": True})


def add_routes(app: web.Application) -> None:
    app.router.add_post(PATH, receive)
