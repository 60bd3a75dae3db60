"""The bot's only now is the clock it was built with: every time it stores comes from there.

The clock starts decades back, so a time taken from the machine's calendar instead (a column
default, a `date.today()`) stands out in the rows, whatever day the suite runs: every time the
bot derives from its clock (a due time, an answer window) lies within weeks of it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import DateTime, select
from sqlmodel import Session, SQLModel

from tests.checkin_setup import schedule_for
from tests.clock import FakeClock
from tests.flow import add_client, fill_all_pages
from tests.round_flow import MEMBER_A, frame, register, reply, set_up_channel

pytestmark = pytest.mark.dates

LONG_AGO = datetime(2001, 9, 3, 12, 0, tzinfo=UTC)  # a Monday morning in New York
WITHIN = timedelta(days=60)


@pytest.fixture
def clock() -> FakeClock:
    """The bot is built on this clock (the fixture `bot` takes it), so its start-up writes too."""
    return FakeClock(LONG_AGO)


def stored_times(bot) -> dict[str, list[datetime]]:
    """Every timestamp in every table, by table.column."""
    found: dict[str, list[datetime]] = {}
    with Session(bot.engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(getattr(column.type, "impl", column.type), DateTime):
                    values = session.execute(select(column).where(column.is_not(None))).scalars().all()
                    if values:
                        found[f"{table.name}.{column.name}"] = list(values)
    return found


def test_every_time_the_bot_stores_comes_from_its_clock(bot, slack, slack_http, clock):
    add_client(slack_http, slack)
    fill_all_pages(slack_http, slack, "five-lenses")
    slack.add_user("ULEAD01", tz="America/New_York")
    schedule_for(bot, "ULEAD01", first_date=date(2001, 9, 3))
    clock.advance(timedelta(hours=1))
    bot.dispatcher.run_once()
    set_up_channel(slack)
    register(slack_http, slack)
    frame(slack_http, slack, "consultancy")
    reply(slack_http, slack, clock, MEMBER_A, "What have you tried so far?")
    bot.idle()

    times = stored_times(bot)
    # The journey wrote the tables a coach's work lives in, so the check below looks at them.
    for column in ("client.created_at", "protocol_run.started_at", "answer.answered_at", "goal.created_at"):
        assert column in times, f"{column} was not written: {sorted(times)}"
    elsewhen = {
        column: [t.isoformat() for t in values if not LONG_AGO <= t.astimezone(UTC) <= LONG_AGO + WITHIN]
        for column, values in times.items()
    }
    assert {column: values for column, values in elsewhen.items() if values} == {}
