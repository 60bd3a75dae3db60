"""`/coach help` as a coach meets it: a few lines and buttons, and "did you mean" for a typo."""

from __future__ import annotations

import json
import re

from tests import flow
from tests import slack_requests as sr


def words(body: dict) -> int:
    text = " ".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section")
    return len(re.findall(r"\S+", text))


def elements(body: dict) -> dict[str, dict]:
    found = {}
    for block in body["blocks"]:
        for element in [block.get("accessory"), *block.get("elements", [])]:
            if element:
                found[element.get("text", element.get("placeholder", {})).get("text")] = element
    return found


def test_help_is_a_few_lines_and_the_buttons_a_coach_needs_most(slack_http, slack, bot):
    body = slack_http.send(sr.command("help", trigger_id=slack.issue_trigger_id())).json()
    assert words(body) <= 70  # it was 570
    shown = elements(body)
    assert set(shown) == {"Start a protocol", "History", "Clients", "Check-ins"}
    assert [o["value"] for o in shown["Start a protocol"]["options"]] == [
        p.id for p in bot.runs.coach_protocols
    ]
    slack_http.send(
        sr.block_action(
            shown["Start a protocol"]["action_id"],
            "",
            selected="left-hand-column",
            trigger_id=slack.issue_trigger_id(),
        )
    )
    assert slack.calls_to("views.open")[-1].args["view"]["callback_id"] == "protocol_page"


def test_a_typo_gets_did_you_mean_and_the_short_list(slack_http, slack):
    body = slack_http.send(sr.command("histroy", trigger_id=slack.issue_trigger_id())).json()
    text = json.dumps(body["blocks"])
    assert "I don't know `histroy`. Did you mean `/coach history`?" in text
    assert words(body) <= 80
    body = slack_http.send(sr.command("start five-lense", trigger_id=slack.issue_trigger_id())).json()
    assert "Did you mean `/coach start five-lenses`?" in json.dumps(body["blocks"])
    body = slack_http.send(sr.command("five-lense", trigger_id=slack.issue_trigger_id())).json()
    assert "Did you mean `/coach five-lenses`?" in json.dumps(body["blocks"])
    body = slack_http.send(sr.command("dance", trigger_id=slack.issue_trigger_id())).json()
    assert "Did you mean" not in json.dumps(body["blocks"])


def test_check_ins_lists_the_coachs_clients_and_one_click_shows_a_clients_check_ins(slack_http, slack):
    slack.add_user(flow.LEADER, name=flow.LEADER_NAME)
    flow.add_client(slack_http, slack)
    body = slack_http.send(sr.command("help", trigger_id=slack.issue_trigger_id())).json()
    button = elements(body)["Check-ins"]
    slack_http.send(
        sr.block_action(button["action_id"], button["value"], trigger_id=slack.issue_trigger_id())
    )
    listed = slack.calls_to("views.update")[-1]
    assert listed.ok
    (line,) = [b for b in listed.args["view"]["blocks"] if "accessory" in b]
    assert flow.LEADER_NAME in line["text"]["text"] and line["accessory"]["text"]["text"] == "Check-ins"
    modal = {**listed.response["view"]}
    slack_http.send(
        sr.block_action(
            line["accessory"]["action_id"],
            line["accessory"]["value"],
            trigger_id=slack.issue_trigger_id(),
            view=modal,
        )
    )
    (pushed,) = slack.calls_to("views.push")
    assert pushed.ok and pushed.args["view"]["callback_id"] == "schedule_form"  # no schedule yet: the form
