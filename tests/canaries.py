"""Unique strings typed into every free-text field through the Slack surface, and a dump of every
table to look for them: what encryption at rest (and the program view) must never show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import Session, select

from bot.assembly import build_bot
from bot.ids import ActionId
from bot.storage.models import FeedbackRound, metadata
from tests import slack_requests as sr
from tests.checkin_setup import due_rows, schedule_for
from tests.conftest import TrackingExecutor, make_settings
from tests.flow import LEADER, LEADER_NAME, fill_pages, open_about, protocol
from tests.round_flow import (
    FACILITATOR,
    MEMBER_A,
    PRESENTER,
    buttons,
    click,
    frame,
    register,
    reply,
    set_up_channel,
    thread,
)

CHECKIN_LEADER = "ULEADCAN"
CANARIES = {
    "organization": "Canary Organization Zephyrine",
    "run answers": "CANARYTOA",  # inside every text answer of a theory of action
    "framing": "keeps tracking students",  # tests.round_flow's consultancy framing
    "reply": "Canary clarifying question quillwort?",
    "restated focus": "Canary restated focus marlinspike?",
    "next step": "Canary next step: talk to the counselors, bergamot.",
    "check-in goal": "Canary check-in goal: every student reads, hollyhock",
    "check-in answer": "Canary evidence: reading logs, tamarack",
    "revised answer": "Canary evidence changed: portfolios, sassafras",
}


def type_every_canary(slack_http, slack, bot, clock) -> None:
    """A client, a theory of action about them (answers and a goal), a whole feedback round (a
    framing, replies, a restated focus, a next step), and a check-in answered then changed (an
    answer revision), all through signed requests."""
    slack.add_user(LEADER, name=LEADER_NAME)
    slack_http.send(sr.command(f"client add <@{LEADER}>", trigger_id=slack.issue_trigger_id()))
    form = slack.calls_to("views.open")[-1].response["view"]
    fields = {
        "client_leader": LEADER,
        "client_organization": CANARIES["organization"],
        "client_domain": "school",
    }
    slack_http.send(sr.form_submission(form, fields))
    toa = protocol("theory-of-action")
    fill_pages(
        slack_http, open_about(slack_http, slack, "theory-of-action", f"<@{LEADER}>"), toa, "CANARYTOA"
    )

    set_up_channel(slack)
    register(slack_http, slack)
    frame(slack_http, slack, "consultancy", client=LEADER)
    reply(slack_http, slack, clock, MEMBER_A, CANARIES["reply"])
    _next(slack_http, slack)
    with Session(bot.engine) as session:
        round_id = session.exec(select(FeedbackRound.id)).one()
    click(slack_http, slack, "round_restate", round_id)
    restate = slack.calls_to("views.open")[-1].response["view"]
    slack_http.send(sr.view_submission(restate, {"round_focus": CANARIES["restated focus"]}))
    _next(slack_http, slack)
    reply(slack_http, slack, clock, MEMBER_A, CANARIES["next step"])
    for _ in range(3):
        _next(slack_http, slack)
    dm = slack.messages["D" + PRESENTER[1:]]
    pick = buttons(dm[-1])["round_pick"]
    slack_http.send(
        sr.block_action(
            "round_pick",
            pick,
            trigger_id=slack.issue_trigger_id(),
            message=("D" + PRESENTER[1:], dm[-1]["ts"]),
        )
    )
    picks = slack.calls_to("views.open")[-1].response["view"]
    (option,) = picks["blocks"][1]["element"]["options"]
    slack_http.send(sr.view_submission(picks, {"round_picks": [option["value"]]}))

    slack.add_user(CHECKIN_LEADER, tz="America/New_York")
    schedule = schedule_for(bot, CHECKIN_LEADER, goal_text=CANARIES["check-in goal"])
    (delivery_id,) = due_rows(bot, schedule, 1, due=clock.now, to=CHECKIN_LEADER)
    assert bot.dispatcher.run_once().sent >= 1
    message = [c for c in slack.calls_to("chat.postMessage") if c.args.get("metadata")][-1].response
    for evidence in (CANARIES["check-in answer"], CANARIES["revised answer"]):
        slack_http.send(
            sr.block_action(
                ActionId.CHECKIN_ANSWER,
                delivery_id,
                trigger_id=slack.issue_trigger_id(),
                user=CHECKIN_LEADER,
                message=(message["channel"], message["ts"]),
            )
        )
        form = slack.calls_to("views.open")[-1].response["view"]
        answers = {
            "progress": "3",
            "evidence": evidence,
            "goal_still_right": "yes",
            "obstacle_kinds": ["capacity"],
        }
        assert slack_http.send(sr.view_submission(form, answers, user=CHECKIN_LEADER)).json() == {
            "response_action": "clear"
        }


@contextmanager
def bot_with(database_url, slack, clock, **settings) -> Iterator:
    """The bot of tests/conftest.py's `bot` fixture, with settings of the test's own."""
    executor = TrackingExecutor()
    bot = build_bot(
        make_settings(database_url, slack, **settings),
        clock=clock,
        migrate=False,
        listener_executor=executor,
        home_executor=executor,
        home_settle_seconds=0,
        pace_per_second=None,
    )
    bot.idle = executor.wait_idle
    try:
        yield bot
    finally:
        executor.wait_idle()
        executor.shutdown()
        bot.engine.dispose()


def _next(slack_http, slack) -> None:
    announced = [m for m in thread(slack)[1] if "round_next" in buttons(m)][-1]
    click(slack_http, slack, "round_next", buttons(announced)["round_next"], user=FACILITATOR)


def dump(engine: sa.Engine) -> str:
    """Every row of every table as the database stores it (no type decoding)."""
    lines = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(sa.text(f'SELECT * FROM "{table.name}"')):
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


def found_in(text: str) -> list[str]:
    return [name for name, canary in CANARIES.items() if canary in text]
