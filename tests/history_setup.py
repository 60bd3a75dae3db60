"""Check-ins that already happened, for tests about what a coach sees of a leader's history."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session

from bot.storage.models import Answer, Delivery, DeliveryStatus, ProtocolRun, RunStatus
from tests import slack_requests as sr
from tests.clock import START


def past_checkin(
    bot, schedule, *, days_ago: int, status: DeliveryStatus, rating=None, obstacles=None
) -> None:
    """A check-in that went out `days_ago` days ago and was answered (with a rating and the kinds
    of obstacle the leader ticked), missed or skipped."""
    due = START - timedelta(days=days_ago)
    run_id = None
    with Session(bot.engine) as session:
        if obstacles is not None:
            run = ProtocolRun(
                team_id=sr.TEAM,
                user_id=schedule.leader_id,
                protocol_id="goal-checkin",
                protocol_version=1,
                status=RunStatus.COMPLETED,
                current_page="checkin",
                started_at=due,
                updated_at=due,
                completed_at=due,
            )
            session.add(run)
            session.flush()
            session.add(
                Answer(run_id=run.id, step_id="obstacle_kinds", value=json.dumps(obstacles), answered_at=due)
            )
            run_id = run.id
        session.add(
            Delivery(
                key=f"past:{schedule.id}:{days_ago}",
                schedule_id=schedule.id,
                team_id=sr.TEAM,
                recipient=schedule.leader_id,
                occurrence=due.date(),
                due_at=due,
                answer_by=due + timedelta(days=7),
                status=status,
                sent_at=due,
                rating=rating,
                run_id=run_id,
            )
        )
        session.commit()
