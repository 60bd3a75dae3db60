"""Walking a protocol through the Slack surface: open it, fill pages, follow the modal."""

from __future__ import annotations

import json

from bot.config import REPO_ROOT
from bot.protocols.catalog import load_file
from bot.protocols.schema import InputType, Protocol, Step
from tests import slack_requests as sr


def protocol(protocol_id: str) -> Protocol:
    return load_file(REPO_ROOT / "protocols" / f"{protocol_id}.yaml")


def sample_answer(step: Step, marker: str = "") -> object:
    """A valid answer for any step, with `marker` inside text answers so tests can trace it."""
    match step.input:
        case InputType.SHORT_TEXT:
            return f"{marker}{step.id}"[: step.max_length]
        case InputType.LONG_TEXT:
            return f"{marker} My answer to {step.id} & <more>."[: step.max_length]
        case InputType.SINGLE_CHOICE:
            return step.options[0].value
        case InputType.MULTI_CHOICE | InputType.CHECKLIST:
            return [o.value for o in step.options[:2]]
        case InputType.RATING:
            return "4"
        case InputType.DATE:
            return "2026-12-01"
        case InputType.TIME:
            return "09:30"
        case InputType.USER:
            return "ULEADER1"
    raise AssertionError(step.input)


def open_modal(slack_http, slack, protocol_id: str, *, user: str = sr.COACH) -> dict:
    slack_http.send(sr.command(f"start {protocol_id}", trigger_id=slack.issue_trigger_id(), user=user))
    call = slack.calls_to("views.open")[-1]
    assert call.ok, call.response
    return call.response["view"]


def current_page_id(view: dict) -> str:
    return json.loads(view["private_metadata"])["g"]


def submit(slack_http, view: dict, answers: dict, **kwargs):
    """Submit a page; returns (HTTP response, its JSON body or None)."""
    response = slack_http.send(sr.view_submission(view, answers, **kwargs))
    body = response.json() if response.content else None
    return response, body


def fill_all_pages(slack_http, slack, protocol_id: str, marker: str = "") -> tuple[dict, list[dict]]:
    """Open the protocol and submit every page; returns the final ack body and each page's view."""
    spec = protocol(protocol_id)
    view = open_modal(slack_http, slack, protocol_id)
    seen = []
    body = None
    for page in spec.pages:
        assert current_page_id(view) == page.id
        seen.append(view)
        answers = {step.id: sample_answer(step, marker) for step in page.steps}
        response, body = submit(slack_http, view, answers)
        assert response.status_code == 200
        if body["view"]["callback_id"] == "protocol_page":
            view = {**body["view"], "id": view["id"]}
    return body, seen


LEADER = "ULEADER1"
LEADER_NAME = "maria.lopez"


def add_client(slack_http, slack, *, leader: str = LEADER, user: str = sr.COACH) -> dict:
    """Register a client the way a coach does: the command, then the form."""
    slack_http.send(
        sr.command(f"client add <@{leader}|{LEADER_NAME}>", trigger_id=slack.issue_trigger_id(), user=user)
    )
    form = slack.calls_to("views.open")[-1].response["view"]
    answers = {
        "client_leader": leader,
        "client_organization": "Lincoln Middle School",
        "client_domain": "school",
    }
    response = slack_http.send(sr.form_submission(form, answers, user=user))
    return response.json()


def open_about(slack_http, slack, protocol_id: str, mention: str, *, user: str = sr.COACH) -> dict:
    """`/coach start <protocol> <mention>`: a placeholder opens, then the page replaces it."""
    slack_http.send(
        sr.command(f"start {protocol_id} {mention}", trigger_id=slack.issue_trigger_id(), user=user)
    )
    opened = slack.calls_to("views.open")[-1]
    updated = slack.calls_to("views.update")[-1]
    assert opened.ok and updated.ok, (opened.response, updated.response)
    assert updated.args["view_id"] == opened.response["view"]["id"]
    return updated.response["view"]


def fill_pages(slack_http, view: dict, spec, marker: str = "") -> dict:
    """Submit every page from `view` on; returns the final ack body."""
    body = None
    while True:
        page = spec.pages[spec.page_index(current_page_id(view))]
        _, body = submit(slack_http, view, {s.id: sample_answer(s, marker) for s in page.steps})
        if body["view"]["callback_id"] != "protocol_page":
            return body
        view = {**body["view"], "id": view["id"]}
