"""Collaboratives, feedback rounds and their contributions.

Every change that must happen once (a round opening, a phase moving on, the round closing, a
reminder) is a conditional UPDATE or an insert that ignores conflicts: whichever process or
retry gets the row count of 1 does the work, everyone else does nothing. What a change owes
(an announcement, the summaries) is owed in the outbox in the change's own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.storage import owed
from bot.storage.models import (
    Collaborative,
    Contribution,
    FeedbackRound,
    NextStep,
    ProtocolRun,
    ReminderOptOut,
    RoundInvitation,
    RoundPhase,
    RoundReminder,
    RoundSchedule,
    RoundStatus,
    RunStatus,
    new_id,
)
from bot.storage.owed import Owe


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _changed(session: Session, statement) -> bool:
    result: CursorResult = session.exec(statement)  # type: ignore[call-overload]
    session.commit()
    return result.rowcount == 1


def register_collaborative(
    session: Session, *, team_id: str, channel_id: str, by: str, now: datetime
) -> bool:
    """True if this call registered the channel, False if it already was."""
    row = {
        "id": new_id(),
        "team_id": team_id,
        "channel_id": channel_id,
        "registered_by": by,
        "created_at": now,
    }
    statement = _insert(session)(Collaborative).values(row).on_conflict_do_nothing()
    created = session.exec(statement.returning(Collaborative.id)).all()  # type: ignore[call-overload]
    session.commit()
    return bool(created)


def unregister_collaborative(session: Session, *, team_id: str, channel_id: str) -> None:
    session.exec(  # type: ignore[call-overload]
        delete(Collaborative).where(Collaborative.team_id == team_id, Collaborative.channel_id == channel_id)
    )
    session.commit()


def collaborative_for(session: Session, *, team_id: str, channel_id: str) -> Collaborative | None:
    return session.exec(
        select(Collaborative).where(Collaborative.team_id == team_id, Collaborative.channel_id == channel_id)
    ).first()


def framing_draft(session: Session, *, team_id: str, user_id: str, protocol_id: str) -> ProtocolRun | None:
    """The presenter's unfinished framing of this kind of round, if they closed it midway."""
    return session.exec(
        select(ProtocolRun)
        .where(
            ProtocolRun.team_id == team_id,
            ProtocolRun.user_id == user_id,
            ProtocolRun.protocol_id == protocol_id,
            ProtocolRun.status == RunStatus.IN_PROGRESS,
        )
        .order_by(col(ProtocolRun.updated_at).desc())
        .limit(1)
    ).first()


def round_for_framing(session: Session, *, run_id: str) -> FeedbackRound | None:
    return session.exec(select(FeedbackRound).where(FeedbackRound.framing_run_id == run_id)).first()


def add_round(session: Session, *, round_: FeedbackRound) -> FeedbackRound:
    """Insert the round unless its framing already has one (a retried submission); returns the
    round that exists either way."""
    values = round_.model_dump()
    statement = _insert(session)(FeedbackRound).values(values).on_conflict_do_nothing()
    session.exec(statement)  # type: ignore[call-overload]
    session.commit()
    stored = round_for_framing(session, run_id=round_.framing_run_id)
    assert stored is not None
    return stored


def get_round(session: Session, *, round_id: str) -> FeedbackRound | None:
    return session.get(FeedbackRound, round_id)


def round_in_thread(
    session: Session, *, team_id: str, channel_id: str, thread_ts: str
) -> FeedbackRound | None:
    return session.exec(
        select(FeedbackRound).where(
            FeedbackRound.team_id == team_id,
            FeedbackRound.channel_id == channel_id,
            FeedbackRound.thread_ts == thread_ts,
        )
    ).first()


def rounds_to_post(session: Session, *, now: datetime, limit: int) -> Sequence[FeedbackRound]:
    return session.exec(
        select(FeedbackRound)
        .where(
            col(FeedbackRound.status).in_([RoundStatus.WAITING, RoundStatus.OPEN]),
            col(FeedbackRound.thread_ts).is_(None),
            FeedbackRound.opens_at <= now,
        )
        .limit(limit)
    ).all()


def open_rounds(session: Session) -> Sequence[FeedbackRound]:
    return session.exec(
        select(FeedbackRound).where(
            FeedbackRound.status == RoundStatus.OPEN, col(FeedbackRound.thread_ts).is_not(None)
        )
    ).all()


def start_round(
    session: Session,
    *,
    round_id: str,
    thread_ts: str,
    now: datetime,
    owing: Callable[[FeedbackRound], Owe],
) -> bool:
    """The round is posted: phase 0 opens, once, and what it owes then (its announcement, made
    by `owing` from the round as it now is) is owed in the same transaction, the caller's (who
    commits)."""
    result: CursorResult = session.exec(  # type: ignore[call-overload]
        update(FeedbackRound)
        .where(FeedbackRound.id == round_id, FeedbackRound.phase == -1)
        .values(thread_ts=thread_ts, status=RoundStatus.OPEN, phase=0, phase_started_at=now)
        .returning(FeedbackRound)
    )
    started = result.scalars().first()
    if started is not None:
        _open_phase(session, round_id=round_id, index=0, now=now)
        owed.owe(session, [owing(started)], now=now, commit=False)
    return started is not None


def _open_phase(session: Session, *, round_id: str, index: int, now: datetime) -> None:
    """Within the caller's transaction."""
    statement = _insert(session)(RoundPhase).values(round_id=round_id, index=index, opened_at=now)
    session.exec(statement.on_conflict_do_nothing())  # type: ignore[call-overload]


def _moved(session: Session, *, round_id: str, from_phase: int, values: dict) -> bool:
    """Compare-and-set: only a caller that saw the posted, open round at `from_phase` moves it
    (a round not posted yet has no thread to announce anything in)."""
    result: CursorResult = session.exec(  # type: ignore[call-overload]
        update(FeedbackRound)
        .where(
            FeedbackRound.id == round_id,
            FeedbackRound.phase == from_phase,
            FeedbackRound.status == RoundStatus.OPEN,
            col(FeedbackRound.thread_ts).is_not(None),
        )
        .values(**values)
    )
    return result.rowcount == 1


def move_phase(
    session: Session, *, round_id: str, from_phase: int, to_phase: int, now: datetime, owing: Sequence[Owe]
) -> bool:
    """The round moves on once, and owes `owing` (the phase's announcement) in the same
    transaction: a crash leaves neither or both."""
    changed = _moved(
        session, round_id=round_id, from_phase=from_phase, values={"phase": to_phase, "phase_started_at": now}
    )
    if changed:
        _open_phase(session, round_id=round_id, index=to_phase, now=now)
        owed.owe(session, owing, now=now, commit=False)
    session.commit()
    return changed


def close_round(
    session: Session, *, round_id: str, from_phase: int, now: datetime, owing: Sequence[Owe]
) -> bool:
    """The round closes once, and owes `owing` (its summaries) in the same transaction."""
    changed = _moved(
        session,
        round_id=round_id,
        from_phase=from_phase,
        values={"status": RoundStatus.CLOSED, "closed_at": now},
    )
    if changed:
        owed.owe(session, owing, now=now, commit=False)
    session.commit()
    return changed


def phases_of(session: Session, *, round_id: str) -> Sequence[RoundPhase]:
    return session.exec(
        select(RoundPhase).where(RoundPhase.round_id == round_id).order_by(col(RoundPhase.index))
    ).all()


def set_focus_restated(session: Session, *, round_id: str, text: str) -> None:
    session.exec(  # type: ignore[call-overload]
        update(FeedbackRound).where(FeedbackRound.id == round_id).values(focus_restated=text)
    )
    session.commit()


def add_contribution(session: Session, *, contribution: Contribution) -> Contribution | None:
    """Store a reply once: a retried event or a second read of the thread returns None."""
    statement = _insert(session)(Contribution).values(contribution.model_dump()).on_conflict_do_nothing()
    created = session.exec(statement.returning(Contribution.id)).all()  # type: ignore[call-overload]
    session.commit()
    return contribution if created else None


def contribution_at(session: Session, *, round_id: str, ts: str) -> Contribution | None:
    return session.exec(
        select(Contribution).where(Contribution.round_id == round_id, Contribution.ts == ts)
    ).first()


def get_contribution(session: Session, *, contribution_id: str) -> Contribution | None:
    return session.get(Contribution, contribution_id)


def update_contribution(session: Session, *, contribution_id: str, **values: object) -> None:
    session.exec(  # type: ignore[call-overload]
        update(Contribution).where(Contribution.id == contribution_id).values(**values)
    )
    session.commit()


def contributions_of(session: Session, *, round_id: str) -> Sequence[Contribution]:
    """Every reply still standing, in thread order."""
    return session.exec(
        select(Contribution)
        .where(Contribution.round_id == round_id, col(Contribution.withdrawn_at).is_(None))
        .order_by(col(Contribution.ts))
    ).all()


def contributors(session: Session, *, round_id: str, phase: int) -> set[str]:
    return set(
        session.exec(
            select(Contribution.user_id).where(Contribution.round_id == round_id, Contribution.phase == phase)
        ).all()
    )


def claim_reminders(session: Session, *, round_id: str, phase: int) -> bool:
    """One process sends a phase's reminders: the round's `reminded_phase` moves once."""
    return _changed(
        session,
        update(FeedbackRound)
        .where(FeedbackRound.id == round_id, FeedbackRound.reminded_phase < phase)
        .values(reminded_phase=phase),
    )


def was_reminded(session: Session, *, round_id: str, phase: int, user_id: str) -> bool:
    return session.get(RoundReminder, (round_id, phase, user_id)) is not None


def record_reminder(session: Session, *, round_id: str, phase: int, user_id: str, now: datetime) -> bool:
    """True if this person had not been nudged in this phase yet (the presenter's whisper)."""
    row = {"round_id": round_id, "phase": phase, "user_id": user_id, "sent_at": now}
    statement = _insert(session)(RoundReminder).values(row).on_conflict_do_nothing()
    created = session.exec(statement.returning(RoundReminder.user_id)).all()  # type: ignore[call-overload]
    session.commit()
    return bool(created)


def opted_out(session: Session, *, team_id: str) -> set[str]:
    return set(session.exec(select(ReminderOptOut.user_id).where(ReminderOptOut.team_id == team_id)).all())


def set_opt_out(session: Session, *, team_id: str, user_id: str, out: bool, now: datetime) -> None:
    existing = session.get(ReminderOptOut, (team_id, user_id))
    if out and existing is None:
        session.add(ReminderOptOut(team_id=team_id, user_id=user_id, created_at=now))
    elif not out and existing is not None:
        session.delete(existing)
    session.commit()


def add_next_step(session: Session, *, step: NextStep) -> bool:
    statement = _insert(session)(NextStep).values(step.model_dump()).on_conflict_do_nothing()
    created = session.exec(statement.returning(NextStep.id)).all()  # type: ignore[call-overload]
    session.commit()
    return bool(created)


def set_next_step_goal(session: Session, *, step_id: str, goal_id: str) -> None:
    session.exec(update(NextStep).where(NextStep.id == step_id).values(goal_id=goal_id))  # type: ignore[call-overload]
    session.commit()


def next_steps_of(session: Session, *, round_id: str) -> Sequence[NextStep]:
    return session.exec(
        select(NextStep).where(NextStep.round_id == round_id).order_by(col(NextStep.created_at))
    ).all()


def schedule_of(session: Session, *, collaborative_id: str) -> RoundSchedule | None:
    return session.exec(
        select(RoundSchedule).where(RoundSchedule.collaborative_id == collaborative_id)
    ).first()


def save_schedule(session: Session, *, schedule: RoundSchedule) -> RoundSchedule:
    existing = schedule_of(session, collaborative_id=schedule.collaborative_id)
    if existing is not None:
        for name, value in schedule.model_dump(exclude={"id", "created_at"}).items():
            setattr(existing, name, value)
        schedule = existing
    session.add(schedule)
    session.commit()
    session.refresh(schedule)
    return schedule


def all_schedules(session: Session) -> Sequence[RoundSchedule]:
    return session.exec(select(RoundSchedule)).all()


def add_invitation(session: Session, *, invitation: RoundInvitation) -> bool:
    """True for the one caller that created the invitation for this occurrence."""
    statement = _insert(session)(RoundInvitation).values(invitation.model_dump()).on_conflict_do_nothing()
    created = session.exec(statement.returning(RoundInvitation.id)).all()  # type: ignore[call-overload]
    session.commit()
    return bool(created)


def link_invitation(session: Session, *, invitation_id: str, round_id: str) -> None:
    session.exec(  # type: ignore[call-overload]
        update(RoundInvitation).where(RoundInvitation.id == invitation_id).values(round_id=round_id)
    )
    session.commit()


def invitation_due(
    session: Session, *, key: str | None = None, invitation_id: str | None = None
) -> tuple[RoundInvitation, RoundSchedule, Collaborative] | None:
    """An invitation (by its key or id) with its schedule and collaborative."""
    query = (
        select(RoundInvitation, RoundSchedule, Collaborative)
        .join(RoundSchedule, RoundSchedule.id == RoundInvitation.schedule_id)
        .join(Collaborative, Collaborative.id == RoundSchedule.collaborative_id)
    )
    if key is not None:
        query = query.where(RoundInvitation.key == key)
    if invitation_id is not None:
        query = query.where(RoundInvitation.id == invitation_id)
    return session.exec(query).first()


def invitation_with_schedule(
    session: Session, *, invitation_id: str
) -> tuple[RoundInvitation, RoundSchedule, str] | None:
    return session.exec(
        select(RoundInvitation, RoundSchedule, Collaborative.channel_id)
        .join(RoundSchedule, RoundSchedule.id == RoundInvitation.schedule_id)
        .join(Collaborative, Collaborative.id == RoundSchedule.collaborative_id)
        .where(RoundInvitation.id == invitation_id)
    ).first()


def unpost(session: Session, *, round_id: str, run_id: str) -> None:
    """A round that could not be posted goes back to being a draft framing: the round row is
    removed (it has no replies) and the framing run reopens, so asking again picks it up."""
    session.exec(
        delete(FeedbackRound).where(FeedbackRound.id == round_id, col(FeedbackRound.thread_ts).is_(None))
    )  # type: ignore[call-overload]
    session.exec(  # type: ignore[call-overload]
        update(ProtocolRun)
        .where(ProtocolRun.id == run_id)
        .values(status=RunStatus.IN_PROGRESS, completed_at=None)
    )
    session.commit()
