"""Clients and coaching cycles: register a leader, run protocols about them, see where they stand."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from bot.ids import ActionId
from bot.storage.models import Client, Goal, ProtocolRun
from tests import slack_requests as sr
from tests.fake_slack.content import check_message
from tests.flow import (
    LEADER,
    LEADER_NAME,
    add_client,
    current_page_id,
    fill_pages,
    open_about,
    protocol,
    sample_answer,
    submit,
)


def clients(bot) -> list[Client]:
    with Session(bot.engine) as session:
        return list(session.exec(select(Client)).all())


def test_client_add_opens_a_form_for_the_mentioned_leader_and_stores_them(slack_http, slack, bot):
    slack.add_user(LEADER, name=LEADER_NAME)
    body = add_client(slack_http, slack)
    form = slack.calls_to("views.open")[-1].args["view"]
    leader = next(b for b in form["blocks"] if b.get("block_id") == "client_leader")
    assert leader["element"]["initial_user"] == LEADER  # from the escaped mention
    assert body["response_action"] == "update"
    (client,) = clients(bot)
    assert (client.leader_id, client.leader_name, client.organization) == (
        LEADER,
        LEADER_NAME,
        "Lincoln Middle School",
    )
    assert client.domain.value == "school" and client.phase.value == "observe_assess"
    assert client.coach_id == sr.COACH


def test_client_form_errors_are_shown_in_place(slack_http, slack, bot):
    slack_http.send(sr.command("client add", trigger_id=slack.issue_trigger_id()))
    form = slack.calls_to("views.open")[-1].response["view"]
    body = slack_http.send(
        sr.form_submission(form, {"client_leader": sr.COACH, "client_organization": ""})
    ).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"client_leader", "client_organization", "client_domain"}
    assert clients(bot) == []


def test_roster_shows_phase_counts_and_opens_a_record_where_the_phase_can_change(slack_http, slack, bot):
    slack.add_user(LEADER, name=LEADER_NAME)
    add_client(slack_http, slack)
    roster = slack_http.send(sr.command("clients", trigger_id=slack.issue_trigger_id())).json()
    text = json.dumps(roster["blocks"])
    assert LEADER_NAME in text and "Observe and assess" in text and "0 protocol runs" in text
    button = next(b["accessory"] for b in roster["blocks"] if b.get("accessory"))
    slack_http.send(
        sr.block_action(ActionId.OPEN_CLIENT, button["value"], trigger_id=slack.issue_trigger_id())
    )
    record = slack.calls_to("views.update")[-1]
    assert record.ok and record.args["view"]["callback_id"] == "client_record"

    view = record.response["view"]
    slack_http.send(
        sr.block_action(
            ActionId.SET_PHASE,
            "",
            trigger_id=slack.issue_trigger_id(),
            view=view,
            selected="enrollment",
            block_id="phase",
        )
    )
    assert clients(bot)[0].phase.value == "enrollment"
    refreshed = slack.calls_to("views.update")[-1]
    assert "Enrollment" in json.dumps(refreshed.args["view"]["blocks"][0])


def test_starting_about_someone_who_is_not_a_client_says_how_to_add_them(slack_http, slack):
    body = slack_http.send(
        sr.command("start five-lenses @nobody", trigger_id=slack.issue_trigger_id())
    ).json()
    text = json.dumps(body["blocks"])
    assert "not among your clients" in text and "/coach client add @nobody" in text
    assert slack.calls_to("views.open") == []


def test_both_mention_forms_find_the_client(slack_http, slack, bot):
    slack.add_user(LEADER, name=LEADER_NAME)
    add_client(slack_http, slack)
    for mention in (f"<@{LEADER}|{LEADER_NAME}>", f"@{LEADER_NAME}"):
        view = open_about(slack_http, slack, "five-lenses", mention)
        assert LEADER_NAME in json.dumps(view["blocks"][1])  # "about maria.lopez"
        assert json.loads(view["private_metadata"])["c"] == clients(bot)[0].id


def test_runs_about_a_client_show_last_time_and_theory_of_action_sets_a_goal(slack_http, slack, bot):
    slack.add_user(LEADER, name=LEADER_NAME)
    add_client(slack_http, slack)
    five = protocol("five-lenses")
    fill_pages(slack_http, open_about(slack_http, slack, "five-lenses", f"<@{LEADER}>"), five, marker="FIRST")
    second = open_about(slack_http, slack, "five-lenses", f"<@{LEADER}>")
    text = json.dumps(second["blocks"])
    assert "Last time" in text and "FIRSTsituation_name" in text
    assert current_page_id(second) == five.pages[0].id  # a new run, not the old one

    toa = protocol("theory-of-action")
    fill_pages(
        slack_http, open_about(slack_http, slack, "theory-of-action", f"<@{LEADER}>"), toa, marker="GOAL"
    )
    with Session(bot.engine) as session:
        (goal,) = session.exec(select(Goal)).all()
        assert goal.client_id == clients(bot)[0].id and "GOAL" in goal.statement
        assert json.loads(goal.details)["due"] == "2026-12-01"
        runs = session.exec(select(ProtocolRun).where(ProtocolRun.client_id == goal.client_id)).all()
        assert len(runs) == 2  # the second five-lenses was opened but nothing saved yet

    roster = json.dumps(slack_http.send(sr.command("clients", trigger_id=slack.issue_trigger_id())).json())
    assert "2 protocol runs" in roster and "1 goal" in roster


def test_enrollment_is_one_checklist_per_client_completed_over_several_conversations(slack_http, slack, bot):
    slack.add_user(LEADER, name=LEADER_NAME)
    add_client(slack_http, slack)
    spec = protocol("enrollment")
    first = open_about(slack_http, slack, "enrollment", f"<@{LEADER}>")
    page = spec.pages[0]
    answers = {s.id: sample_answer(s) for s in page.steps}
    answers |= {s.id: "agreed" for s in page.steps if s.item_status}
    submit(slack_http, first, answers)  # first conversation: one page, then the coach stops

    again = open_about(slack_http, slack, "enrollment", f"<@{LEADER}>")
    assert current_page_id(again) == spec.pages[1].id  # the same checklist, where it stood
    assert json.loads(again["private_metadata"])["r"]
    roster = json.dumps(slack_http.send(sr.command("clients", trigger_id=slack.issue_trigger_id())).json())
    settled = sum(1 for s in page.steps if s.item_status)
    total = sum(1 for s in spec.steps if s.item_status)
    assert f"enrollment {settled} of {total} settled" in roster
    with Session(bot.engine) as session:
        assert len(session.exec(select(ProtocolRun)).all()) == 1


def test_another_coach_cannot_use_my_client(slack_http, slack, bot):
    slack.add_user(LEADER, name=LEADER_NAME)
    add_client(slack_http, slack)
    body = slack_http.send(
        sr.command(f"start five-lenses <@{LEADER}>", trigger_id=slack.issue_trigger_id(), user=sr.OTHER_COACH)
    ).json()
    assert "not among your clients" in json.dumps(body["blocks"])
    client_id = clients(bot)[0].id
    slack_http.send(
        sr.block_action(
            ActionId.OPEN_CLIENT, client_id, trigger_id=slack.issue_trigger_id(), user=sr.OTHER_COACH
        )
    )
    shown = slack.calls_to("views.update")[-1].args["view"]
    assert "belongs to someone else" in json.dumps(shown) and "Lincoln" not in json.dumps(shown)


def test_the_roster_shows_the_clients_in_a_table_with_the_same_in_words(slack_http, slack, bot):
    slack.add_user(LEADER, name=LEADER_NAME)
    add_client(slack_http, slack)
    roster = slack_http.send(sr.command("clients", trigger_id=slack.issue_trigger_id())).json()
    check_message(roster)  # Slack's rules for a message, the table's among them (fake_slack/tables.py)
    (attachment,) = roster["attachments"]
    (table,) = attachment["blocks"]
    rows = [[cell["text"] for cell in row] for row in table["rows"]]
    assert rows == [
        ["Client", "Organization", "Domain", "Phase", "Protocol runs", "Goals"],
        [LEADER_NAME, "Lincoln Middle School", "School", "Observe and assess", "0", "0"],
    ]
    words = json.dumps(roster["blocks"])
    for fact in (
        LEADER_NAME,
        "Lincoln Middle School",
        "School",
        "Observe and assess",
        "0 protocol runs",
        "0 goals",
    ):
        assert fact in words


def test_no_clients_means_no_table(slack_http, slack, bot):
    roster = slack_http.send(sr.command("clients", trigger_id=slack.issue_trigger_id())).json()
    assert "attachments" not in roster and "no clients yet" in json.dumps(roster["blocks"])
