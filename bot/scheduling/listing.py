"""What operators see of the outbox: upcoming check-ins in UTC and in the recipient's time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.scheduling.recurrence import zone_of
from bot.storage.models import CheckinSchedule, Delivery, DeliveryStatus, utcnow


@dataclass(frozen=True)
class Upcoming:
    due_utc: datetime
    due_local: datetime
    tz: str
    recipient: str
    status: str


def upcoming(engine: Engine, *, days: int, now: datetime | None = None) -> list[Upcoming]:
    now = now or utcnow()
    with Session(engine) as session:
        query = (
            select(Delivery, CheckinSchedule.tz)
            .join(CheckinSchedule, col(CheckinSchedule.id) == Delivery.schedule_id)
            .where(
                col(Delivery.status).in_(
                    [DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.SENDING]
                ),
                Delivery.due_at < now + timedelta(days=days),
            )
            .order_by(Delivery.due_at)
        )
        return [
            Upcoming(d.due_at, d.due_at.astimezone(zone_of(tz)), tz, d.recipient, d.status.value)
            for d, tz in session.exec(query).all()
        ]
