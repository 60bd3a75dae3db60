"""The send pace every dispatcher on the database shares: one row per team (Slack workspace).

Reserving slots is one `UPDATE ... RETURNING` that moves the row's next free slot past the
slots it hands out, so concurrent dispatchers get consecutive slots that never overlap: the
row lock (PostgreSQL) or the single writer (SQLite) orders them. A 429's Retry-After moves the
same slot, so every process waits it out, not just the one Slack answered.

Times are seconds since the Unix epoch read from the database's clock inside the statement,
so replicas on hosts whose clocks disagree still pace against one clock. Callers get the
slots on their own clock, never the database's absolute times.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, Float, case, cast, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.storage.models import DispatchPace

# julianday() of 1970-01-01T00:00Z: SQLite 3.40 has no sub-second unixepoch().
_UNIX_EPOCH_JULIAN_DAY = 2440587.5
_SECONDS_PER_DAY = 86400.0


def _database_now(session: Session) -> ColumnElement[float]:
    """The database's current time in epoch seconds, the same value everywhere in a statement."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", func.statement_timestamp()), Float)
    return (func.julianday("now") - _UNIX_EPOCH_JULIAN_DAY) * _SECONDS_PER_DAY


def _later(a: ColumnElement[float], b: ColumnElement[float]) -> ColumnElement[float]:
    """GREATEST(a, b), which SQLite spells differently."""
    return case((a > b, a), else_=b)


def _add_row(session: Session, *, team_id: str) -> None:
    """The team's row, free from now on, unless another process has added it already."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.exec(
        insert(DispatchPace)
        .values(team_id=team_id, next_slot=0.0)
        .on_conflict_do_nothing(index_elements=["team_id"])
    )


def reserve_slots(
    session: Session,
    *,
    team_id: str,
    count: int,
    interval: float,
    within: float | None,
    clock: Callable[[], float],
) -> float | None:
    """Take `count` send slots `interval` seconds apart, from the team's next free one on.

    Returns the first slot on the caller's `clock`, read the moment the row comes back and
    before the commit: a commit waits for the disk (tens of milliseconds on a busy one), and a
    reading taken after it would put this process's slots that much later than another's.
    With `within`, the slots are taken only if the last one is at most that many seconds away,
    else nothing is taken and None returned (a caller holding claimed rows must not wait longer
    than its claims stay its own)."""
    now = _database_now(session)
    end = _later(DispatchPace.next_slot, now) + count * interval
    statement = update(DispatchPace).where(DispatchPace.team_id == team_id).values(next_slot=end)
    if within is not None:
        statement = statement.where(end - interval <= now + within)
    statement = statement.returning(DispatchPace.next_slot, now)
    found = session.exec(statement).first()
    if found is None:  # the team's first send, or slots too far off for the caller
        _add_row(session, team_id=team_id)
        found = session.exec(statement).first()
    read_at = clock()
    session.commit()
    if found is None:
        return None
    next_slot, database_now = found
    return read_at + next_slot - count * interval - database_now


def hold_sends(session: Session, *, team_id: str, seconds: float) -> None:
    """Slack said to wait: no slot of the team starts sooner than `seconds` from now."""
    _add_row(session, team_id=team_id)
    until = _database_now(session) + seconds
    session.exec(
        update(DispatchPace)
        .where(DispatchPace.team_id == team_id)
        .values(next_slot=_later(DispatchPace.next_slot, until))
    )
    session.commit()
