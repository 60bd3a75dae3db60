"""A coach's own runs: view, change an answer (versions kept), share and withdraw, export, delete.
Another user can do none of it, whatever ids they craft."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from bot.ids import ActionId, pair
from bot.storage.models import Answer, AnswerRevision, Goal, ProtocolRun, Share
from tests import slack_requests as sr
from tests.flow import LEADER, LEADER_NAME, add_client, fill_pages, open_about, protocol


@pytest.fixture
def finished(slack_http, slack, bot) -> str:
    """A completed theory-of-action run about a client; returns its id."""
    slack.add_user(LEADER, name=LEADER_NAME)
    add_client(slack_http, slack)
    fill_pages(
        slack_http,
        open_about(slack_http, slack, "theory-of-action", f"<@{LEADER}>"),
        protocol("theory-of-action"),
        "T",
    )
    with Session(bot.engine) as session:
        return session.exec(select(ProtocolRun)).one().id


def open_run(slack_http, slack, run_id: str, *, user: str = sr.COACH) -> dict:
    slack_http.send(
        sr.block_action(ActionId.VIEW_RUN, run_id, trigger_id=slack.issue_trigger_id(), user=user)
    )
    return slack.calls_to("views.update")[-1].response["view"]


def click(slack_http, slack, action_id: str, value: str, view: dict, *, user: str = sr.COACH):
    return slack_http.send(
        sr.block_action(action_id, value, trigger_id=slack.issue_trigger_id(), view=view, user=user)
    )


def snapshot(bot) -> dict:
    with Session(bot.engine) as session:
        return {
            "answers": sorted((a.step_id, a.value) for a in session.exec(select(Answer)).all()),
            "runs": len(session.exec(select(ProtocolRun)).all()),
            "shares": len(session.exec(select(Share)).all()),
            "revisions": len(session.exec(select(AnswerRevision)).all()),
        }


def test_history_opens_a_run_with_its_summary_answers_and_actions(slack_http, slack, bot, finished):
    history = slack_http.send(sr.command("history", trigger_id=slack.issue_trigger_id())).json()
    button = next(b["accessory"] for b in history["blocks"] if b.get("accessory"))
    assert button["action_id"] == ActionId.VIEW_RUN and button["value"] == finished
    view = open_run(slack_http, slack, finished)
    text = json.dumps(view["blocks"])
    assert "Share to a channel" in text and "Share with client" in text and "Delete" in text
    assert "T My answer to problem" in text
    edits = [
        b["accessory"]["value"]
        for b in view["blocks"]
        if b.get("accessory", {}).get("action_id") == "edit_answer"
    ]
    assert len(edits) == len(protocol("theory-of-action").steps)  # every answer can be changed


def test_changing_an_answer_keeps_the_previous_version(slack_http, slack, bot, finished):
    view = open_run(slack_http, slack, finished)
    click(slack_http, slack, ActionId.EDIT_ANSWER, pair(finished, "problem"), view)
    form = slack.calls_to("views.push")[-1].response["view"]
    body = slack_http.send(
        sr.view_submission({**form, "previous_view_id": view["id"]}, {"problem": "A sharper problem"})
    )
    assert body.status_code == 200
    with Session(bot.engine) as session:
        answer = session.exec(select(Answer).where(Answer.step_id == "problem")).one()
        (revision,) = session.exec(select(AnswerRevision)).all()
    assert json.loads(answer.value) == "A sharper problem"
    assert revision.step_id == "problem" and "My answer to problem" in json.loads(revision.value)
    refreshed = slack.calls_to("views.update")[-1].args["view"]
    assert "A sharper problem" in json.dumps(refreshed) and "changed 1 time" in json.dumps(refreshed)


def test_an_overlong_edit_is_an_error_and_changes_nothing(slack_http, slack, bot, finished):
    view = open_run(slack_http, slack, finished)
    click(slack_http, slack, ActionId.EDIT_ANSWER, pair(finished, "problem"), view)
    form = slack.calls_to("views.push")[-1].response["view"]
    before = snapshot(bot)
    body = slack_http.send(sr.view_submission(form, {"problem": "x" * 3001})).json()
    assert body["response_action"] == "errors" and "step:problem" in body["errors"]
    assert snapshot(bot) == before


def test_share_to_a_channel_and_withdraw_it(slack_http, slack, bot, finished):
    view = open_run(slack_http, slack, finished)
    click(slack_http, slack, ActionId.SHARE_CHANNEL, finished, view)
    form = slack.calls_to("views.push")[-1].response["view"]
    slack_http.send(
        sr.form_submission({**form, "previous_view_id": view["id"]}, {"share_channel": "CCOLLAB1"})
    )
    (posted,) = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "CCOLLAB1"]
    assert "TGOAL" not in posted.args["text"] and f"<@{sr.COACH}>" in json.dumps(posted.args["blocks"])
    assert len(slack.messages["CCOLLAB1"]) == 1
    with Session(bot.engine) as session:
        share = session.exec(select(Share)).one()
    assert share.audience.value == "channel" and share.withdrawn_at is None

    view = slack.calls_to("views.update")[-1].response["view"]
    click(slack_http, slack, ActionId.WITHDRAW_SHARE, pair(finished, share.id), view)
    (deleted,) = slack.calls_to("chat.delete")
    assert deleted.ok and deleted.args["channel"] == "CCOLLAB1"
    assert slack.messages["CCOLLAB1"] == []
    with Session(bot.engine) as session:
        assert session.exec(select(Share)).one().withdrawn_at is not None


def test_sharing_where_the_bot_is_not_a_member_says_so_in_the_form(slack_http, slack, bot, finished):
    view = open_run(slack_http, slack, finished)
    click(slack_http, slack, ActionId.SHARE_CHANNEL, finished, view)
    form = slack.calls_to("views.push")[-1].response["view"]
    slack.fail_next("chat.postMessage", "not_in_channel")
    body = slack_http.send(sr.form_submission(form, {"share_channel": "CPRIVATE"})).json()
    assert body["response_action"] == "errors" and "/invite" in body["errors"]["share_channel"]
    assert snapshot(bot)["shares"] == 0


def test_share_with_the_client_sends_them_the_summary(slack_http, slack, bot, finished):
    view = open_run(slack_http, slack, finished)
    click(slack_http, slack, ActionId.SHARE_CLIENT, finished, view)
    to_leader = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == LEADER]
    assert to_leader and all(c.ok for c in to_leader)
    assert snapshot(bot)["shares"] == 1


def test_export_sends_a_markdown_file_with_every_answer_in_full(slack_http, slack, bot, finished):
    view = open_run(slack_http, slack, finished)
    click(slack_http, slack, ActionId.EXPORT_RUN, finished, view)
    (upload,) = slack.files.values()
    content = upload["content"].decode()
    assert upload["filename"].endswith(".md")
    assert "## Theory of action — about maria.lopez" in content
    assert "T My answer to problem & <more>." in content  # a file: written out, not escaped
    slack_http.send(sr.command(f"export <@{LEADER}>", trigger_id=slack.issue_trigger_id()))
    record = [f for f in slack.files.values() if f["filename"].startswith("coaching-record")]
    assert record and "# Coaching record: maria.lopez" in record[0]["content"].decode()
    assert "## Goals" in record[0]["content"].decode()


def test_delete_withdraws_shares_and_removes_everything(slack_http, slack, bot, finished):
    view = open_run(slack_http, slack, finished)
    click(slack_http, slack, ActionId.SHARE_CLIENT, finished, view)
    click(slack_http, slack, ActionId.DELETE_RUN, finished, view)
    assert slack.calls_to("chat.delete") and all(c.ok for c in slack.calls_to("chat.delete"))
    with Session(bot.engine) as session:
        for table in (ProtocolRun, Answer, Share, Goal):
            assert session.exec(select(table)).all() == [], table.__name__
    assert "Deleted" in json.dumps(slack.calls_to("views.update")[-1].args["view"])


@pytest.mark.parametrize(
    "action_id",
    [ActionId.VIEW_RUN, ActionId.EXPORT_RUN, ActionId.DELETE_RUN, ActionId.SHARE_CLIENT, ActionId.RESUME_RUN],
)
def test_another_user_is_refused_every_action_on_my_run(slack_http, slack, bot, finished, action_id):
    before = snapshot(bot)
    posted_before = len(slack.calls_to("chat.postMessage"))
    view = {
        "id": "VOTHER1",
        "type": "modal",
        "callback_id": "run_detail",
        "private_metadata": finished,
        "blocks": [],
    }
    click(slack_http, slack, action_id, finished, view, user=sr.OTHER_COACH)
    assert snapshot(bot) == before
    assert len(slack.calls_to("chat.postMessage")) == posted_before
    assert slack.files == {}
    shown = [
        c.args.get("view") for c in slack.calls if c.method in ("views.open", "views.update", "views.push")
    ]
    assert all("TGOAL" not in json.dumps(v) for v in shown)


def test_another_user_cannot_edit_or_share_my_run_with_crafted_forms(slack_http, slack, bot, finished):
    before = snapshot(bot)
    meta = json.dumps({"p": "theory-of-action", "v": 1, "g": "problem", "r": finished, "c": None})
    edit = {"id": "VCRAFT1", "callback_id": "edit_answer", "private_metadata": meta, "blocks": []}
    state_view = {
        **edit,
        "blocks": [
            {
                "type": "input",
                "block_id": "step:problem",
                "element": {"type": "plain_text_input", "action_id": "answer"},
            }
        ],
    }
    body = slack_http.send(
        sr.view_submission(state_view, {"problem": "hijacked"}, user=sr.OTHER_COACH)
    ).json()
    assert "belongs to someone else" in json.dumps(body["view"])
    share = {
        "id": "VCRAFT2",
        "callback_id": "share_to_channel",
        "private_metadata": json.dumps({"r": finished}),
        "blocks": [
            {
                "type": "input",
                "block_id": "share_channel",
                "element": {"type": "conversations_select", "action_id": "field"},
            }
        ],
    }
    slack_http.send(sr.form_submission(share, {"share_channel": "CEVIL"}, user=sr.OTHER_COACH))
    assert "CEVIL" not in slack.messages
    assert snapshot(bot) == before


def test_a_failed_export_is_reported_to_the_coach(slack_http, slack, bot, finished):
    slack.fail_next("files.getUploadURLExternal", "internal_error")
    request = sr.with_response_url(
        sr.command(f"export <@{LEADER}>", trigger_id=slack.issue_trigger_id()), slack.response_url
    )
    body = slack_http.send(request).json()
    assert "Preparing your export" in json.dumps(body["blocks"])
    (reply,) = slack.calls_to("response_url")
    assert "couldn't send the export" in json.dumps(reply.args["blocks"])
    assert slack.files == {}
