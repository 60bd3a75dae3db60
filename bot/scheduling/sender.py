"""The one sender of the outbox (bot.storage.owed): every kind (bot.scheduling.kinds) goes out
the same way, exactly once.

A pass recovers what a dead sender left, then claims due rows a batch at a time and sends each
at its slot of the shared per-team pace. Each row is marked as being sent just before its post,
which carries the row's key in Slack message metadata; what Slack took is recorded in that same
commit for the next row (or before a wait for a slot), one commit a message. Of a dead sender's
claims, those it never began go back as they are; the one it was sending is looked up in the
channel's history (or the thread's) and only sent again if it is not there. Slack's 429 holds
the team for its Retry-After; other passing faults (5xx, no answer) are retried with backoff a
bounded number of times; what no retry can cure is never retried, and the kind says who is
told.

When a person waits on a message (the summary after Finish), the listener owes it and asks for
that row at once (`send_now`): the same claim, mark, metadata and record, no extra wait.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine
from sqlmodel import Session

from bot import i18n
from bot.actor import Clock
from bot.scheduling.kinds import Kind
from bot.scheduling.turns import BATCH, Turns
from bot.slack_gateway import DeliveryFailed, Posted, SlackGateway
from bot.storage import owed
from bot.storage.models import OwedMessage, OwedStatus
from bot.storage.owed import Owe

log = logging.getLogger(__name__)

EVENT_TYPE = "coachbot_owed"
# A check-in the version before migration 0009 had begun to send is carried over with this
# reason, and looked for by what that version put in its metadata: this event, its delivery id.
CARRIED_OVER = "carried_over"
EARLIER_EVENT_TYPE = "coachbot_checkin"
# Longer than any one send can take (the Web API client times out after 10 s).
CLAIM_TIMEOUT = timedelta(seconds=60)
MAX_ATTEMPTS = 6
MAX_BACKOFF_S = 300
# A listener sending a row at once waits at most this long for its slot of the pace.
NOW_WAIT_S = 1.0
# How far before a row was due to look for it in history.
LOOK_BACK = timedelta(minutes=1)


@dataclass
class SendReport:
    sent: int = 0
    recovered: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    # Sent (or found sent), per kind; and of those, found sent by a recovery.
    by_kind: Counter[str] = field(default_factory=Counter)
    found_by_kind: Counter[str] = field(default_factory=Counter)


@dataclass
class _Taken:
    """A post Slack took, its record not yet written."""

    row: OwedMessage
    kind: Kind
    posted: Posted
    sent_at: datetime


class _Batch:
    """A batch's one session, and the posts Slack took whose records ride on the batch's next
    commit: the one that marks the next row as being sent (or the flush before a wait for a
    slot, or at the batch's end). A process that dies in between leaves those rows marked as
    being sent, which recovery looks up before anything is sent again; one commit a message
    instead of two."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.taken: list[_Taken] = []


class Sender:
    def __init__(
        self,
        *,
        engine: Engine,
        gateway: SlackGateway,
        kinds: dict[str, Kind],
        clock: Clock,
        claim_timeout: timedelta = CLAIM_TIMEOUT,
        pace_per_second: float | None = None,
        on_wait: Callable[[float], object] | None = None,
    ) -> None:
        self._engine = engine
        self._gateway = gateway
        self._kinds = kinds
        self._clock = clock
        self._claim_timeout = claim_timeout
        self._turns = Turns.at_pace(engine, pace_per_second, on_wait)

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def owe(self, *messages: Owe) -> None:
        with self._session() as session:
            owed.owe(session, list(messages), now=self._clock())

    def send_now(self, message: Owe) -> bool:
        """Owe a message someone is waiting on and send it at once (in the listener's thread);
        True when Slack took it. Left to the next pass if it is not this caller's to send or the
        pace has no slot for it within a second."""
        report = SendReport()
        with self._session() as session:
            owed.owe(session, [message], now=self._clock())
            claimed = owed.claim_due(session, now=self._clock(), limit=1, key=message.key)
        if not claimed:
            return False
        late = self._turns.send(
            claimed,
            send=lambda row, turn: self._send(row, turn, report),
            deadline=time.monotonic() + NOW_WAIT_S,
        )
        if late:
            with self._session() as session:
                owed.release(session, ids=[row.id for row in late])
        return report.sent == 1

    def run_once(self) -> SendReport:
        """Scheduler job: recover, then send everything due."""
        report = SendReport()
        self._recover(report)
        while True:
            with self._session() as session:
                claimed = owed.claim_due(session, now=self._clock(), limit=self._turns.batch)
            if not claimed:
                return report
            self._prefetch(claimed)
            deadline = time.monotonic() + self._claim_timeout.total_seconds() / 2
            # One session for the batch's marks and records: a pass sends thousands.
            with self._session() as session:
                batch = _Batch(session)
                late = self._turns.send(
                    claimed,
                    send=partial(self._send, report=report, batch=batch),
                    deadline=deadline,
                    idle=partial(self._flush, batch, report),
                )
                self._flush(batch, report)
            if late:
                with self._session() as session:
                    owed.release(session, ids=[row.id for row in late])
                return report

    def _prefetch(self, rows: list[OwedMessage]) -> None:
        """Let each kind read what its rows of the batch say in one query, not one per row."""
        by_kind: dict[str, list[OwedMessage]] = {}
        for row in rows:
            by_kind.setdefault(row.kind, []).append(row)
        for name, of_kind in by_kind.items():
            kind = self._kinds.get(name)
            if kind is not None and kind.prefetch is not None:
                kind.prefetch(of_kind)

    def _send(
        self, row: OwedMessage, turn: Callable[[], None], report: SendReport, batch: _Batch | None = None
    ) -> bool:
        """Send one claimed row when `turn()` says it is its turn; False when Slack said to wait
        and the team is held."""
        kind = self._kinds.get(row.kind)
        if kind is None:  # written by another version of the bot: never sent by this one
            self._settle(row, OwedStatus.FAILED, report, reason="unknown_kind")
            report.failed += 1
            log.error("%s: no such kind here; not sent", row.key)
            return True
        with nullcontext(batch.session) if batch is not None else self._session() as session:
            # The posts before this one are recorded in the commit that marks this one.
            taken = self._write_taken(batch)
            marked = owed.mark_sending(session, row=row)
        self._after_taken(taken, report)
        if not marked:
            return True  # another sender took it over: it is theirs
        try:
            with i18n.speaking(kind.language(row) if kind.language else None):
                messages = kind.render(row)
        except Exception as error:
            # A row that cannot be rendered must not stop the rows behind it, pass after pass.
            # Its exception's text may quote what the message says: only its type is logged.
            log.error("%s could not be rendered (%s); not sent", row.key, type(error).__name__)
            self._settle(row, OwedStatus.FAILED, report, reason="render_error")
            report.failed += 1
            return True
        if messages is None:
            self._settle(row, OwedStatus.DROPPED, report)
            return True
        turn()
        if kind.whisper_to is not None:
            # Only one person sees it: best effort (the gateway logs a refusal), nothing to find.
            self._gateway.whisper(
                channel=row.channel,
                user_id=kind.whisper_to(row),
                message=messages[0],
                thread_ts=row.thread_ts,
            )
            self._sent(row, kind, Posted(row.channel, []), report)
            return True
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"key": row.key}}
        try:
            posted = self._gateway.post(
                channel=row.channel, messages=messages, metadata=metadata, thread_ts=row.thread_ts
            )
        except DeliveryFailed as failure:
            return self._failed(row, kind, failure, report)
        if batch is not None:
            batch.taken.append(_Taken(row, kind, posted, self._clock()))
        else:
            self._sent(row, kind, posted, report)
        return True

    def _write_taken(self, batch: _Batch | None) -> list[_Taken]:
        """Write the records of the posts the batch has waiting, in its open transaction (the
        caller commits); returns them, for `_after_taken` once committed."""
        if batch is None or not batch.taken:
            return []
        taken, batch.taken = batch.taken, []
        for post in taken:
            self._record(batch.session, post.row, post.kind, post.posted, post.sent_at, reason=None)
        return taken

    def _after_taken(self, taken: list[_Taken], report: SendReport) -> None:
        for post in taken:
            post.kind.sent(post.row, post.posted)
            report.sent += 1
            report.by_kind[post.row.kind] += 1

    def _flush(self, batch: _Batch, report: SendReport) -> None:
        """Record what the batch has waiting now: before it waits for a slot, and at its end."""
        taken = self._write_taken(batch)
        if taken:
            batch.session.commit()
            self._after_taken(taken, report)

    def _record(
        self,
        session: Session,
        row: OwedMessage,
        kind: Kind,
        posted: Posted,
        sent_at: datetime,
        reason: str | None,
    ) -> None:
        """One transaction: the row is sent and what its kind keeps of that is recorded."""
        if kind.record is not None:
            kind.record(session, row, posted, sent_at)
        owed.record_sent(
            session,
            row_id=row.id,
            sent_at=sent_at,
            channel=posted.channel,
            ts=posted.ts[0] if posted.ts else None,
            reason=reason,
        )

    def _sent(
        self, row: OwedMessage, kind: Kind, posted: Posted, report: SendReport, reason: str | None = None
    ) -> None:
        with self._session() as session:
            self._record(session, row, kind, posted, self._clock(), reason)
            session.commit()
        self._after_taken([_Taken(row, kind, posted, self._clock())], report)

    def _settle(self, row: OwedMessage, status: OwedStatus, report: SendReport, **fields: object) -> None:
        with self._session() as session:
            owed.settle(session, row_id=row.id, status=status, **fields)
        if status is OwedStatus.DROPPED:
            report.dropped += 1

    def _failed(self, row: OwedMessage, kind: Kind, failure: DeliveryFailed, report: SendReport) -> bool:
        if failure.posted and failure.posted.ts:
            # Part of a long message went out: sending it all again would repeat that part.
            log.warning("%s: sent in part (%s)", row.key, failure.error)
            self._sent(row, kind, failure.posted, report, reason=f"partly:{failure.error}"[:64])
            return True
        if failure.retry_after:
            report.retried += 1
            if self._turns.held(row.team_id, failure.retry_after):
                return False  # it goes again after the hold, still this sender's
            due = self._clock() + timedelta(seconds=failure.retry_after)
            # Being told to wait is not a failed attempt.
            self._settle(
                row, OwedStatus.PENDING, report, due_at=due, reason=failure.error, attempts=row.attempts - 1
            )
            return True
        if failure.unanswered:
            # Slack may have posted it: the claim is left to go stale, and the recovery looks for
            # it before anything is sent again.
            report.retried += 1
            return True
        if failure.transient and row.attempts < MAX_ATTEMPTS:
            report.retried += 1
            due = self._clock() + timedelta(seconds=min(MAX_BACKOFF_S, 2**row.attempts))
            self._settle(row, OwedStatus.PENDING, report, due_at=due, reason=failure.error)
            return True
        self._give_up(row, kind, failure.error, report)
        return True

    def _give_up(self, row: OwedMessage, kind: Kind, error: str, report: SendReport) -> None:
        """For good: recorded with Slack's error, and whoever needs to know is owed a word."""
        self._settle(row, OwedStatus.FAILED, report, reason=error[:64])
        report.failed += 1
        log.warning("%s failed for good: %s", row.key, error)
        follow_ups = kind.failed(row, error)
        if follow_ups:
            self.owe(*follow_ups)

    def _recover(self, report: SendReport) -> None:
        now = self._clock()
        cutoff = now - self._claim_timeout
        with self._session() as session:
            owed.release_stale(session, claimed_before=cutoff)
            stale = owed.stale_sends(session, claimed_before=cutoff, limit=BATCH)
        for candidate in stale:
            with self._session() as session:
                row = owed.retake(session, row_id=candidate.id, claimed_before=cutoff, now=now)
            if row is None:
                continue
            try:
                found = self._find(row)
            except DeliveryFailed as failure:
                if failure.transient:
                    report.retried += 1  # looked up again once this claim goes stale
                else:
                    self._give_up(row, self._kinds[row.kind], failure.error, report)
                continue
            if found is None:  # it never went out: it is sent on this pass, by this version
                self._settle(row, OwedStatus.PENDING, report, claimed_at=None, reason=None)
            else:
                self._sent(row, self._kinds[row.kind], found, report)
                report.sent -= 1
                report.recovered += 1
                report.found_by_kind[row.kind] += 1

    def _find(self, row: OwedMessage) -> Posted | None:
        """Where a dead sender's post of this row landed, if it did."""
        kind = self._kinds.get(row.kind)
        if kind is not None and kind.whisper_to is not None:
            return None  # an ephemeral message leaves nothing to find: it is sent again
        if row.reason == CARRIED_OVER:
            # Begun by the version before the outbox sent check-ins: its post carries the
            # metadata that version gave it.
            channel = self._gateway.dm_channel(row.channel)
            ts = self._gateway.find_posted(
                channel=channel,
                event_type=EARLIER_EVENT_TYPE,
                key="delivery_id",
                value=row.ref,
                oldest=(row.due_at - LOOK_BACK).timestamp(),
            )
            return None if ts is None else Posted(channel, [ts])
        if row.thread_ts:
            ts = self._gateway.find_in_thread(
                channel=row.channel, thread_ts=row.thread_ts, event_type=EVENT_TYPE, key="key", value=row.key
            )
            channel = row.channel
        else:
            channel = self._gateway.dm_channel(row.channel) if row.channel[:1] in "UW" else row.channel
            since = (row.due_at - LOOK_BACK).timestamp()
            ts = self._gateway.find_posted(
                channel=channel, event_type=EVENT_TYPE, key="key", value=row.key, oldest=since
            )
        return None if ts is None else Posted(channel, [ts])
