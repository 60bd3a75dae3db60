"""Sending the check-ins that are due, exactly once, then what else the outbox owes.

A dispatcher claims due rows (no other process can take them), marks each as being sent just
before it sends it through the gateway with the row's id in the message metadata, then records
the message. A process that dies leaves its claims behind: those it never began go back to
pending as they are; the one it was sending is looked up in the recipient's DM history first
(Slack allows about 50 such reads a minute) and only sent again if it is not there.

Sends keep Slack's workspace-wide pace together with every other process on the database: a
dispatcher claims a couple of seconds' worth of rows, takes as many send slots from the shared
pace in one query, and sends each at its slot (bot.scheduling.turns). What follows from a
check-in (its reminder, the coach's notice of an answer, of a miss, of a check-in that could
not be sent) is owed in the one outbox (bot.storage.owed) and sent on the same pass by its one
sender (bot.scheduling.sender), at the same pace.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from sqlalchemy import Engine
from sqlmodel import Session

from bot.blocks.checkins import checkin_message
from bot.metrics import Metrics
from bot.scheduling.kinds import (
    CHECKIN_REMINDER,
    Kind,
    checkin_reminder_owed,
    missed_notice_owed,
    undeliverable_notice_owed,
)
from bot.scheduling.sender import Sender, SendReport
from bot.scheduling.turns import BATCH, Turns
from bot.services.checkins import ANSWER_NOTICE, CheckinContext, CheckinService
from bot.services.runs import Clock
from bot.slack_gateway import DeliveryFailed, SlackGateway
from bot.storage import outbox, owed
from bot.storage.models import Delivery, DeliveryStatus

log = logging.getLogger(__name__)

EVENT_TYPE = "coachbot_checkin"
# Longer than any one send can take (the Web API client times out after 10 s). A paced
# dispatcher holding claims waits at most half of it for send slots.
CLAIM_TIMEOUT = timedelta(seconds=60)
MAX_ATTEMPTS = 8
# Slack paces chat.postMessage per workspace as well as per channel; a bulk of DMs at this
# rate stays clear of 429s (a published report paced 1,600 DMs at about 3.8 a second).
PACE_PER_SECOND = 4.0


@dataclass
class DispatchReport:
    sent: int = 0
    recovered: int = 0
    retried: int = 0
    failed: int = 0
    # Of the outbox's other messages sent on the same pass: reminders in check-ins' threads, and
    # answers the coaches were told of.
    reminded: int = 0
    passed_on: int = 0
    missed: list[Delivery] = field(default_factory=list)
    # Check-ins that failed for good, with Slack's error: the coach hears of each.
    undeliverable: list[tuple[Delivery, str]] = field(default_factory=list)
    # What the outbox's sender did on the same pass (None: it waited for a later pass).
    owed: SendReport | None = None


class Dispatcher:
    def __init__(
        self,
        *,
        engine: Engine,
        checkins: CheckinService,
        kinds: dict[str, Kind],
        gateway: SlackGateway,
        clock: Clock,
        claim_timeout: timedelta = CLAIM_TIMEOUT,
        pace_per_second: float | None = PACE_PER_SECOND,
        metrics: Metrics | None = None,
    ) -> None:
        self._engine = engine
        on_wait = metrics.pace_wait_seconds.inc if metrics is not None else None
        self._checkins = checkins
        self._gateway = gateway
        # Everything else the bot owes goes out through the outbox's one sender, at this pace.
        self.sender = Sender(
            engine=engine,
            gateway=gateway,
            kinds=kinds,
            clock=clock,
            claim_timeout=claim_timeout,
            pace_per_second=pace_per_second,
            on_wait=on_wait,
        )
        self._clock = clock
        self._claim_timeout = claim_timeout
        self._turns = Turns.at_pace(engine, pace_per_second, on_wait)
        self._batch = self._turns.batch

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def run_once(self) -> DispatchReport:
        """One pass: recover stale claims, close windows that passed, send the check-ins due,
        owe the reminders due, then send what else the outbox owes (notices, reminders, ...)."""
        report = DispatchReport()
        self._recover(report)
        now = self._clock()
        with self._session() as session:
            # Missed check-ins are reported, never silent: a row turns missed and its notice is
            # owed in one transaction, so exactly one process owes it, and it cannot be lost.
            report.missed += outbox.miss_overdue_pending(session, now=now)
            report.missed += outbox.expire_unanswered(session, now=now)
            coaches = outbox.coaches_of(session, [d.schedule_id for d in report.missed])
            notices = [missed_notice_owed(d, coaches[d.schedule_id]) for d in report.missed]
            owed.owe(session, notices, now=now, commit=False)
            session.commit()
        # What keeps in the outbox until a slot is free (answers to pass on, reminders) waits
        # for a pass that got every due check-in out.
        if self._send_due(report):
            with self._session() as session:
                waiting = outbox.awaiting_reminder(session, now=now)
            self.sender.owe(
                *(
                    checkin_reminder_owed(delivery)
                    for delivery, hours in waiting
                    if delivery.sent_at is not None and delivery.sent_at + timedelta(hours=hours) <= now
                )
            )
            report.owed = self.sender.run_once()
            report.reminded += report.owed.by_kind[CHECKIN_REMINDER]
            report.passed_on += report.owed.by_kind[ANSWER_NOTICE]
        return report

    def _send_due(self, report: DispatchReport) -> bool:
        """Send every due check-in no other dispatcher is sending. False when Slack's pace had no
        slot for some before their claims would go stale: they went back, for a later pass."""
        while True:
            with self._session() as session:
                claimed = outbox.claim_due(session, now=self._clock(), limit=self._batch)
            if not claimed:
                return True
            # Claims are settled well before another dispatcher may take them for stale.
            deadline = time.monotonic() + self._claim_timeout.total_seconds() / 2
            # What each check-in says, read for the whole batch in one query.
            checkins = self._checkins.contexts([delivery.id for delivery in claimed])
            send = partial(self._send, report=report, checkins=checkins)
            late = self._turns.send(claimed, send=send, deadline=deadline)
            if late:
                with self._session() as session:
                    outbox.release(session, delivery_ids=[delivery.id for delivery in late])
                return False

    def _send(self, delivery: Delivery, report: DispatchReport, checkins: dict[str, CheckinContext]) -> bool:
        """Send one claimed check-in; False when Slack said to wait (it stays claimed)."""
        checkin = checkins[delivery.id]
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"delivery_id": delivery.id}}
        with self._session() as session:
            if not outbox.mark_sending(session, delivery=delivery):
                return True  # another dispatcher took it over: it is theirs to send
        try:
            posted = self._gateway.post(
                channel=delivery.recipient, messages=[checkin_message(checkin)], metadata=metadata
            )
        except DeliveryFailed as failure:
            if self._turns.held(delivery.team_id, failure.retry_after):
                report.retried += 1
                return False
            self._failed(delivery, failure, report)
            return True
        with self._session() as session:
            outbox.record_sent(
                session,
                delivery_id=delivery.id,
                sent_at=self._clock(),
                channel=posted.channel,
                message_ts=posted.ts[0],
            )
        report.sent += 1
        return True

    def _failed(self, delivery: Delivery, failure: DeliveryFailed, report: DispatchReport) -> None:
        """A rate limit or a passing fault puts the row back with a later due time (nobody
        sleeps); a permanent error (the leader left the workspace) ends it with the reason."""
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
            self._checkins.pause_for(delivery.schedule_id)
            report.undeliverable.append((delivery, failure.error))
            with self._session() as session:
                coach_id = outbox.coaches_of(session, [delivery.schedule_id])[delivery.schedule_id]
            self.sender.owe(undeliverable_notice_owed(delivery, coach_id))

    def _recover(self, report: DispatchReport) -> None:
        now = self._clock()
        cutoff = now - self._claim_timeout
        with self._session() as session:
            outbox.release_stale(session, claimed_before=cutoff)
            stale = outbox.stale_sends(session, claimed_before=cutoff, limit=BATCH)
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
                self._unverified(delivery, failure, report)
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

    def _unverified(self, delivery: Delivery, failure: DeliveryFailed, report: DispatchReport) -> None:
        """The DM's history could not be read, so nobody knows whether the check-in went out:
        it is never sent again unchecked. A passing fault (a 429, a 5xx) keeps the claim, which
        goes stale again and is looked up on a later pass; a permanent one (the app lacks
        `im:history`) ends the row, and the operator has had the gateway's line about it."""
        if failure.transient:
            report.retried += 1
            return
        with self._session() as session:
            outbox.settle(
                session, delivery_id=delivery.id, status=DeliveryStatus.FAILED, reason=failure.error
            )
        report.failed += 1
        log.warning(
            "check-in %s: not known whether it was sent (%s); not sent again", delivery.id, failure.error
        )
