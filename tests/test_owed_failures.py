"""Every kind the outbox sends meets Slack's failures the same way: a 429 waits its Retry-After,
a 5xx is retried with backoff, a timeout (Slack may have taken it) is looked up before anything
is sent again, and what no retry cures (channel_not_found, account_inactive, missing_scope) is
never retried and is reported. Transient ones end with the message delivered exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session, delete, select

from bot.scheduling.kinds import summary_owed
from bot.scheduling.sender import CLAIM_TIMEOUT, Sender
from bot.slack_gateway import SlackGateway
from bot.slack_http import KeepAliveWebClient
from bot.storage.models import OwedMessage, OwedStatus
from bot.storage.owed import Owe
from tests.checkin_setup import COACH, due_rows, schedule_for
from tests.conftest import BOT_TOKEN
from tests.flow import fill_all_pages

# Shorter than the fake's hang, so a hung post times out.
CLIENT_TIMEOUT_S = 0.2
HANG_S = 0.5


def about_a_check_in(kind: str) -> Callable:
    def owe(bot, slack_http, slack, clock) -> Owe:
        schedule = schedule_for(bot, "ULEAD01")
        (delivery_id,) = due_rows(bot, schedule, 1, due=clock.now + timedelta(days=1), to="ULEAD01")
        return Owe(f"{kind}:{delivery_id}", kind, COACH.team_id, COACH.user_id, delivery_id)

    return owe


def a_summary(bot, slack_http, slack, clock) -> Owe:
    """A completed run's summary, owed again from scratch (Finish sent it once already)."""
    fill_all_pages(slack_http, slack, "five-lenses")
    with Session(bot.engine) as session:
        (row,) = session.exec(select(OwedMessage)).all()
        session.exec(delete(OwedMessage))
        session.commit()
    slack.reset()
    return summary_owed(COACH, row.ref)


KINDS = {
    "pause_notice": about_a_check_in("pause_notice"),
    "missed_notice": about_a_check_in("missed_notice"),
    "answer_notice": about_a_check_in("answer_notice"),
    "undeliverable_notice": about_a_check_in("undeliverable_notice"),
    "summary": a_summary,
}


@pytest.fixture
def sender(bot, slack, clock) -> Sender:
    """The outbox's sender with a client that gives up on an answer after CLIENT_TIMEOUT_S."""
    client = KeepAliveWebClient(token=BOT_TOKEN, base_url=slack.url, timeout=CLIENT_TIMEOUT_S)
    return Sender(engine=bot.engine, gateway=SlackGateway(client), kinds=bot.kinds, clock=clock)


def posts_of(slack, key: str) -> list:
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if (call.args.get("metadata") or {}).get("event_payload", {}).get("key") == key
    ]


def stored_with(slack, key: str) -> int:
    """Messages Slack holds that carry the key: what the person actually got."""
    return sum(
        (m.get("metadata") or {}).get("event_payload", {}).get("key") == key
        for messages in slack.messages.values()
        for m in messages
    )


def row_of(bot, key: str) -> OwedMessage:
    with Session(bot.engine) as session:
        return session.exec(select(OwedMessage).where(OwedMessage.key == key)).one()


TRANSIENT = {
    "429": lambda slack: slack.rate_limit_next("chat.postMessage", retry_after=5),
    "500": lambda slack: slack.fail_next("chat.postMessage", "internal_error", status=500),
    "timeout": lambda slack: slack.hang_next("chat.postMessage", HANG_S),
}


@pytest.mark.parametrize("failure", sorted(TRANSIENT))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_passing_failure_ends_with_the_message_delivered_once(
    bot, slack, slack_http, clock, sender, kind, failure
):
    owed = KINDS[kind](bot, slack_http, slack, clock)
    sender.owe(owed)
    TRANSIENT[failure](slack)
    first = sender.run_once()
    assert first.sent == 0 and first.retried == 1
    for _ in range(3):
        clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))  # past any Retry-After, backoff or stale claim
        sender.run_once()
    assert row_of(bot, owed.key).status is OwedStatus.SENT
    assert stored_with(slack, owed.key) == 1
    if failure == "timeout":  # Slack had taken it: found in the history, not posted again
        assert len(posts_of(slack, owed.key)) == 1 and slack.calls_to("conversations.history")


PERMANENT = {
    "channel_not_found": lambda slack: slack.fail_next("chat.postMessage", "channel_not_found"),
    "account_inactive": lambda slack: slack.fail_next("chat.postMessage", "account_inactive"),
    # The app as installed without the scope: the fake refuses it as Slack does.
    "missing_scope": lambda slack: setattr(slack, "scopes", slack.scopes - {"chat:write"}),
}


@pytest.mark.parametrize("failure", sorted(PERMANENT))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_permanent_failure_is_never_retried_and_is_reported(
    bot, slack, slack_http, clock, sender, kind, failure, caplog
):
    owed = KINDS[kind](bot, slack_http, slack, clock)
    sender.owe(owed)
    PERMANENT[failure](slack)
    with caplog.at_level(logging.WARNING):
        assert sender.run_once().failed == 1
        for _ in range(3):
            clock.advance(timedelta(minutes=10))
            sender.run_once()
    row = row_of(bot, owed.key)
    assert (row.status, row.reason, row.attempts) == (OwedStatus.FAILED, failure, 1)
    assert len(posts_of(slack, owed.key)) == 1 and stored_with(slack, owed.key) == 0
    assert any(owed.key in r.getMessage() and failure in r.getMessage() for r in caplog.records)
    if failure == "missing_scope":  # the operator's line says what to do about the install
        operator = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert any("chat:write" in line and "reinstall" in line for line in operator), operator


def test_a_row_that_cannot_be_rendered_fails_alone_and_the_rest_go_out(bot, slack, clock, sender, caplog):
    good = about_a_check_in("pause_notice")(bot, None, slack, clock)
    broken = Owe("round_reminder:garbled", "round_reminder", COACH.team_id, COACH.user_id, "no-phase-here")
    unknown = Owe("from-a-newer-bot:1", "from_a_newer_bot", COACH.team_id, COACH.user_id, "x")
    sender.owe(broken, unknown, good)
    report = sender.run_once()
    assert (report.sent, report.failed) == (1, 2)
    assert (
        row_of(bot, broken.key).reason == "render_error" and row_of(bot, unknown.key).reason == "unknown_kind"
    )
    assert stored_with(slack, good.key) == 1
    assert sender.run_once().failed == 0  # failed for good: not taken again
