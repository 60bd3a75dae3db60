"""Reads for a coach's Home tab: a handful of queries over everything about their clients, each
bounded by the coach and (for what grows with time) by a window, so the Home costs the same for
a coach with three years of history as for one with a week."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func
from sqlmodel import Session, and_, col, or_, select

from bot.storage.models import (
    Answer,
    CheckinSchedule,
    Client,
    Collaborative,
    Delivery,
    DeliveryStatus,
    FeedbackRound,
    Goal,
    NextStep,
    ProtocolRun,
    RoundStatus,
    RunStatus,
)


class ClientRow(NamedTuple):
    client: Client
    # When the coach last started a run about them; None if never.
    last_run_at: datetime | None


def clients_of_coach(session: Session, *, team_id: str, coach_id: str) -> list[ClientRow]:
    """The coach's clients, each with when the coach last started a run about them: one query,
    the latest read from an index per client rather than by grouping years of runs."""
    last_run = (
        select(func.max(ProtocolRun.started_at))
        .where(
            ProtocolRun.team_id == team_id,
            ProtocolRun.user_id == coach_id,
            col(ProtocolRun.client_id) == col(Client.id),
        )
        .correlate(Client)
        .scalar_subquery()
    )
    query = select(Client, last_run).where(Client.team_id == team_id, Client.coach_id == coach_id)
    return [ClientRow(client, at) for client, at in session.exec(query).all()]


class ScheduleRow(NamedTuple):
    id: str
    client_id: str
    goal_id: str | None
    paused: bool


def schedules_of_coach(session: Session, *, team_id: str, coach_id: str) -> list[ScheduleRow]:
    query = select(
        CheckinSchedule.id, CheckinSchedule.client_id, CheckinSchedule.goal_id, CheckinSchedule.paused
    ).where(CheckinSchedule.team_id == team_id, CheckinSchedule.coach_id == coach_id)
    return [ScheduleRow(*row) for row in session.exec(query).all()]


class CheckinRow(NamedTuple):
    schedule_id: str
    due_at: datetime
    status: DeliveryStatus
    rating: int | None
    run_id: str | None
    # The answer the leader gave to one step of the check-in, as stored (JSON), None when not
    # answered: left to the reader to decode, which most rows of a window never need.
    answer: str | None


def checkins_since(
    session: Session, *, team_id: str, coach_id: str, since: datetime, step_id: str
) -> list[CheckinRow]:
    """The check-ins of the coach's schedules due since `since` (sent, answered, missed or still
    to go), oldest first, each with its answer to `step_id`: one query, only the columns the
    Home reads, as plain rows (no ORM objects to build)."""
    query = (
        select(
            Delivery.schedule_id,
            Delivery.due_at,
            Delivery.status,
            Delivery.rating,
            Delivery.run_id,
            Answer.value,
        )
        .join(CheckinSchedule, col(CheckinSchedule.id) == col(Delivery.schedule_id))
        .outerjoin(Answer, and_(col(Answer.run_id) == col(Delivery.run_id), col(Answer.step_id) == step_id))
        .where(
            CheckinSchedule.team_id == team_id,
            CheckinSchedule.coach_id == coach_id,
            Delivery.due_at >= since,
        )
        .order_by(col(Delivery.due_at), col(Delivery.id))
    )
    return [CheckinRow(*row) for row in session.exec(query).all()]


def unfinished_runs(session: Session, *, team_id: str, coach_id: str, limit: int) -> Sequence[ProtocolRun]:
    query = (
        select(ProtocolRun)
        .where(
            ProtocolRun.team_id == team_id,
            ProtocolRun.user_id == coach_id,
            ProtocolRun.status == RunStatus.IN_PROGRESS,
        )
        .order_by(col(ProtocolRun.updated_at).desc(), col(ProtocolRun.id))
        .limit(limit)
    )
    return session.exec(query).all()


class GoalRow(NamedTuple):
    id: str
    client_id: str
    statement: str


def goals_of_coach(session: Session, *, team_id: str, coach_id: str) -> list[GoalRow]:
    """The coach's goals about clients, oldest first (the last one per client is its current one)."""
    query = (
        select(Goal.id, Goal.client_id, Goal.statement)
        .where(Goal.team_id == team_id, Goal.coach_id == coach_id, col(Goal.client_id).is_not(None))
        .order_by(col(Goal.created_at), col(Goal.id))
    )
    return [GoalRow(*row) for row in session.exec(query).all()]


class StepRow(NamedTuple):
    text: str
    goal_id: str | None
    created_at: datetime


def next_steps_chosen(session: Session, *, team_id: str, presenter_id: str, since: datetime) -> list[StepRow]:
    """Feedback the coach chose to act on in their rounds since `since`, oldest first."""
    query = (
        select(NextStep.text, NextStep.goal_id, NextStep.created_at)
        .join(FeedbackRound, col(FeedbackRound.id) == NextStep.round_id)
        .where(
            FeedbackRound.team_id == team_id,
            FeedbackRound.presenter_id == presenter_id,
            NextStep.created_at >= since,
        )
        .order_by(col(NextStep.created_at), col(NextStep.id))
    )
    return [StepRow(*row) for row in session.exec(query).all()]


def open_rounds_of(session: Session, *, team_id: str, user_id: str) -> Sequence[FeedbackRound]:
    """Open rounds the coach presents or facilitates, or in a collaborative they registered."""
    query = (
        select(FeedbackRound)
        .join(Collaborative, col(Collaborative.id) == FeedbackRound.collaborative_id)
        .where(
            FeedbackRound.team_id == team_id,
            FeedbackRound.status == RoundStatus.OPEN,
            or_(
                FeedbackRound.presenter_id == user_id,
                FeedbackRound.facilitator_id == user_id,
                Collaborative.registered_by == user_id,
            ),
        )
        .order_by(col(FeedbackRound.opens_at), col(FeedbackRound.id))
    )
    return session.exec(query).all()


# Statuses of a check-in that has happened (sent and then answered, missed or skipped).
HAPPENED = (DeliveryStatus.SENT, DeliveryStatus.ANSWERED, DeliveryStatus.MISSED, DeliveryStatus.SKIPPED)
