"""Feedback rounds in a Coach Collaborative's channel, driven through signed requests and message
events against the fake Slack: the whole round, both ways of moving it on, and the summaries."""

from __future__ import annotations

import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.assembly import build_bot
from bot.protocols.schema import PresenterRole
from bot.scheduling.sender import CLAIM_TIMEOUT, MAX_ATTEMPTS, MAX_BACKOFF_S, Sender
from bot.storage.models import (
    Contribution,
    FeedbackRound,
    Goal,
    NextStep,
    OwedMessage,
    ProtocolRun,
    RoundStatus,
    RunStatus,
)
from tests import slack_requests as sr
from tests.conftest import make_settings
from tests.flow import LEADER, add_client
from tests.round_flow import (
    CHANNEL,
    FACILITATOR,
    FRAMING,
    MEMBER_A,
    MEMBER_B,
    PRESENTER,
    buttons,
    click,
    frame,
    framing_view,
    register,
    reply,
    set_up_channel,
    text_of,
    thread,
    tick,
)

# The calendar matters here: CI runs these again with the machine's clock moved (tests/at_date.py).
pytestmark = pytest.mark.dates

# Shorter than the fake's hang, so a hung post times out.
CLIENT_TIMEOUT_S = 0.2
HANG_S = 0.5
# Messages a second the outbox's senders share, and rounds moving on at once under it.
PACE = 5.0
ROUNDS_AT_ONCE = 6


def _contributions(bot) -> list[Contribution]:
    with Session(bot.engine) as session:
        return list(session.exec(select(Contribution).order_by(Contribution.ts)).all())


def _round(bot) -> FeedbackRound:
    with Session(bot.engine) as session:
        return session.exec(select(FeedbackRound)).one()


def _rounds(bot) -> list[FeedbackRound]:
    with Session(bot.engine) as session:
        return list(session.exec(select(FeedbackRound).order_by(FeedbackRound.created_at)).all())


def _round_by_id(bot, round_id: str) -> FeedbackRound:
    with Session(bot.engine) as session:
        return session.get(FeedbackRound, round_id)


def _ephemerals(slack, user: str) -> list[str]:
    return [
        "\n".join(b["text"]["text"] for b in call.args.get("blocks", []) if b["type"] == "section")
        for call in slack.calls_to("chat.postEphemeral")
        if call.args.get("user") == user
    ]


def _announcement(slack) -> dict:
    """The latest phase announcement in the round's thread (the one with the round's buttons)."""
    return [m for m in thread(slack)[1] if "round_next" in buttons(m)][-1]


def _next(slack_http, slack, *, user: str = PRESENTER):
    return click(slack_http, slack, "round_next", buttons(_announcement(slack))["round_next"], user=user)


def test_a_live_consultancy_round_from_framing_to_next_steps(bot, slack, slack_http, clock):
    set_up_channel(slack)
    register(slack_http, slack)
    intro = slack.messages[CHANNEL][0]
    assert "Coach Collaborative" in text_of(intro)

    body = frame(slack_http, slack, "consultancy")
    assert body["response_action"] == "update"
    assert "posted in <#CCOLLAB1>" in body["view"]["blocks"][0]["text"]["text"]

    parent, announced = thread(slack)
    post = next(m for m in slack.messages[CHANNEL] if m["ts"] == parent)
    # The framing is in the post, escaped: nobody writes <!channel> through the bot.
    assert "&lt;!channel&gt;" in text_of(post) and "<!channel>" not in text_of(post)
    assert "Phase 1 of 5: Clarifying questions" in text_of(announced[-1])

    # Clarifying questions, one of them delivered twice by Slack.
    reply(slack_http, slack, clock, MEMBER_A, "How many sections are tracked?", retry=True)
    reply(slack_http, slack, clock, PRESENTER, "Four of six.")

    # A member who is neither presenter nor facilitator cannot move the round on.
    _next(slack_http, slack, user=MEMBER_A)
    assert any("Only the presenter or the facilitator" in t for t in _ephemerals(slack, MEMBER_A))
    assert _round(bot).phase == 0

    # The facilitator moves it on; a second click on the same button moves nothing.
    stale = buttons(_announcement(slack))["round_next"]
    _next(slack_http, slack, user=FACILITATOR)
    click(slack_http, slack, "round_next", stale, user=PRESENTER)
    assert _round(bot).phase == 1
    assert any("already moved on" in t for t in _ephemerals(slack, PRESENTER))
    assert "Phase 2 of 5: Probing questions" in text_of(thread(slack)[1][-1])

    reply(slack_http, slack, clock, MEMBER_B, "What would it mean for the team to choose differently?")
    # The presenter restates the focus question from the probing phase's button.
    click(slack_http, slack, "round_restate", _round(bot).id)
    restate = slack.calls_to("views.open")[-1].response["view"]
    slack_http.send(sr.view_submission(restate, {"round_focus": "How do I invite the team to own tracking?"}))
    assert _round(bot).focus_restated == "How do I invite the team to own tracking?"

    # Discussion: the presenter listens, and is told so privately, once.
    _next(slack_http, slack)
    assert any("listening phase" in t for t in _ephemerals(slack, PRESENTER))
    idea = reply(slack_http, slack, clock, MEMBER_A, "I wonder whether the counselors see the data.")
    typo = reply(slack_http, slack, clock, MEMBER_B, "Maybe start with one teacher who is curious.")
    dropped = reply(slack_http, slack, clock, FACILITATOR, "An aside I take back.")
    reply(slack_http, slack, clock, PRESENTER, "(oops, I spoke)")
    assert sum("listening phase" in t for t in _ephemerals(slack, PRESENTER)) == 1

    # An edited reply keeps only its latest text; a deleted one is deleted.
    slack_http.send(
        sr.event(
            {
                "type": "message",
                "subtype": "message_changed",
                "channel": CHANNEL,
                "message": {
                    "type": "message",
                    "user": MEMBER_B,
                    "ts": typo,
                    "thread_ts": parent,
                    "text": "Start with one curious teacher.",
                },
                "ts": f"{clock().timestamp() + 5:.6f}",
            }
        )
    )
    slack_http.send(
        sr.event(
            {
                "type": "message",
                "subtype": "message_deleted",
                "channel": CHANNEL,
                "deleted_ts": dropped,
                "previous_message": {
                    "type": "message",
                    "user": FACILITATOR,
                    "ts": dropped,
                    "thread_ts": parent,
                },
                "ts": f"{clock().timestamp() + 6:.6f}",
            }
        )
    )

    _next(slack_http, slack)
    reply(slack_http, slack, clock, PRESENTER, "What resonated: the counselors. I'll talk to them first.")
    _next(slack_http, slack)
    reply(slack_http, slack, clock, MEMBER_A, "The protocol kept us from advising too early.")
    _next(slack_http, slack)

    stored = _contributions(bot)
    by_phase = {}
    for c in stored:
        by_phase.setdefault(c.phase, []).append((c.user_id, c.text, c.withdrawn_at is not None))
    assert by_phase[0] == [
        (MEMBER_A, "How many sections are tracked?", False),
        (PRESENTER, "Four of six.", False),
    ]
    assert by_phase[2][1] == (MEMBER_B, "Start with one curious teacher.", False)
    # A reply deleted in Slack is deleted here, text and all.
    assert all(text != "An aside I take back." for c in stored for text in [c.text])
    assert all(user != FACILITATOR for user, _, _ in by_phase[2])
    assert [u for u, _, _ in by_phase[3]] == [PRESENTER]
    assert _round(bot).status is RoundStatus.CLOSED

    # The thread gets a short summary; the presenter the whole record in a DM.
    closing = text_of(thread(slack)[1][-1])
    assert "This round has closed" in closing and "How do I invite the team to own tracking?" in closing
    assert "Clarifying questions: 2 replies" in closing
    dm = [m for m in slack.messages.get("D" + PRESENTER[1:], [])]
    summary = "\n".join(text_of(m) for m in dm)
    assert "How might I help the team see tracking as a choice?" in summary
    assert "How do I invite the team to own tracking?" in summary
    assert "I'll talk to them first." in summary
    assert "Start with one curious teacher." in summary
    assert "An aside I take back." not in summary

    # The presenter picks what to act on; each pick is a next step.
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
    options = {o["text"]["text"]: o["value"] for o in picks["blocks"][1]["element"]["options"]}
    assert set(options) == {
        "I wonder whether the counselors see the data.",
        "Start with one curious teacher.",
    }
    chosen = options["I wonder whether the counselors see the data."]
    response = slack_http.send(sr.view_submission(picks, {"round_picks": [chosen]}))
    assert "counselors see the data" in text_of(response.json()["view"])
    with Session(bot.engine) as session:
        steps = session.exec(select(NextStep)).all()
        assert [(s.contribution_id, s.text) for s in steps] == [
            (chosen, "I wonder whether the counselors see the data.")
        ]
        assert session.exec(select(Goal)).all() == []  # the round named no client
    assert next(c for c in stored if c.ts == idea).phase == 2


def _dms(slack, user: str) -> list[dict]:
    return slack.messages.get("D" + user[1:], [])


def _reminded_calls(slack) -> list:
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if call.ok and "feedback round is waiting" in call.args.get("text", "")
    ]


def _reminded(slack) -> set[str]:
    return {call.args["channel"] for call in _reminded_calls(slack)}


def test_an_async_tuning_round_moves_on_by_itself_reminds_once_and_sorts_feedback(
    bot, slack, slack_http, clock
):
    set_up_channel(slack)
    add_client(slack_http, slack)
    register(slack_http, slack)
    frame(slack_http, slack, "tuning", mode="async", facilitator=None, client=LEADER)
    assert "Phase 1 of 5" in text_of(_announcement(slack)) and "It closes <!date^" in text_of(
        _announcement(slack)
    )
    reply(slack_http, slack, clock, MEMBER_A, "Who wrote the plan?")

    # Three quarters into the phase, those who have not replied get one DM; never the presenter.
    clock.advance(timedelta(hours=8))
    tick(bot)
    assert _reminded(slack) == set()
    clock.advance(timedelta(hours=1, minutes=1))
    tick(bot)
    tick(bot)
    assert _reminded(slack) == {FACILITATOR, MEMBER_B}
    assert (
        len(
            [
                c
                for c in slack.calls_to("chat.postMessage")
                if "feedback round is waiting" in c.args.get("text", "")
            ]
        )
        == 2
    )

    # Member B opts out of reminders from the DM.
    dm = _dms(slack, MEMBER_B)[-1]
    slack_http.send(
        sr.block_action(
            "round_reminders",
            "off",
            trigger_id=slack.issue_trigger_id(),
            user=MEMBER_B,
            message=("D" + MEMBER_B[1:], dm["ts"]),
        )
    )
    assert "won't get round reminders" in text_of(_dms(slack, MEMBER_B)[-1])

    # When the phase's time is up the scheduler moves the round on, once.
    clock.advance(timedelta(hours=3))
    tick(bot)
    tick(bot)
    assert _round(bot).phase == 1
    assert sum("Phase 2 of 5" in text_of(m) for m in thread(slack)[1]) == 1
    # Drafting happens outside the thread: nobody is reminded to post in it.
    reminders = len(_reminded_calls(slack))
    clock.advance(timedelta(hours=10))
    tick(bot)
    assert len(_reminded_calls(slack)) == reminders
    clock.advance(timedelta(hours=2))
    tick(bot)
    assert _round(bot).phase == 2
    assert "warm:" in text_of(_announcement(slack))

    # Feedback sorted by a leading word, or by a tap on the question only its author sees.
    reply(slack_http, slack, clock, MEMBER_A, "Warm: the if-then chain is clear and student-centred.")
    assert _ephemerals(slack, MEMBER_A) == []
    cool = reply(slack_http, slack, clock, FACILITATOR, "The plan never says how reading growth is measured.")
    question = next(c for c in slack.calls_to("chat.postEphemeral") if c.args["user"] == FACILITATOR)
    tags = {
        e["action_id"]: e["value"]
        for b in question.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert set(tags) == {"round_tag:warm", "round_tag:cool", "round_tag:hard"}
    # Someone else's tap changes nothing; the author's sorts it.
    slack_http.send(
        sr.block_action(
            "round_tag:warm", tags["round_tag:cool"], trigger_id=slack.issue_trigger_id(), user=MEMBER_A
        )
    )
    slack_http.send(
        sr.with_response_url(
            sr.block_action(
                "round_tag:cool",
                tags["round_tag:cool"],
                trigger_id=slack.issue_trigger_id(),
                user=FACILITATOR,
            ),
            slack.response_url,
        )
    )
    assert {c.ts: c.tag for c in _contributions(bot) if c.phase == 2} == {
        next(c.ts for c in _contributions(bot) if c.user_id == MEMBER_A and c.phase == 2): "warm",
        cool: "cool",
    }

    # The feedback phase's reminders skip who replied and who opted out: nobody is left.
    before = len(slack.calls_to("chat.postMessage"))
    clock.advance(timedelta(hours=18))
    tick(bot)
    assert [
        c
        for c in slack.calls_to("chat.postMessage")[before:]
        if "feedback round is waiting" in c.args.get("text", "")
    ] == []

    for _ in range(3):
        clock.advance(timedelta(hours=24))
        tick(bot)
    assert _round(bot).status is RoundStatus.CLOSED
    summary = "\n".join(text_of(m) for m in _dms(slack, PRESENTER))
    assert "_Warm_ · <@UMEMBERA>: Warm: the if-then chain is clear" in summary
    assert "_Cool_ · <@UCOACH2>: The plan never says" in summary

    # Picks become next steps and, the round being about a client, that client's goals.
    dm = next(m for m in reversed(_dms(slack, PRESENTER)) if "round_pick" in buttons(m))
    slack_http.send(
        sr.block_action(
            "round_pick",
            buttons(dm)["round_pick"],
            trigger_id=slack.issue_trigger_id(),
            message=("D" + PRESENTER[1:], dm["ts"]),
        )
    )
    picks = slack.calls_to("views.open")[-1].response["view"]
    everything = [o["value"] for o in picks["blocks"][1]["element"]["options"]]
    done = slack_http.send(sr.view_submission(picks, {"round_picks": everything})).json()["view"]
    assert buttons(done)["set_up_checkins"]
    with Session(bot.engine) as session:
        goals = session.exec(select(Goal)).all()
        steps = session.exec(select(NextStep)).all()
    assert sorted(g.statement for g in goals) == sorted(s.text for s in steps) and len(steps) == 2
    assert {s.goal_id for s in steps} == {g.id for g in goals}
    assert all(g.client_id == buttons(done)["set_up_checkins"] for g in goals)


def test_replies_written_while_the_bot_was_down_are_read_from_the_thread_once(bot, slack, slack_http, clock):
    set_up_channel(slack)
    register(slack_http, slack)
    frame(slack_http, slack, "consultancy")
    reply(slack_http, slack, clock, MEMBER_A, "Heard live.")
    missed = [
        reply(slack_http, slack, clock, user, f"Written while down by {user}", deliver=False)
        for user in (MEMBER_B, FACILITATOR)
    ]
    assert len(_contributions(bot)) == 1

    slack.rate_limit_next("conversations.replies", retry_after=1)  # Tier 3, spent before the restart
    assert bot.keeper.catch_up() == 2
    assert [c.status for c in slack.calls_to("conversations.replies")] == [429, 200]
    assert bot.keeper.catch_up() == 0
    # Slack retries the event for one of them after all: still stored once.
    event = next(m for m in slack.messages[CHANNEL] if m["ts"] == missed[0])
    slack_http.send(sr.event({**event, "channel": CHANNEL}, retry=2))
    stored = _contributions(bot)
    assert [(c.user_id, c.phase) for c in stored] == [(MEMBER_A, 0), (MEMBER_B, 0), (FACILITATOR, 0)]


def test_two_processes_move_a_round_once_and_announce_each_phase_once(
    bot, slack, slack_http, clock, database_url
):
    set_up_channel(slack)
    register(slack_http, slack)
    frame(slack_http, slack, "consultancy")
    other = build_bot(make_settings(database_url, slack), clock=clock, migrate=False, pace_per_second=None)
    try:
        round_id = _round(bot).id
        # Both processes see phase 0 and act on the same click (or the same tick).
        with ThreadPoolExecutor(max_workers=2) as pool:
            moved = list(
                pool.map(lambda b: b.rounds.advance(round_id, seen_phase=0, by=PRESENTER), (bot, other))
            )
        assert sum(m is not None for m in moved) == 1
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda b: b.sender.run_once(), (bot, other)))
        assert _in_thread(slack, "Phase 2 of 5") == 1
        # Both keep going: nothing is posted twice, the round's post included.
        posts = len([m for m in slack.messages[CHANNEL] if not m.get("thread_ts")])
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(tick, (bot, other, bot, other)))
        assert len([m for m in slack.messages[CHANNEL] if not m.get("thread_ts")]) == posts
        assert _in_thread(slack, "Phase 2 of 5") == 1

        # The move and what it owes are one transaction: whichever process sends next says it.
        assert bot.rounds.advance(round_id, seen_phase=1, by=PRESENTER) is not None
        assert "Phase 3 of 5" not in text_of(_announcement(slack))
        other.sender.run_once()
        other.sender.run_once()
        assert _in_thread(slack, "Phase 3 of 5") == 1
    finally:
        other.engine.dispose()


def test_a_listening_phase_owes_its_reminder_in_the_announcements_own_record(
    bot, slack, slack_http, clock, monkeypatch
):
    """The presenter's reminder to listen is owed in the transaction that records the phase's
    announcement sent: a process that dies right after that commit has lost nothing, and no
    moment passes in which the round owes nothing while the reminder is still to come."""
    set_up_channel(slack)
    register(slack_http, slack)
    frame(slack_http, slack, "consultancy")
    round_ = _round(bot)
    listening = next(
        i
        for i, phase in enumerate(bot.runs.protocol("consultancy").round.phases)
        if phase.presenter is PresenterRole.LISTENS
    )
    for seen in range(listening):
        moved = bot.rounds.advance(round_.id, seen_phase=seen, by=PRESENTER)
    with monkeypatch.context() as patch:
        # Dies once the announcement's record is committed, where its kind is told it was sent.
        patch.setitem(bot.kinds, "round_phase", replace(bot.kinds["round_phase"], sent=_dies))
        with pytest.raises(ProcessDied):
            bot.sender.send_now(bot.rounds.owed_after(moved)[0])
    with Session(bot.engine) as session:
        owed_keys = {row.key for row in session.exec(select(OwedMessage)).all()}
    assert f"round_listen:{round_.id}:{listening}" in owed_keys
    tick(bot)
    assert sum("listening phase" in t for t in _ephemerals(slack, PRESENTER)) == 1


class ProcessDied(Exception):
    """Raised where a process would die: after Slack took a post, before it was recorded."""


def _dies(*_args, **_kwargs):
    raise ProcessDied


def _in_thread(slack, text: str) -> int:
    return sum(text in text_of(m) for m in thread(slack)[1])


def _round_posts(slack) -> list[dict]:
    return [
        m
        for m in slack.messages.get(CHANNEL, [])
        if not m.get("thread_ts") and m.get("bot_id") and "Consultancy round" in text_of(m)
    ]


def test_what_a_dead_process_posted_but_never_recorded_is_found_not_posted_again(
    bot, slack, slack_http, clock, database_url, monkeypatch
):
    set_up_channel(slack)
    register(slack_http, slack)
    other = build_bot(make_settings(database_url, slack), clock=clock, migrate=False, pace_per_second=None)
    try:
        # The round's post: Slack took it, the process died before recording it.
        with monkeypatch.context() as patch:
            patch.setattr(bot.sender, "_sent", _dies)
            frame(slack_http, slack, "consultancy")
        assert _round(bot).thread_ts is None and len(_round_posts(slack)) == 1
        tick(other)  # the dead process's claim is not stale yet: nothing happens
        assert _round(bot).thread_ts is None
        clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
        tick(other)
        (post,) = _round_posts(slack)
        assert _round(bot).thread_ts == post["ts"]
        assert _in_thread(slack, "Phase 1 of 5") == 1

        # Slack took it, then the process died as it recorded it: the post's record and the
        # round's opening are one transaction, so neither is kept, and the next pass finds the
        # post and does both.
        round_id = _round(bot).id
        bot.rounds.advance(round_id, seen_phase=0, by=PRESENTER, end=True)
        frame_again = framing_view(slack_http, slack, "consultancy")
        with monkeypatch.context() as patch:
            patch.setattr(bot.rounds, "start_in", _dies)
            slack_http.send(sr.view_submission(frame_again, {**FRAMING["consultancy"], "round_mode": "live"}))
        second = next(r for r in _rounds(bot) if r.id != round_id)
        assert second.thread_ts is None and len(_round_posts(slack)) == 2
        tick(other)  # not stale yet
        assert _round_by_id(bot, second.id).thread_ts is None
        clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
        tick(other)
        tick(other)
        assert len(_round_posts(slack)) == 2
        assert _round_by_id(bot, second.id).thread_ts == _round_posts(slack)[-1]["ts"]
        assert _in_thread(slack, "Phase 1 of 5") == 1

        # A phase's announcement: posted, not recorded.
        moved = bot.rounds.advance(second.id, seen_phase=0, by=PRESENTER)
        with monkeypatch.context() as patch:
            patch.setattr(bot.sender, "_sent", _dies)
            with pytest.raises(ProcessDied):
                bot.sender.send_now(bot.rounds.owed_after(moved)[0])
        assert _in_thread(slack, "Phase 2 of 5") == 1
        clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
        tick(other)
        assert _in_thread(slack, "Phase 2 of 5") == 1

        # The closing: the thread's summary goes out, then Slack says to wait with the
        # presenter's record. The record goes after the wait, and the summary is not repeated.
        slack.rate_limit_next("chat.postMessage", channel=PRESENTER)
        click(slack_http, slack, "round_end", buttons(_announcement(slack))["round_end"])
        assert _in_thread(slack, "This round has closed") == 1
        records = len(_dms(slack, PRESENTER))
        clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
        tick(other)
        assert _in_thread(slack, "This round has closed") == 1
        assert len(_dms(slack, PRESENTER)) == records + 1
        sent = len(slack.calls_to("chat.postMessage"))
        clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
        tick(other)
        tick(bot)
        assert len(slack.calls_to("chat.postMessage")) == sent  # nothing more is owed
    finally:
        other.engine.dispose()


def test_a_round_post_that_timed_out_although_slack_took_it_is_not_posted_twice(
    bot, slack, slack_http, clock, monkeypatch
):
    # Set before the listeners open their kept-alive connections, which keep the timeout they
    # were opened with.
    monkeypatch.setattr(bot.app.client, "timeout", CLIENT_TIMEOUT_S)
    set_up_channel(slack)
    register(slack_http, slack)
    # The post is taken, but its answer comes after the client gave up.
    slack.hang_next("chat.postMessage", HANG_S)
    body = frame(slack_http, slack, "consultancy")
    assert "posted in <#CCOLLAB1>" in text_of(body["view"])
    assert len(_round_posts(slack)) == 1 and _round(bot).thread_ts is None
    tick(bot)
    assert len(_round_posts(slack)) == 1
    clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
    tick(bot)
    (post,) = _round_posts(slack)
    assert _round(bot).thread_ts == post["ts"] and slack.calls_to("conversations.history")
    assert _in_thread(slack, "Phase 1 of 5") == 1
    tick(bot)
    assert len(_round_posts(slack)) == 1


@pytest.mark.timed  # slot spacing: holds the machine alone (tests/conftest.py machine_share)
def test_phase_announcements_of_many_rounds_keep_the_shared_pace(bot, slack, slack_http, clock):
    set_up_channel(slack)
    register(slack_http, slack)
    for _ in range(ROUNDS_AT_ONCE):
        frame(slack_http, slack, "consultancy")
    rounds = _rounds(bot)
    assert len(rounds) == ROUNDS_AT_ONCE and all(r.thread_ts for r in rounds)
    # Every round moves on at once (a tick of the scheduler); two processes send, sharing a pace.
    for round_ in rounds:
        assert bot.rounds.advance(round_.id, seen_phase=0, by=None) is not None
    senders = [
        Sender(engine=bot.engine, gateway=bot.gateway, kinds=bot.kinds, clock=clock, pace_per_second=PACE)
        for _ in range(2)
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda s: s.run_once(), senders))
    announced = sorted(
        float(call.response["ts"])
        for call in slack.calls_to("chat.postMessage")
        if call.ok and "Phase 2 of 5" in call.args.get("text", "") + json.dumps(call.args.get("blocks"))
    )
    assert len(announced) == ROUNDS_AT_ONCE
    # Each send is a little early or late on its slot (the machine is shared; one run saw the
    # first send 72 ms late, the rest on time): no two come closer than half an interval, and
    # all of them take as long as the pace says, less half an interval. Two processes each
    # keeping a pace of their own would send in pairs, and one keeping none in a burst.
    gaps = [later - earlier for earlier, later in itertools.pairwise(announced)]
    assert min(gaps) >= 0.5 / PACE, gaps
    assert announced[-1] - announced[0] >= (ROUNDS_AT_ONCE - 1.5) / PACE, gaps


def test_a_collaborative_schedules_rounds_and_asks_each_presenter_ahead_in_turn(
    bot, slack, slack_http, clock
):
    set_up_channel(slack)
    register(slack_http, slack)
    slack_http.send(
        sr.command("collaborative schedule", trigger_id=slack.issue_trigger_id(), channel=CHANNEL)
    )
    form = slack.calls_to("views.update")[-1].response["view"]
    first = (clock() + timedelta(days=10)).astimezone(ZoneInfo("America/Los_Angeles")).date()
    answers = {
        "round_protocol": "issaquah",
        "round_mode": "live",
        "round_every": "2",
        "round_first": first.isoformat(),
        "round_time": "15:30",
        "round_rotation": [MEMBER_A, MEMBER_B],
        "round_ask_ahead": "3",
    }
    saved = slack_http.send(sr.view_submission(form, answers)).json()
    assert "every 2 weeks" in text_of(saved["view"])
    opens_at = datetime.combine(first, time(15, 30), tzinfo=ZoneInfo("America/Los_Angeles"))

    def invitations() -> list[str]:
        return [
            c.args["channel"]
            for c in slack.calls_to("chat.postMessage")
            if c.ok and "presenting at the next" in c.args.get("text", "")
        ]

    tick(bot)
    assert invitations() == []
    clock.now = opens_at - timedelta(days=3, minutes=-1)
    tick(bot)
    tick(bot)
    assert invitations() == [MEMBER_A]

    # The presenter frames from the DM; the round waits for its time.
    dm = _dms(slack, MEMBER_A)[-1]
    slack_http.send(
        sr.block_action(
            "round_frame_invited",
            buttons(dm)["round_frame_invited"],
            trigger_id=slack.issue_trigger_id(),
            user=MEMBER_A,
            message=("D" + MEMBER_A[1:], dm["ts"]),
        )
    )
    framing = slack.calls_to("views.update")[-1].response["view"]
    answers = {
        "dilemma": "How do I coach a principal who agrees and then changes nothing?",
        "focus": "What am I not asking?",
    }
    # Someone else cannot frame a round with this presenter's invitation.
    refused = slack_http.send(sr.view_submission(framing, answers, user=MEMBER_B)).json()
    assert "couldn't find that round" in text_of(refused["view"])
    body = slack_http.send(sr.view_submission(framing, answers, user=MEMBER_A)).json()
    assert "will be posted in <#CCOLLAB1>" in text_of(body["view"])
    tick(bot)
    assert _round(bot).thread_ts is None

    clock.now = opens_at + timedelta(seconds=5)
    tick(bot)
    assert _round(bot).status is RoundStatus.OPEN and _round(bot).presenter_id == MEMBER_A
    assert "Phase 1 of 8" in text_of(_announcement(slack))

    # The next round, two weeks on, is the next presenter's.
    clock.now = opens_at + timedelta(days=11, minutes=1)
    tick(bot)
    assert invitations() == [MEMBER_A, MEMBER_B]


def test_a_closed_framing_is_kept_and_a_rounds_framing_stays_with_its_round(bot, slack, slack_http, clock):
    set_up_channel(slack)
    # Not a collaborative yet: the presenter is told how to register the channel.
    slack_http.send(sr.command("round consultancy", trigger_id=slack.issue_trigger_id(), channel=CHANNEL))
    assert "isn't a Coach Collaborative yet" in text_of(slack.calls_to("views.update")[-1].args["view"])
    register(slack_http, slack)

    # Closing the framing window keeps the draft; the command opens it again as it was left.
    view = framing_view(slack_http, slack, "consultancy")
    slack_http.send(sr.view_closed(view, {"snapshot": "Half a thought", "focus": ""}))
    again = framing_view(slack_http, slack, "consultancy")
    shown = {
        b["block_id"]: b["element"].get("initial_value") for b in again["blocks"] if b["type"] == "input"
    }
    assert shown["step:snapshot"] == "Half a thought"

    # `/coach resume` sends a round's framing back to the channel instead of finishing it alone.
    listing = slack_http.send(sr.command("resume", trigger_id=slack.issue_trigger_id())).json()
    (run_id,) = [b["accessory"]["value"] for b in listing["blocks"] if b.get("accessory")]
    slack_http.send(sr.block_action("resume_run", run_id, trigger_id=slack.issue_trigger_id()))
    assert "/coach round consultancy" in text_of(slack.calls_to("views.open")[-1].args["view"])

    frame(slack_http, slack, "consultancy")
    slack_http.send(sr.block_action("view_run", run_id, trigger_id=slack.issue_trigger_id()))
    detail = slack.calls_to("views.update")[-1].response["view"]
    slack_http.send(sr.block_action("delete_run", run_id, trigger_id=slack.issue_trigger_id(), view=detail))
    assert "it stays" in text_of(slack.calls_to("views.update")[-1].args["view"])
    assert _round(bot).framing_run_id == run_id


def test_a_member_withdraws_their_own_reply_and_nobody_elses(bot, slack, slack_http, clock):
    set_up_channel(slack)
    register(slack_http, slack)
    frame(slack_http, slack, "consultancy")
    parent, _ = thread(slack)
    mine = reply(slack_http, slack, clock, MEMBER_A, "On second thought, not this.")
    message = {
        "type": "message",
        "user": MEMBER_A,
        "ts": mine,
        "thread_ts": parent,
        "text": "On second thought",
    }

    def shortcut(user: str) -> str:
        request = sr.message_shortcut(
            "withdraw_round_reply",
            CHANNEL,
            message,
            trigger_id=slack.issue_trigger_id(),
            user=user,
            response_url=slack.response_url,
        )
        slack_http.send(request)
        return json.dumps(slack.calls_to("response_url")[-1].args)

    assert "Nothing changed" in shortcut(MEMBER_B)
    assert _contributions(bot)[0].withdrawn_at is None
    assert "out of the round" in shortcut(MEMBER_A)
    assert _contributions(bot)[0].withdrawn_at is not None


def test_registering_a_channel_the_bot_is_not_in_asks_for_an_invitation(bot, slack, slack_http):
    set_up_channel(slack)
    slack.set_members(CHANNEL, [PRESENTER, MEMBER_A])
    request = sr.command("collaborative", trigger_id=slack.issue_trigger_id(), channel=CHANNEL)
    slack_http.send(sr.with_response_url(request, slack.response_url))
    assert "Invite me" in json.dumps(slack.calls_to("response_url")[-1].args)
    assert not bot.rounds.is_collaborative(sr.TEAM, CHANNEL)

    # Invited, the bot registers the channel itself and says so there, once.
    slack.set_members(CHANNEL, [slack.bot_user_id, PRESENTER, MEMBER_A])
    joined = {
        "type": "member_joined_channel",
        "user": slack.bot_user_id,
        "channel": CHANNEL,
        "inviter": PRESENTER,
    }
    slack_http.send(sr.event(joined))
    slack_http.send(sr.event(joined, retry=1))
    assert bot.rounds.is_collaborative(sr.TEAM, CHANNEL)
    assert sum("Coach Collaborative" in text_of(m) for m in slack.messages[CHANNEL]) == 1


@pytest.mark.parametrize(
    ("error", "times", "status", "told"),
    [
        ("not_in_channel", 1, 200, "can't post there"),  # the bot was removed from the channel
        ("internal_error", MAX_ATTEMPTS, 500, "didn't take your round"),  # Slack kept failing
    ],
)
def test_a_round_slack_will_not_post_reopens_its_framing_and_the_presenter_is_told_once(
    bot, slack, slack_http, clock, error, times, status, told
):
    set_up_channel(slack)
    register(slack_http, slack)
    slack.fail_next("chat.postMessage", error, times=times, status=status)
    frame(slack_http, slack, "consultancy")
    for _ in range(times + 1):
        clock.advance(timedelta(seconds=MAX_BACKOFF_S))  # past any backoff
        tick(bot)
    with Session(bot.engine) as session:
        assert session.exec(select(FeedbackRound)).all() == []  # nothing half-posted is kept
        (framing,) = session.exec(select(ProtocolRun).where(ProtocolRun.protocol_id == "consultancy")).all()
        assert framing.status is RunStatus.IN_PROGRESS  # ... and the framing waits to be posted again
    tick(bot)
    notices = [m for m in _dms(slack, PRESENTER) if told in text_of(m)]
    assert len(notices) == 1 and f"<#{CHANNEL}>" in text_of(notices[0])
    assert not _round_posts(slack)
