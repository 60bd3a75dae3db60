"""Whose data it is: `/coach my data` (counts, export, erase), `/coach client remove`, retention.

Every free-text field is filled through the Slack paths with a canary naming whose it is
(CNRYC the coach, CNRYL their leader, CNRYM a member of the collaborative, CNRYO another
coach); after an erasure or a removal, a dump of every table on both databases holds none of
what went, and all of what belongs to others. Nothing of it reaches the log either.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from datetime import time, timedelta

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from bot.actor import Actor
from bot.assembly import build_bot
from bot.ids import ActionId, pair
from bot.recurrence import Cadence
from bot.scheduling.kinds import ROUND_INVITATION
from bot.services.checkins import ScheduleForm
from bot.services.data_rights import DataRights
from bot.storage.models import (
    CheckinSchedule,
    Client,
    OwedMessage,
    OwedStatus,
    ProtocolRun,
    RoundInvitation,
    RoundSchedule,
)
from bot.storage.owed import Owe
from tests import slack_requests as sr
from tests.checkin_setup import due_rows
from tests.clock import FIRST_MONDAY
from tests.conftest import make_settings
from tests.flow import LEADER, LEADER_NAME, fill_pages, open_about, protocol
from tests.round_flow import (
    CHANNEL,
    FACILITATOR,
    MEMBER_A,
    buttons,
    framing_view,
    register,
    reply,
    schedule_rounds,
    thread,
)
from tests.round_flow import set_up_channel as set_up_collaborative

SHARED_TO = "CSHARED1"
ROUND_FRAMING = {
    "snapshot": "CNRYC the dilemma",
    "tried": "CNRYC what I tried",
    "focus": "CNRYC my focus question?",
}


def dump(bot) -> str:
    """Every row of every table, as text."""
    with bot.engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        return "\n".join(
            repr(tuple(row))
            for table in tables
            for row in connection.execute(text(f'SELECT * FROM "{table}"'))
        )


def canaries(bot) -> list[str]:
    """Every canary stored anywhere, with its text."""
    return sorted(re.findall(r"CNRY[A-Z][^'\"]*", dump(bot)))


def _add_client(slack_http, slack, *, user: str, organization: str) -> None:
    slack_http.send(
        sr.command(f"client add <@{LEADER}|{LEADER_NAME}>", trigger_id=slack.issue_trigger_id(), user=user)
    )
    form = slack.calls_to("views.open")[-1].response["view"]
    answers = {"client_leader": LEADER, "client_organization": organization, "client_domain": "school"}
    slack_http.send(sr.form_submission(form, answers, user=user))


def _view_click(slack_http, slack, action_id: str, view: dict, *, user: str, value: str = "me"):
    return slack_http.send(
        sr.block_action(action_id, value, trigger_id=slack.issue_trigger_id(), view=view, user=user)
    )


def _edit_after_completion(slack_http, slack, run_id: str) -> None:
    """A changed answer: the earlier one is kept as a revision (free text too)."""
    slack_http.send(sr.block_action(ActionId.VIEW_RUN, run_id, trigger_id=slack.issue_trigger_id()))
    view = slack.calls_to("views.update")[-1].response["view"]
    _view_click(slack_http, slack, ActionId.EDIT_ANSWER, view, user=sr.COACH, value=pair(run_id, "problem"))
    form = slack.calls_to("views.push")[-1].response["view"]
    changed = {"problem": "CNRYC the problem, sharper"}
    slack_http.send(sr.view_submission({**form, "previous_view_id": view["id"]}, changed))


def _share(slack_http, slack, run_id: str) -> None:
    slack_http.send(sr.block_action(ActionId.VIEW_RUN, run_id, trigger_id=slack.issue_trigger_id()))
    view = slack.calls_to("views.update")[-1].response["view"]
    _view_click(slack_http, slack, ActionId.SHARE_CHANNEL, view, user=sr.COACH, value=run_id)
    form = slack.calls_to("views.push")[-1].response["view"]
    slack_http.send(
        sr.form_submission({**form, "previous_view_id": view["id"]}, {"share_channel": SHARED_TO})
    )


def _checkin_answered(slack_http, slack, bot, clock) -> str:
    """The coach schedules check-ins on a goal; the leader answers one in full. Returns its id."""
    coach = Actor(sr.TEAM, sr.COACH)
    with Session(bot.engine) as session:
        client = session.exec(select(Client).where(Client.coach_id == sr.COACH)).one()
    form = ScheduleForm(
        cadence=Cadence.WEEKLY,
        local_time=time(9, 0),
        first_date=FIRST_MONDAY,
        end_date=None,
        weekdays=frozenset(),
        reminder_after_hours=None,
        goal_text="CNRYC a goal the check-ins ask about",
    )
    schedule = bot.checkins.save_schedule(coach, client.id, form, tz="America/New_York")
    (delivery_id,) = due_rows(bot, schedule, 1, due=clock.now - timedelta(minutes=1), to=LEADER)
    assert bot.dispatcher.run_once().sent == 1
    sent = [c for c in slack.calls_to("chat.postMessage") if c.args.get("metadata")][-1]
    message = (sent.response["channel"], sent.response["ts"])
    slack_http.send(
        sr.block_action(
            ActionId.CHECKIN_ANSWER,
            delivery_id,
            trigger_id=slack.issue_trigger_id(),
            user=LEADER,
            message=message,
        )
    )
    checkin = slack.calls_to("views.open")[-1].response["view"]
    answers = {"progress": "3", "evidence": "CNRYL what shows it", "goal_still_right": "yes"}
    assert slack_http.send(sr.view_submission(checkin, answers, user=LEADER)).json() == {
        "response_action": "clear"
    }
    return delivery_id


def _round_with_replies(slack_http, slack, clock) -> None:
    register(slack_http, slack)
    view = framing_view(slack_http, slack, "consultancy")
    answers = {
        **ROUND_FRAMING,
        "round_mode": "live",
        "round_facilitator": FACILITATOR,
    }
    assert slack_http.send(sr.view_submission(view, answers)).status_code == 200
    reply(slack_http, slack, clock, MEMBER_A, "CNRYM a clarifying question?")
    reply(slack_http, slack, clock, FACILITATOR, "CNRYO another clarifying question?")
    # Probing questions: the presenter restates the focus.
    _, replies = thread(slack)
    announcement = [m for m in replies if "round_next" in buttons(m)][-1]
    _round_click(slack_http, slack, ActionId.ROUND_NEXT, buttons(announcement)["round_next"], announcement)
    _, replies = thread(slack)
    announcement = [m for m in replies if "round_restate" in buttons(m)][-1]
    _round_click(
        slack_http, slack, ActionId.ROUND_RESTATE, buttons(announcement)["round_restate"], announcement
    )
    restate = slack.calls_to("views.open")[-1].response["view"]
    slack_http.send(sr.view_submission(restate, {"round_focus": "CNRYC the focus, restated"}))
    reply(slack_http, slack, clock, MEMBER_A, "CNRYM a second question, later deleted?")


def _round_click(slack_http, slack, action_id: str, value: str, message: dict) -> None:
    slack_http.send(
        sr.block_action(
            action_id,
            value,
            trigger_id=slack.issue_trigger_id(),
            message=(CHANNEL, message["ts"]),
            thread_ts=thread(slack)[0],
        )
    )


@pytest.fixture
def world(slack_http, slack, bot, clock) -> dict[str, str]:
    """A coach with a client, a run about them shared to a channel, check-ins the leader answered,
    a round with members' replies; another coach with the same leader as their client."""
    slack.add_user(LEADER, name=LEADER_NAME, tz="America/New_York")
    set_up_collaborative(slack)
    slack.set_members(SHARED_TO, [slack.bot_user_id, sr.COACH])
    _add_client(slack_http, slack, user=sr.COACH, organization="CNRYC Lincoln Middle School")
    _add_client(slack_http, slack, user=sr.OTHER_COACH, organization="CNRYO Jefferson High")
    view = open_about(slack_http, slack, "theory-of-action", f"<@{LEADER}>")
    fill_pages(slack_http, view, protocol("theory-of-action"), "CNRYC")
    with Session(bot.engine) as session:
        run_id = (
            session.exec(select(ProtocolRun).where(ProtocolRun.protocol_id == "theory-of-action")).one().id
        )
    _edit_after_completion(slack_http, slack, run_id)
    _share(slack_http, slack, run_id)
    assert any("CNRYC" in json.dumps(m) for m in slack.messages[SHARED_TO])
    delivery_id = _checkin_answered(slack_http, slack, bot, clock)
    _round_with_replies(slack_http, slack, clock)
    everything = dump(bot)
    for canary in (
        "CNRYC",
        "CNRYL",
        "CNRYM",
        "CNRYO",
        "CNRYC the focus, restated",
        "CNRYC My answer to problem",
    ):
        assert canary in everything
    return {"run": run_id, "delivery": delivery_id}


def _my_data(slack_http, slack, user: str) -> dict:
    slack_http.send(sr.command("my data", trigger_id=slack.issue_trigger_id(), user=user))
    opened = slack.calls_to("views.open")[-1].response["view"]
    shown = [c for c in slack.calls_to("views.update") if c.args["view_id"] == opened["id"]][-1]
    assert shown.ok, shown.response
    return shown.response["view"]


def _said(view: dict) -> str:
    return "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")


def _export(slack_http, slack, user: str, *, value: str = "me") -> dict[str, str]:
    before = set(slack.files)
    view = _my_data(slack_http, slack, user)
    _view_click(slack_http, slack, ActionId.EXPORT_MY_DATA, view, user=user, value=value)
    (new,) = [slack.files[f] for f in slack.files if f not in before]
    assert new["filename"].endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(new["content"])) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def _erase(slack_http, slack, user: str) -> dict:
    """My data, Erase…, and the confirmation submitted; returns the confirmation as shown."""
    view = _my_data(slack_http, slack, user)
    _view_click(slack_http, slack, ActionId.ERASE_MY_DATA, view, user=user)
    confirm = slack.calls_to("views.push")[-1].response["view"]
    assert confirm["callback_id"] == "erase_my_data"
    response = slack_http.send(sr.view_submission(confirm, {}, user=user))
    assert response.json()["response_action"] == "update"
    return confirm


def _no_canary_in_log(caplog) -> None:
    assert "CNRY" not in caplog.text


def test_my_data_counts_what_is_held_and_exports_it_as_a_zip(slack_http, slack, bot, world, caplog):
    caplog.set_level(logging.DEBUG)
    said = _said(_my_data(slack_http, slack, sr.COACH))
    assert "1 client," in said and "2 protocol runs," in said and "1 summary shared" in said
    assert "1 feedback round you framed" in said

    files = _export(slack_http, slack, sr.COACH)
    assert set(files) == {"my-data.md", "my-data.json"}
    record = json.loads(files["my-data.json"])
    assert record["as_coach"]["clients"][0]["organization"] == "CNRYC Lincoln Middle School"
    assert any("CNRYC" in json.dumps(run["answers"]) for run in record["as_coach"]["runs"])
    assert "CNRYC the dilemma" in files["my-data.md"] and "CNRYC Lincoln Middle School" in files["my-data.md"]
    # To read: each answer under the question the coach was asked, each run under its title, a
    # day as the coach's language writes it; the ids are the JSON's.
    dilemma = protocol("consultancy").steps[0]
    assert "### Consultancy, started" in files["my-data.md"]
    assert f"  - {dilemma.prompt}\n\n    CNRYC the dilemma" in files["my-data.md"]
    assert f"{dilemma.id}:" not in files["my-data.md"] and "theory-of-action" not in files["my-data.md"]
    assert "2026-12-01" not in files["my-data.md"] and "Dec 1, 2026" in files["my-data.md"]
    # Another coach's record of the same leader, and the members' replies, are not this coach's.
    assert "CNRYO" not in files["my-data.md"] + files["my-data.json"]
    assert "CNRYM" not in files["my-data.md"] + files["my-data.json"]

    # A leader gets what they answered and the goal they were asked about, not their coaches' notes.
    leader = _export(slack_http, slack, LEADER)
    both = leader["my-data.md"] + leader["my-data.json"]
    assert "CNRYL what shows it" in both and "CNRYC a goal the check-ins ask about" in both
    assert "CNRYC Lincoln" not in both and "CNRYO" not in both and "CNRYC the dilemma" not in both

    member = _export(slack_http, slack, MEMBER_A)
    assert "CNRYM a clarifying question?" in member["my-data.md"]
    assert "CNRYO" not in member["my-data.json"] and "CNRYC" not in member["my-data.json"]
    _no_canary_in_log(caplog)


def test_a_second_export_click_sends_one_file(slack_http, slack, bot, world):
    view = _my_data(slack_http, slack, sr.COACH)
    for _ in range(2):
        _view_click(slack_http, slack, ActionId.EXPORT_MY_DATA, view, user=sr.COACH)
    assert len([f for f in slack.files.values() if f["filename"].endswith(".zip")]) == 1


def test_erasing_a_coach_leaves_nothing_they_wrote_and_everything_of_others(
    slack_http, slack, bot, world, caplog
):
    caplog.set_level(logging.DEBUG)
    confirm = _said(_erase(slack_http, slack, sr.COACH))
    assert "2 protocol runs" in confirm and "1 summary you shared, first deleted from Slack" in confirm
    assert "your framing of 1 feedback round" in confirm

    everything = dump(bot)
    assert "CNRYC" not in everything
    assert "CNRYO Jefferson High" in everything and "CNRYO another clarifying" in everything
    assert "CNRYM a clarifying question?" in everything
    assert "CNRYL what shows it" in everything  # the leader's own answer is theirs to erase
    # What was shared is gone from Slack first; the round's thread is the members' and stays.
    assert slack.messages[SHARED_TO] == []
    assert any("CNRYM" in json.dumps(m) for m in slack.messages[CHANNEL])
    with Session(bot.engine) as session:
        assert session.exec(select(OwedMessage).where(OwedMessage.status == OwedStatus.PENDING)).all() == []
    shown = slack.calls_to("views.update")[-1]
    assert "Erased" in json.dumps(shown.args["view"])
    _no_canary_in_log(caplog)


def test_erasing_a_leader_stops_their_check_ins_and_tells_the_coach_nothing_they_wrote(
    slack_http, slack, bot, world, caplog
):
    caplog.set_level(logging.DEBUG)
    confirm = _said(_erase(slack_http, slack, LEADER))
    assert "your answers and ratings to 1 check-in" in confirm and "your coach is told" in confirm

    everything = dump(bot)
    assert "CNRYL" not in everything
    assert "CNRYC Lincoln Middle School" in everything and "CNRYC a goal the check-ins" in everything
    with Session(bot.engine) as session:
        (schedule,) = session.exec(select(CheckinSchedule)).all()
        assert schedule.paused
    # The notice of the answer, owed to the coach and not sent yet, is owed no more.
    bot.dispatcher.run_once()
    told = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == sr.COACH]
    assert not any("CNRYL" in json.dumps(c.args) for c in told)
    left = [c for c in told if "asked me to erase" in json.dumps(c.args["blocks"])]
    assert len(left) == 1 and "CNRYL" not in json.dumps(left[0].args)
    # The other coach has the leader as a client too, and is told as well.
    assert any(
        "asked me to erase" in json.dumps(c.args["blocks"])
        for c in slack.calls_to("chat.postMessage")
        if c.args["channel"] == sr.OTHER_COACH
    )
    _no_canary_in_log(caplog)


def test_erasing_a_member_takes_their_replies_out_and_leaves_the_thread_to_slack(
    slack_http, slack, bot, world, caplog
):
    caplog.set_level(logging.DEBUG)
    confirm = _said(_erase(slack_http, slack, MEMBER_A))
    assert "your 2 replies in feedback rounds" in confirm

    everything = dump(bot)
    assert "CNRYM" not in everything
    assert "CNRYC the dilemma" in everything and "CNRYO another clarifying" in everything
    assert any("CNRYM" in json.dumps(m) for m in slack.messages[CHANNEL])  # Slack's own message
    _no_canary_in_log(caplog)


def test_a_reply_deleted_in_slack_is_deleted_here_and_an_edit_keeps_only_the_latest_text(
    slack_http, slack, bot, world
):
    parent, _ = thread(slack)
    mine = [m for m in slack.messages[CHANNEL] if m.get("user") == MEMBER_A]
    first, second = mine[0]["ts"], mine[1]["ts"]
    edited = {"type": "message", "user": MEMBER_A, "ts": first, "thread_ts": parent, "text": "CNRYM edited"}
    slack_http.send(
        sr.event({"type": "message", "subtype": "message_changed", "channel": CHANNEL, "message": edited})
    )
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": CHANNEL,
        "deleted_ts": second,
        "previous_message": {"type": "message", "user": MEMBER_A, "ts": second, "thread_ts": parent},
    }
    slack_http.send(sr.event(deleted))
    everything = dump(bot)
    assert "CNRYM edited" in everything
    assert "CNRYM a clarifying question?" not in everything
    assert "CNRYM a second question, later deleted?" not in everything


def test_the_erase_confirmation_acts_once(slack_http, slack, bot, world):
    view = _my_data(slack_http, slack, LEADER)
    _view_click(slack_http, slack, ActionId.ERASE_MY_DATA, view, user=LEADER)
    confirm = slack.calls_to("views.push")[-1].response["view"]
    for _ in range(2):
        slack_http.send(sr.view_submission(confirm, {}, user=LEADER))
    told = [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.args["channel"] == sr.COACH and "asked me to erase" in json.dumps(c.args["blocks"])
    ]
    assert len(told) == 1


def test_export_and_erasure_are_the_clickers_own_whatever_the_request_carries(slack_http, slack, bot, world):
    # A crafted button value naming the coach exports the clicker's own data.
    files = _export(slack_http, slack, sr.OTHER_COACH, value=sr.COACH)
    assert "CNRYC" not in files["my-data.json"] and "CNRYO Jefferson High" in files["my-data.json"]

    # The coach's own confirmation window, submitted by someone else with crafted metadata.
    view = _my_data(slack_http, slack, sr.COACH)
    _view_click(slack_http, slack, ActionId.ERASE_MY_DATA, view, user=sr.COACH)
    confirm = slack.calls_to("views.push")[-1].response["view"]
    crafted = {**confirm, "private_metadata": json.dumps({"user": sr.COACH, "team": sr.TEAM})}
    slack_http.send(sr.view_submission(crafted, {}, user=MEMBER_A))
    everything = dump(bot)
    assert "CNRYC Lincoln Middle School" in everything and "CNRYC the dilemma" in everything
    assert "CNRYM" not in everything  # what was erased is the submitter's own


def test_removing_a_client_counts_then_deletes_their_runs_goals_and_check_ins(
    slack_http, slack, bot, world, caplog
):
    caplog.set_level(logging.DEBUG)
    slack_http.send(sr.command(f"client remove <@{LEADER}>", trigger_id=slack.issue_trigger_id()))
    confirm = slack.calls_to("views.update")[-1].response["view"]
    said = _said(confirm)
    assert "1 protocol run about them" in said and "2 check-ins with their answers" in said
    assert "2 goals" in said
    slack_http.send(sr.view_submission(confirm, {}))

    everything = dump(bot)
    for gone in ("CNRYC Lincoln", "CNRYC a goal", "CNRYL"):
        assert gone not in everything
    # What is left of the coach's is their round's framing, which is not about the client.
    assert set(re.findall(r"CNRYC[^'\"]*", everything)) == {
        *ROUND_FRAMING.values(),
        "CNRYC the focus, restated",
    }
    assert "CNRYO Jefferson High" in everything
    assert slack.messages[SHARED_TO] == []
    _no_canary_in_log(caplog)


def test_nobody_removes_a_client_that_is_not_theirs(slack_http, slack, bot, world):
    slack_http.send(sr.command(f"client remove <@{LEADER}>", trigger_id=slack.issue_trigger_id()))
    confirm = slack.calls_to("views.update")[-1].response["view"]
    before = dump(bot)
    # The other coach submits the coach's window (its metadata names the coach's client).
    body = slack_http.send(sr.view_submission(confirm, {}, user=sr.OTHER_COACH)).json()
    assert "belongs to someone else" in json.dumps(body)
    assert dump(bot) == before


def _end_round(slack_http, slack) -> None:
    _, replies = thread(slack)
    announcement = [m for m in replies if "round_end" in buttons(m)][-1]
    _round_click(slack_http, slack, ActionId.ROUND_END, buttons(announcement)["round_end"], announcement)


def test_retention_deletes_what_finished_long_ago_and_a_dry_run_only_counts(
    slack_http, slack, bot, world, clock, caplog, database_url
):
    caplog.set_level(logging.DEBUG)
    rights = DataRights(engine=bot.engine, clock=clock, retention_days=30)
    assert DataRights(engine=bot.engine, clock=clock).retention_due() is None  # unset: keep
    assert rights.retention_due().total == 0
    clock.advance(timedelta(days=40))
    before = dump(bot)
    due = rights.retention_due()
    assert dump(bot) == before  # counting deletes nothing
    # The leader's check-in and its run; the run whose summary is still shared stays until the
    # coach withdraws it, and the round is still open.
    assert (due.runs, due.checkins, due.rounds) == (1, 1, 0)

    _end_round(slack_http, slack)
    clock.advance(timedelta(days=31))
    # The daily job of a bot started with RETENTION_DAYS does it.
    kept = build_bot(
        make_settings(database_url, slack, retention_days=30),
        clock=clock,
        migrate=False,
        pace_per_second=None,
    )
    try:
        assert bot.scheduler.get_job("apply-retention") is None  # unset: no such job
        assert kept.scheduler.get_job("retention-at-start") is not None  # and once as it starts
        job = kept.scheduler.get_job("apply-retention")
        assert job.trigger.interval == timedelta(days=1)
        applied = job.func()
    finally:
        kept.engine.dispose()
    assert (applied.checkins, applied.rounds) == (1, 1)
    everything = dump(bot)
    for gone in ("CNRYL", "CNRYM", "CNRYO another", "CNRYC the dilemma"):
        assert gone not in everything
    assert "CNRYC Lincoln Middle School" in everything  # a client is not something that finishes
    assert "CNRYO Jefferson High" in everything
    assert rights.retention_due().total == 0
    _no_canary_in_log(caplog)


def test_coachbot_retention_dry_run_counts_and_deletes_nothing(slack_http, slack, bot, world, database_url):
    from tests.test_cli import run_cli

    before = dump(bot)
    kept = run_cli("retention", "--dry-run", env={"DATABASE_URL": database_url, "RETENTION_DAYS": ""})
    assert "nothing is deleted" in kept.output
    # The world was made at the test clock's start, weeks before the machine's today.
    counted = run_cli("retention", "--dry-run", env={"DATABASE_URL": database_url, "RETENTION_DAYS": "1"})
    assert counted.exit_code == 0, counted.output
    assert "would delete: 1 completed runs, 1 answered or missed check-ins, 0 closed rounds" in counted.output
    assert dump(bot) == before


def test_someone_the_bot_holds_nothing_about_is_told_so_and_offered_no_erasure(slack_http, slack, bot):
    view = _my_data(slack_http, slack, "USTRANGER")
    assert "I hold no record you wrote and none about you" in _said(view)
    actions = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == [ActionId.EXPORT_MY_DATA]


def test_removing_someone_who_is_not_a_client_says_so(slack_http, slack, bot):
    response = slack_http.send(sr.command("client remove <@UNOBODY>", trigger_id=slack.issue_trigger_id()))
    assert "is not among your clients" in response.text and slack.calls_to("views.open") == []


def test_the_coach_hears_their_client_left_even_when_slack_fails_the_first_try(
    slack_http, slack, bot, world, clock
):
    bot.dispatcher.run_once()  # what the world still owed (the notice of the leader's answer)
    slack.fail_next("chat.postMessage", "internal_error", times=2)
    _erase(slack_http, slack, LEADER)
    assert len([c for c in slack.calls_to("chat.postMessage") if not c.ok]) == 2  # both tried at once
    for _ in range(3):
        clock.advance(timedelta(minutes=5))
        bot.dispatcher.run_once()
    for coach in (sr.COACH, sr.OTHER_COACH):
        told = [
            c
            for c in slack.calls_to("chat.postMessage")
            if c.ok and c.args["channel"] == coach and "asked me to erase" in json.dumps(c.args["blocks"])
        ]
        assert len(told) == 1, coach


def test_when_slack_will_not_delete_a_shared_summary_nothing_is_erased_and_a_retry_can(
    slack_http, slack, bot, world
):
    before = canaries(bot)
    slack.fail_next("chat.delete", "internal_error")
    view = _my_data(slack_http, slack, sr.COACH)
    _view_click(slack_http, slack, ActionId.ERASE_MY_DATA, view, user=sr.COACH)
    confirm = slack.calls_to("views.push")[-1].response["view"]
    slack_http.send(sr.view_submission(confirm, {}))
    assert "Nothing was erased" in json.dumps(slack.calls_to("views.update")[-1].args["view"])
    assert canaries(bot) == before
    slack_http.send(sr.view_submission(confirm, {}))  # the same confirmation, again: now it acts
    assert "CNRYC" not in dump(bot) and slack.messages[SHARED_TO] == []


def test_an_erased_member_leaves_the_presenters_turns_and_is_not_asked_to_present(
    slack_http, slack, bot, clock
):
    """A recurring round's turns named the member: after erasure they are not in them, their
    invitation is gone and its ask is owed no more; the others keep their turns."""
    set_up_collaborative(slack)
    register(slack_http, slack)
    schedule_rounds(
        slack_http, slack, first=(clock.now + timedelta(days=10)).date(), rotation=[MEMBER_A, FACILITATOR]
    )
    with Session(bot.engine, expire_on_commit=False) as session:
        schedule = session.exec(select(RoundSchedule)).one()
        invitation = RoundInvitation(
            key="erasure-test",
            schedule_id=schedule.id,
            presenter_id=MEMBER_A,
            opens_at=clock.now + timedelta(days=10),
        )
        session.add(invitation)
        session.commit()
    ask = Owe(f"{ROUND_INVITATION}:{invitation.id}", ROUND_INVITATION, sr.TEAM, MEMBER_A, invitation.id)
    bot.sender.owe(ask)
    clock.advance(timedelta(days=30))  # the ask would be due: it is owed no more

    _erase(slack_http, slack, MEMBER_A)

    with Session(bot.engine) as session:
        kept = session.exec(select(RoundSchedule)).one()
        assert json.loads(kept.rotation) == [FACILITATOR]
        assert (
            session.exec(select(RoundInvitation).where(RoundInvitation.presenter_id == MEMBER_A)).all() == []
        )
        row = session.exec(select(OwedMessage).where(OwedMessage.key == ask.key)).one()
        assert row.status is OwedStatus.DROPPED
    before = len(slack.calls_to("chat.postMessage"))
    bot.sender.run_once()
    assert not [c for c in slack.calls_to("chat.postMessage")[before:] if c.args.get("channel") == MEMBER_A]
