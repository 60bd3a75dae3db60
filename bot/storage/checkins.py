"""Check-in occurrences (`delivery`): made once per key, each with its message owed in the outbox
(bot.storage.owed, kind "checkin") in the same transaction, and closed when its window passes.

An occurrence knows when it is due, until when an answer is taken and what became of it; how
its message is sent, and where it landed, is the outbox row's to know.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Update, bindparam, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.storage import owed as owed_repo
from bot.storage.models import CheckinSchedule, Delivery, DeliveryStatus, OwedMessage, OwedStatus

# The outbox kinds of a check-in's message and of its reminder (bot.scheduling.kinds).
CHECKIN = "checkin"
CHECKIN_REMINDER = "checkin_reminder"
UNSENT = (OwedStatus.PENDING,)
IN_FLIGHT = (OwedStatus.CLAIMED, OwedStatus.SENDING)


def delivery_key(schedule_id: str, occurrence: date) -> str:
    return f"checkin:{schedule_id}:{occurrence.isoformat()}"


def message_owed(
    delivery: Delivery, *, key: str | None = None, due_at: datetime | None = None
) -> owed_repo.Owe:
    """The check-in's DM to its leader, owed under the occurrence's key (a snooze owes it again
    under a key of its own)."""
    return owed_repo.Owe(
        key or delivery.key,
        CHECKIN,
        delivery.team_id,
        delivery.recipient,
        delivery.id,
        due_at=due_at or delivery.due_at,
    )


def materialize(
    session: Session,
    *,
    schedule: CheckinSchedule,
    occurrences: Sequence[tuple[date, datetime, datetime]],
    now: datetime,
) -> int:
    """Add a pending occurrence per (date, due, answer-by) unless its key exists, and owe its
    message in the same transaction; returns how many were new. Safe to run from every process,
    as often as wanted."""
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
        }
        for day, due, answer_by in occurrences
    ]
    statement = insert(Delivery).values(rows).on_conflict_do_nothing(index_elements=["key"])
    created = set(session.exec(statement.returning(Delivery.id)).scalars())
    made = [row for row in rows if row["id"] in created]
    owed_repo.owe(session, [message_owed(Delivery(**row)) for row in made], now=now, commit=False)
    session.commit()
    return len(made)


_TABLE = Delivery.__table__  # type: ignore[attr-defined]
# Run for every check-in sent: built once.
_RECORD_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("delivery_id"), _TABLE.c.status == DeliveryStatus.PENDING)
    .values(status=DeliveryStatus.SENT, sent_at=bindparam("asked_at"))
)


def record_sent(session: Session, *, delivery_id: str, sent_at: datetime) -> None:
    """Slack took the check-in's message: the leader has been asked (in the caller's transaction,
    which records the message sent)."""
    session.connection().execute(_RECORD_SENT, {"delivery_id": delivery_id, "asked_at": sent_at})


def record_failed(session: Session, *, delivery_id: str, reason: str) -> None:
    """The check-in's message cannot be sent, for good."""
    session.exec(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.FAILED, reason=reason[:64])
    )
    session.commit()


def settle(session: Session, *, delivery_id: str, status: DeliveryStatus, **fields: object) -> None:
    """Record what became of a check-in: answered, skipped, or pending again (snoozed)."""
    session.exec(update(Delivery).where(Delivery.id == delivery_id).values(status=status, **fields))
    session.commit()


def _unsent_messages_of(delivery_ids: Sequence[str] | SelectOfScalar[str]) -> Update:
    """The statement dropping the not yet claimed messages of these check-ins."""
    return (
        update(OwedMessage)
        .where(
            OwedMessage.kind == CHECKIN,
            col(OwedMessage.ref).in_(delivery_ids),
            col(OwedMessage.status).in_(UNSENT),
        )
        .values(status=OwedStatus.DROPPED, reason="closed")
    )


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
    was down): sending one now would ask about a period already over. Their messages not yet
    taken by a sender are dropped in the caller's transaction; one a sender has in hand is left
    to it, and the check-in to the next pass."""
    in_flight = select(OwedMessage.id).where(
        OwedMessage.kind == CHECKIN, OwedMessage.ref == Delivery.id, col(OwedMessage.status).in_(IN_FLIGHT)
    )
    statement = (
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.answer_by <= now, ~in_flight.exists())
        .values(status=DeliveryStatus.MISSED, reason="not_sent_in_time")
        .returning(Delivery)
    )
    missed = list(session.exec(statement).scalars())
    if missed:
        session.exec(_unsent_messages_of([delivery.id for delivery in missed]))
    return missed


def skip_pending(session: Session, *, schedule_id: str) -> None:
    """A paused schedule's check-ins not sent yet are skipped, their messages dropped (in the
    caller's transaction)."""
    pending = select(Delivery.id).where(
        Delivery.schedule_id == schedule_id, Delivery.status == DeliveryStatus.PENDING
    )
    session.exec(_unsent_messages_of(pending))
    session.exec(
        update(Delivery)
        .where(Delivery.schedule_id == schedule_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, reason="paused")
    )


def drop_pending(session: Session, *, schedule_ids: Sequence[str]) -> None:
    """Forget check-ins not yet sent, and their messages, so a changed rule or zone makes them
    again under the same keys; what was sent stays, so nothing is sent twice. A check-in whose
    message a sender has in hand stays too (its key then keeps the new rule from making it
    again)."""
    if not schedule_ids:
        return
    in_flight = select(OwedMessage.ref).where(
        OwedMessage.kind == CHECKIN, col(OwedMessage.status).in_(IN_FLIGHT)
    )
    pending = select(Delivery.id).where(
        col(Delivery.schedule_id).in_(schedule_ids),
        Delivery.status == DeliveryStatus.PENDING,
        col(Delivery.id).not_in(in_flight),
    )
    ids = list(session.exec(pending).all())
    if not ids:
        return
    session.exec(
        delete(OwedMessage).where(
            OwedMessage.kind == CHECKIN, col(OwedMessage.ref).in_(ids), col(OwedMessage.status).in_(UNSENT)
        )
    )
    session.exec(delete(Delivery).where(col(Delivery.id).in_(ids)))


def coaches_of(session: Session, schedule_ids: Sequence[str]) -> dict[str, str]:
    """The coach of each schedule: who hears of its check-ins."""
    if not schedule_ids:
        return {}
    query = select(CheckinSchedule.id, CheckinSchedule.coach_id).where(
        col(CheckinSchedule.id).in_(schedule_ids)
    )
    return dict(session.exec(query).all())


def settled_occurrences(session: Session, *, client_id: str) -> set[date]:
    """The local dates of a client's check-ins already sent or ended (not pending): a changed
    schedule makes none of them again."""
    query = (
        select(Delivery.occurrence)
        .join(CheckinSchedule, col(CheckinSchedule.id) == col(Delivery.schedule_id))
        .where(CheckinSchedule.client_id == client_id, Delivery.status != DeliveryStatus.PENDING)
    )
    return set(session.exec(query).all())


def get_delivery(session: Session, *, delivery_id: str) -> Delivery | None:
    return session.get(Delivery, delivery_id)


def active_schedules(session: Session) -> Sequence[CheckinSchedule]:
    return session.exec(select(CheckinSchedule).where(CheckinSchedule.paused == False)).all()  # noqa: E712


@dataclass(frozen=True)
class Posted:
    """Where a check-in's message landed (the latest one, after a snooze)."""

    channel: str
    ts: str


def message_of(session: Session, *, delivery_id: str) -> Posted | None:
    """The check-in's latest message Slack took, if any: to update it in place, to thread under."""
    query = (
        select(OwedMessage.posted_channel, OwedMessage.ts)
        .where(
            OwedMessage.kind == CHECKIN,
            OwedMessage.ref == delivery_id,
            OwedMessage.status == OwedStatus.SENT,
            col(OwedMessage.ts).is_not(None),
        )
        .order_by(col(OwedMessage.sent_at).desc())
        .limit(1)
    )
    found = session.exec(query).first()
    return None if found is None or found[0] is None else Posted(found[0], found[1])


def times_owed(session: Session, *, delivery_id: str) -> int:
    """How many messages this check-in was ever owed (one, and one per snooze)."""
    return owed_repo.count_of(session, kind=CHECKIN, ref=delivery_id)


def awaiting_reminder(session: Session, *, now: datetime) -> list[tuple[Delivery, int, Posted]]:
    """Sent, unanswered check-ins of schedules with a reminder, none owed yet, window open; with
    the hours after which it is due and the message it replies under."""
    reminder = aliased(OwedMessage)
    owed_already = (
        select(reminder.id)
        .where(reminder.kind == CHECKIN_REMINDER, reminder.ref == Delivery.id)
        .correlate(Delivery)
    )
    query = (
        select(Delivery, CheckinSchedule.reminder_after_hours, OwedMessage.posted_channel, OwedMessage.ts)
        .join(CheckinSchedule, col(CheckinSchedule.id) == Delivery.schedule_id)
        .join(OwedMessage, (OwedMessage.ref == Delivery.id) & (OwedMessage.kind == CHECKIN))
        .where(
            Delivery.status == DeliveryStatus.SENT,
            ~owed_already.exists(),
            col(CheckinSchedule.reminder_after_hours).is_not(None),
            Delivery.answer_by > now,
            OwedMessage.status == OwedStatus.SENT,
            col(OwedMessage.ts).is_not(None),
        )
        .order_by(col(OwedMessage.sent_at))
    )
    # A snoozed check-in has had several messages: the latest (last here) is the one to reply to.
    latest: dict[str, tuple[Delivery, int, Posted]] = {}
    for delivery, hours, channel, ts in session.exec(query).all():
        latest[delivery.id] = (delivery, hours, Posted(channel, ts))
    return list(latest.values())


@dataclass(frozen=True)
class Owed:
    kind: str
    count: int
    oldest: datetime | None


def owed(session: Session, *, now: datetime) -> list[Owed]:
    """What the outbox owes and is due now, by kind (check-ins always listed, none or not)."""
    found = [
        Owed(kind, count, _utc(oldest)) for kind, count, oldest in owed_repo.due_by_kind(session, now=now)
    ]
    if all(row.kind != CHECKIN for row in found):
        found.append(Owed(CHECKIN, 0, None))
    return found


def _utc(moment: datetime) -> datetime:
    """An aggregate over a column comes back naive from SQLite: it is UTC all the same."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
