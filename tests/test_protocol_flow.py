"""A coach runs a protocol end to end in Slack: every page, the summary, and nothing lost."""

from __future__ import annotations

import json
import logging

import pytest
from sqlmodel import Session, select

from bot import logs
from bot.actor import Actor
from bot.ids import ActionId, CallbackId
from bot.storage.models import Answer, OwedMessage, OwedStatus, ProtocolRun, RunStatus
from tests import slack_requests as sr
from tests.flow import current_page_id, fill_all_pages, open_modal, protocol, sample_answer, submit

COACH = Actor(sr.TEAM, sr.COACH)


def stored_answers(bot) -> dict[str, str]:
    with Session(bot.engine) as session:
        return {a.step_id: json.loads(a.value) for a in session.exec(select(Answer)).all()}


def test_every_page_then_summary_in_modal_and_dm(slack_http, slack, bot):
    spec = protocol("five-lenses")
    body, pages = fill_all_pages(slack_http, slack, "five-lenses", marker="M1")
    assert len(pages) == len(spec.pages)
    assert body["response_action"] == "update"
    summary = body["view"]
    assert summary["callback_id"] == CallbackId.PROTOCOL_SUMMARY
    summary_text = json.dumps(summary["blocks"])
    assert "M1situation_name" in summary_text
    assert "&amp; &lt;more&gt;" in summary_text  # user text is escaped, never markup

    (dm,) = slack.calls_to("chat.postMessage")
    assert dm.ok and dm.args["channel"] == sr.COACH
    assert "M1" not in dm.args["text"]  # the notification line carries no coaching text
    assert "M1situation_name" in json.dumps(dm.args["blocks"])

    answers = stored_answers(bot)
    assert set(answers) == {s.id for s in spec.steps}
    assert answers["situation_name"] == "M1situation_name"
    (run,) = bot.runs.listing(COACH)
    assert run.status is RunStatus.COMPLETED and run.completed_at is not None
    with Session(bot.engine) as session:
        row = session.exec(select(ProtocolRun)).one()
        assert row.protocol_version == spec.version
        owed = session.exec(select(OwedMessage)).one()
        assert (owed.kind, owed.ref, owed.status, owed.ts) == (
            "summary",
            row.id,
            OwedStatus.SENT,
            dm.response["ts"],
        )


def test_next_saves_the_page_before_showing_the_next(slack_http, slack, bot):
    spec = protocol("five-lenses")
    view = open_modal(slack_http, slack, "five-lenses")
    first = spec.pages[0]
    _, body = submit(slack_http, view, {s.id: sample_answer(s, "P1") for s in first.steps})
    assert body["response_action"] == "update"
    assert current_page_id(body["view"]) == spec.pages[1].id
    assert json.loads(body["view"]["private_metadata"])["r"]  # the run id rides along from now on
    assert set(stored_answers(bot)) == {s.id for s in first.steps}


def test_overlong_answer_is_an_error_in_the_modal_and_the_rest_is_kept(slack_http, slack, bot):
    spec = protocol("five-lenses")
    first = spec.pages[0]
    long_step = next(s for s in first.steps if s.input.value == "long_text")
    short_step = next(s for s in first.steps if s is not long_step)
    view = open_modal(slack_http, slack, "five-lenses")
    answers = {short_step.id: "kept title", long_step.id: "x" * (long_step.max_length + 1)}
    response, body = submit(slack_http, view, answers)
    assert response.status_code == 200
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {f"step:{long_step.id}"}
    assert "limit is 3,000" in body["errors"][f"step:{long_step.id}"]
    assert stored_answers(bot) == {short_step.id: "kept title"}


def test_same_submission_delivered_twice_stores_one_answer_and_sends_one_summary(slack_http, slack, bot):
    spec = protocol("five-lenses")
    _, pages = fill_all_pages(slack_http, slack, "five-lenses")
    last = pages[-1]
    answers = {s.id: sample_answer(s) for s in spec.pages[-1].steps}
    response, again = submit(slack_http, last, answers)
    assert response.status_code == 200
    assert again["view"]["callback_id"] == CallbackId.PROTOCOL_SUMMARY
    first = pages[0]
    submit(slack_http, first, {s.id: sample_answer(s) for s in spec.pages[0].steps})
    with Session(bot.engine) as session:
        assert len(session.exec(select(Answer)).all()) == len(spec.steps)
        assert len(session.exec(select(ProtocolRun)).all()) == 1
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_closing_the_modal_keeps_what_was_typed_and_resume_continues_there(slack_http, slack, bot):
    spec = protocol("five-lenses")
    view = open_modal(slack_http, slack, "five-lenses")
    _, body = submit(slack_http, view, {s.id: sample_answer(s, "A") for s in spec.pages[0].steps})
    second = {**body["view"], "id": view["id"]}
    typed = spec.pages[1].steps[0]
    response = slack_http.send(sr.view_closed(second, {typed.id: "half a thought"}))
    assert response.status_code == 200
    assert stored_answers(bot)[typed.id] == "half a thought"

    listing = slack_http.send(sr.command("resume", trigger_id=slack.issue_trigger_id())).json()
    buttons = [b["accessory"] for b in listing["blocks"] if b.get("accessory")]
    (button,) = buttons
    assert button["action_id"] == ActionId.RESUME_RUN
    slack_http.send(
        sr.block_action(ActionId.RESUME_RUN, button["value"], trigger_id=slack.issue_trigger_id())
    )
    reopened = slack.calls_to("views.open")[-1]
    assert reopened.ok
    assert current_page_id(reopened.args["view"]) == spec.pages[1].id
    element = next(b for b in reopened.args["view"]["blocks"] if b.get("block_id") == f"step:{typed.id}")
    assert element["element"]["initial_value"] == "half a thought"


def test_closing_an_untouched_first_page_leaves_no_run_behind(slack_http, slack, bot):
    view = open_modal(slack_http, slack, "five-lenses")
    slack_http.send(sr.view_closed(view, {}))
    assert bot.runs.listing(COACH) == []


def test_someone_elses_run_id_is_refused_and_changes_nothing(slack_http, slack, bot):
    spec = protocol("five-lenses")
    view = open_modal(slack_http, slack, "five-lenses")
    _, body = submit(slack_http, view, {s.id: sample_answer(s, "mine") for s in spec.pages[0].steps})
    run_id = json.loads(body["view"]["private_metadata"])["r"]
    before = stored_answers(bot)

    slack_http.send(
        sr.block_action(ActionId.RESUME_RUN, run_id, trigger_id=slack.issue_trigger_id(), user=sr.OTHER_COACH)
    )
    shown = slack.calls_to("views.open")[-1].args["view"]
    assert "mine" not in json.dumps(shown)
    assert "belongs to someone else" in json.dumps(shown["blocks"])

    crafted = {**body["view"], "id": "VFORGED1"}
    page = spec.pages[1]
    response, refused = submit(
        slack_http, crafted, {s.id: sample_answer(s, "theirs") for s in page.steps}, user=sr.OTHER_COACH
    )
    assert response.status_code == 200
    assert "belongs to someone else" in json.dumps(refused["view"]["blocks"])
    assert stored_answers(bot) == before

    other = slack_http.send(sr.command("history", trigger_id=slack.issue_trigger_id(), user=sr.OTHER_COACH))
    assert "not run a protocol yet" in json.dumps(other.json()["blocks"])


def test_history_lists_own_runs_with_dates(slack_http, slack, bot):
    fill_all_pages(slack_http, slack, "five-lenses")
    view = open_modal(slack_http, slack, "five-lenses")
    submit(slack_http, view, {s.id: sample_answer(s) for s in protocol("five-lenses").pages[0].steps})
    body = slack_http.send(sr.command("history", trigger_id=slack.issue_trigger_id())).json()
    text = json.dumps(body["blocks"])
    assert text.count("Five lenses") == 2
    assert "completed <!date^" in text and "answers so far" in text


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_reflection_text_in_logs_at_any_level(slack_http, slack, bot, caplog, log_format):
    caplog.set_level(logging.DEBUG)
    caplog.handler.setFormatter(logs.formatter(log_format))
    secret = "ZQXJ-private-reflection"
    fill_all_pages(slack_http, slack, "five-lenses", marker=secret)
    view = open_modal(slack_http, slack, "five-lenses")
    slack_http.send(sr.view_closed(view, {protocol("five-lenses").steps[0].id: secret}))
    forged = sr.view_submission(view, {"situation_name": secret})
    slack_http.send(forged, secret="wrong-secret")
    assert caplog.records, "the test must see the logs it checks"
    for record in caplog.records:
        assert secret not in record.getMessage(), record.name
    assert secret not in caplog.text
    lines = caplog.text.splitlines()
    if log_format == "json":
        records = [json.loads(line) for line in lines]
        requests = [r for r in records if r["logger"] == "coachbot.requests"]
        submitted = next(r for r in requests if r["kind"] == "view_submission")
        assert {"team": sr.TEAM, "user": sr.COACH, "outcome": "ok"}.items() <= submitted.items()
        assert isinstance(submitted["duration_ms"], float)
        assert {r["kind"] for r in requests} >= {"command", "view_submission", "view_closed"}
    else:
        assert any(
            f"request kind=command team={sr.TEAM} user={sr.COACH} outcome=ok duration_ms=" in line
            for line in lines
        )
