"""A coach sets up check-ins for a client's goal, at the leader's local time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.storage.models import CheckinSchedule, Delivery, DeliveryStatus
from tests import slack_requests as sr
from tests.flow import LEADER, LEADER_NAME, add_client

# The calendar matters here: CI runs these again with the machine's clock moved (tests/at_date.py).
pytestmark = pytest.mark.dates


def open_checkins(slack_http, slack) -> dict:
    slack_http.send(sr.command(f"checkins <@{LEADER}>", trigger_id=slack.issue_trigger_id()))
    shown = slack.calls_to("views.update")[-1]
    assert shown.ok, shown.response
    return shown.response["view"]


def pending(bot) -> list[Delivery]:
    with Session(bot.engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.status == DeliveryStatus.PENDING)).all())


def test_first_time_opens_the_form_and_saving_schedules_at_the_leaders_local_time(
    slack_http, slack, bot, clock
):
    clock.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    slack.add_user(LEADER, name=LEADER_NAME, tz="Asia/Kolkata")
    add_client(slack_http, slack)
    form = open_checkins(slack_http, slack)
    assert form["callback_id"] == "schedule_form"
    answers = {
        "schedule_new_goal": "All 9th graders read 20 minutes a day",
        "schedule_cadence": "weekdays",
        "schedule_weekdays": ["0", "3"],
        "schedule_time": "16:00",
        "schedule_first": "2026-11-23",
    }
    body = slack_http.send(sr.form_submission(form, answers)).json()
    assert body["response_action"] == "update" and "next check-in" in json.dumps(body["view"])
    with Session(bot.engine) as session:
        schedule = session.exec(select(CheckinSchedule)).one()
    assert (schedule.tz, schedule.local_time, schedule.weekdays) == ("Asia/Kolkata", "16:00", "0,3")
    due = sorted(d.due_at for d in pending(bot))
    assert due and due[0] == datetime(2026, 11, 23, 10, 30, tzinfo=UTC)  # 16:00 in Kolkata
    assert all(d.astimezone(ZoneInfo("Asia/Kolkata")).hour == 16 for d in due)

    again = open_checkins(slack_http, slack)
    text = json.dumps(again["blocks"])
    assert "16:00 (Asia/Kolkata)" in text and "No check-ins have gone out yet" in text


def test_the_form_explains_what_is_missing(slack_http, slack, bot):
    slack.add_user(LEADER, name=LEADER_NAME)
    add_client(slack_http, slack)
    form = open_checkins(slack_http, slack)
    answers = {
        "schedule_cadence": "weekdays",
        "schedule_time": "09:00",
        "schedule_first": "2026-12-01",
        "schedule_end": "2026-11-01",
    }
    body = slack_http.send(sr.form_submission(form, answers)).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"schedule_new_goal", "schedule_weekdays", "schedule_end"}


def test_a_leader_moving_time_zone_moves_their_next_check_ins(slack_http, slack, bot, clock):
    clock.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    slack.add_user(LEADER, name=LEADER_NAME, tz="America/New_York")
    add_client(slack_http, slack)
    form = open_checkins(slack_http, slack)
    slack_http.send(
        sr.form_submission(
            form,
            {
                "schedule_new_goal": "A goal",
                "schedule_cadence": "weekly",
                "schedule_time": "09:00",
                "schedule_first": "2026-11-23",
            },
        )
    )
    assert {d.due_at.astimezone(ZoneInfo("America/New_York")).hour for d in pending(bot)} == {9}
    moved = {"type": "user_change", "user": {"id": LEADER, "tz": "Europe/Berlin"}, "event_ts": "1.0"}
    assert slack_http.send(sr.event(moved)).status_code == 200
    rows = pending(bot)
    assert rows and {d.due_at.astimezone(ZoneInfo("Europe/Berlin")).hour for d in rows} == {9}
    assert len({d.occurrence for d in rows}) == len(rows)  # still one per date


def test_another_coach_cannot_open_my_clients_check_ins(slack_http, slack, bot):
    slack.add_user(LEADER, name=LEADER_NAME)
    add_client(slack_http, slack)
    opened = len(slack.calls_to("views.open"))
    request = sr.command(f"checkins <@{LEADER}>", trigger_id=slack.issue_trigger_id(), user=sr.OTHER_COACH)
    body = slack_http.send(request).json()
    assert "not among your clients" in json.dumps(body["blocks"])
    assert len(slack.calls_to("views.open")) == opened


def test_a_theory_of_action_about_a_client_offers_check_ins_for_its_goal(slack_http, slack, bot):
    from tests.flow import fill_pages, open_about, protocol

    slack.add_user(LEADER, name=LEADER_NAME, tz="Europe/Berlin")
    add_client(slack_http, slack)
    body = fill_pages(
        slack_http,
        open_about(slack_http, slack, "theory-of-action", f"<@{LEADER}>"),
        protocol("theory-of-action"),
        "G",
    )
    summary = body["view"]
    button = next(e for b in summary["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert button["action_id"] == "set_up_checkins"
    clicked = sr.block_action(
        button["action_id"],
        button["value"],
        trigger_id=slack.issue_trigger_id(),
        view={**summary, "id": "VSUM1"},
    )
    slack_http.send(clicked)
    form = slack.calls_to("views.push")[-1]
    assert form.ok and form.args["view"]["callback_id"] == "schedule_form"
    goal = next(b for b in form.args["view"]["blocks"] if b.get("block_id") == "schedule_goal")
    assert "G" in goal["element"]["initial_option"]["text"]["text"]  # the goal the run just set


def _first_date_offered(form: dict) -> str:
    block = next(b for b in form["blocks"] if b.get("block_id") == "schedule_first")
    return block["element"]["initial_date"]


def _weekly_at(first: str, at: str = "09:00") -> dict:
    return {
        "schedule_new_goal": "A goal",
        "schedule_cadence": "weekly",
        "schedule_time": at,
        "schedule_first": first,
    }


@pytest.mark.parametrize(
    ("now", "zone", "offered"),
    [
        # 07:00 in New York: today's 09:00 is still ahead.
        (datetime(2026, 11, 22, 12, 0, tzinfo=UTC), "America/New_York", "2026-11-22"),
        # 10:00 in New York: today's has passed, so tomorrow.
        (datetime(2026, 11, 22, 15, 0, tzinfo=UTC), "America/New_York", "2026-11-23"),
        # Still the 22nd in UTC, but 01:30 on the 23rd in Kolkata: the leader's today, ahead.
        (datetime(2026, 11, 22, 20, 0, tzinfo=UTC), "Asia/Kolkata", "2026-11-23"),
        # 09:30 on the 23rd in Kolkata: passed there, so the 24th.
        (datetime(2026, 11, 23, 4, 0, tzinfo=UTC), "Asia/Kolkata", "2026-11-24"),
    ],
)
def test_the_first_date_offered_is_the_next_check_in_time_still_ahead_for_the_leader(
    slack_http, slack, bot, clock, now, zone, offered
):
    clock.now = now
    slack.add_user(LEADER, name=LEADER_NAME, tz=zone)
    add_client(slack_http, slack)
    form = open_checkins(slack_http, slack)
    assert _first_date_offered(form) == offered
    assert (
        next(b for b in form["blocks"] if b.get("block_id") == "schedule_time")["element"]["initial_time"]
        == "09:00"
    )
    # Saved as offered, nothing goes out before its time.
    body = slack_http.send(sr.form_submission(form, _weekly_at(offered))).json()
    assert body["response_action"] == "update"
    assert bot.dispatcher.run_once().sent == 0
    assert min(d.due_at for d in pending(bot)) > now


def test_a_first_check_in_whose_time_has_passed_is_refused_before_it_is_saved(slack_http, slack, bot, clock):
    clock.now = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)  # 10:00 in New York
    slack.add_user(LEADER, name=LEADER_NAME, tz="America/New_York")
    add_client(slack_http, slack)
    form = open_checkins(slack_http, slack)

    body = slack_http.send(sr.form_submission(form, _weekly_at("2026-11-22", "09:00"))).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"schedule_first"}
    said = body["errors"]["schedule_first"]
    assert "Nov 22, 2026, 9:00 AM has already passed" in said and "the moment you save" in said
    with Session(bot.engine) as session:
        assert session.exec(select(CheckinSchedule)).first() is None
    assert bot.dispatcher.run_once().sent == 0
    assert not slack.calls_to("chat.postMessage")

    # A time later today is still ahead: saved, and it waits for its time.
    body = slack_http.send(sr.form_submission(form, _weekly_at("2026-11-22", "10:30"))).json()
    assert body["response_action"] == "update"
    assert bot.dispatcher.run_once().sent == 0
    assert [d.due_at for d in pending(bot)][:1] == [datetime(2026, 11, 22, 15, 30, tzinfo=UTC)]


def test_changing_a_schedule_after_todays_check_in_went_out_is_not_refused(slack_http, slack, bot, clock):
    clock.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # 07:00 in New York
    slack.add_user(LEADER, name=LEADER_NAME, tz="America/New_York")
    add_client(slack_http, slack)
    form = open_checkins(slack_http, slack)
    slack_http.send(sr.form_submission(form, _weekly_at("2026-11-22")))
    clock.now = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)  # 09:30: today's went out
    assert bot.dispatcher.run_once().sent == 1

    overview = open_checkins(slack_http, slack)
    client_id = next(e["value"] for b in overview["blocks"] if b["type"] == "actions" for e in b["elements"])
    slack_http.send(
        sr.block_action("set_up_checkins", client_id, trigger_id=slack.issue_trigger_id(), view=overview)
    )
    change = next(c for c in reversed(slack.calls) if c.method in ("views.push", "views.update"))
    assert change.ok, change.response
    change = change.response["view"]
    goal = next(b for b in change["blocks"] if b.get("block_id") == "schedule_goal")["element"][
        "initial_option"
    ]["value"]
    body = slack_http.send(
        sr.form_submission(
            change, _weekly_at("2026-11-22", "09:00") | {"schedule_new_goal": "", "schedule_goal": goal}
        )
    ).json()
    assert body["response_action"] == "update", body
    assert bot.dispatcher.run_once().sent == 0  # today's is not sent again
