"""The delivery outbox: rows are created once per key, claimed atomically, and settled.

Claiming is one UPDATE that only moves `pending` rows; on PostgreSQL the rows are picked with
`FOR UPDATE SKIP LOCKED`, so several processes dispatch side by side without waiting on or
taking each other's rows. On SQLite the single writer lock gives the same exclusivity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Update, bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.storage import owed as owed_repo
from bot.storage.models import CheckinSchedule, Delivery, DeliveryStatus, OwedMessage

# The outbox kind of a check-in's reminder (bot.scheduling.kinds), looked for here so that a
# check-in is reminded once.
CHECKIN_REMINDER = "checkin_reminder"


def delivery_key(schedule_id: str, occurrence: date) -> str:
    return f"checkin:{schedule_id}:{occurrence.isoformat()}"


def materialize(
    session: Session,
    *,
    schedule: CheckinSchedule,
    occurrences: Sequence[tuple[date, datetime, datetime]],
) -> int:
    """Add a pending row per (occurrence date, due, answer-by) unless its key exists; returns how
    many were new. Safe to run from every process, as often as wanted."""
    if not occurrences:
        return 0
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [
        {
            "id": Delivery().id,
            "key": delivery_key(schedule.id, day),
            "schedule_id": schedule.id,
            "team_id": schedule.team_id,
            "recipient": schedule.leader_id,
            "occurrence": day,
            "due_at": due,
            "answer_by": answer_by,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
        }
        for day, due, answer_by in occurrences
    ]
    statement = insert(Delivery).values(rows).on_conflict_do_nothing(index_elements=["key"])
    created = session.exec(statement.returning(Delivery.id)).all()
    session.commit()
    return len(created)


def claim_due(session: Session, *, now: datetime, limit: int) -> list[Delivery]:
    """Move up to `limit` due pending rows to `claimed` for this caller alone, oldest first. An
    empty list means nothing due is left unclaimed."""
    picked = (
        select(Delivery.id)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= now)
        .order_by(Delivery.due_at)
        .limit(limit)
    )
    claim = (
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CLAIMED, claimed_at=now, attempts=Delivery.attempts + 1)
    )
    return _claim(session, picked=picked, claim=claim)


def _claim(session: Session, *, picked: SelectOfScalar[str], claim: Update) -> list[Delivery]:
    """The rows among the ids `picked` that the UPDATE `claim` still moves, for this caller alone.

    The ids are picked first and then updated, in one transaction: folded into one statement,
    PostgreSQL may re-run a `LIMIT ... SKIP LOCKED` subquery per row and claim far more than
    the limit. The UPDATE's own condition keeps a row from being claimed twice where there is
    no row locking (SQLite, whose writers take turns)."""
    if session.get_bind().dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    while True:
        ids = list(session.exec(picked).all())
        if not ids:
            session.commit()
            return []
        statement = claim.where(col(Delivery.id).in_(ids)).returning(Delivery)
        claimed = list(session.exec(statement).scalars())
        session.commit()
        if claimed:
            return claimed
        # Another dispatcher took every row picked here between the pick and the update
        # (SQLite has no row locks); pick again rather than report that nothing is left.


def release(session: Session, *, delivery_ids: Sequence[str]) -> None:
    """Give claimed rows back unsent (Slack's pace had no slot for them before their claims would
    go stale, or Slack answered one 429, which posts nothing): pending again, due as before, and
    the claim not counted as an attempt."""
    session.exec(
        update(Delivery)
        .where(
            col(Delivery.id).in_(delivery_ids),
            col(Delivery.status).in_([DeliveryStatus.CLAIMED, DeliveryStatus.SENDING]),
        )
        .values(status=DeliveryStatus.PENDING, claimed_at=None, attempts=Delivery.attempts - 1)
    )
    session.commit()


# The two statements every check-in sent runs, built once: on the table, not the ORM entity, so
# neither is rebuilt nor run through the ORM's bulk-update bookkeeping thousands of times a pass.
_TABLE = Delivery.__table__  # type: ignore[attr-defined]
_MARK_SENDING = (
    update(_TABLE)
    .where(
        _TABLE.c.id == bindparam("row_id"),
        _TABLE.c.status.in_([DeliveryStatus.CLAIMED, DeliveryStatus.SENDING]),
        _TABLE.c.claimed_at == bindparam("claimed"),
    )
    .values(status=DeliveryStatus.SENDING)
)
_RECORD_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"))
    .values(
        status=DeliveryStatus.SENT,
        sent_at=bindparam("sent"),
        channel=bindparam("posted_in"),
        message_ts=bindparam("ts"),
    )
)


def mark_sending(session: Session, *, delivery: Delivery) -> bool:
    """Say this claimed row's post is on its way; False when the claim is no longer this
    caller's (it went stale and another dispatcher took the row over): then it is not sent."""
    result = session.connection().execute(
        _MARK_SENDING, {"row_id": delivery.id, "claimed": delivery.claimed_at}
    )
    session.commit()
    return result.rowcount == 1


def record_sent(
    session: Session, *, delivery_id: str, sent_at: datetime, channel: str, message_ts: str
) -> None:
    """Slack took the check-in: where it landed and its ts."""
    params = {"row_id": delivery_id, "sent": sent_at, "posted_in": channel, "ts": message_ts}
    session.connection().execute(_RECORD_SENT, params)
    session.commit()


def release_stale(session: Session, *, claimed_before: datetime) -> int:
    """Rows a dead dispatcher claimed but never began to send: pending again, nothing to check."""
    result = session.exec(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.CLAIMED, col(Delivery.claimed_at) < claimed_before)
        .values(status=DeliveryStatus.PENDING, claimed_at=None, attempts=Delivery.attempts - 1)
    )
    session.commit()
    return result.rowcount


def stale_sends(session: Session, *, claimed_before: datetime, limit: int) -> Sequence[Delivery]:
    """Rows whose post a dispatcher began and never recorded (it crashed, or was killed)."""
    query = (
        select(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING, col(Delivery.claimed_at) < claimed_before)
        .limit(limit)
    )
    return session.exec(query).all()


def retake_claim(session: Session, *, delivery_id: str, claimed_before: datetime, now: datetime) -> bool:
    """Take over a stale send; False when another recoverer (or the late owner) got there first."""
    result = session.exec(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == DeliveryStatus.SENDING,
            col(Delivery.claimed_at) < claimed_before,
        )
        .values(claimed_at=now)
    )
    session.commit()
    return result.rowcount == 1


def settle(session: Session, *, delivery_id: str, status: DeliveryStatus, **fields: object) -> None:
    """Record what became of a claimed row: sent (with channel and ts), failed (with a reason),
    or pending again (with a later due time, after a rate limit)."""
    session.exec(update(Delivery).where(Delivery.id == delivery_id).values(status=status, **fields))
    session.commit()


def expire_unanswered(session: Session, *, now: datetime) -> list[Delivery]:
    """Sent check-ins whose answer window closed without an answer become missed (in the
    caller's transaction, which owes the coach's notices)."""
    statement = (
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENT, Delivery.answer_by <= now)
        .values(status=DeliveryStatus.MISSED)
        .returning(Delivery)
    )
    return list(session.exec(statement).scalars())


def miss_overdue_pending(session: Session, *, now: datetime) -> list[Delivery]:
    """Pending check-ins whose whole answer window passed while nobody could send them (the bot
    was down): sending one now would ask about a period already over."""
    statement = (
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.answer_by <= now)
        .values(status=DeliveryStatus.MISSED, reason="not_sent_in_time")
        .returning(Delivery)
    )
    return list(session.exec(statement).scalars())


def coaches_of(session: Session, schedule_ids: Sequence[str]) -> dict[str, str]:
    """The coach of each schedule: who hears of its check-ins."""
    if not schedule_ids:
        return {}
    query = select(CheckinSchedule.id, CheckinSchedule.coach_id).where(
        col(CheckinSchedule.id).in_(schedule_ids)
    )
    return dict(session.exec(query).all())


def get_delivery(session: Session, *, delivery_id: str) -> Delivery | None:
    return session.get(Delivery, delivery_id)


def active_schedules(session: Session) -> Sequence[CheckinSchedule]:
    return session.exec(select(CheckinSchedule).where(CheckinSchedule.paused == False)).all()  # noqa: E712


def awaiting_reminder(session: Session, *, now: datetime) -> list[tuple[Delivery, int]]:
    """Sent, unanswered check-ins of schedules with a reminder, none owed yet, window open."""
    owed_already = select(OwedMessage.id).where(
        OwedMessage.kind == CHECKIN_REMINDER, OwedMessage.ref == Delivery.id
    )
    query = (
        select(Delivery, CheckinSchedule.reminder_after_hours)
        .join(CheckinSchedule, col(CheckinSchedule.id) == Delivery.schedule_id)
        .where(
            Delivery.status == DeliveryStatus.SENT,
            ~owed_already.exists(),
            col(CheckinSchedule.reminder_after_hours).is_not(None),
            Delivery.answer_by > now,
        )
    )
    return [(delivery, hours) for delivery, hours in session.exec(query).all()]


@dataclass(frozen=True)
class Owed:
    kind: str
    count: int
    oldest: datetime | None


def owed(session: Session, *, now: datetime) -> list[Owed]:
    """What is owed and due now, by kind: check-ins (claimed and being sent ones included, until
    settled), and every kind of the outbox's messages."""
    due = session.exec(
        select(func.count(), func.min(Delivery.due_at)).where(
            col(Delivery.status).in_(
                [DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.SENDING]
            ),
            Delivery.due_at <= now,
        )
    ).one()
    return [
        Owed("checkin", due[0], _utc(due[1]) if due[1] else None),
        *(Owed(kind, count, _utc(oldest)) for kind, count, oldest in owed_repo.due_by_kind(session, now=now)),
    ]


def _utc(moment: datetime) -> datetime:
    """An aggregate over a column comes back naive from SQLite: it is UTC all the same."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
