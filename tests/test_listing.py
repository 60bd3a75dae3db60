"""What an operator sees of what the bot owes: every check-in due in the next days, and the
outbox by kind."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from sqlmodel import Session, select

from bot.cli import main
from bot.scheduling.listing import NOT_MADE, upcoming
from bot.storage.models import Delivery
from bot.storage.owed import Owe
from tests.checkin_setup import COACH, schedule_for
from tests.clock import FIRST_MONDAY


def test_a_weekly_schedule_shows_every_check_in_in_the_days_asked_for_made_or_not(bot, clock):
    schedule_for(bot, "ULEAD01")  # Mondays at 09:00 New York, from tomorrow
    rows = upcoming(bot.engine, days=16, now=clock.now)
    assert [row.due_local.date() for row in rows] == [FIRST_MONDAY + timedelta(weeks=w) for w in range(3)]
    assert {row.due_local.hour for row in rows} == {9} and {row.recipient for row in rows} == {"ULEAD01"}
    # The scheduler has made the first one (it makes the next three days'); the others follow.
    assert [row.status for row in rows] == ["pending", NOT_MADE, NOT_MADE]
    assert len(upcoming(bot.engine, days=2, now=clock.now)) == 1


def test_a_skipped_check_in_is_not_listed_as_upcoming(bot, clock):
    schedule = schedule_for(bot, "ULEAD01")
    with Session(bot.engine) as session:
        (first,) = session.exec(select(Delivery).where(Delivery.schedule_id == schedule.id)).all()
    bot.checkins.skip("ULEAD01", first.id)
    rows = upcoming(bot.engine, days=16, now=clock.now)
    assert [row.due_local.date() for row in rows] == [FIRST_MONDAY + timedelta(weeks=w) for w in (1, 2)]


def test_outbox_lists_what_is_owed_by_kind_oldest_first(bot, clock, database_url):
    bot.sender.owe(
        Owe("summary:a", "summary", COACH.team_id, COACH.user_id, "a", due_at=clock.now - timedelta(hours=1)),
        Owe("summary:b", "summary", COACH.team_id, COACH.user_id, "b", due_at=clock.now),
        Owe(
            "summary_undelivered:c",
            "summary_undelivered",
            COACH.team_id,
            COACH.user_id,
            "c:x",
            due_at=clock.now - timedelta(hours=2),
        ),
    )
    result = CliRunner().invoke(main, ["outbox"], env={"DATABASE_URL": database_url}, catch_exceptions=False)
    lines = result.output.splitlines()
    assert [line.split()[:2] for line in lines] == [["summary_undelivered", "1"], ["summary", "2"]]
    assert f"{clock.now - timedelta(hours=1):%Y-%m-%d %H:%M}" in lines[1]
