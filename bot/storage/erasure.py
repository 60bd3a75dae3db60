"""Repository functions that delete across tables: a person's data, a client, what retention ends.

Each takes the ids to remove and works in the caller's session without committing, so a whole
erasure is one transaction: it happens entirely or not at all. Rows that others' rows point at
are unlinked first (foreign keys are enforced on both databases), never deleted with them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from bot.storage.models import (
    Answer,
    AnswerRevision,
    CheckinSchedule,
    Client,
    Contribution,
    Delivery,
    DeliveryStatus,
    FeedbackRound,
    Goal,
    NextStep,
    OwedMessage,
    OwedStatus,
    ProtocolRun,
    RoundInvitation,
    RoundPhase,
    RoundReminder,
    RoundSchedule,
    RoundStatus,
    RunStatus,
    Share,
)

# The reason an owed message was dropped: what it was about was erased.
ERASED = "erased"


def runs_of_user(session: Session, *, team_id: str, user_id: str) -> Sequence[ProtocolRun]:
    query = select(ProtocolRun).where(ProtocolRun.team_id == team_id, ProtocolRun.user_id == user_id)
    return session.exec(query.order_by(col(ProtocolRun.started_at))).all()


def framing_run_ids(session: Session, *, run_ids: Collection[str]) -> set[str]:
    """Which of these runs frame a feedback round (the round's thread is others' too)."""
    if not run_ids:
        return set()
    query = select(FeedbackRound.framing_run_id).where(col(FeedbackRound.framing_run_id).in_(run_ids))
    return set(session.exec(query).all())


def delete_runs(session: Session, *, run_ids: Collection[str]) -> None:
    """Runs with their answers, revisions, shares and goals. A check-in that pointed at one keeps
    its row (its time, its status) without the answer."""
    if not run_ids:
        return
    ids = list(run_ids)
    goal_ids = session.exec(select(Goal.id).where(col(Goal.run_id).in_(ids))).all()
    delete_goals(session, goal_ids=goal_ids)
    session.exec(update(Delivery).where(col(Delivery.run_id).in_(ids)).values(run_id=None))
    for table in (Answer, AnswerRevision, Share):
        session.exec(delete(table).where(col(table.run_id).in_(ids)))
    session.exec(delete(ProtocolRun).where(col(ProtocolRun.id).in_(ids)))


def clear_framings(session: Session, *, run_ids: Collection[str]) -> list[str]:
    """A presenter's framing gone from rounds that stay for the members' replies: its answers,
    the restated focus and the next steps the presenter picked. Returns the rounds' ids."""
    if not run_ids:
        return []
    ids = list(run_ids)
    rounds = list(session.exec(select(FeedbackRound.id).where(col(FeedbackRound.framing_run_id).in_(ids))))
    for table in (Answer, AnswerRevision):
        session.exec(delete(table).where(col(table.run_id).in_(ids)))
    session.exec(update(FeedbackRound).where(col(FeedbackRound.id).in_(rounds)).values(focus_restated=None))
    session.exec(delete(NextStep).where(col(NextStep.round_id).in_(rounds)))
    return rounds


def delete_goals(session: Session, *, goal_ids: Collection[str]) -> None:
    if not goal_ids:
        return
    ids = list(goal_ids)
    session.exec(update(CheckinSchedule).where(col(CheckinSchedule.goal_id).in_(ids)).values(goal_id=None))
    session.exec(update(NextStep).where(col(NextStep.goal_id).in_(ids)).values(goal_id=None))
    session.exec(delete(Goal).where(col(Goal.id).in_(ids)))


def delete_schedules(session: Session, *, schedule_ids: Collection[str]) -> list[str]:
    """Check-in schedules and every check-in of them; returns the check-ins' ids."""
    if not schedule_ids:
        return []
    ids = list(schedule_ids)
    deliveries = list(session.exec(select(Delivery.id).where(col(Delivery.schedule_id).in_(ids))))
    session.exec(delete(Delivery).where(col(Delivery.schedule_id).in_(ids)))
    session.exec(delete(CheckinSchedule).where(col(CheckinSchedule.id).in_(ids)))
    return deliveries


def delete_clients(session: Session, *, client_ids: Collection[str]) -> None:
    """Client records; anything else that named them (a round, another's run) stays, unnamed."""
    if not client_ids:
        return
    ids = list(client_ids)
    for table in (FeedbackRound, ProtocolRun, Goal):
        session.exec(update(table).where(col(table.client_id).in_(ids)).values(client_id=None))
    session.exec(delete(Client).where(col(Client.id).in_(ids)))


def delete_contributions(session: Session, *, contribution_ids: Collection[str]) -> None:
    """Replies, and the next steps a presenter picked from them (which quote them)."""
    if not contribution_ids:
        return
    ids = list(contribution_ids)
    session.exec(delete(NextStep).where(col(NextStep.contribution_id).in_(ids)))
    session.exec(delete(Contribution).where(col(Contribution.id).in_(ids)))


def delete_round_schedules(session: Session, *, schedule_ids: Collection[str]) -> None:
    if not schedule_ids:
        return
    ids = list(schedule_ids)
    session.exec(delete(RoundInvitation).where(col(RoundInvitation.schedule_id).in_(ids)))
    session.exec(delete(RoundSchedule).where(col(RoundSchedule.id).in_(ids)))


def leave_rotations(session: Session, *, schedules: Sequence[RoundSchedule], user_id: str) -> list[str]:
    """The person is taken out of the presenters' turns of these round schedules, with their
    invitations not yet acted on (a schedule left with nobody ends). Returns those invitations'
    ids, whose asks are owed no more."""
    ended: list[str] = []
    dropped: list[str] = []
    for schedule in schedules:
        invitations = session.exec(
            select(RoundInvitation.id).where(
                RoundInvitation.schedule_id == schedule.id,
                RoundInvitation.presenter_id == user_id,
                col(RoundInvitation.round_id).is_(None),
            )
        ).all()
        dropped += invitations
        if invitations:
            session.exec(delete(RoundInvitation).where(col(RoundInvitation.id).in_(list(invitations))))
        rest = [member for member in json.loads(schedule.rotation) if member != user_id]
        if rest:
            schedule.rotation = json.dumps(rest)
            session.add(schedule)
        else:
            ended.append(schedule.id)
    delete_round_schedules(session, schedule_ids=ended)
    return dropped


def delete_rounds(session: Session, *, round_ids: Collection[str]) -> list[str]:
    """Rounds with their replies, phases, reminders, next steps and framing runs; returns the
    framing runs' ids (deleted too)."""
    if not round_ids:
        return []
    ids = list(round_ids)
    runs = list(session.exec(select(FeedbackRound.framing_run_id).where(col(FeedbackRound.id).in_(ids))))
    session.exec(update(RoundInvitation).where(col(RoundInvitation.round_id).in_(ids)).values(round_id=None))
    for table in (NextStep, Contribution, RoundPhase, RoundReminder):
        session.exec(delete(table).where(col(table.round_id).in_(ids)))
    session.exec(delete(FeedbackRound).where(col(FeedbackRound.id).in_(ids)))
    delete_runs(session, run_ids=runs)
    return runs


def drop_owed(session: Session, *, refs: Collection[str], channel: str | None = None) -> int:
    """Messages not yet taken by a sender about what was erased (or, with `channel`, to that
    person) are owed no more. One a sender holds renders from the database, finds nothing, and
    is dropped by the sender itself."""
    about = [col(OwedMessage.ref).in_(list(refs))] if refs else []
    if channel is not None:
        about.append(OwedMessage.channel == channel)
    if not about:
        return 0
    result = session.exec(
        update(OwedMessage)
        .where(OwedMessage.status == OwedStatus.PENDING, or_(*about))
        .values(status=OwedStatus.DROPPED, reason=ERASED)
    )
    return result.rowcount


def finished_before(session: Session, *, cutoff: datetime) -> tuple[list[str], list[str], list[str]]:
    """What retention ends: completed runs, check-ins answered or missed, and closed rounds, all
    finished before `cutoff`. Not a framing (its round decides), a run whose goal check-ins still
    ask about, or one whose summary is still shared: the coach withdraws that in Slack first, and
    with its record gone they could not. Returns (run ids, check-in ids, round ids)."""
    framings = select(FeedbackRound.framing_run_id)
    shared = select(Share.run_id).where(col(Share.withdrawn_at).is_(None))
    goals_in_use = select(Goal.run_id).where(
        col(Goal.run_id).is_not(None),
        col(Goal.id).in_(select(CheckinSchedule.goal_id).where(col(CheckinSchedule.goal_id).is_not(None))),
    )
    runs = select(ProtocolRun.id).where(
        ProtocolRun.status == RunStatus.COMPLETED,
        col(ProtocolRun.completed_at) < cutoff,
        col(ProtocolRun.id).not_in(framings),
        col(ProtocolRun.id).not_in(goals_in_use),
        col(ProtocolRun.id).not_in(shared),
    )
    checkins = select(Delivery.id).where(
        col(Delivery.status).in_([DeliveryStatus.ANSWERED, DeliveryStatus.MISSED]),
        col(Delivery.answer_by) < cutoff,
    )
    rounds = select(FeedbackRound.id).where(
        FeedbackRound.status == RoundStatus.CLOSED, col(FeedbackRound.closed_at) < cutoff
    )
    return list(session.exec(runs)), list(session.exec(checkins)), list(session.exec(rounds))


def delete_checkins(session: Session, *, delivery_ids: Collection[str]) -> list[str]:
    """Check-ins with the runs that answered them; returns those runs' ids."""
    if not delivery_ids:
        return []
    ids = list(delivery_ids)
    runs = [
        run_id
        for run_id in session.exec(select(Delivery.run_id).where(col(Delivery.id).in_(ids)))
        if run_id is not None
    ]
    session.exec(delete(Delivery).where(col(Delivery.id).in_(ids)))
    delete_runs(session, run_ids=runs)
    return runs
