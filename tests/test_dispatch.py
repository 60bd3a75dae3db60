"""The check-in outbox: each occurrence one row, each row one message, whatever happens."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.recurrence import Cadence
from bot.scheduling.dispatch import Dispatcher
from bot.scheduling.sender import CLAIM_TIMEOUT, EVENT_TYPE
from bot.storage import owed
from bot.storage.checkins import CHECKIN
from bot.storage.models import CheckinSchedule, Delivery, DeliveryStatus, OwedMessage, OwedStatus
from tests.checkin_setup import (
    COACH,
    checkin_message_row,
    due_rows,
    schedule_for,
    sent_delivery_ids,
    statuses,
)

# The calendar matters here: CI runs these again with the machine's clock moved (tests/at_date.py).
pytestmark = pytest.mark.dates


def test_materializing_twice_makes_one_row_per_local_date_across_dst(bot, clock):
    clock.now = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)  # New York springs forward on March 8
    schedule = schedule_for(
        bot,
        "ULEAD01",
        at=time(2, 30),
        cadence=Cadence.WEEKDAYS,
        weekdays=frozenset(range(7)),
        first_date=datetime(2026, 3, 6).date(),
    )
    assert bot.checkins.materialize() == 0  # saving the schedule made them already
    with Session(bot.engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.schedule_id == schedule.id)).all()
    days = Counter(row.occurrence for row in rows)
    assert len(days) >= 4 and set(days.values()) == {1}
    by_day = {row.occurrence.isoformat(): row.due_at for row in rows}
    assert by_day["2026-03-07"] == datetime(2026, 3, 7, 7, 30, tzinfo=UTC)  # 02:30 EST
    assert by_day["2026-03-08"] == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT: 02:30 never happens
    assert by_day["2026-03-09"] == datetime(2026, 3, 9, 6, 30, tzinfo=UTC)  # 02:30 EDT


def test_a_due_check_in_is_sent_once_with_its_id_in_the_metadata(bot, slack, clock):
    clock.now = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    slack.add_user("ULEAD01", tz="America/New_York")
    schedule_for(bot, "ULEAD01")  # Mondays 09:00 New York = 14:00 UTC
    bot.checkins.materialize()
    assert bot.dispatcher.run_once().sent == 0  # not yet due
    clock.advance(timedelta(hours=1))
    assert bot.dispatcher.run_once().sent == 1
    assert bot.dispatcher.run_once().sent == 0
    (message,) = [c for c in slack.calls_to("chat.postMessage") if c.args.get("metadata")]
    assert message.args["channel"] == "ULEAD01"
    assert "grade-level text" in str(message.args["blocks"])
    assert len(sent_delivery_ids(bot, slack)) == 1


def test_a_goal_taken_from_a_long_reply_is_one_line_in_the_check_in(bot, slack, clock):
    clock.now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    slack.add_user("ULEAD01", tz="America/New_York")
    schedule_for(bot, "ULEAD01", goal_text="Start small. " * 400)  # 5,200 characters
    bot.checkins.materialize()
    assert bot.dispatcher.run_once().sent == 1
    (message,) = [c for c in slack.calls_to("chat.postMessage") if c.args.get("metadata")]
    assert message.ok and "Start small. Start small." in str(message.args["blocks"])


def test_concurrent_dispatchers_send_every_check_in_exactly_once(bot, slack, clock):
    schedule = schedule_for(bot, "ULEAD01")
    ids = due_rows(bot, schedule, 300, due=clock.now - timedelta(minutes=1))
    # They share one pace, fast enough here not to be what the test waits for (test_pace times it).
    dispatchers = [
        Dispatcher(
            engine=bot.engine,
            kinds=bot.kinds,
            gateway=bot.gateway,
            clock=clock,
            pace_per_second=1000,
        )
        for _ in range(4)
    ]
    threads = [threading.Thread(target=d.run_once) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    counts = Counter(sent_delivery_ids(bot, slack))
    assert set(counts) == set(ids)
    assert set(counts.values()) == {1}
    assert set(statuses(bot, ids).values()) == {DeliveryStatus.SENT}


def test_a_send_recorded_nowhere_is_found_in_the_dm_history_and_not_repeated(bot, slack, clock):
    schedule = schedule_for(bot, "ULEAD01")
    (sent_id, unsent_id) = due_rows(bot, schedule, 2, due=clock.now - timedelta(minutes=1))
    with Session(bot.engine) as session:  # a dispatcher claimed both, began the first, then died
        for row in session.exec(
            select(OwedMessage).where(col(OwedMessage.ref).in_([sent_id, unsent_id]))
        ).all():
            row.status = OwedStatus.SENDING if row.ref == sent_id else OwedStatus.CLAIMED
            row.claimed_at = clock.now
            session.add(row)
        session.commit()
    first = checkin_message_row(bot, sent_id)
    checkin = bot.checkins.context(sent_id)  # ... after sending the first of them
    from bot.blocks.checkins import checkin_message

    bot.gateway.post(
        channel=first.channel,
        messages=[checkin_message(checkin)],
        metadata={"event_type": EVENT_TYPE, "event_payload": {"key": first.key}},
    )
    assert bot.dispatcher.run_once().sent == 0  # claims are not stale yet: nobody touches them
    clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
    report = bot.dispatcher.run_once()
    assert (report.recovered, report.sent) == (1, 1)
    assert Counter(sent_delivery_ids(bot, slack)) == {sent_id: 1, unsent_id: 1}
    assert statuses(bot, [sent_id, unsent_id]) == {
        sent_id: DeliveryStatus.SENT,
        unsent_id: DeliveryStatus.SENT,
    }


def test_a_rate_limit_puts_the_check_in_back_without_anyone_sleeping(bot, slack, clock):
    schedule = schedule_for(bot, "ULEAD01")
    (delivery_id,) = due_rows(bot, schedule, 1, due=clock.now - timedelta(minutes=1))
    slack.rate_limit_next("chat.postMessage", retry_after=30)
    report = bot.dispatcher.run_once()
    assert (report.sent, report.retried) == (0, 1)
    row = checkin_message_row(bot, delivery_id)
    assert row.status == OwedStatus.PENDING and row.due_at >= clock.now + timedelta(seconds=30)
    assert statuses(bot, [delivery_id]) == {delivery_id: DeliveryStatus.PENDING}
    assert bot.dispatcher.run_once().sent == 0  # not before Retry-After
    clock.advance(timedelta(seconds=31))
    assert bot.dispatcher.run_once().sent == 1
    assert len(sent_delivery_ids(bot, slack)) == 1


def test_a_deactivated_leader_stops_the_schedule_and_the_coach_is_told(bot, slack, clock):
    slack.add_user("ULEFT01", deleted=True)
    schedule = schedule_for(bot, "ULEFT01")
    (delivery_id,) = due_rows(bot, schedule, 1, due=clock.now - timedelta(minutes=1), to="ULEFT01")
    report = bot.dispatcher.run_once()
    assert report.failed == 1
    with Session(bot.engine) as session:
        row = session.get(Delivery, delivery_id)
        assert row.status == DeliveryStatus.FAILED and row.reason == "account_inactive"
        assert session.get(CheckinSchedule, schedule.id).paused
    told = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == COACH.user_id]
    assert told and "paused" in str(told[0].args["blocks"])
    assert bot.dispatcher.run_once().sent == 0  # no retry storm


def test_two_hours_down_sends_what_is_still_answerable_and_reports_the_rest(bot, slack, clock):
    schedule = schedule_for(bot, "ULEAD01")
    open_id = due_rows(bot, schedule, 1, due=clock.now - timedelta(hours=2))[0]
    closed = Delivery(
        key="closed",
        schedule_id=schedule.id,
        team_id=schedule.team_id,
        recipient="ULEAD01",
        occurrence=clock.now.date(),
        due_at=clock.now - timedelta(hours=3),
        answer_by=clock.now - timedelta(hours=1),
    )
    with Session(bot.engine) as session:
        session.add(closed)
        session.commit()
        closed_id = closed.id
    report = bot.dispatcher.run_once()
    assert report.sent == 1 and [d.id for d in report.missed] == [closed_id]
    assert sent_delivery_ids(bot, slack) == [open_id]
    told = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == COACH.user_id]
    assert len(told) == 1 and "could not be sent" in str(told[0].args["blocks"])
    assert bot.dispatcher.run_once().missed == []  # reported once


def test_a_claim_takes_no_more_than_asked_for(bot, clock):
    """On PostgreSQL a one-statement claim could re-run its LIMIT subquery per row and take the
    whole backlog; one crashed dispatcher would then strand every row."""
    schedule = schedule_for(bot, "ULEAD01")
    due_rows(bot, schedule, 500, due=clock.now - timedelta(minutes=1))
    with Session(bot.engine) as session:
        assert len(owed.claim_due(session, now=clock.now, limit=50)) == 50
        assert len(owed.claim_due(session, now=clock.now, limit=50)) == 50
    with Session(bot.engine) as session:
        claimed = session.exec(select(OwedMessage).where(OwedMessage.status == OwedStatus.CLAIMED)).all()
    assert len(claimed) == 100


def test_being_told_to_wait_is_not_a_failed_attempt(bot, slack, clock):
    schedule = schedule_for(bot, "ULEAD01")
    (delivery_id,) = due_rows(bot, schedule, 1, due=clock.now - timedelta(minutes=1))
    for _ in range(12):  # more 429s than MAX_ATTEMPTS
        slack.rate_limit_next("chat.postMessage", retry_after=1)
        bot.dispatcher.run_once()
        clock.advance(timedelta(seconds=2))
    assert bot.dispatcher.run_once().sent == 1
    assert statuses(bot, [delivery_id]) == {delivery_id: DeliveryStatus.SENT}


def test_one_reminder_in_the_thread_after_the_delay_and_none_once_answered(bot, slack, clock):
    schedule = schedule_for(bot, "ULEAD01", reminder_after_hours=24)
    first, second = due_rows(bot, schedule, 2, due=clock.now - timedelta(minutes=1), to="ULEAD01")
    assert bot.dispatcher.run_once().sent == 2
    bot.checkins.answer("ULEAD01", second, rating=4)
    clock.advance(timedelta(hours=23))
    assert bot.dispatcher.run_once().reminded == 0
    clock.advance(timedelta(hours=2))
    assert bot.dispatcher.run_once().reminded == 1  # the unanswered one only
    assert bot.dispatcher.run_once().reminded == 0  # once
    (nudge,) = [c for c in slack.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert nudge.args["thread_ts"] == checkin_message_row(bot, first).ts


def died_while_sending(bot, clock, count: int = 1) -> list[str]:
    """Check-ins a dispatcher began to send and never recorded, its claims stale by now."""
    schedule = schedule_for(bot, "ULEAD01")
    ids = due_rows(bot, schedule, count, due=clock.now - timedelta(minutes=1))
    set_messages(bot, ids, OwedStatus.SENDING, clock.now)
    clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
    return ids


def set_messages(bot, ids: list[str], status: OwedStatus, claimed_at: datetime) -> None:
    """Put these check-ins' messages where a dispatcher that died would have left them."""
    with Session(bot.engine) as session:
        query = select(OwedMessage).where(OwedMessage.kind == CHECKIN, col(OwedMessage.ref).in_(ids))
        for row in session.exec(query).all():
            row.status, row.claimed_at = status, claimed_at
            session.add(row)
        session.commit()


def test_without_im_history_a_check_in_whose_sender_died_is_not_sent_again_and_the_operator_is_told(
    bot, slack, clock, caplog
):
    slack.scopes = slack.scopes - {"im:history"}  # the app as installed before the scope was added
    (delivery_id,) = died_while_sending(bot, clock)
    report = bot.dispatcher.run_once()
    assert (report.sent, report.failed) == (0, 1)
    assert sent_delivery_ids(bot, slack) == []
    (refused,) = slack.calls_to("conversations.history")
    assert refused.response["error"] == "missing_scope"
    (line,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert "conversations.history" in line and "im:history" in line and "reinstall" in line
    bot.dispatcher.run_once()
    clock.advance(CLAIM_TIMEOUT * 2)
    bot.dispatcher.run_once()
    assert len(slack.calls_to("conversations.history")) == 1  # a permanent refusal is not retried
    assert statuses(bot, [delivery_id]) == {delivery_id: DeliveryStatus.FAILED}


def test_history_read_limited_by_slack_is_looked_up_later_and_never_sent_unchecked(bot, slack, clock):
    ids = died_while_sending(bot, clock, count=3)
    slack.rate_limit_next("conversations.history", retry_after=20, times=2)
    report = bot.dispatcher.run_once()
    assert report.sent == 1 and report.retried == 2  # the one read Slack answered
    assert len(sent_delivery_ids(bot, slack)) == 1
    clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
    assert bot.dispatcher.run_once().sent == 2
    assert Counter(sent_delivery_ids(bot, slack)) == dict.fromkeys(ids, 1)


def test_claims_a_dead_dispatcher_never_began_go_back_without_a_history_read(bot, slack, clock):
    schedule = schedule_for(bot, "ULEAD01")
    ids = due_rows(bot, schedule, 5, due=clock.now - timedelta(minutes=1))
    set_messages(bot, ids, OwedStatus.CLAIMED, clock.now)
    clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
    assert bot.dispatcher.run_once().sent == 5
    assert slack.calls_to("conversations.history") == []
    assert Counter(sent_delivery_ids(bot, slack)) == dict.fromkeys(ids, 1)
