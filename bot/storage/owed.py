"""The outbox of messages the bot owes: a row is owed once per key, claimed atomically, marked
as being sent just before its post, and settled.

Owing is an insert that ignores a conflict on the key: whoever owes the same message again (a
Slack retry, a second process, a job running twice) finds the row there and adds nothing. Claiming
picks due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and moves them in the same transaction, so
several senders work side by side without taking each other's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.storage.models import OwedMessage, OwedStatus

OPEN = (OwedStatus.PENDING, OwedStatus.CLAIMED, OwedStatus.SENDING)


@dataclass(frozen=True)
class Owe:
    """A message to owe: what it is about (`kind`, `ref`), for whom, and from when (at once,
    unless `due_at` says later)."""

    key: str
    kind: str
    team_id: str
    channel: str
    ref: str
    due_at: datetime | None = None
    thread_ts: str | None = None


def owe(session: Session, owed: Sequence[Owe], *, now: datetime, commit: bool = True) -> list[str]:
    """Add a pending row per message unless its key is owed already; returns the new rows' keys.
    Without `commit`, the caller's transaction owes them with whatever else it records."""
    if not owed:
        return []
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [
        {
            "id": OwedMessage().id,
            "key": o.key,
            "kind": o.kind,
            "team_id": o.team_id,
            "channel": o.channel,
            "thread_ts": o.thread_ts,
            "ref": o.ref,
            "due_at": o.due_at or now,
            "status": OwedStatus.PENDING,
            "attempts": 0,
            "created_at": now,
        }
        for o in owed
    ]
    statement = insert(OwedMessage).values(rows).on_conflict_do_nothing(index_elements=["key"])
    created = list(session.exec(statement.returning(OwedMessage.key)).scalars())
    if commit:
        session.commit()
    return created


def count_of(session: Session, *, kind: str, ref: str) -> int:
    """How many messages of this kind about `ref` were ever owed."""
    query = (
        select(func.count()).select_from(OwedMessage).where(OwedMessage.kind == kind, OwedMessage.ref == ref)
    )
    return session.exec(query).one()


def is_open(session: Session, *, kind: str, ref: str) -> bool:
    """Whether a message of this kind about `ref` is owed and not sent yet."""
    query = select(OwedMessage.id).where(
        OwedMessage.kind == kind, OwedMessage.ref == ref, col(OwedMessage.status).in_(OPEN)
    )
    return session.exec(query.limit(1)).first() is not None


def claim_due(session: Session, *, now: datetime, limit: int, key: str | None = None) -> list[OwedMessage]:
    """Up to `limit` due pending rows (or the one with `key`), oldest first, for this caller alone."""
    picked = select(OwedMessage.id).where(OwedMessage.status == OwedStatus.PENDING, OwedMessage.due_at <= now)
    if key is not None:
        picked = picked.where(OwedMessage.key == key)
    picked = picked.order_by(OwedMessage.due_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    ids = list(session.exec(picked).all())
    if not ids:
        session.commit()
        return []
    statement = (
        update(OwedMessage)
        .where(col(OwedMessage.id).in_(ids), OwedMessage.status == OwedStatus.PENDING)
        .values(status=OwedStatus.CLAIMED, claimed_at=now, attempts=OwedMessage.attempts + 1)
        .returning(OwedMessage)
    )
    claimed = list(session.exec(statement).scalars())
    session.commit()
    return claimed


# The two statements every message sent runs, built once, on the table rather than the ORM
# entity: thousands of check-ins go out in a pass, and neither is rebuilt for each.
_TABLE = OwedMessage.__table__  # type: ignore[attr-defined]
_MARK_SENDING = (
    update(_TABLE)
    .where(
        _TABLE.c.id == bindparam("row_id"),
        _TABLE.c.status.in_([OwedStatus.CLAIMED, OwedStatus.SENDING]),
        _TABLE.c.claimed_at == bindparam("claimed"),
    )
    .values(status=OwedStatus.SENDING)
)
_RECORD_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"))
    .values(
        status=OwedStatus.SENT,
        sent_at=bindparam("sent"),
        posted_channel=bindparam("posted_in"),
        ts=bindparam("first_ts"),
        reason=bindparam("why"),
    )
)


def mark_sending(session: Session, *, row: OwedMessage) -> bool:
    """Say this claimed row's post is on its way; False when the claim is no longer this
    caller's (it went stale and another sender took the row): then it is not sent."""
    result = session.connection().execute(_MARK_SENDING, {"row_id": row.id, "claimed": row.claimed_at})
    session.commit()
    return result.rowcount == 1


def record_sent(
    session: Session, *, row_id: str, sent_at: datetime, channel: str, ts: str, reason: str | None
) -> None:
    """Slack took it: where it landed and its first ts (in the caller's transaction, with what
    its kind records)."""
    params = {"row_id": row_id, "sent": sent_at, "posted_in": channel, "first_ts": ts, "why": reason}
    session.connection().execute(_RECORD_SENT, params)


def release(session: Session, *, ids: Sequence[str]) -> None:
    """Give claimed rows back unsent (no send slot for them in time, or Slack answered 429, which
    posts nothing): not counted as an attempt."""
    session.exec(
        update(OwedMessage)
        .where(
            col(OwedMessage.id).in_(ids),
            col(OwedMessage.status).in_([OwedStatus.CLAIMED, OwedStatus.SENDING]),
        )
        .values(status=OwedStatus.PENDING, claimed_at=None, attempts=OwedMessage.attempts - 1)
    )
    session.commit()


def release_stale(session: Session, *, claimed_before: datetime) -> int:
    """Rows a dead sender claimed but never began to send: pending again, nothing to look up."""
    result = session.exec(
        update(OwedMessage)
        .where(OwedMessage.status == OwedStatus.CLAIMED, col(OwedMessage.claimed_at) < claimed_before)
        .values(status=OwedStatus.PENDING, claimed_at=None, attempts=OwedMessage.attempts - 1)
    )
    session.commit()
    return result.rowcount


def stale_sends(session: Session, *, claimed_before: datetime, limit: int) -> Sequence[OwedMessage]:
    """Rows whose post a sender began and never recorded (it crashed, or was killed)."""
    query = (
        select(OwedMessage)
        .where(OwedMessage.status == OwedStatus.SENDING, col(OwedMessage.claimed_at) < claimed_before)
        .limit(limit)
    )
    return session.exec(query).all()


def retake(session: Session, *, row_id: str, claimed_before: datetime, now: datetime) -> OwedMessage | None:
    """Take over a stale send; None when another recoverer (or the late owner) got there first."""
    statement = (
        update(OwedMessage)
        .where(
            OwedMessage.id == row_id,
            OwedMessage.status == OwedStatus.SENDING,
            col(OwedMessage.claimed_at) < claimed_before,
        )
        .values(claimed_at=now)
        .returning(OwedMessage)
    )
    taken = session.exec(statement).scalars().first()
    session.commit()
    return taken


def settle(session: Session, *, row_id: str, status: OwedStatus, **fields: object) -> None:
    """Record what became of a claimed row: sent (where, and its ts), failed or dropped (why), or
    pending again (due later, after a passing fault)."""
    session.exec(update(OwedMessage).where(OwedMessage.id == row_id).values(status=status, **fields))
    session.commit()


def open_by_kind(session: Session) -> list[tuple[str, int, datetime]]:
    """What is owed and not sent yet: per kind, how many and since when, oldest first."""
    query = (
        select(OwedMessage.kind, func.count(), func.min(OwedMessage.due_at))
        .where(col(OwedMessage.status).in_(OPEN))
        .group_by(OwedMessage.kind)
        .order_by(func.min(OwedMessage.due_at))
    )
    return [(kind, count, oldest) for kind, count, oldest in session.exec(query).all()]


def due_by_kind(session: Session, *, now: datetime) -> list[tuple[str, int, datetime]]:
    """What is owed and due by `now`, per kind: how many and since when (for /metrics)."""
    query = (
        select(OwedMessage.kind, func.count(), func.min(OwedMessage.due_at))
        .where(col(OwedMessage.status).in_(OPEN), OwedMessage.due_at <= now)
        .group_by(OwedMessage.kind)
    )
    return [(kind, count, oldest) for kind, count, oldest in session.exec(query).all()]


def by_keys(session: Session, *, keys: Sequence[str]) -> dict[str, OwedMessage]:
    """The rows owed under these keys, by key (what became of them: a caller repairing what a
    crash left between a send and its record reads it here)."""
    if not keys:
        return {}
    rows = session.exec(select(OwedMessage).where(col(OwedMessage.key).in_(keys))).all()
    return {row.key: row for row in rows}
