"""A goal's ratings and the obstacles a leader named, drawn by Slack (data_visualization) in
`/coach checkins @leader` and in the client's record, with the same said in words."""

from __future__ import annotations

from bot.storage.models import DeliveryStatus
from tests import slack_requests as sr
from tests.checkin_setup import schedule_for
from tests.clock import START
from tests.history_setup import past_checkin

LEADER = "ULEADC1"


def charts(view: dict) -> list[dict]:
    return [b for b in view["blocks"] if b["type"] == "data_visualization"]


def words_after(view: dict, chart: dict) -> str:
    blocks = view["blocks"]
    return blocks[blocks.index(chart) + 1]["elements"][0]["text"]


def with_history(bot):
    schedule = schedule_for(bot, LEADER)
    past_checkin(bot, schedule, days_ago=21, status=DeliveryStatus.ANSWERED, rating=4, obstacles=["capacity"])
    past_checkin(bot, schedule, days_ago=14, status=DeliveryStatus.MISSED)
    past_checkin(
        bot,
        schedule,
        days_ago=7,
        status=DeliveryStatus.ANSWERED,
        rating=2,
        obstacles=["capacity", "emotional_support"],
    )
    return schedule


def dates(*days_ago: int) -> list[str]:
    from datetime import timedelta

    return [(START - timedelta(days=d)).date().isoformat() for d in days_ago]


def test_checkins_show_ratings_by_date_with_the_missed_one_as_a_gap_and_the_obstacles(slack_http, slack, bot):
    with_history(bot)
    slack_http.send(sr.command(f"checkins <@{LEADER}|leader>", trigger_id=slack.issue_trigger_id()))
    shown = slack.calls_to("views.update")[-1]
    assert shown.ok, shown.response  # the fake checks each chart against Slack's reference
    ratings, obstacles = charts(shown.args["view"])
    assert ratings["chart"]["axis_config"]["categories"] == dates(21, 14, 7)
    assert [p["value"] for p in ratings["chart"]["series"][0]["data"]] == [4, 0, 2]
    told = words_after(shown.args["view"], ratings)
    assert (
        told == f"Ratings, oldest first: {dates(21)[0]} 4 of 5 · {dates(14)[0]} missed · {dates(7)[0]} 2 of 5"
    )
    assert obstacles["chart"]["axis_config"]["categories"] == ["Capacity", "Emotional support"]
    assert [p["value"] for p in obstacles["chart"]["series"][0]["data"]] == [2, 1]
    assert words_after(shown.args["view"], obstacles) == (
        "Obstacles named in the last 3 check-ins: capacity 2 times, emotional support 1 time"
    )


def test_the_clients_record_shows_the_same_charts(slack_http, slack, bot):
    schedule = with_history(bot)
    slack_http.send(sr.block_action("open_client", schedule.client_id, trigger_id=slack.issue_trigger_id()))
    shown = slack.calls_to("views.update")[-1]
    assert shown.ok, shown.response
    assert [c["title"] for c in charts(shown.args["view"])] == [
        "Progress ratings by check-in",
        "Obstacles named in check-ins",
    ]


def test_no_answers_yet_means_no_chart(slack_http, slack, bot):
    schedule = schedule_for(bot, LEADER)
    past_checkin(bot, schedule, days_ago=7, status=DeliveryStatus.MISSED)
    slack_http.send(sr.command(f"checkins <@{LEADER}|leader>", trigger_id=slack.issue_trigger_id()))
    shown = slack.calls_to("views.update")[-1]
    assert shown.ok and charts(shown.args["view"]) == []
