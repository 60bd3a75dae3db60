"""Making schedules and due check-ins for the tests, through the services a coach's form uses."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

from sqlmodel import Session, col, select

from bot.actor import Actor
from bot.recurrence import Cadence
from bot.scheduling.sender import EVENT_TYPE
from bot.services.checkins import ScheduleForm
from bot.storage import checkins, owed
from bot.storage.models import CheckinSchedule, Delivery, DeliveryStatus, Domain, OwedMessage
from tests import slack_requests as sr
from tests.clock import FIRST_MONDAY

COACH = Actor(sr.TEAM, sr.COACH)


def schedule_for(
    bot, leader: str, *, tz: str = "America/New_York", at: time = time(9, 0), **form
) -> CheckinSchedule:
    client = bot.clients.add(
        COACH, leader_id=leader, leader_name=leader.lower(), organization="Org", domain=Domain.SCHOOL
    )
    values = {
        "cadence": Cadence.WEEKLY,
        "local_time": at,
        "first_date": FIRST_MONDAY,
        "end_date": None,
        "weekdays": frozenset(),
        "reminder_after_hours": None,
        "goal_text": "Every 9th grader reads a grade-level text each week",
    } | form
    return bot.checkins.save_schedule(COACH, client.id, ScheduleForm(**values), tz=tz)


def due_rows(
    bot,
    schedule: CheckinSchedule,
    count: int,
    *,
    due: datetime,
    window: timedelta = timedelta(days=7),
    to: str | None = None,
) -> list[str]:
    """`count` check-ins due at `due`, each to its own recipient (as for a large organization),
    or all to `to`."""
    rows = [
        Delivery(
            key=f"bulk:{schedule.id}:{i}",
            schedule_id=schedule.id,
            team_id=schedule.team_id,
            recipient=to or f"UR{i:06d}",
            occurrence=due.date(),
            due_at=due,
            answer_by=due + window,
        )
        for i in range(count)
    ]
    with Session(bot.engine, expire_on_commit=False) as session:
        session.add_all(rows)
        session.flush()
        owed.owe(session, [checkins.message_owed(row) for row in rows], now=due, commit=False)
        session.commit()
    return [row.id for row in rows]


def posted_keys(slack) -> list[str]:
    """Every message of the outbox the fake received, by the key in its metadata."""
    found = []
    for call in slack.calls_to("chat.postMessage"):
        metadata = call.args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if call.ok and metadata and metadata.get("event_type") == EVENT_TYPE:
            found.append(metadata["event_payload"]["key"])
    return found


def checkin_of_key(bot) -> dict[str, str]:
    """The check-in (delivery id) each check-in message's key is about."""
    with Session(bot.engine) as session:
        query = select(OwedMessage.key, OwedMessage.ref).where(OwedMessage.kind == checkins.CHECKIN)
        return dict(session.exec(query).all())


def sent_delivery_ids(bot, slack) -> list[str]:
    """Every check-in message the fake received, by the check-in it asks about."""
    about = checkin_of_key(bot)
    return [about[key] for key in posted_keys(slack) if key in about]


def checkin_message_row(bot, delivery_id: str) -> OwedMessage:
    """The outbox row of a check-in's (first) message."""
    with Session(bot.engine) as session:
        query = select(OwedMessage).where(
            OwedMessage.kind == checkins.CHECKIN, OwedMessage.ref == delivery_id
        )
        return session.exec(query.order_by(OwedMessage.created_at)).first()


def statuses(bot, ids: list[str]) -> dict[str, DeliveryStatus]:
    with Session(bot.engine) as session:
        return {d.id: d.status for d in session.exec(select(Delivery).where(col(Delivery.id).in_(ids))).all()}
