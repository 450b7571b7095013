"""`python -m bot od-subscribe [--remove]`: each practice's Open Dental API Events subscriptions, made to match.

For every practice: list its CustomerKey's subscriptions, then for `Appointment` and `AppointmentDeleted` keep
the one that already points at the practice's endpoint (`bot.od_events.endpoint_url`) with the configured
Workstation and PollingSeconds, delete our others for that table (an old token, an old workstation), and
create it if none was kept. Run twice, it changes nothing. `--remove` deletes every subscription of ours
(an EndPointUrl under `OD_EVENTS_BASE_URL/od/events/`), never anyone else's. One line per change.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from bot.errors import ConfigError
from bot.od_events import endpoint_url, events_prefix
from bot.practices import Practice, PracticesFile
from bot.settings import Settings
from od_adapter import (
    APPOINTMENT_TABLES,
    NewSubscription,
    OdNotFound,
    OpenDentalClient,
    OpenDentalError,
    RateLimiter,
    Subscription,
)

Say = Callable[[str], None]


async def sync_subscriptions(
    settings: Settings, practices: PracticesFile, limiter: RateLimiter, *, remove: bool, say: Say = print
) -> int:
    """Subscribe (or with `remove`, unsubscribe) every practice; 0 when every practice succeeded."""
    if not settings.od_events_base_url:
        raise ConfigError("od-subscribe needs OD_EVENTS_BASE_URL: the address Open Dental sends events to")
    if not remove and not (
        settings.od_events_secret and settings.od_events_secret.get_secret_value().strip()
    ):
        raise ConfigError("od-subscribe needs OD_EVENTS_SECRET, the key of each practice's secret path")
    failures = 0
    for practice in practices.practices:
        keys = settings.open_dental_keys(practice.open_dental)
        try:
            async with OpenDentalClient.for_practice(practice.open_dental, limiter, keys=keys) as od:
                existing = await od.subscriptions()
                if remove:
                    await _remove(od, practice, _ours(settings, existing), say)
                else:
                    await _subscribe(od, settings, practice, existing, say)
        except OpenDentalError as exc:
            failures += 1
            say(f"FAIL {practice.name}: {exc}")
    return 1 if failures else 0


def _ours(settings: Settings, existing: list[Subscription]) -> list[Subscription]:
    prefix = events_prefix(settings)
    return [s for s in existing if s.end_point_url.startswith(prefix)]


async def _subscribe(
    od: OpenDentalClient, settings: Settings, practice: Practice, existing: list[Subscription], say: Say
) -> None:
    url, wanted = endpoint_url(settings, practice), practice.od_events
    for table in APPOINTMENT_TABLES:
        ours = [s for s in _ours(settings, existing) if s.watch_table == table]
        kept = next(
            (
                s
                for s in ours
                if s.end_point_url == url
                and s.workstation == wanted.workstation
                and s.polling_seconds == wanted.polling_seconds
            ),
            None,
        )
        await _remove(od, practice, [s for s in ours if s is not kept], say)
        if kept is not None:
            say(f"OK   {practice.name}: {table} already subscribed (#{kept.subscription_num})")
            continue
        created = await od.create_subscription(
            NewSubscription(
                end_point_url=url,
                watch_table=table,
                polling_seconds=wanted.polling_seconds,
                workstation=wanted.workstation,
                note="WhatsApp assistant: a changed book is read again at once",
            )
        )
        say(f"NEW  {practice.name}: {table} subscribed (#{created.subscription_num})")


async def _remove(od: OpenDentalClient, practice: Practice, doomed: list[Subscription], say: Say) -> None:
    for subscription in doomed:
        with contextlib.suppress(OdNotFound):  # gone already (a replay after a lost answer, or by hand)
            await od.delete_subscription(subscription.subscription_num)
        say(f"DEL  {practice.name}: {subscription.watch_table} #{subscription.subscription_num} removed")
