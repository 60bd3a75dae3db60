"""Check-ins for `bench/ack_latency.py` to rate: one open for an answer per leader, as a leader
has one check-in open at a time, and a coach's 25 clients are 25 of those leaders.

Every tap is a check-in of its own. Sent all to one leader (as this benchmark first did), they
made one coach with thousands of check-ins in their Home's six weeks, where a coach with 25
weekly clients has 150: it timed that Home, republished after each rating, not the tap
(bench/growth.py times the Home as history grows).

Each coach's clients and schedules are made through the services a coach's form uses; the sent
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

CLIENTS_PER_COACH = 25


def leader(i: int) -> str:
    return f"UL{i:05d}"


def coach(i: int) -> str:
    """The coach of leader `i`."""
    return f"UBCOACH{i // CLIENTS_PER_COACH:03d}"


@dataclass(frozen=True)
class Tap:
    """A rating to tap: the check-in's id (the button's value), whose it is, and where its
    message is."""

    delivery_id: str
    leader: str
    channel: str
    ts: str


def posted(web: WebClient, leaders: list[str]) -> list[tuple[str, str]]:
    """A message in each leader's DM, as (channel, ts): what a rating button sits on."""
    found = []
    for user in leaders:
        answer = web.chat_postMessage(channel=user, text="Your check-in")
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
        form = ScheduleForm(
            cadence=Cadence.WEEKLY,
            local_time=time(9, 0),
            first_date=(now + timedelta(days=365)).date(),
            end_date=None,
            weekdays=frozenset(),
            reminder_after_hours=None,
            goal_text="Every 9th grader reads a grade-level text each week",
        )
        leaders = [leader(i) for i in range(count)]
        schedules = []
        for i, user in enumerate(leaders):
            owner = Actor(sr.TEAM, coach(i))
            client = clients.add(
                owner,
                leader_id=user,
                leader_name=f"leader {i}",
                organization="Org",
                domain=Domain.SCHOOL,
            )
            schedules.append(service.save_schedule(owner, client.id, form, tz="UTC").id)
        taps = []
        with Session(engine) as session:
            for i, (user, schedule_id, (channel, ts)) in enumerate(
                zip(leaders, schedules, posted(web, leaders), strict=True)
            ):
                delivery = Delivery(
                    key=f"bench:{i}",
                    schedule_id=schedule_id,
                    team_id=sr.TEAM,
                    recipient=user,
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
                        channel=user,
                        ref=delivery.id,
                        due_at=delivery.due_at,
                        status=OwedStatus.SENT,
                        sent_at=delivery.sent_at,
                        posted_channel=channel,
                        ts=ts,
                        created_at=delivery.due_at,
                    )
                )
                taps.append(Tap(delivery.id, user, channel, ts))
            session.commit()
        return taps
    finally:
        engine.dispose()


def bare_taps(web: WebClient, count: int) -> list[Tap]:
    """The bare app's: messages to update, with ids it never looks up."""
    leaders = [leader(i) for i in range(count)]
    messages = posted(web, leaders)
    return [Tap(f"D{i}", user, *where) for i, (user, where) in enumerate(zip(leaders, messages, strict=True))]
