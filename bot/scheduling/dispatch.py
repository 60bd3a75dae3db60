"""The scheduler's pass over check-ins: make what is due owed, close what passed, then let the
outbox's one sender (bot.scheduling.sender) send everything owed, check-ins included.

A check-in's message is an outbox row like any other (kind "checkin"): claimed, paced, carried
in metadata by its key, recovered from a dead process's claim by a look in the DM's history,
retried and given up on the same way as every other kind. What this pass adds is what only
check-ins have: a window that closes (a missed check-in is reported, never silent) and a
reminder owed some hours after the message went out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.actor import Clock
from bot.metrics import Metrics
from bot.scheduling.kinds import CHECKIN_REMINDER, Kind, checkin_reminder_owed, missed_notice_owed
from bot.scheduling.sender import CLAIM_TIMEOUT, Sender, SendReport
from bot.services.checkins import ANSWER_NOTICE
from bot.slack_gateway import SlackGateway
from bot.storage import checkins as checkin_repo
from bot.storage import owed
from bot.storage.checkins import CHECKIN
from bot.storage.models import Delivery

# Slack paces chat.postMessage per workspace as well as per channel; a bulk of DMs at this
# rate stays clear of 429s (a published report paced 1,600 DMs at about 3.8 a second).
PACE_PER_SECOND = 4.0


@dataclass
class DispatchReport:
    # What the sender did on the pass, every kind together.
    owed: SendReport = field(default_factory=SendReport)
    missed: list[Delivery] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Check-ins sent on this pass (not those a recovery found sent)."""
        return self.owed.by_kind[CHECKIN] - self.owed.found_by_kind[CHECKIN]

    @property
    def recovered(self) -> int:
        """Check-ins a dead process had sent, found in their DMs and recorded."""
        return self.owed.found_by_kind[CHECKIN]

    @property
    def retried(self) -> int:
        return self.owed.retried

    @property
    def failed(self) -> int:
        return self.owed.failed

    @property
    def reminded(self) -> int:
        return self.owed.by_kind[CHECKIN_REMINDER]

    @property
    def passed_on(self) -> int:
        """Answers the coaches were told of."""
        return self.owed.by_kind[ANSWER_NOTICE]


class Dispatcher:
    def __init__(
        self,
        *,
        engine: Engine,
        kinds: dict[str, Kind],
        gateway: SlackGateway,
        clock: Clock,
        claim_timeout: timedelta = CLAIM_TIMEOUT,
        pace_per_second: float | None = PACE_PER_SECOND,
        metrics: Metrics | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.sender = Sender(
            engine=engine,
            gateway=gateway,
            kinds=kinds,
            clock=clock,
            claim_timeout=claim_timeout,
            pace_per_second=pace_per_second,
            on_wait=metrics.pace_wait_seconds.inc if metrics is not None else None,
        )

    def run_once(self) -> DispatchReport:
        """One pass: close the windows that passed, owe the reminders due, then send what is owed."""
        report = DispatchReport()
        now = self._clock()
        with Session(self._engine, expire_on_commit=False) as session:
            # A check-in turns missed and its notice is owed in one transaction, so exactly one
            # process owes it, and it cannot be lost.
            report.missed += checkin_repo.miss_overdue_pending(session, now=now)
            report.missed += checkin_repo.expire_unanswered(session, now=now)
            coaches = checkin_repo.coaches_of(session, [d.schedule_id for d in report.missed])
            notices = [missed_notice_owed(d, coaches[d.schedule_id]) for d in report.missed]
            owed.owe(session, notices, now=now, commit=False)
            session.commit()
            waiting = checkin_repo.awaiting_reminder(session, now=now)
        self.sender.owe(
            *(
                checkin_reminder_owed(delivery, message)
                for delivery, hours, message in waiting
                if delivery.sent_at is not None and delivery.sent_at + timedelta(hours=hours) <= now
            )
        )
        report.owed = self.sender.run_once()
        return report
