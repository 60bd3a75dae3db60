"""Someone outside names what is the coach's: every action id and callback id the bot listens
for, replayed by a signed-in user who is not in the collaborative's channel, with the coach's
run, client, check-in, round, channel, messages and open views in the payload. Nothing stored
changes, and no Web API call touches a message or a view that is not the outsider's own."""

from __future__ import annotations

import itertools
import json

from sqlalchemy import inspect, text
from sqlmodel import Session, select

from bot.ids import ActionId, CallbackId, pair
from bot.storage.models import Client, FeedbackRound, ProtocolRun
from tests import round_flow as rf
from tests import slack_requests as sr
from tests.checkin_setup import due_rows, schedule_for
from tests.flow import (
    LEADER,
    LEADER_NAME,
    add_client,
    fill_pages,
    open_about,
    open_modal,
    protocol,
    sample_answer,
)

OUTSIDER = "UOUTSIDE"
CHECKIN_LEADER = "ULEADX1"
# The outsider's own bookkeeping: windows opened for them, their own clicks' keys, their own
# reminder preference. Nothing in these tables is the coach's.
THEIR_OWN = {"opened_view", "action_done", "round_reminder_opt_out", "alembic_version"}


def everything(bot) -> dict[str, list]:
    with bot.engine.connect() as connection:
        tables = [t for t in inspect(connection).get_table_names() if t not in THEIR_OWN]
        return {
            table: sorted(map(repr, connection.execute(text(f"SELECT * FROM {table}")).all()))
            for table in tables
        }


def the_coachs_world(slack_http, slack, bot, clock) -> dict:
    """A round posted in a collaborative, a finished run about a client shared to the channel,
    a check-in sent to a leader, and the coach's run open in a modal."""
    rf.set_up_channel(slack)
    slack.add_user(LEADER, name=LEADER_NAME)
    slack.add_user(OUTSIDER, tz="America/Los_Angeles")
    rf.register(slack_http, slack)
    rf.frame(slack_http, slack, "consultancy")
    add_client(slack_http, slack)
    fill_pages(
        slack_http,
        open_about(slack_http, slack, "theory-of-action", f"<@{LEADER}>"),
        protocol("theory-of-action"),
    )
    with Session(bot.engine) as session:
        run = session.exec(select(ProtocolRun).where(ProtocolRun.protocol_id == "theory-of-action")).one()
        client = session.exec(select(Client)).first()
        round_ = session.exec(select(FeedbackRound)).one()
    slack_http.send(sr.block_action(ActionId.VIEW_RUN, run.id, trigger_id=slack.issue_trigger_id()))
    detail = slack.calls_to("views.update")[-1].response["view"]
    slack_http.send(
        sr.block_action(ActionId.SHARE_CHANNEL, run.id, trigger_id=slack.issue_trigger_id(), view=detail)
    )
    share_form = slack.calls_to("views.push")[-1].response["view"]
    slack_http.send(
        sr.form_submission({**share_form, "root_view_id": detail["id"]}, {"share_channel": rf.CHANNEL})
    )
    slack.add_user(CHECKIN_LEADER, tz="America/New_York")
    schedule = schedule_for(bot, CHECKIN_LEADER)
    (delivery_id,) = due_rows(bot, schedule, 1, due=clock.now, to=CHECKIN_LEADER)
    assert bot.dispatcher.run_once().sent == 1
    forms = {}
    forms[CallbackId.ROUND_FRAME] = rf.framing_view(slack_http, slack, "consultancy")
    slack_http.send(
        sr.command("collaborative schedule", trigger_id=slack.issue_trigger_id(), channel=rf.CHANNEL)
    )
    forms[CallbackId.ROUND_SCHEDULE] = slack.calls_to("views.update")[-1].response["view"]
    slack_http.send(sr.command(f"checkins <@{LEADER}|{LEADER_NAME}>", trigger_id=slack.issue_trigger_id()))
    forms[CallbackId.SCHEDULE_FORM] = slack.calls_to("views.update")[-1].response["view"]
    forms[CallbackId.SHARE_TO_CHANNEL] = {**share_form, "root_view_id": detail["id"]}
    views = {
        c.response["view"]["id"] for c in slack.calls if c.method in ("views.open", "views.push") and c.ok
    }
    messages = [
        (channel, m["ts"]) for channel, posted in slack.messages.items() for m in posted if m.get("bot_id")
    ]
    return {
        "run": run.id,
        "client": client.id,
        "round": round_.id,
        "delivery": delivery_id,
        "detail": detail,
        "forms": forms,
        "views": views,
        "messages": messages,
    }


def _values(world: dict) -> list[str]:
    run, round_, delivery = world["run"], world["round"], world["delivery"]
    return [
        run,
        world["client"],
        delivery,
        round_,
        pair(run, "goal"),
        *(pair(round_, str(phase)) for phase in range(3)),
        *(pair(delivery, choice) for choice in ("later", "skip", "pause")),
        "on",
        "off",
    ]


def _action_ids() -> list[str]:
    # ANSWER and FIELD name the element inside an input block: Slack sends them in a view's
    # state, never as a click, and no listener takes them.
    skipped = (ActionId.CHECKIN_RATE, ActionId.ROUND_TAG, ActionId.ANSWER, ActionId.FIELD)
    ids = [a.value for a in ActionId if a not in skipped]
    return [*ids, *(f"{ActionId.CHECKIN_RATE}:{n}" for n in (1, 5)), f"{ActionId.ROUND_TAG}:warm"]


def _metadata(world: dict) -> list[str]:
    """Every private_metadata an outsider could write to name the coach's things."""
    return [
        rf.CHANNEL,
        world["round"],
        world["client"],
        json.dumps({"d": world["delivery"]}),
        json.dumps({"r": world["run"]}),
        *(form.get("private_metadata", "") for form in world["forms"].values()),
    ]


def test_an_outsider_naming_the_coachs_things_changes_nothing_and_touches_nothing(
    slack_http, slack, bot, clock
):
    world = the_coachs_world(slack_http, slack, bot, clock)
    before = everything(bot)
    first_call = len(slack.calls)
    coach_view = world["detail"]
    sent = {"actions": 0, "forms": 0, "closed": 0, "shortcuts": 0}
    containers = [{"message": m} for m in world["messages"][:4]] + [{"view": coach_view}]
    # Each (action, value) once, in each kind of container in turn: the coach's messages (the
    # round's post, the shared summary, the check-in, the coach's DMs) and the coach's open view.
    tries = itertools.product(_action_ids(), _values(world))
    for (action_id, value), where in zip(tries, itertools.cycle(containers), strict=False):
        selected = value if action_id in (ActionId.CHECKIN_LATER, ActionId.SET_PHASE) else None
        request = sr.block_action(
            action_id, value, trigger_id=slack.issue_trigger_id(), user=OUTSIDER, selected=selected, **where
        )
        assert slack_http.send(request).status_code in (200, 400)
        sent["actions"] += 1
    for callback, metadata in itertools.product(CallbackId, _metadata(world)):
        form = world["forms"].get(callback, coach_view)
        view = {
            **form,
            "callback_id": callback,
            "private_metadata": metadata,
            "root_view_id": coach_view["id"],
            "previous_view_id": coach_view["id"],
        }
        answers = {
            "round_protocol": "consultancy",
            "round_mode": "live",
            "round_every": "2",
            "round_first": "2027-01-04",
            "round_time": "15:00",
            "round_rotation": [OUTSIDER],
            "round_ask_ahead": "3",
            "share_channel": rf.CHANNEL,
            "schedule_new_goal": "Outsider's goal",
            "schedule_cadence": "weekly",
            "schedule_time": "09:00",
            "schedule_first": "2027-01-04",
            **rf.FRAMING["consultancy"],
        }
        for submit in (sr.form_submission, sr.view_submission, sr.view_closed):
            # 404: a callback with no listener for this kind (a summary is never submitted)
            assert slack_http.send(submit(view, answers, user=OUTSIDER)).status_code in (200, 400, 404)
            sent["forms" if submit is not sr.view_closed else "closed"] += 1
    for channel, ts in world["messages"][:4]:
        message = {"ts": ts, "thread_ts": ts, "text": "x"}
        shortcut = sr.message_shortcut(
            CallbackId.WITHDRAW_REPLY, channel, message, trigger_id=slack.issue_trigger_id(), user=OUTSIDER
        )
        assert slack_http.send(shortcut).status_code in (200, 400)
        sent["shortcuts"] += 1

    after = everything(bot)
    with Session(bot.engine) as session:
        theirs = [OUTSIDER, *session.exec(select(ProtocolRun.id).where(ProtocolRun.user_id == OUTSIDER))]
    # What the outsider may have written is their own: a run they began (a page of a protocol
    # they opened by naming the coach's modal starts a run of their own), its answers.
    changed = {
        table: [row for row in set(before[table]) ^ set(after[table]) if not any(o in row for o in theirs)]
        for table in before
    }
    assert {table: rows for table, rows in changed.items() if rows} == {}
    calls = slack.calls[first_call:]
    own_views = {c.response["view"]["id"] for c in calls if c.method in ("views.open", "views.push") and c.ok}
    assert not own_views & world["views"]
    # The outsider's own data export (`/coach my data`) may reach the outsider's own DM.
    own_dm = {c.response["channel"]["id"] for c in calls if c.method == "conversations.open" and c.ok}
    own_dm &= {c.response["channel"]["id"] for c in calls if c.args.get("users") == OUTSIDER and c.ok}
    touching = [
        (c.method, c.args)
        for c in calls
        if c.method in ("chat.update", "chat.delete")
        or (c.method == "files.completeUploadExternal" and c.args.get("channel_id") not in own_dm)
        or (c.method == "views.update" and c.args.get("view_id") not in own_views)
        or (c.method == "chat.postMessage" and c.args.get("channel") != OUTSIDER)
        or (c.method == "chat.postEphemeral" and c.args.get("user") != OUTSIDER)
    ]
    assert touching == []
    assert sum(sent.values()) > 600  # every id, with every kind of the coach's ids, was tried


def test_naming_a_coachs_fresh_window_does_not_take_it_from_them(slack_http, slack, bot):
    """A page sent from another person's window id, before its first answer, would start a run
    on that id: the coach's own answers would then be refused in their own window."""
    slack.add_user(OUTSIDER, tz="America/Los_Angeles")
    view = open_modal(slack_http, slack, "five-lenses")
    page = protocol("five-lenses").pages[0]
    answers = {s.id: sample_answer(s) for s in page.steps}
    refused = slack_http.send(sr.view_submission(view, answers, user=OUTSIDER)).json()
    assert "can't find that protocol" in json.dumps(refused["view"])
    slack_http.send(sr.view_closed(view, answers, user=OUTSIDER))
    with Session(bot.engine) as session:
        assert session.exec(select(ProtocolRun)).all() == []
    mine = slack_http.send(sr.view_submission(view, answers)).json()
    assert mine["response_action"] == "update" and mine["view"]["callback_id"] == "protocol_page"
    with Session(bot.engine) as session:
        assert [run.user_id for run in session.exec(select(ProtocolRun))] == [sr.COACH]
