"""The summary DM of a completed run: owed in the outbox when the coach finishes, sent at once,
and exactly once whatever Slack or the process does; a leader's own check-in gets none."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session, select

from bot.blocks.messages import summary_messages
from bot.scheduling.scheduler import build_scheduler
from bot.scheduling.sender import CLAIM_TIMEOUT, EVENT_TYPE, MAX_ATTEMPTS
from bot.storage.models import OwedMessage, OwedStatus, ProtocolRun
from tests import slack_requests as sr
from tests.checkin_setup import COACH
from tests.flow import fill_all_pages
from tests.test_checkin_answers import LEADER, answer_in_full, delivered

# The calendar matters here: CI runs these again with the machine's clock moved (tests/at_date.py).
pytestmark = pytest.mark.dates


def summary_row(bot) -> OwedMessage:
    with Session(bot.engine) as session:
        return session.exec(select(OwedMessage).where(OwedMessage.kind == "summary")).one()


def key_of(call) -> str | None:
    return ((call.args.get("metadata") or {}).get("event_payload") or {}).get("key")


def dms_to_coach(slack) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if c.ok and c.args["channel"] == sr.COACH]


def test_a_summary_slack_refused_is_sent_by_the_next_pass_after_the_wait_once(slack_http, slack, bot, clock):
    slack.rate_limit_next("chat.postMessage", retry_after=30)
    body, _ = fill_all_pages(slack_http, slack, "five-lenses")
    assert body["view"]["callback_id"] == "protocol_summary"  # the coach still sees the summary
    (refused,) = slack.calls_to("chat.postMessage")
    assert refused.status == 429
    assert summary_row(bot).status is OwedStatus.PENDING

    assert bot.sender.run_once().sent == 0  # not before Slack's Retry-After
    clock.advance(timedelta(seconds=31))
    assert bot.sender.run_once().sent == 1
    assert bot.sender.run_once().sent == 0
    (delivered,) = dms_to_coach(slack)
    assert summary_row(bot).ts == delivered.response["ts"]


def test_the_listener_does_not_wait_out_a_rate_limit(slack_http, slack, bot):
    slack.rate_limit_next("chat.postMessage", retry_after=120)
    fill_all_pages(slack_http, slack, "five-lenses")  # returns at once: nobody sleeps 120 s
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_summary_whose_sender_died_after_slack_took_it_is_not_sent_again(slack_http, slack, bot, clock):
    slack.fail_next("chat.postMessage", "service_unavailable")  # held back: finish, then crash
    fill_all_pages(slack_http, slack, "five-lenses")
    row = summary_row(bot)
    # A sender claimed it, posted it with its key, and died before recording it.
    bot.gateway.post(
        channel=sr.COACH,
        messages=summary_messages(bot.runs.completed(COACH, row.ref)),
        metadata={"event_type": EVENT_TYPE, "event_payload": {"key": row.key}},
    )
    with Session(bot.engine) as session:
        stored = session.get(OwedMessage, row.id)
        stored.status, stored.claimed_at = OwedStatus.SENDING, clock.now
        session.add(stored)
        session.commit()
    assert bot.sender.run_once().recovered == 0  # not stale yet: nobody touches it
    clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
    report = bot.sender.run_once()
    assert (report.recovered, report.sent) == (1, 0)
    assert len(dms_to_coach(slack)) == 1
    assert summary_row(bot).status is OwedStatus.SENT


def test_a_summary_slack_refuses_for_good_is_not_retried_and_the_coach_is_told(slack_http, slack, bot, clock):
    slack.fail_next("chat.postMessage", "msg_too_long")
    fill_all_pages(slack_http, slack, "five-lenses")
    assert summary_row(bot).status is OwedStatus.FAILED and summary_row(bot).reason == "msg_too_long"
    assert bot.sender.run_once().failed == 0
    (told,) = dms_to_coach(slack)
    assert "msg_too_long" in json.dumps(told.args["blocks"]) and "/coach history" in json.dumps(
        told.args["blocks"]
    )
    for _ in range(3):
        clock.advance(timedelta(minutes=5))
        bot.sender.run_once()
    assert len(slack.calls_to("chat.postMessage")) == 2  # the refused one and the word about it


def test_a_summary_to_someone_gone_is_not_retried_and_only_logged(slack_http, slack, bot, clock, caplog):
    slack.fail_next("chat.postMessage", "account_inactive")
    with caplog.at_level(logging.WARNING):
        fill_all_pages(slack_http, slack, "five-lenses")
        for _ in range(3):
            clock.advance(timedelta(minutes=5))
            bot.sender.run_once()
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert summary_row(bot).status is OwedStatus.FAILED
    assert any("account_inactive" in r.getMessage() for r in caplog.records)
    assert not any("M1" in r.getMessage() for r in caplog.records)  # no coaching text in logs


def test_passing_faults_are_retried_with_backoff_a_bounded_number_of_times(slack_http, slack, bot, clock):
    slack.fail_next("chat.postMessage", "internal_error", times=MAX_ATTEMPTS + 5)
    fill_all_pages(slack_http, slack, "five-lenses")
    for _ in range(MAX_ATTEMPTS + 5):
        clock.advance(timedelta(minutes=6))
        bot.sender.run_once()
    row = summary_row(bot)
    assert row.status is OwedStatus.FAILED and row.attempts == MAX_ATTEMPTS
    summaries = [c for c in slack.calls_to("chat.postMessage") if key_of(c) == row.key]
    assert len(summaries) == MAX_ATTEMPTS


def test_a_transient_fault_is_delivered_once_in_the_end(slack_http, slack, bot, clock):
    slack.fail_next("chat.postMessage", "internal_error", times=2)
    fill_all_pages(slack_http, slack, "five-lenses")
    for _ in range(4):
        clock.advance(timedelta(minutes=1))
        bot.sender.run_once()
    assert len(dms_to_coach(slack)) == 1 and summary_row(bot).status is OwedStatus.SENT


def test_a_leader_answering_a_check_in_gets_no_summary_dm_now_or_later(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)
    answer_in_full(slack_http, slack, delivery_id, message, {"progress": "3"})
    for _ in range(3):
        clock.advance(timedelta(minutes=2))
        bot.sender.run_once()
        bot.dispatcher.run_once()
    to_leader = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == LEADER]
    assert len(to_leader) == 1  # the check-in itself, nothing after it
    with Session(bot.engine) as session:
        assert session.exec(select(ProtocolRun)).one().user_id == LEADER  # the run the leader wrote
        owed = session.exec(select(OwedMessage).where(OwedMessage.kind != "checkin")).all()
    # Besides the check-ins themselves, what the bot owed was the coach's: the answer, which the
    # coach sees.
    assert [(o.kind, o.channel, o.status) for o in owed] == [
        ("answer_notice", COACH.user_id, OwedStatus.SENT)
    ]


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_scheduler_starts_with_the_bot_and_stops_cleanly(bot):
    bot.scheduler.start()
    # The rounds' catch-up job runs once at start (and may be done already); these repeat.
    repeating = {job.id for job in bot.scheduler.get_jobs() if isinstance(job.trigger, IntervalTrigger)}
    jobs = {"send-owed", "materialize-checkins", "keep-rounds", "write-kept-drafts", "read-locales"}
    assert repeating == jobs
    bot.scheduler.shutdown(wait=True)
    assert not bot.scheduler.running


def test_a_catch_up_that_finishes_as_the_scheduler_stops_does_not_kill_its_thread():
    """The scheduler's thread removes a one-off job once it has run; when the stop came first,
    APScheduler looked for it among the jobs never started and raised JobLookupError there."""
    scheduler = build_scheduler([], at_start={"catch-up": lambda: None})
    scheduler.start(paused=True)
    scheduler.shutdown(wait=True)
    scheduler.remove_job("catch-up")  # what the thread does next: no error, nothing left to do
