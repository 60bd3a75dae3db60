"""Every shipped protocol, end to end in Slack about a client, with answers as long as allowed:
every page through signed submissions, the summary DM (never cut), stored answers, history,
export, and the refusal of another coach."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from bot.cli import main
from bot.config import REPO_ROOT
from bot.ids import ActionId
from bot.protocols.catalog import Catalog
from bot.protocols.schema import InputType
from bot.storage.models import Answer, ProtocolRun, RunStatus
from tests import slack_requests as sr
from tests.flow import LEADER, LEADER_NAME, add_client, open_about, sample_answer, submit

CATALOG = Catalog.load(REPO_ROOT / "protocols")
IDS = [p.id for p in CATALOG]
COACH_IDS = [p.id for p in CATALOG.for_audience("coach")]


def longest_answer(step, marker: str):
    """Text answers as long as the step allows, so every summary is pushed to Slack's limits."""
    if step.input in (InputType.LONG_TEXT, InputType.SHORT_TEXT):
        return (f"{marker}:{step.id} " + "word " * 1000)[: step.max_length - 1] + "."
    return sample_answer(step)


@pytest.mark.parametrize("protocol_id", COACH_IDS)
def test_protocol_end_to_end_in_slack(slack_http, slack, bot, protocol_id):
    spec = CATALOG.get(protocol_id)
    slack.add_user(LEADER, name=LEADER_NAME)
    add_client(slack_http, slack)
    view = open_about(slack_http, slack, protocol_id, f"<@{LEADER}>")
    for page in spec.pages:
        assert json.loads(view["private_metadata"])["g"] == page.id
        _, body = submit(slack_http, view, {s.id: longest_answer(s, "LONG") for s in page.steps})
        assert body["response_action"] == "update", body
        view = {**body["view"], "id": view["id"]}
    assert body["view"]["callback_id"] == "protocol_summary"

    dms = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == sr.COACH]
    assert dms and all(c.ok for c in dms), [c.response for c in dms]
    sent = json.dumps([c.args["blocks"] for c in dms])
    assert spec.title in sent

    with Session(bot.engine) as session:
        run = session.exec(select(ProtocolRun)).one()
        stored = {a.step_id: json.loads(a.value) for a in session.exec(select(Answer)).all()}
    assert run.status == RunStatus.COMPLETED and run.protocol_version == spec.version
    assert stored.keys() == {s.id for s in spec.steps}
    for step in spec.steps:
        assert stored[step.id] == longest_answer(step, "LONG"), step.id  # stored whole

    history = slack_http.send(sr.command("history", trigger_id=slack.issue_trigger_id())).json()
    assert spec.title in json.dumps(history["blocks"])

    slack_http.send(sr.command(f"export <@{LEADER}>", trigger_id=slack.issue_trigger_id()))
    (export,) = slack.files.values()
    content = export["content"].decode()
    for step in spec.steps:
        if step.input is InputType.LONG_TEXT:
            assert longest_answer(step, "LONG") in content, step.id  # in full

    slack_http.send(
        sr.block_action(ActionId.VIEW_RUN, run.id, trigger_id=slack.issue_trigger_id(), user=sr.OTHER_COACH)
    )
    refused = slack.calls_to("views.update")[-1].args["view"]
    assert "belongs to someone else" in json.dumps(refused) and "LONG" not in json.dumps(refused)


@pytest.mark.parametrize("protocol_id", IDS)
def test_protocol_runs_in_the_terminal(tmp_path, protocol_id):
    spec = CATALOG.get(protocol_id)
    lines = []
    for step in spec.steps:
        match step.input:
            case InputType.LONG_TEXT:
                lines += [f"Terminal answer to {step.id}", ""]
            case InputType.SINGLE_CHOICE:
                lines.append("1")
            case InputType.MULTI_CHOICE | InputType.CHECKLIST:
                lines.append("1,2")
            case InputType.RATING:
                lines.append("3")
            case InputType.DATE:
                lines.append("2026-12-01")
            case InputType.TIME:
                lines.append("09:00")
            case InputType.USER:
                lines.append("")  # optional in every protocol that asks for a person
            case _:
                lines.append(f"short {step.id}")
    result = CliRunner().invoke(
        main,
        ["try", protocol_id],
        env={"DATABASE_URL": f"sqlite:///{tmp_path}/t.db"},
        input="\n".join(lines) + "\n",
    )
    assert result.exit_code == 0, result.output[-2000:]
    assert "== Summary ==" in result.output


def test_every_protocol_validates():
    result = CliRunner().invoke(main, ["protocols", "validate"])
    assert result.exit_code == 0
    assert result.output.count(": OK") == len(CATALOG) >= 5
