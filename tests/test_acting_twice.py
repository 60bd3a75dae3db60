"""Acting twice acts once: a share, an export or a form sent again (a double click, a retry, an
impatient second try) does nothing more and answers that it is already done, with a link to
what was done where there is one."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from bot.ids import ActionId, pair
from bot.storage.models import CheckinSchedule, FeedbackRound, Goal, Share
from tests import round_flow as rf
from tests import slack_requests as sr
from tests.flow import LEADER, LEADER_NAME, add_client
from tests.test_checkin_answers import LEADER as CHECKIN_LEADER
from tests.test_checkin_answers import delivered, to_coach
from tests.test_run_actions import click, finished, open_run  # noqa: F401 (finished: a fixture)
from tests.test_schedules import open_checkins

CHANNEL = "CCOLLAB1"


def posts_to(slack, channel: str) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == channel and c.ok]


def share_form(slack_http, slack, run_id: str, view: dict) -> dict:
    click(slack_http, slack, ActionId.SHARE_CHANNEL, run_id, view)
    form = slack.calls_to("views.push")[-1].response["view"]
    return {**form, "previous_view_id": view["id"]}


def test_sharing_to_a_channel_twice_posts_once_and_links_the_first(slack_http, slack, bot, finished):  # noqa: F811
    view = open_run(slack_http, slack, finished)
    form = share_form(slack_http, slack, finished, view)
    first = slack_http.send(sr.form_submission(form, {"share_channel": CHANNEL}))
    assert first.status_code == 200 and not first.content  # the form closes
    again = slack_http.send(sr.form_submission(form, {"share_channel": CHANNEL})).json()
    second_form = share_form(slack_http, slack, finished, view)
    third = slack_http.send(sr.form_submission(second_form, {"share_channel": CHANNEL})).json()
    assert len(posts_to(slack, CHANNEL)) == 1
    (permalink,) = {c.response["permalink"] for c in slack.calls_to("chat.getPermalink")}
    for answer in (again, third):
        shown = json.dumps(answer["view"])
        assert answer["response_action"] == "update" and "already shared" in shown and permalink in shown
    with Session(bot.engine) as session:
        assert len(session.exec(select(Share)).all()) == 1


def test_after_a_withdrawal_sharing_again_is_a_new_share(slack_http, slack, bot, finished):  # noqa: F811
    view = open_run(slack_http, slack, finished)
    slack_http.send(
        sr.form_submission(share_form(slack_http, slack, finished, view), {"share_channel": CHANNEL})
    )
    with Session(bot.engine) as session:
        share = session.exec(select(Share)).one()
    click(slack_http, slack, ActionId.WITHDRAW_SHARE, pair(finished, share.id), view)
    slack_http.send(
        sr.form_submission(share_form(slack_http, slack, finished, view), {"share_channel": CHANNEL})
    )
    assert len(posts_to(slack, CHANNEL)) == 2 and len(slack.messages[CHANNEL]) == 1


def test_sharing_with_the_client_twice_sends_them_one_dm(slack_http, slack, bot, finished):  # noqa: F811
    view = open_run(slack_http, slack, finished)
    click(slack_http, slack, ActionId.SHARE_CLIENT, finished, view)
    click(slack_http, slack, ActionId.SHARE_CLIENT, finished, view)
    assert len(posts_to(slack, LEADER)) == 1
    shown = json.dumps(slack.calls_to("views.update")[-1].args["view"])
    assert (
        "already shared" in shown and slack.calls_to("chat.getPermalink")[-1].response["permalink"] in shown
    )


def test_exporting_twice_sends_one_file_and_says_so(slack_http, slack, bot, finished):  # noqa: F811
    view = open_run(slack_http, slack, finished)
    click(slack_http, slack, ActionId.EXPORT_RUN, finished, view)
    click(slack_http, slack, ActionId.EXPORT_RUN, finished, view)
    assert len(slack.files) == 1
    assert "already in your DMs" in json.dumps(slack.calls_to("views.update")[-1].args["view"])
    for _ in range(2):
        answer = slack_http.send(
            sr.command(f"export <@{LEADER}>", trigger_id=slack.issue_trigger_id())
        ).json()
    assert len(slack.files) == 2 and "already in your DMs" in json.dumps(answer["blocks"])


def test_a_failed_export_can_be_tried_again(slack_http, slack, bot, finished):  # noqa: F811
    view = open_run(slack_http, slack, finished)
    slack.fail_next("files.getUploadURLExternal", "internal_error")
    click(slack_http, slack, ActionId.EXPORT_RUN, finished, view)
    assert slack.files == {}
    told = posts_to(slack, sr.COACH)
    assert told and "couldn't send the export" in json.dumps(told[-1].args["blocks"])
    click(slack_http, slack, ActionId.EXPORT_RUN, finished, view)
    assert len(slack.files) == 1


def test_the_check_in_form_sent_twice_makes_one_schedule_and_one_goal(slack_http, slack, bot):
    slack.add_user(LEADER, name=LEADER_NAME, tz="America/New_York")
    add_client(slack_http, slack)
    form = open_checkins(slack_http, slack)
    answers = {
        "schedule_new_goal": "All 9th graders read 20 minutes a day",
        "schedule_cadence": "weekly",
        "schedule_time": "16:00",
        "schedule_first": "2026-11-23",
    }
    first = slack_http.send(sr.form_submission(form, answers)).json()
    again = slack_http.send(sr.form_submission(form, answers)).json()
    assert "next check-in" in json.dumps(first["view"]) and "already saved" in json.dumps(again["view"])
    with Session(bot.engine) as session:
        assert len(session.exec(select(CheckinSchedule)).all()) == 1
        assert len(session.exec(select(Goal)).all()) == 1


def test_pausing_check_ins_twice_tells_the_coach_once(slack_http, slack, bot, clock):
    delivery_id, message = delivered(bot, slack, clock)
    for _ in range(2):
        slack_http.send(
            sr.block_action(
                ActionId.CHECKIN_LATER,
                "",
                trigger_id=slack.issue_trigger_id(),
                user=CHECKIN_LEADER,
                message=message,
                selected=pair(delivery_id, "pause"),
                action_type="overflow",
            )
        )
        bot.sender.run_once()  # the notice is owed in the outbox; its sender passes after each click
    told = [c for c in to_coach(slack) if "paused their check-ins" in json.dumps(c.args["blocks"])]
    assert len(told) == 1


def test_a_restated_focus_sent_twice_is_said_once_in_the_thread(slack_http, slack, bot, clock):
    rf.set_up_channel(slack)
    rf.register(slack_http, slack)
    rf.frame(slack_http, slack, "consultancy")
    with Session(bot.engine) as session:
        round_id = session.exec(select(FeedbackRound)).one().id
    rf.click(slack_http, slack, ActionId.ROUND_RESTATE, round_id)
    restate = slack.calls_to("views.open")[-1].response["view"]
    for _ in range(2):
        slack_http.send(sr.view_submission(restate, {"round_focus": "How do I invite the team to own it?"}))
    said = [
        m for m in slack.messages[rf.CHANNEL] if "invite the team to own it" in json.dumps(m.get("blocks"))
    ]
    assert len(said) == 1
