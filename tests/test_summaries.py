"""The summary DM: sent once when a run completes, and retried when Slack could not take it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session, select

from bot.scheduling.summaries import RETRY_AFTER, retry_unsent_summaries
from bot.storage.models import ProtocolRun
from tests.flow import fill_all_pages

# The calendar matters here: CI runs these again with the machine's clock moved (tests/at_date.py).
pytestmark = pytest.mark.dates


def summary_sent(bot) -> bool:
    with Session(bot.engine) as session:
        return session.exec(select(ProtocolRun)).one().summary_sent_at is not None


def test_a_summary_slack_refused_is_sent_later_by_the_scheduler_job_once(slack_http, slack, bot, clock):
    slack.rate_limit_next("chat.postMessage", retry_after=30)
    body, _ = fill_all_pages(slack_http, slack, "five-lenses")
    assert body["view"]["callback_id"] == "protocol_summary"  # the coach still sees the summary
    (refused,) = slack.calls_to("chat.postMessage")
    assert refused.status == 429
    assert not summary_sent(bot)

    assert retry_unsent_summaries(bot.runs, bot.gateway) == 0  # too early: the listener may be sending
    clock.advance(RETRY_AFTER + timedelta(seconds=1))
    assert retry_unsent_summaries(bot.runs, bot.gateway) == 1
    assert summary_sent(bot)
    assert retry_unsent_summaries(bot.runs, bot.gateway) == 0
    delivered = [c for c in slack.calls_to("chat.postMessage") if c.ok]
    assert len(delivered) == 1


def test_the_listener_does_not_wait_out_a_rate_limit(slack_http, slack, bot):
    slack.rate_limit_next("chat.postMessage", retry_after=120)
    fill_all_pages(slack_http, slack, "five-lenses")  # returns at once: nobody sleeps 120 s
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_scheduler_starts_with_the_bot_and_stops_cleanly(bot):
    bot.scheduler.start()
    # The rounds' catch-up job runs once at start (and may be done already); these repeat.
    repeating = {job.id for job in bot.scheduler.get_jobs() if isinstance(job.trigger, IntervalTrigger)}
    assert repeating == {
        "retry-summaries",
        "materialize-checkins",
        "dispatch-checkins",
        "keep-rounds",
        "write-kept-drafts",
    }
    bot.scheduler.shutdown(wait=True)
    assert not bot.scheduler.running
