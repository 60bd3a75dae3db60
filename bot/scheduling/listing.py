"""What operators see of what the bot owes: upcoming check-ins in UTC and in the recipient's
time, and the outbox's open rows by kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.recurrence import occurrences, zone_of
from bot.services.checkins import rule_of
from bot.storage import checkins as checkin_repo
from bot.storage import owed
from bot.storage.models import CheckinSchedule, Delivery, DeliveryStatus

# Shown for an occurrence the scheduler has not made a row for yet (it makes the next days').
NOT_MADE = "scheduled"


@dataclass(frozen=True)
class Upcoming:
    due_utc: datetime
    due_local: datetime
    tz: str
    recipient: str
    status: str


@dataclass(frozen=True)
class OwedKind:
    kind: str
    count: int
    oldest_due: datetime


def upcoming(engine: Engine, *, days: int, now: datetime) -> list[Upcoming]:
    """Every check-in due before `now` + `days` and not sent: the rows made already (overdue ones
    too) and, from each active schedule's rule, the occurrences not made yet."""
    end = now + timedelta(days=days)
    with Session(engine) as session:
        query = (
            select(Delivery, CheckinSchedule.tz)
            .join(CheckinSchedule, col(CheckinSchedule.id) == Delivery.schedule_id)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at < end)
        )
        found = [
            Upcoming(d.due_at, d.due_at.astimezone(zone_of(tz)), tz, d.recipient, d.status.value)
            for d, tz in session.exec(query).all()
        ]
        schedules = checkin_repo.active_schedules(session)
        made = _made(session, [s.id for s in schedules], now)
        for schedule in schedules:
            zone = zone_of(schedule.tz)
            for day, due in occurrences(rule_of(schedule), zone, now, end):
                if (schedule.id, day) not in made:
                    found.append(
                        Upcoming(due, due.astimezone(zone), schedule.tz, schedule.leader_id, NOT_MADE)
                    )
    return sorted(found, key=lambda row: row.due_utc)


def _made(session: Session, schedule_ids: list[str], now: datetime) -> set[tuple[str, object]]:
    """(schedule, local date) of every row made from here on, whatever became of it (a skipped
    one is not owed)."""
    query = select(Delivery.schedule_id, Delivery.occurrence).where(
        col(Delivery.schedule_id).in_(schedule_ids), Delivery.occurrence >= (now - timedelta(days=1)).date()
    )
    return set(session.exec(query).all())


def owed_by_kind(engine: Engine) -> list[OwedKind]:
    """The outbox's rows not sent yet, per kind (check-ins one of them), oldest first."""
    with Session(engine) as session:
        return [OwedKind(kind, count, oldest) for kind, count, oldest in owed.open_by_kind(session)]
