"""`/coach` as a coach uses it: help, unknown words, opening a protocol, resume and history."""

from __future__ import annotations

import json

from bot.actor import Actor
from bot.ids import CallbackId
from tests import slack_requests as sr


def test_help_is_an_ephemeral_message_listing_the_protocols(slack_http, slack):
    response = slack_http.send(sr.command("help", trigger_id=slack.issue_trigger_id()))
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    text = json.dumps(body["blocks"])
    assert "five-lenses" in text and "/coach resume" in text
    assert [c.method for c in slack.calls if c.method != "auth.test"] == []  # answered in the ack


def test_empty_command_shows_help(slack_http, slack):
    body = slack_http.send(sr.command("", trigger_id=slack.issue_trigger_id())).json()
    assert "five-lenses" in json.dumps(body["blocks"])


def test_unknown_subcommand_gets_help_naming_what_was_typed(slack_http, slack):
    body = slack_http.send(sr.command("dance <!channel>", trigger_id=slack.issue_trigger_id())).json()
    text = json.dumps(body["blocks"])
    assert "dance &lt;!channel&gt;" in text  # named, and escaped so it cannot ping anyone
    assert "<!channel>" not in text
    assert "five-lenses" in text


def test_start_opens_the_first_page_in_a_modal(slack_http, slack, bot):
    trigger = slack.issue_trigger_id()
    response = slack_http.send(sr.command("start five-lenses", trigger_id=trigger))
    assert response.status_code == 200
    (call,) = slack.calls_to("views.open")
    assert call.ok, call.response
    assert call.args["trigger_id"] == trigger
    view = call.args["view"]
    assert view["callback_id"] == CallbackId.PROTOCOL_PAGE
    assert view["title"]["text"] == "Five lenses"
    assert view["notify_on_close"] is True
    assert any(b["type"] == "input" for b in view["blocks"])
    assert bot.runs.listing(Actor(sr.TEAM, sr.COACH)) == []  # the run begins with the first answer


def test_protocol_id_alone_is_a_shortcut_for_start(slack_http, slack):
    slack_http.send(sr.command("five-lenses", trigger_id=slack.issue_trigger_id()))
    (call,) = slack.calls_to("views.open")
    assert call.ok and call.args["view"]["title"]["text"] == "Five lenses"


def test_expired_trigger_tells_the_coach_to_try_again(slack_http, slack):
    trigger = slack.issue_trigger_id()
    slack.expire_trigger(trigger)
    request = sr.with_response_url(sr.command("start five-lenses", trigger_id=trigger), slack.response_url)
    slack_http.send(request)
    (opened,) = slack.calls_to("views.open")
    assert opened.response["error"] == "expired_trigger_id"
    (reply,) = slack.calls_to("response_url")
    assert reply.args["response_type"] == "ephemeral"
    assert "try the same command again" in json.dumps(reply.args["blocks"])


def test_resume_with_nothing_unfinished_says_so(slack_http, slack):
    body = slack_http.send(sr.command("resume", trigger_id=slack.issue_trigger_id())).json()
    assert "no unfinished protocols" in json.dumps(body["blocks"])


def test_history_with_no_runs_says_so(slack_http, slack):
    body = slack_http.send(sr.command("history", trigger_id=slack.issue_trigger_id())).json()
    assert "not run a protocol yet" in json.dumps(body["blocks"])


def test_leader_protocols_are_not_offered_to_coaches(slack_http, slack):
    body = slack_http.send(sr.command("help", trigger_id=slack.issue_trigger_id())).json()
    assert "goal-checkin" not in json.dumps(body["blocks"])
    started = slack_http.send(sr.command("start goal-checkin", trigger_id=slack.issue_trigger_id())).json()
    assert "I don't know `start goal-checkin`" in json.dumps(started["blocks"])
    assert slack.calls_to("views.open") == []
