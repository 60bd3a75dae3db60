"""What the program view counts, read as bare facts (an id to count distinct, a kind, a time):
never a name or a text. `team_id=None` reads every workspace (an operator's report)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from bot.storage.models import (
    Answer,
    CheckinSchedule,
    Client,
    Delivery,
    FeedbackRound,
    NextStep,
    ProtocolRun,
    RoundStatus,
    RunStatus,
)


def _team(query, column, team_id: str | None):
    return query if team_id is None else query.where(column == team_id)


def runs(session: Session, *, team_id: str | None, since: datetime) -> Sequence[tuple]:
    """(who, protocol id, started, completed) of every run started or completed since."""
    query = select(
        ProtocolRun.user_id, ProtocolRun.protocol_id, ProtocolRun.started_at, ProtocolRun.completed_at
    )
    query = query.where((ProtocolRun.started_at >= since) | (col(ProtocolRun.completed_at) >= since))
    return session.exec(_team(query, ProtocolRun.team_id, team_id)).all()


def deliveries(session: Session, *, team_id: str | None) -> Sequence[tuple]:
    """(status, sent, answer by, answered, rating, what it is about) of every check-in sent."""
    about = col(CheckinSchedule.goal_id)
    query = (
        select(
            Delivery.status,
            Delivery.sent_at,
            Delivery.answer_by,
            Delivery.answered_at,
            Delivery.rating,
            about,
            CheckinSchedule.id,
        )
        .join(CheckinSchedule, col(CheckinSchedule.id) == Delivery.schedule_id)
        .where(col(Delivery.sent_at).is_not(None))
    )
    return session.exec(_team(query, Delivery.team_id, team_id)).all()


def answered_choices(
    session: Session, *, team_id: str | None, protocol_id: str, step_id: str, since: datetime
) -> Sequence[tuple[str, datetime]]:
    """(JSON value, when) of one step's answers in completed runs of one protocol."""
    query = (
        select(Answer.value, Answer.answered_at)
        .join(ProtocolRun, col(ProtocolRun.id) == Answer.run_id)
        .where(
            ProtocolRun.protocol_id == protocol_id,
            ProtocolRun.status == RunStatus.COMPLETED,
            Answer.step_id == step_id,
            Answer.answered_at >= since,
        )
    )
    return session.exec(_team(query, ProtocolRun.team_id, team_id)).all()


def rounds_closed(session: Session, *, team_id: str | None, since: datetime) -> Sequence[datetime]:
    query = select(FeedbackRound.closed_at).where(
        FeedbackRound.status == RoundStatus.CLOSED, col(FeedbackRound.closed_at) >= since
    )
    return session.exec(_team(query, FeedbackRound.team_id, team_id)).all()


def next_steps(session: Session, *, team_id: str | None, since: datetime) -> Sequence[datetime]:
    query = (
        select(NextStep.created_at)
        .join(FeedbackRound, col(FeedbackRound.id) == NextStep.round_id)
        .where(NextStep.created_at >= since)
    )
    return session.exec(_team(query, FeedbackRound.team_id, team_id)).all()


def client_phases(session: Session, *, team_id: str | None) -> Sequence[str]:
    return session.exec(_team(select(Client.phase), Client.team_id, team_id)).all()
