"""A leader answers a check-in in their DM: a tap, a short modal, later, never, or not now."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.ids import ActionId, pair
from bot.scheduling.dispatch import Dispatcher
from bot.storage.models import AnswerRevision, CheckinSchedule, Delivery, DeliveryStatus, ProtocolRun
from tests import slack_requests as sr
from tests.checkin_setup import COACH, due_rows, schedule_for

# The calendar matters here: CI runs these again with the machine's clock moved (tests/at_date.py).
pytestmark = pytest.mark.dates

LEADER = "ULEAD01"
# How much sooner than asked a paced send may go: the pace maps the database's clock onto ours.
JITTER = 0.02


def delivered(bot, slack, clock) -> tuple[str, tuple[str, str]]:
    """One check-in sent to the leader; returns its id and the message (channel, ts)."""
    slack.add_user(LEADER, tz="America/New_York")
    schedule = schedule_for(bot, LEADER)
    (delivery_id,) = due_rows(bot, schedule, 1, due=clock.now - timedelta(minutes=1), to=LEADER)
    assert bot.dispatcher.run_once().sent == 1
    message = [c for c in slack.calls_to("chat.postMessage") if c.args.get("metadata")][-1]
    return delivery_id, (message.response["channel"], message.response["ts"])


def press(
    slack_http, slack, action_id: str, delivery_id: str, message: tuple[str, str], *, user: str = LEADER
):
    """A click on the check-in message's button, by `user`."""
    request = sr.block_action(
        action_id, delivery_id, trigger_id=slack.issue_trigger_id(), user=user, message=message
    )
    return slack_http.send(request)


def answer_in_full(slack_http, slack, delivery_id: str, message: tuple[str, str], answers: dict) -> None:
    """The leader opens the full check-in from the message and sends it."""
    press(slack_http, slack, ActionId.CHECKIN_ANSWER, delivery_id, message)
    form = slack.calls_to("views.open")[-1].response["view"]
    submitted = sr.view_submission(form, {"goal_still_right": "yes"} | answers, user=LEADER)
    assert slack_http.send(submitted).json() == {"response_action": "clear"}


def row(bot, delivery_id: str) -> Delivery:
    with Session(bot.engine) as session:
        return session.get(Delivery, delivery_id)


def to_coach(slack) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == COACH.user_id]


def test_a_tap_on_a_rating_answers_and_the_coach_hears_it(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)
    buttons = slack.calls_to("chat.postMessage")[-1].args["blocks"][2]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["1", "2", "3", "4", "5"]
    press(slack_http, slack, f"{ActionId.CHECKIN_RATE}:4", delivery_id, message, user=LEADER)
    answered = row(bot, delivery_id)
    assert answered.status == DeliveryStatus.ANSWERED and answered.rating == 4
    (updated,) = slack.calls_to("chat.update")
    assert updated.ok and "4 of 5" in json.dumps(updated.args["blocks"])
    bot.dispatcher.run_once()
    (told,) = to_coach(slack)
    assert "4 of 5" in json.dumps(told.args["blocks"])


def test_the_coach_hears_of_an_answer_on_the_next_pass_and_only_once(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)
    press(slack_http, slack, f"{ActionId.CHECKIN_RATE}:2", delivery_id, message)
    assert to_coach(slack) == []  # the listener only answers the leader; the dispatcher tells
    assert bot.dispatcher.run_once().passed_on == 1
    (told,) = to_coach(slack)
    assert told.ok and "2 of 5" in json.dumps(told.args["blocks"])
    assert bot.dispatcher.run_once().passed_on == 0
    assert len(to_coach(slack)) == 1


def test_a_rating_then_the_full_check_in_before_a_pass_make_one_notice(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)
    press(slack_http, slack, f"{ActionId.CHECKIN_RATE}:2", delivery_id, message)
    answer_in_full(slack_http, slack, delivery_id, message, {"progress": "3", "evidence": "Reading logs"})
    assert bot.dispatcher.run_once().passed_on == 1
    (told,) = to_coach(slack)
    said = json.dumps(told.args["blocks"])
    assert "3 of 5" in said and "Reading logs" in said and "2 of 5" not in said  # the latest


def test_a_rate_limited_notice_reaches_the_coach_after_the_wait(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)
    press(slack_http, slack, f"{ActionId.CHECKIN_RATE}:5", delivery_id, message)
    paced = Dispatcher(engine=bot.engine, kinds=bot.kinds, gateway=bot.gateway, clock=clock)
    slack.rate_limit_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    assert paced.run_once().passed_on == 1
    assert time.monotonic() - started >= 1 - JITTER  # Slack's Retry-After, waited out
    assert [c.status for c in to_coach(slack)] == [429, 200]
    assert "5 of 5" in json.dumps(to_coach(slack)[-1].args["blocks"])
    assert paced.run_once().passed_on == 0 and len(to_coach(slack)) == 2


def test_a_retried_rating_click_tells_the_coach_once(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)
    click = sr.block_action(
        f"{ActionId.CHECKIN_RATE}:4",
        delivery_id,
        trigger_id=slack.issue_trigger_id(),
        user=LEADER,
        message=message,
    )
    slack_http.send(click)
    slack_http.send(click)  # Slack delivers it again ...
    bot.dispatcher.run_once()
    slack_http.send(click)  # ... and once more, after the notice went
    bot.dispatcher.run_once()
    (told,) = to_coach(slack)
    assert "4 of 5" in json.dumps(told.args["blocks"]) and row(bot, delivery_id).rating == 4


def test_a_notice_slack_refuses_for_good_is_dropped_and_logged_by_ids_only(
    slack_http, slack, bot, clock, caplog
):
    delivery_id, message = delivered(bot, slack, clock)
    answer_in_full(slack_http, slack, delivery_id, message, {"progress": "1", "evidence": "Nobody read"})
    slack.fail_next("chat.postMessage", "account_inactive")
    with caplog.at_level(logging.WARNING, logger="bot.scheduling.sender"):
        assert bot.dispatcher.run_once().passed_on == 0
    (refused,) = to_coach(slack)
    assert not refused.ok
    assert delivery_id in caplog.text and "account_inactive" in caplog.text
    assert "Nobody read" not in caplog.text
    assert bot.dispatcher.run_once().passed_on == 0 and len(to_coach(slack)) == 1


def test_the_answer_modal_stores_a_check_in_run_and_can_be_changed_later(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)
    press(slack_http, slack, ActionId.CHECKIN_ANSWER, delivery_id, message, user=LEADER)
    form = slack.calls_to("views.open")[-1].response["view"]
    assert form["callback_id"] == "checkin_form"
    answers = {
        "progress": "3",
        "evidence": "Reading logs",
        "goal_still_right": "yes",
        "obstacle_kinds": ["capacity"],
    }
    body = slack_http.send(sr.view_submission(form, answers, user=LEADER)).json()
    assert body == {"response_action": "clear"}
    first = row(bot, delivery_id)
    assert first.status == DeliveryStatus.ANSWERED and first.rating == 3 and first.run_id
    bot.dispatcher.run_once()
    (told,) = to_coach(slack)
    assert "Reading logs" in json.dumps(told.args["blocks"]) and "3 of 5" in json.dumps(told.args["blocks"])

    press(slack_http, slack, ActionId.CHECKIN_ANSWER, delivery_id, message, user=LEADER)
    again = slack.calls_to("views.open")[-1].response["view"]
    progress = next(b for b in again["blocks"] if b.get("block_id") == "step:progress")
    assert progress["element"]["initial_option"]["value"] == "3"  # the answer given, to change
    slack_http.send(sr.view_submission(again, {"progress": "4"}, user=LEADER))
    assert row(bot, delivery_id).rating == 4 and row(bot, delivery_id).run_id == first.run_id
    bot.dispatcher.run_once()
    assert "4 of 5" in json.dumps(to_coach(slack)[-1].args["blocks"])  # the change, told too
    with Session(bot.engine) as session:
        assert [r.step_id for r in session.exec(select(AnswerRevision)).all()] == ["progress"]


def test_a_late_answer_is_taken_until_the_window_closes(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)
    clock.advance(timedelta(days=6))
    press(slack_http, slack, f"{ActionId.CHECKIN_RATE}:2", delivery_id, message, user=LEADER)
    assert row(bot, delivery_id).rating == 2
    clock.advance(timedelta(days=2))  # past the next occurrence
    press(slack_http, slack, f"{ActionId.CHECKIN_RATE}:5", delivery_id, message, user=LEADER)
    assert row(bot, delivery_id).rating == 2
    assert "closed" in json.dumps(slack.calls_to("chat.update")[-1].args["blocks"])


def test_snooze_skip_and_pause(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)

    def choose(choice: str) -> None:
        slack_http.send(
            sr.block_action(
                ActionId.CHECKIN_LATER,
                "",
                trigger_id=slack.issue_trigger_id(),
                user=LEADER,
                message=message,
                selected=pair(delivery_id, choice),
                action_type="overflow",
            )
        )

    choose("later")
    snoozed = row(bot, delivery_id)
    assert snoozed.status == DeliveryStatus.PENDING and snoozed.due_at > clock.now + timedelta(hours=2)
    clock.advance(timedelta(hours=3, minutes=1))
    assert bot.dispatcher.run_once().sent == 1  # asked again, once
    choose("skip")
    assert row(bot, delivery_id).status == DeliveryStatus.SKIPPED
    choose("pause")
    with Session(bot.engine) as session:
        assert session.exec(select(CheckinSchedule)).one().paused
    assert bot.sender.run_once().sent == 1
    assert "paused their check-ins" in json.dumps(to_coach(slack)[-1].args["blocks"])


def test_a_pause_notice_slack_says_to_wait_with_reaches_the_coach_after_the_wait(
    slack_http, slack, bot, clock
):
    delivery_id, message = delivered(bot, slack, clock)
    choice = pair(delivery_id, "pause")
    click = sr.block_action(
        ActionId.CHECKIN_LATER,
        "",
        trigger_id=slack.issue_trigger_id(),
        user=LEADER,
        message=message,
        selected=choice,
        action_type="overflow",
    )
    slack.rate_limit_next("chat.postMessage", retry_after=20, channel=COACH.user_id)
    slack_http.send(click)
    assert bot.sender.run_once().retried == 1 and to_coach(slack)[-1].status == 429
    clock.advance(timedelta(seconds=21))
    assert bot.sender.run_once().sent == 1
    slack_http.send(click)  # Slack retries the click: the coach is told once
    bot.sender.run_once()
    assert [c.status for c in to_coach(slack)] == [429, 200]


def test_nobody_else_can_answer_a_leaders_check_in(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)
    press(slack_http, slack, f"{ActionId.CHECKIN_RATE}:1", delivery_id, message, user=sr.OTHER_COACH)
    press(slack_http, slack, ActionId.CHECKIN_ANSWER, delivery_id, message, user=sr.OTHER_COACH)
    assert row(bot, delivery_id).status == DeliveryStatus.SENT and row(bot, delivery_id).rating is None
    shown = slack.calls_to("views.open")[-1].args["view"]
    assert "belongs to someone else" in json.dumps(shown)
    assert slack.calls_to("chat.update") == []


def test_the_answer_form_shows_what_is_missing_and_keeps_the_rest(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)
    press(slack_http, slack, ActionId.CHECKIN_ANSWER, delivery_id, message, user=LEADER)
    form = slack.calls_to("views.open")[-1].response["view"]
    body = slack_http.send(sr.view_submission(form, {"evidence": "Exit tickets"}, user=LEADER)).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"step:progress", "step:goal_still_right"}
    assert row(bot, delivery_id).status == DeliveryStatus.SENT
    # The modal stays open with what was typed; the leader fills in the rest and sends again.
    fixed = {"evidence": "Exit tickets", "progress": "2", "goal_still_right": "talk"}
    done = slack_http.send(sr.view_submission(form, fixed, user=LEADER)).json()
    assert done == {"response_action": "clear"}
    answered = row(bot, delivery_id)
    assert answered.status == DeliveryStatus.ANSWERED and answered.rating == 2
    bot.dispatcher.run_once()
    assert "Exit tickets" in json.dumps(to_coach(slack)[-1].args["blocks"])
    with Session(bot.engine) as session:
        assert len(session.exec(select(ProtocolRun)).all()) == 1  # one run for both tries


def test_the_coach_sees_ratings_statuses_and_open_obstacles(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)
    press(slack_http, slack, ActionId.CHECKIN_ANSWER, delivery_id, message)
    form = slack.calls_to("views.open")[-1].response["view"]
    answers = {
        "progress": "2",
        "goal_still_right": "yes",
        "obstacle_kinds": ["capacity", "emotional_support"],
    }
    slack_http.send(sr.view_submission(form, answers, user=LEADER))
    with Session(bot.engine) as session:
        client_id = session.exec(select(CheckinSchedule)).one().client_id
    view = bot_view(bot, client_id)
    text = json.dumps(view["blocks"])
    assert "answered, 2 of 5" in text
    assert "Open obstacles" in text and "capacity, emotional support" in text


def bot_view(bot, client_id: str) -> dict:
    from bot.blocks.schedules import checkins_view

    schedule = bot.checkins.schedule_of(COACH, client_id)
    client = bot.clients.get(COACH, client_id)
    return checkins_view(
        client, schedule, bot.checkins.next_due(schedule), bot.checkins.history(COACH, client_id)
    )
