"""Prometheus metrics, one registry per application (no process-wide globals), served at `/metrics`.

Counters are incremented where things happen (webhook, worker, conversation, outbox); Open Dental request
figures are read from the clients' own statistics at scrape time, and the queue backlog from the broker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from od_adapter import RequestStats, WaitStats


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.inbound = Counter(
            "wa_inbound_messages", "Inbound WhatsApp events by type", ["type"], registry=self.registry
        )
        self.turns = Histogram(
            "conversation_turn_seconds",
            "Time to run one conversation turn (including Open Dental)",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
            registry=self.registry,
        )
        self.actions = Counter(
            "booking_actions",
            "Bookings, reschedules, cancellations, confirmations",
            ["action"],
            registry=self.registry,
        )
        self.handoffs = Counter(
            "handoffs", "Conversations handed to staff, by reason", ["reason"], registry=self.registry
        )
        self.od_writes = Counter(
            "od_writes",
            "Queued Open Dental writes by outcome (written, retried)",
            ["outcome"],
            registry=self.registry,
        )
        self.od_writes_pending = Gauge(
            "od_writes_pending", "Open Dental writes queued and not yet written", registry=self.registry
        )
        self.turn_failures = Counter(
            "conversation_turn_failures",
            "Turns in which a graph step raised (the patient got an apology)",
            registry=self.registry,
        )
        self.sends = Counter(
            "wa_sends",
            "WhatsApp sends by outcome and error code",
            ["outcome", "code"],
            registry=self.registry,
        )
        self.backlog = Gauge("wa_inbound_backlog", "Inbound queue entries (stream) and entries read but not acknowledged (pending)", ["kind"], registry=self.registry)  # fmt: skip
        self._od: OpenDentalCollector | None = None

    def watch_open_dental(self, stats: Callable[[], dict[str, RequestStats]]) -> None:
        if self._od is None:
            self._od = OpenDentalCollector(stats)
            self.registry.register(self._od)

    def watch_limiter(self, stats: WaitStats) -> None:
        """The throttle's queue and wait per class (patient, background), read at scrape time."""
        self.registry.register(LimiterCollector(stats))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class OpenDentalCollector(Collector):
    """Open Dental requests by practice, endpoint and status, and the time spent waiting for the throttle."""

    def __init__(self, stats: Callable[[], dict[str, RequestStats]]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Any]:
        requests = CounterMetricFamily(
            "od_requests", "Open Dental requests by endpoint", labels=["practice", "endpoint"]
        )
        statuses = CounterMetricFamily(
            "od_responses", "Open Dental responses by status", labels=["practice", "status"]
        )
        waited = GaugeMetricFamily(
            "od_limiter_wait_seconds_total", "Seconds spent waiting for the throttle", labels=["practice"]
        )
        for practice, stats in self.stats().items():
            for endpoint, count in stats.by_endpoint.items():
                requests.add_metric([practice, endpoint], count)
            for status, count in stats.by_status.items():
                statuses.add_metric([practice, str(status)], count)
            waited.add_metric([practice], stats.limiter_wait_seconds)
        yield from (requests, statuses, waited)


class LimiterCollector(Collector):
    def __init__(self, stats: WaitStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Any]:
        queued = GaugeMetricFamily(
            "od_limiter_queued", "Callers waiting for an Open Dental turn now, by class", labels=["class"]
        )
        waited = CounterMetricFamily(
            "od_limiter_class_wait_seconds", "Seconds waited for the throttle, by class", labels=["class"]
        )
        turns = CounterMetricFamily("od_limiter_turns", "Open Dental turns given, by class", labels=["class"])
        for name, figures in self.stats.by_class.items():
            queued.add_metric([name], figures.queued)
            waited.add_metric([name], figures.total_wait_seconds)
            turns.add_metric([name], figures.acquisitions)
        yield from (queued, waited, turns)
