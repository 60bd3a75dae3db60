"""When Slack fails the bot, the coach is told in words: a window that did not open, a window
that could not be filled (never left on "Opening…"), an export that did not arrive."""

from __future__ import annotations

import json

import pytest

from bot.ids import ActionId
from tests import slack_requests as sr
from tests.flow import LEADER, LEADER_NAME, add_client
from tests.test_run_actions import click, finished, open_run  # noqa: F401 (finished: a fixture)


def dms_to_coach(slack) -> str:
    return json.dumps(
        [c.args.get("blocks") for c in slack.calls_to("chat.postMessage") if c.args["channel"] == sr.COACH]
    )


def fail(slack, method: str, how: str, times: int = 1) -> None:
    if how == "no answer":
        slack.drop_next(method, times=times)
    else:
        slack.fail_next(method, how, times=times)


@pytest.mark.parametrize("how", ["internal_error", "no answer"])
def test_a_window_that_does_not_open_is_told_in_the_commands_answer(slack_http, slack, how):
    fail(slack, "views.open", how)
    request = sr.with_response_url(
        sr.command("start five-lenses", trigger_id=slack.issue_trigger_id()), slack.response_url
    )
    assert slack_http.send(request).status_code == 200
    (told,) = slack.calls_to("response_url")
    assert "didn't open the window" in json.dumps(told.args["blocks"])


@pytest.mark.parametrize("how", ["internal_error", "no answer"])
def test_a_window_that_does_not_open_from_a_button_is_told_in_a_dm(slack_http, slack, how):
    fail(slack, "views.open", how)
    click = sr.block_action(ActionId.START_PROTOCOL, "five-lenses", trigger_id=slack.issue_trigger_id())
    assert slack_http.send(click).status_code == 200
    assert "didn't open the window" in dms_to_coach(slack)


def test_a_window_that_cannot_be_filled_says_so_instead_of_opening(slack_http, slack):
    slack.add_user(LEADER, name=LEADER_NAME)
    add_client(slack_http, slack)
    slack.fail_next("views.update", "internal_error")
    slack_http.send(sr.command(f"checkins <@{LEADER}>", trigger_id=slack.issue_trigger_id()))
    opened = slack.calls_to("views.open")[-1].response["view"]["id"]
    shown = slack.views[opened]
    assert "didn't let me show" in json.dumps(shown["blocks"]) and "Opening" not in json.dumps(shown)


def test_a_window_slack_takes_nothing_into_is_told_in_a_dm(slack_http, slack):
    slack.add_user(LEADER, name=LEADER_NAME)
    add_client(slack_http, slack)
    fail(slack, "views.update", "no answer", times=2)  # the content, then the notice saying so
    slack_http.send(sr.command(f"checkins <@{LEADER}>", trigger_id=slack.issue_trigger_id()))
    assert "didn't let me show" in dms_to_coach(slack)


def test_an_export_whose_upload_gets_no_answer_is_told(slack_http, slack, bot, finished):  # noqa: F811
    view = open_run(slack_http, slack, finished)
    slack.drop_next("files.completeUploadExternal")
    click(slack_http, slack, ActionId.EXPORT_RUN, finished, view)
    assert "couldn't send the export" in json.dumps(slack.calls_to("views.update")[-1].args["view"])
    assert "couldn't send the export" in dms_to_coach(slack)
