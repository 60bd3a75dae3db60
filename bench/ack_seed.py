"""Check-ins for `bench/ack_latency.py` to rate: sent to one leader and open for an answer.

The coach's client and schedule are made through the services a coach's form uses; the sent
check-ins are written as the sender leaves them (the occurrence answered-by next week, and its
outbox row marked sent, with the channel and ts of a message the fake Slack really holds, so the
bot's `chat.update` of it is accepted). The schedule starts next year, so the bot under load
sends nothing of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from slack_sdk import WebClient
from sqlmodel import Session

from bot.actor import Actor
from bot.protocols.catalog import Catalog
from bot.recurrence import Cadence
from bot.services.checkins import CheckinService, ScheduleForm
from bot.services.clients import ClientService
from bot.services.runs import RunService
from bot.storage import checkins
from bot.storage.db import open_database
from bot.storage.models import Delivery, DeliveryStatus, Domain, OwedMessage, OwedStatus
from tests import slack_requests as sr

LEADER = "UL0000"


@dataclass(frozen=True)
class Tap:
    """A rating to tap: the check-in's id (the button's value) and where its message is."""

    delivery_id: str
    channel: str
    ts: str


def posted(web: WebClient, count: int) -> list[tuple[str, str]]:
    """`count` messages in the leader's DM, as (channel, ts): what a rating button sits on."""
    found = []
    for _ in range(count):
        answer = web.chat_postMessage(channel=LEADER, text="Your check-in")
        found.append((answer["channel"], answer["ts"]))
    return found


def sent_checkins(database_url: str, web: WebClient, count: int) -> list[Tap]:
    now = datetime.now(UTC)  # the bench's own process: the bot under load reads the same wall clock
    clock = lambda: now  # noqa: E731
    engine = open_database(database_url)
    try:
        catalog = Catalog.installed(None)
        runs = RunService(engine=engine, catalog=catalog, clock=clock)
        clients = ClientService(engine=engine, catalog=catalog, runs=runs, clock=clock)
        service = CheckinService(engine=engine, clock=clock)
        coach = Actor(sr.TEAM, sr.COACH)
        client = clients.add(
            coach, leader_id=LEADER, leader_name="leader", organization="Org", domain=Domain.SCHOOL
        )
        form = ScheduleForm(
            cadence=Cadence.WEEKLY,
            local_time=time(9, 0),
            first_date=(now + timedelta(days=365)).date(),
            end_date=None,
            weekdays=frozenset(),
            reminder_after_hours=None,
            goal_text="Every 9th grader reads a grade-level text each week",
        )
        schedule = service.save_schedule(coach, client.id, form, tz="UTC")
        taps = []
        with Session(engine) as session:
            for i, (channel, ts) in enumerate(posted(web, count)):
                delivery = Delivery(
                    key=f"bench:{i}",
                    schedule_id=schedule.id,
                    team_id=sr.TEAM,
                    recipient=LEADER,
                    occurrence=now.date(),
                    due_at=now - timedelta(hours=1),
                    answer_by=now + timedelta(days=6),
                    status=DeliveryStatus.SENT,
                    sent_at=now - timedelta(hours=1),
                )
                session.add(delivery)
                session.flush()
                session.add(
                    OwedMessage(
                        key=f"bench-message:{i}",
                        kind=checkins.CHECKIN,
                        team_id=sr.TEAM,
                        channel=LEADER,
                        ref=delivery.id,
                        due_at=delivery.due_at,
                        status=OwedStatus.SENT,
                        sent_at=delivery.sent_at,
                        posted_channel=channel,
                        ts=ts,
                        created_at=delivery.due_at,
                    )
                )
                taps.append(Tap(delivery.id, channel, ts))
            session.commit()
        return taps
    finally:
        engine.dispose()


def bare_taps(web: WebClient, count: int) -> list[Tap]:
    """The bare app's: messages to update, with ids it never looks up."""
    return [Tap(f"D{i}", channel, ts) for i, (channel, ts) in enumerate(posted(web, count))]
