"""Sending what the outbox says is due, exactly once.

A dispatcher claims due rows (no other process can take them), sends each through the gateway
with the row's id in the message metadata, then records the message. A process that dies after
sending and before recording leaves a claimed row behind; whoever finds it stale looks for the
id in the recipient's DM history first and only sends again if it is not there.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.blocks.checkins import checkin_message, missed_message, reminder_message, undeliverable_message
from bot.services.checkins import CheckinService
from bot.services.runs import Clock
from bot.slack_gateway import DeliveryFailed, SlackGateway
from bot.storage import outbox
from bot.storage.models import Delivery, DeliveryStatus, utcnow

log = logging.getLogger(__name__)

EVENT_TYPE = "coachbot_checkin"
# Longer than any one send can take (the Web API client times out after 10 s).
CLAIM_TIMEOUT = timedelta(seconds=60)
MAX_ATTEMPTS = 8
# Slack paces chat.postMessage per workspace as well as per channel; a bulk of DMs at this
# rate stays clear of 429s (a published report paced 1,600 DMs at about 3.8 a second).
PACE_PER_SECOND = 4.0
BATCH = 200


class Pacer:
    """Keeps this process's sends under Slack's workspace-wide pace (a token bucket), and holds
    them all while Slack says to wait. It runs in the dispatcher's own thread, never a listener's."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = time.monotonic()

    def wait(self) -> None:
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
            now = self._next
        self._next = max(self._next, now) + self._interval

    def hold(self, seconds: float) -> None:
        self._next = max(self._next, time.monotonic() + seconds)


@dataclass
class DispatchReport:
    sent: int = 0
    recovered: int = 0
    retried: int = 0
    failed: int = 0
    reminded: int = 0
    missed: list[Delivery] = field(default_factory=list)


class Dispatcher:
    def __init__(
        self,
        *,
        engine: Engine,
        checkins: CheckinService,
        gateway: SlackGateway,
        clock: Clock = utcnow,
        claim_timeout: timedelta = CLAIM_TIMEOUT,
        pace_per_second: float | None = PACE_PER_SECOND,
    ) -> None:
        self._engine = engine
        self._checkins = checkins
        self._gateway = gateway
        self._clock = clock
        self._claim_timeout = claim_timeout
        self._pacer = Pacer(pace_per_second) if pace_per_second else None

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def run_once(self) -> DispatchReport:
        """One pass: recover stale claims, close windows that passed, send what is due."""
        report = DispatchReport()
        self._recover(report)
        now = self._clock()
        with self._session() as session:
            report.missed += outbox.miss_overdue_pending(session, now=now)
            report.missed += outbox.expire_unanswered(session, now=now)
        self._tell_coaches(report.missed)
        while True:
            with self._session() as session:
                claimed = outbox.claim_due(session, now=self._clock(), limit=BATCH)
            if not claimed:  # nothing due that another dispatcher is not already sending
                self._remind(report)
                return report
            for delivery in claimed:
                self._send(delivery, report)

    def _send(self, delivery: Delivery, report: DispatchReport) -> None:
        if self._pacer is not None:
            self._pacer.wait()
        checkin = self._checkins.context(delivery.id)
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"delivery_id": delivery.id}}
        try:
            posted = self._gateway.post(
                channel=delivery.recipient, messages=[checkin_message(checkin)], metadata=metadata
            )
        except DeliveryFailed as failure:
            self._failed(delivery, failure, report)
            return
        with self._session() as session:
            outbox.settle(
                session,
                delivery_id=delivery.id,
                status=DeliveryStatus.SENT,
                sent_at=self._clock(),
                channel=posted.channel,
                message_ts=posted.ts[0],
            )
        report.sent += 1

    def _remind(self, report: DispatchReport) -> None:
        """One nudge, in the check-in's thread, once the schedule's reminder delay has passed."""
        now = self._clock()
        with self._session() as session:
            waiting = outbox.awaiting_reminder(session, now=now)
        for delivery, hours in waiting:
            if delivery.sent_at is None or delivery.sent_at + timedelta(hours=hours) > now:
                continue
            with self._session() as session:
                if not outbox.claim_reminder(session, delivery_id=delivery.id, now=now):
                    continue
            try:
                self._gateway.post(
                    channel=delivery.channel or delivery.recipient,
                    messages=[reminder_message()],
                    thread_ts=delivery.message_ts,
                )
                report.reminded += 1
            except DeliveryFailed as failure:
                log.warning("reminder for %s not sent: %s", delivery.id, failure.error)

    def _tell_coaches(self, missed: list[Delivery]) -> None:
        """Missed check-ins are reported, never silent. Each row turns missed in one UPDATE, so
        exactly one process gets it back and tells the coach."""
        for delivery in missed:
            checkin = self._checkins.context(delivery.id)
            try:
                self._gateway.post(
                    channel=checkin.coach_id, messages=[missed_message(checkin, delivery.reason)]
                )
            except DeliveryFailed as failure:
                log.warning("coach not told of missed check-in %s: %s", delivery.id, failure.error)

    def _failed(self, delivery: Delivery, failure: DeliveryFailed, report: DispatchReport) -> None:
        """A rate limit or a passing fault puts the row back with a later due time (nobody
        sleeps); a permanent error (the leader left the workspace) ends it with the reason."""
        if failure.retry_after and self._pacer is not None:
            self._pacer.hold(failure.retry_after)
        with self._session() as session:
            if failure.transient and delivery.attempts < MAX_ATTEMPTS:
                wait = failure.retry_after or min(300, 2**delivery.attempts)
                outbox.settle(
                    session,
                    delivery_id=delivery.id,
                    status=DeliveryStatus.PENDING,
                    due_at=self._clock() + timedelta(seconds=wait),
                    reason=failure.error,
                    # Being told to wait is not a failed attempt: only faults count.
                    attempts=delivery.attempts - 1 if failure.retry_after else delivery.attempts,
                )
                report.retried += 1
            else:
                outbox.settle(
                    session, delivery_id=delivery.id, status=DeliveryStatus.FAILED, reason=failure.error
                )
                report.failed += 1
                log.warning("check-in %s failed for good: %s", delivery.id, failure.error)
        if not failure.transient:
            checkin = self._checkins.context(delivery.id)
            self._checkins.pause_for(delivery.schedule_id)
            try:
                self._gateway.post(
                    channel=checkin.coach_id, messages=[undeliverable_message(checkin, failure.error)]
                )
            except DeliveryFailed as told:
                log.warning("coach not told of failed check-in %s: %s", delivery.id, told.error)

    def _recover(self, report: DispatchReport) -> None:
        now = self._clock()
        cutoff = now - self._claim_timeout
        with self._session() as session:
            stale = outbox.stale_claims(session, claimed_before=cutoff, limit=BATCH)
        for delivery in stale:
            with self._session() as session:
                if not outbox.retake_claim(session, delivery_id=delivery.id, claimed_before=cutoff, now=now):
                    continue
            try:
                channel = self._gateway.dm_channel(delivery.recipient)
                since = (delivery.due_at - timedelta(minutes=1)).timestamp()
                ts = self._gateway.find_posted(
                    channel=channel, event_type=EVENT_TYPE, key="delivery_id", value=delivery.id, oldest=since
                )
            except DeliveryFailed as failure:
                self._failed(delivery, failure, report)
                continue
            with self._session() as session:
                if ts is None:  # it never went out: send it on this pass
                    outbox.settle(session, delivery_id=delivery.id, status=DeliveryStatus.PENDING)
                else:
                    outbox.settle(
                        session,
                        delivery_id=delivery.id,
                        status=DeliveryStatus.SENT,
                        sent_at=now,
                        channel=channel,
                        message_ts=ts,
                    )
                    report.recovered += 1
