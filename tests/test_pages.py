"""Protocol pages as a coach moves through them: Back keeps both pages' answers, the completed
view offers Share and Export at once, and people are named as Slack shows them."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode

from tests import flow
from tests import slack_requests as sr


def click_in_page(action_id: str, value: str, view: dict, answers: dict, slack) -> sr.SlackRequest:
    """A click inside a page, carrying what is typed on it (Slack sends the view's state)."""
    request = sr.block_action(action_id, value, trigger_id=slack.issue_trigger_id(), view=view)
    payload = json.loads(parse_qs(request.body)["payload"][0])
    payload["view"]["state"] = sr.state_for(view, answers)
    payload["view"]["private_metadata"] = view["private_metadata"]
    return sr.SlackRequest(urlencode({"payload": json.dumps(payload)}), request.content_type)


def initial_values(view: dict) -> dict[str, object]:
    return {
        b["block_id"].removeprefix("step:"): b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    }


def test_back_shows_the_page_before_with_its_answers_and_keeps_whats_typed_on_this_one(slack_http, slack):
    spec = flow.protocol("five-lenses")
    first = flow.open_modal(slack_http, slack, "five-lenses")
    assert not [b for b in first["blocks"] if b["type"] == "actions"]  # no Back on the first page
    page_one = {s.id: flow.sample_answer(s, "one ") for s in spec.pages[0].steps}
    _, body = flow.submit(slack_http, first, page_one)
    second = {**body["view"], "id": first["id"]}
    (back,) = [e for b in second["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert back["text"]["text"] == "Back"
    typed = {spec.pages[1].steps[0].id: "Half a thought about power"}
    slack_http.send(click_in_page(back["action_id"], back["value"], second, typed, slack))
    shown = slack.calls_to("views.update")[-1]
    assert shown.ok and shown.args["view_id"] == first["id"]
    assert flow.current_page_id(shown.args["view"]) == spec.pages[0].id
    assert initial_values(shown.args["view"])["situation_name"] == page_one["situation_name"]
    # On again: the second page still holds what was typed before going back.
    _, body = flow.submit(slack_http, {**shown.args["view"], "id": first["id"]}, {})
    assert initial_values(body["view"])[spec.pages[1].steps[0].id] == "Half a thought about power"


def test_the_completed_view_offers_share_and_export_and_export_sends_the_file(slack_http, slack):
    body, pages = flow.fill_all_pages(slack_http, slack, "five-lenses")
    done = body["view"]
    buttons = {e["text"]["text"]: e for b in done["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert {"Share to a channel", "Export"} <= set(buttons)
    view = {**done, "id": pages[0]["id"]}  # the same window, now showing the summary
    slack_http.send(
        sr.block_action(
            buttons["Export"]["action_id"],
            buttons["Export"]["value"],
            trigger_id=slack.issue_trigger_id(),
            view=view,
        )
    )
    (upload,) = slack.files.values()
    assert upload["filename"].startswith("five-lenses-")
    assert "export" in json.dumps(slack.calls_to("views.update")[-1].args["view"]).lower()


def test_a_client_is_named_by_their_display_name_then_their_real_name(slack_http, slack):
    slack.add_user(flow.LEADER, name="mlopez", real_name="María López", display_name="María")
    saved = flow.add_client(slack_http, slack)
    assert "María" in json.dumps(saved["view"], ensure_ascii=False)
    assert "mlopez" not in json.dumps(saved["view"])
    slack.add_user("ULEADER2", name="jkim", real_name="Jun Kim")
    saved = flow.add_client(slack_http, slack, leader="ULEADER2")
    assert "Jun Kim" in json.dumps(saved["view"])
