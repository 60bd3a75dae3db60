"""What an operator graphs and alerts on, in Prometheus' format at `GET /metrics`.

Each bot has its own registry (tests build many bots in one process, and each must count only
its own). Counters and histograms are updated where things happen; what is owed is read from
the outbox when Prometheus asks, so every process reports the same, shared backlog.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import wraps
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlmodel import Session

from bot.storage import checkins

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Slack waits 3 s for an ack: the buckets are finest where it matters.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
T = TypeVar("T")


class _Owed(Collector):
    """Messages the outbox owes right now, by kind, and how long the oldest has waited."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        count = GaugeMetricFamily("coachbot_owed_messages", "Messages owed and not yet sent", labels=["kind"])
        age = GaugeMetricFamily(
            "coachbot_owed_oldest_age_seconds", "How long the oldest owed message has waited", labels=["kind"]
        )
        now = self._clock()
        with Session(self._engine) as session:
            for owed in checkins.owed(session, now=now):
                count.add_metric([owed.kind], owed.count)
                waited = (now - owed.oldest).total_seconds() if owed.oldest else 0.0
                age.add_metric([owed.kind], max(0.0, waited))
        yield count
        yield age


class Metrics:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "coachbot_requests",
            "Requests from Slack, by kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "coachbot_ack_seconds",
            "Time from a request's arrival to its acknowledgement",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.sends = Counter(
            "coachbot_sends", "Messages posted to Slack, by outcome", ["outcome"], registry=self.registry
        )
        self.rate_limited = Counter(
            "coachbot_rate_limited", "Web API calls Slack answered with 429", registry=self.registry
        )
        self.pace_wait_seconds = Counter(
            "coachbot_pace_wait_seconds",
            "Time spent waiting for a slot of the shared send pace",
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "coachbot_job_seconds", "Duration of each scheduler job run", ["job"], registry=self.registry
        )
        self.registry.register(_Owed(engine, clock))

    def timed(self, job: str, func: Callable[[], T]) -> Callable[[], T]:
        """`func`, its every run's duration observed as the scheduler job `job`."""

        @wraps(func)
        def run() -> T:
            started = time.perf_counter()
            try:
                return func()
            finally:
                self.job_seconds.labels(job=job).observe(time.perf_counter() - started)

        return run

    def refused(self, status: int) -> None:
        """A request the HTTP edge turned away before bolt saw it. Its body is not read for a
        kind: an unsigned one's claims are nobody's, and a malformed one has none to trust."""
        kind = "unverified" if status == 401 else "malformed"
        self.requests.labels(kind=kind, outcome=f"http_{status}").inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
