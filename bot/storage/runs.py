"""Repository functions for protocol runs, their answers and protocol snapshots.

Keyword-only arguments throughout: a run id and a user id are both strings, and swapping them
must be a TypeError, not a silent wrong read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Select, delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.storage.models import (
    Answer,
    AnswerRevision,
    Client,
    Goal,
    ProtocolRun,
    ProtocolSnapshot,
    RunStatus,
    Share,
    ShareAudience,
)


def create_run(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    protocol_id: str,
    protocol_version: int,
    first_page: str,
    origin_view_id: str | None,
    client_id: str | None = None,
    language: str | None = None,
    now: datetime,
) -> ProtocolRun:
    """Create a run, or return the one already started in the same modal (a retried request or
    a submission racing the start both land here)."""
    if origin_view_id is not None:
        existing = run_for_view(session, view_id=origin_view_id)
        if existing is not None:
            return existing
    run = ProtocolRun(
        team_id=team_id,
        user_id=user_id,
        protocol_id=protocol_id,
        protocol_version=protocol_version,
        current_page=first_page,
        origin_view_id=origin_view_id,
        client_id=client_id,
        language=language,
        started_at=now,
        updated_at=now,
    )
    session.add(run)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = run_for_view(session, view_id=origin_view_id) if origin_view_id else None
        if existing is None:
            raise
        return existing
    return run


def run_for_view(session: Session, *, view_id: str) -> ProtocolRun | None:
    return session.exec(select(ProtocolRun).where(ProtocolRun.origin_view_id == view_id)).first()


def get_run(session: Session, *, run_id: str) -> ProtocolRun | None:
    return session.get(ProtocolRun, run_id)


class RunLine(NamedTuple):
    """A run as a list shows it: how many steps it has answered and whom it is about, not what."""

    id: str
    protocol_id: str
    protocol_version: int
    status: RunStatus
    started_at: datetime
    completed_at: datetime | None
    answered: int
    client_name: str | None


def _run_lines() -> Select:
    """Runs with their answer count and client's name in one query: a list of twenty runs costs
    one round trip, not one per run for its client and one more for the counts."""
    answered = (
        select(func.count())
        .where(col(Answer.run_id) == col(ProtocolRun.id))
        .correlate(ProtocolRun)
        .scalar_subquery()
    )
    return select(
        ProtocolRun.id,
        ProtocolRun.protocol_id,
        ProtocolRun.protocol_version,
        ProtocolRun.status,
        ProtocolRun.started_at,
        ProtocolRun.completed_at,
        answered,
        Client.leader_name,
    ).outerjoin(Client, col(Client.id) == col(ProtocolRun.client_id))


def run_lines(
    session: Session, *, team_id: str, user_id: str, status: RunStatus | None = None, limit: int
) -> list[RunLine]:
    """A user's runs, most recently changed first."""
    query = _run_lines().where(ProtocolRun.team_id == team_id, ProtocolRun.user_id == user_id)
    if status is not None:
        query = query.where(ProtocolRun.status == status)
    query = query.order_by(col(ProtocolRun.updated_at).desc(), col(ProtocolRun.id)).limit(limit)
    return [RunLine(*row) for row in session.exec(query).all()]


def run_lines_about(session: Session, *, client_id: str) -> list[RunLine]:
    """The runs about a client, most recently started first."""
    query = (
        _run_lines()
        .where(ProtocolRun.client_id == client_id)
        .order_by(col(ProtocolRun.started_at).desc(), col(ProtocolRun.id))
    )
    return [RunLine(*row) for row in session.exec(query).all()]


def save_answers(
    session: Session,
    *,
    run_id: str,
    values: dict[str, str | list[str]],
    cleared: Sequence[str] = (),
    current_page: str | None,
    keep_revisions: bool = False,
    now: datetime,
) -> None:
    """Store a page's answers in one transaction: an upsert per step, so a Slack retry of the same
    submission rewrites the same rows instead of adding new ones. With `keep_revisions` (a
    completed run being changed) every answer that really changes keeps its old value."""
    if keep_revisions:
        existing = {a.step_id: a for a in session.exec(select(Answer).where(Answer.run_id == run_id)).all()}
        for step_id, value in values.items():
            old = existing.get(step_id)
            if old is not None and json.loads(old.value) != value:
                session.add(
                    AnswerRevision(
                        run_id=run_id,
                        step_id=step_id,
                        value=old.value,
                        answered_at=old.answered_at,
                        replaced_at=now,
                    )
                )
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for step_id, value in values.items():
        encoded = json.dumps(value, ensure_ascii=False)
        statement = insert(Answer).values(run_id=run_id, step_id=step_id, value=encoded, answered_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=["run_id", "step_id"],
            set_={"value": encoded, "answered_at": now},
            where=Answer.value != encoded,
        )
        session.exec(statement)
    if cleared:
        session.exec(delete(Answer).where(Answer.run_id == run_id, col(Answer.step_id).in_(cleared)))
    changes: dict[str, object] = {"updated_at": now}
    if current_page is not None:
        changes["current_page"] = current_page
    session.exec(update(ProtocolRun).where(ProtocolRun.id == run_id).values(**changes))
    session.commit()


def revisions(session: Session, *, run_id: str) -> Sequence[AnswerRevision]:
    query = select(AnswerRevision).where(AnswerRevision.run_id == run_id).order_by(AnswerRevision.replaced_at)
    return session.exec(query).all()


def latest_run(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    protocol_id: str,
    client_id: str,
    status: RunStatus | None = None,
) -> ProtocolRun | None:
    """The coach's most recent run of a protocol about a client."""
    query = select(ProtocolRun).where(
        ProtocolRun.team_id == team_id,
        ProtocolRun.user_id == user_id,
        ProtocolRun.protocol_id == protocol_id,
        ProtocolRun.client_id == client_id,
    )
    if status is not None:
        query = query.where(ProtocolRun.status == status)
    return session.exec(query.order_by(col(ProtocolRun.started_at).desc()).limit(1)).first()


def delete_run(session: Session, *, run_id: str) -> None:
    """Remove a run with everything that hangs off it (answers, revisions, goals, share records)."""
    for table in (Answer, AnswerRevision, Goal, Share):
        session.exec(delete(table).where(table.run_id == run_id))
    session.exec(delete(ProtocolRun).where(ProtocolRun.id == run_id))
    session.commit()


def add_share(
    session: Session,
    *,
    run_id: str,
    audience: ShareAudience,
    channel_id: str,
    message_ts: list[str],
    now: datetime,
) -> Share:
    share = Share(
        run_id=run_id,
        audience=audience,
        channel_id=channel_id,
        message_ts=json.dumps(message_ts),
        shared_at=now,
    )
    session.add(share)
    session.commit()
    return share


def shares_of(session: Session, *, run_id: str, active_only: bool = False) -> Sequence[Share]:
    query = select(Share).where(Share.run_id == run_id)
    if active_only:
        query = query.where(col(Share.withdrawn_at).is_(None))
    return session.exec(query.order_by(Share.shared_at)).all()


def mark_withdrawn(session: Session, *, share_id: str, now: datetime) -> None:
    session.exec(update(Share).where(Share.id == share_id).values(withdrawn_at=now))
    session.commit()


def load_answers(session: Session, *, run_id: str) -> dict[str, str | list[str]]:
    rows = session.exec(select(Answer).where(Answer.run_id == run_id)).all()
    return {row.step_id: json.loads(row.value) for row in rows}


def answers_of_step(session: Session, *, run_ids: Sequence[str], step_id: str) -> dict[str, object]:
    """One step's answer in each of several runs, in one query."""
    if not run_ids:
        return {}
    query = select(Answer).where(col(Answer.run_id).in_(run_ids), Answer.step_id == step_id)
    return {answer.run_id: json.loads(answer.value) for answer in session.exec(query).all()}


def complete_run(session: Session, *, run_id: str, now: datetime) -> bool:
    """Mark the run completed; True only for the one caller that made the change, so a duplicate
    submission does not send a second summary."""
    result = session.exec(
        update(ProtocolRun)
        .where(ProtocolRun.id == run_id, ProtocolRun.status == RunStatus.IN_PROGRESS)
        .values(status=RunStatus.COMPLETED, completed_at=now, updated_at=now)
    )
    session.commit()
    return result.rowcount == 1


def record_snapshot(
    session: Session, *, protocol_id: str, version: int, definition: dict, now: datetime
) -> None:
    if session.get(ProtocolSnapshot, (protocol_id, version)) is not None:
        return
    session.add(
        ProtocolSnapshot(
            protocol_id=protocol_id, version=version, definition=json.dumps(definition), recorded_at=now
        )
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # another process recorded the same version first


def load_snapshot(session: Session, *, protocol_id: str, version: int) -> dict | None:
    snapshot = session.get(ProtocolSnapshot, (protocol_id, version))
    return json.loads(snapshot.definition) if snapshot else None


def answers_of_runs(session: Session, *, run_ids: Sequence[str]) -> dict[str, dict[str, object]]:
    """Every answer of several runs, in one query: run id -> step id -> value."""
    if not run_ids:
        return {}
    found: dict[str, dict[str, object]] = {}
    query = select(Answer.run_id, Answer.step_id, Answer.value).where(col(Answer.run_id).in_(run_ids))
    for run_id, step_id, value in session.exec(query).all():
        found.setdefault(run_id, {})[step_id] = json.loads(value)
    return found


def runs_of_protocols(
    session: Session, *, team_id: str, coach_id: str, protocol_ids: Sequence[str]
) -> Sequence[ProtocolRun]:
    """The coach's runs of the per-client protocols (a checklist such as enrollment), oldest first."""
    if not protocol_ids:
        return []
    query = (
        select(ProtocolRun)
        .where(
            ProtocolRun.team_id == team_id,
            ProtocolRun.user_id == coach_id,
            col(ProtocolRun.protocol_id).in_(protocol_ids),
            col(ProtocolRun.client_id).is_not(None),
        )
        .order_by(col(ProtocolRun.started_at))
    )
    return session.exec(query).all()
