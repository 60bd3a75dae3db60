"""The App Home tab as a coach sees it, through Slack's signed app_home_opened event: who needs
them this week and why, what they left unfinished, their clients, and a compact start."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.actor import Actor
from bot.ids import ActionId
from bot.storage.models import DeliveryStatus, Domain
from tests import flow
from tests import slack_requests as sr
from tests.checkin_setup import due_rows, schedule_for
from tests.clock import START
from tests.history_setup import past_checkin

COACH = Actor(sr.TEAM, sr.COACH)


def open_home(slack_http, slack) -> dict:
    slack_http.send(sr.event({"type": "app_home_opened", "user": sr.COACH, "tab": "home", "event_ts": "1.0"}))
    published = slack.calls_to("views.publish")[-1]
    assert published.ok, published.response
    assert published.args["user_id"] == sr.COACH
    return published.args["view"]


def texts(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


def section_with(view: dict, words: str) -> dict:
    (found,) = [b for b in view["blocks"] if b["type"] == "section" and words in b["text"]["text"]]
    return found


def needs(view: dict) -> list[str]:
    """The 'Needs you this week' entries, in order."""
    found, inside = [], False
    for block in view["blocks"]:
        if block["type"] == "divider":
            inside = False
        elif block["type"] == "section" and block["text"]["text"].startswith("*Needs you this week*"):
            inside = True
        elif inside and block["type"] == "section":
            found.append(block["text"]["text"])
    return found


def add_client(bot, leader: str, name: str):
    return bot.clients.add(
        COACH, leader_id=leader, leader_name=name, organization="Org", domain=Domain.SCHOOL
    )


def test_a_new_coach_sees_no_needs_and_can_start_any_protocol_from_one_select(slack_http, slack, bot):
    view = open_home(slack_http, slack)
    words = "\n".join(texts(view))
    assert "Needs you this week" not in words  # nothing owed, nothing shown
    assert "No clients yet" in words
    assert len(words.split()) < 80  # not nine paragraphs of protocol descriptions
    (start,) = [
        b for b in view["blocks"] if b["type"] == "section" and "Start a protocol" in b["text"]["text"]
    ]
    select = start["accessory"]
    assert select["type"] == "static_select"
    assert [o["value"] for o in select["options"]] == [p.id for p in bot.runs.coach_protocols]
    assert all(o["description"]["text"] for o in select["options"])
    slack_http.send(
        sr.block_action(select["action_id"], "", selected="five-lenses", trigger_id=slack.issue_trigger_id())
    )
    (opened,) = slack.calls_to("views.open")
    assert opened.ok and opened.args["view"]["callback_id"] == "protocol_page"
    assert opened.args["view"]["title"]["text"] == bot.runs.protocol("five-lenses").title


def test_needs_rank_clients_by_signal_with_a_reason_and_one_next_step(slack_http, slack, bot, clock):
    missed = schedule_for(bot, "ULEADA")
    past_checkin(bot, missed, days_ago=14, status=DeliveryStatus.MISSED)
    past_checkin(bot, missed, days_ago=7, status=DeliveryStatus.MISSED)
    dropped = schedule_for(bot, "ULEADB")
    past_checkin(bot, dropped, days_ago=14, status=DeliveryStatus.ANSWERED, rating=5, obstacles=[])
    past_checkin(
        bot, dropped, days_ago=7, status=DeliveryStatus.ANSWERED, rating=2, obstacles=["emotional_support"]
    )
    paused = schedule_for(bot, "ULEADC")
    bot.checkins.pause_for(paused.id)
    stuck = schedule_for(bot, "ULEADD")
    for days in (28, 14, 7):
        past_checkin(
            bot, stuck, days_ago=days, status=DeliveryStatus.ANSWERED, rating=3, obstacles=["capacity"]
        )
    steady = schedule_for(bot, "ULEADE")
    past_checkin(bot, steady, days_ago=7, status=DeliveryStatus.ANSWERED, rating=4, obstacles=[])

    view = open_home(slack_http, slack)
    entries = needs(view)
    assert entries == [
        "*uleada*: missed the last two check-ins",
        "*uleadb*: rating down by 2 or more; named emotional support as an obstacle",
        "*uleadd*: an obstacle open for three weeks",
        "*uleadc*: check-ins paused",
    ]
    assert open_home(slack_http, slack)["blocks"] == view["blocks"]  # the same data, the same Home
    buttons = {text.split("*")[1]: section_with(view, text)["accessory"] for text in entries}
    assert buttons["uleada"]["text"]["text"] == "Check-ins"
    assert buttons["uleadb"]["text"]["text"] == "Open"
    assert buttons["uleadc"]["text"]["text"] == "Check-ins"
    # The missed client's one button opens their check-in history.
    slack_http.send(
        sr.block_action(
            buttons["uleada"]["action_id"], buttons["uleada"]["value"], trigger_id=slack.issue_trigger_id()
        )
    )
    filled = slack.calls_to("views.update")[-1]
    assert filled.ok and json.dumps(filled.args["view"]).count(": missed") == 2

    # Six weeks on with no protocol about them, every client needs the coach; the one with a
    # protocol in between does not, and an unsettled enrollment is for a month on.
    clock.advance(timedelta(days=43))
    later = needs(open_home(slack_http, slack))
    assert all("no protocol about them in six weeks" in entry for entry in later)
    suggested = section_with(open_home(slack_http, slack), later[-1])["accessory"]
    assert suggested["action_id"] == "start_about" and suggested["text"]["text"].startswith("Start ")


def test_a_click_naming_someone_elses_client_opens_nothing_of_theirs(slack_http, slack, bot):
    theirs = bot.clients.add(
        Actor(sr.TEAM, sr.OTHER_COACH),
        leader_id="ULEADX",
        leader_name="xavier",
        organization="Org",
        domain=Domain.SCHOOL,
    )
    slack_http.send(sr.block_action("client_checkins", theirs.id, trigger_id=slack.issue_trigger_id()))
    slack_http.send(
        sr.block_action(
            "start_about", "", selected=f"five-lenses:{theirs.id}", trigger_id=slack.issue_trigger_id()
        )
    )
    shown = json.dumps([call.args["view"] for call in slack.calls_to("views.update")])
    assert "xavier" not in shown and "protocol_page" not in shown


def test_unfinished_runs_are_named_by_the_coachs_own_words(slack_http, slack, bot):
    view = flow.open_modal(slack_http, slack, "five-lenses")
    page = flow.protocol("five-lenses").pages[0]
    answers = {step.id: flow.sample_answer(step) for step in page.steps} | {
        "situation_name": "The budget meeting"
    }
    flow.submit(slack_http, view, answers)
    home = open_home(slack_http, slack)
    line = section_with(home, "The budget meeting")
    assert bot.runs.protocol("five-lenses").title in line["text"]["text"]
    assert line["accessory"]["text"]["text"] == "Continue"
    slack_http.send(
        sr.block_action(
            line["accessory"]["action_id"], line["accessory"]["value"], trigger_id=slack.issue_trigger_id()
        )
    )
    (opened,) = slack.calls_to("views.open")[-1:]
    second_page = flow.protocol("five-lenses").pages[1].id
    assert opened.ok and flow.current_page_id(opened.response["view"]) == second_page


def test_thirty_clients_stay_inside_slacks_hundred_blocks_with_the_rest_behind_all_clients(
    slack_http, slack, bot, clock
):
    clock.now = START - timedelta(days=60)
    for i in range(30):
        add_client(bot, f"UL{i:04d}", f"leader {i:02d}")
    clock.now = START
    view = open_home(slack_http, slack)
    assert len(view["blocks"]) <= 100
    words = "\n".join(texts(view))
    assert "*Clients* (10 of 30)" in words
    assert len(needs(view)) == 8 and "…and 22 more." in json.dumps(view, ensure_ascii=False)
    shown = [t for t in texts(view) if t.startswith("*leader ") and " · " in t]
    assert [t.split("*")[1] for t in shown] == [f"leader {i:02d}" for i in range(10)]
    # Each client line: Open, Start a protocol about them, Check-ins.
    (row, *_) = [b for b in view["blocks"] if b["type"] == "actions" and len(b["elements"]) == 3]
    assert [e.get("text", {}).get("text") or e["placeholder"]["text"] for e in row["elements"]] == [
        "Open",
        "Start a protocol about them",
        "Check-ins",
    ]
    (all_clients,) = [
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "all_clients"
    ]
    slack_http.send(sr.block_action("all_clients", all_clients["value"], trigger_id=slack.issue_trigger_id()))
    listed = slack.calls_to("views.update")[-1]
    assert listed.ok
    assert sum(1 for b in listed.args["view"]["blocks"] if "accessory" in b) == 30


def test_the_home_is_republished_when_a_client_is_added_and_when_a_leader_answers(
    slack_http, slack, bot, clock
):
    slack.add_user(flow.LEADER, name=flow.LEADER_NAME)
    flow.add_client(slack_http, slack)
    published = slack.calls_to("views.publish")[-1]
    assert published.ok and published.args["user_id"] == sr.COACH
    assert f"*{flow.LEADER_NAME}* · " in json.dumps(published.args["view"], ensure_ascii=False)

    slack.add_user("ULEAD01", tz="America/New_York")
    schedule = schedule_for(bot, "ULEAD01")
    (delivery_id,) = due_rows(bot, schedule, 1, due=clock.now - timedelta(minutes=1), to="ULEAD01")
    assert bot.dispatcher.run_once().sent == 1
    message = [c for c in slack.calls_to("chat.postMessage") if c.args.get("metadata")][-1]
    where = (message.response["channel"], message.response["ts"])
    before = len(slack.calls_to("views.publish"))
    slack_http.send(
        sr.block_action(
            f"{ActionId.CHECKIN_RATE}:4",
            delivery_id,
            trigger_id=slack.issue_trigger_id(),
            user="ULEAD01",
            message=where,
        )
    )
    (republished,) = slack.calls_to("views.publish")[before:]
    assert republished.args["user_id"] == sr.COACH  # the coach's Home, never the leader's
    assert "rated 4" in json.dumps(republished.args["view"])


def test_the_home_is_republished_when_the_outbox_tells_the_coach_of_a_missed_check_in(
    slack_http, slack, bot, clock
):
    """The dispatcher's pass, not the coach, finds a second check-in missed: the notice it sends
    the coach republishes their Home with the reason, before they open it."""
    slack.add_user("ULEAD01", tz="America/New_York")
    schedule = schedule_for(bot, "ULEAD01")
    past_checkin(bot, schedule, days_ago=7, status=DeliveryStatus.MISSED)
    due_rows(bot, schedule, 1, due=clock.now - timedelta(minutes=1), window=timedelta(hours=1), to="ULEAD01")
    assert bot.dispatcher.run_once().sent == 1
    before = len(slack.calls_to("views.publish"))
    clock.advance(timedelta(hours=2))
    assert len(bot.dispatcher.run_once().missed) == 1
    bot.idle()  # the Home is republished off the sender's pass
    (republished,) = slack.calls_to("views.publish")[before:]
    assert republished.ok and republished.args["user_id"] == sr.COACH
    assert needs(republished.args["view"]) == ["*ulead01*: missed the last two check-ins"]


def _opened_with(shown: dict) -> sr.SlackRequest:
    """app_home_opened as Slack sends it to a coach who has a Home: with the view it shows."""
    return sr.event(
        {"type": "app_home_opened", "user": sr.COACH, "tab": "home", "event_ts": "2.0", "view": shown}
    )


def test_opening_a_home_that_has_not_changed_publishes_nothing_and_a_changed_one_is_republished(
    slack_http, slack, bot
):
    add_client(bot, "ULEAD01", "Ana")
    open_home(slack_http, slack)
    shown = slack.calls_to("views.publish")[-1].response["view"]  # as Slack stores and echoes it
    before = len(slack.calls_to("views.publish"))
    slack_http.send(_opened_with(shown))
    assert len(slack.calls_to("views.publish")) == before  # Slack already shows this Home

    add_client(bot, "ULEAD02", "Ben")  # added behind the Home's back: nothing republished it
    slack_http.send(_opened_with(shown))
    (republished,) = slack.calls_to("views.publish")[before:]
    assert republished.ok and "*Ben*" in json.dumps(republished.args["view"])
    assert republished.args["view"]["private_metadata"] != shown["private_metadata"]

    tampered = {**slack.calls_to("views.publish")[-1].response["view"], "private_metadata": "x"}
    slack_http.send(_opened_with(tampered))
    assert len(slack.calls_to("views.publish")) == before + 2


def test_signals_read_as_far_back_as_their_answers_go_within_the_window(slack_http, slack, bot):
    """The Home reads only the check-ins its signals can look at: they must still reach an
    obstacle named a month before the last answer, and the ratings behind two unrated ones."""
    gap = schedule_for(bot, "ULEADA")  # "capacity" named 56 and 5 days ago, nothing in between
    for days in (56, 5):
        past_checkin(
            bot, gap, days_ago=days, status=DeliveryStatus.ANSWERED, rating=3, obstacles=["capacity"]
        )
    behind = schedule_for(bot, "ULEADB")  # rated 5 then 2, then missed and skipped
    past_checkin(bot, behind, days_ago=40, status=DeliveryStatus.ANSWERED, rating=5, obstacles=[])
    past_checkin(bot, behind, days_ago=30, status=DeliveryStatus.ANSWERED, rating=2, obstacles=[])
    past_checkin(bot, behind, days_ago=14, status=DeliveryStatus.MISSED)
    past_checkin(bot, behind, days_ago=7, status=DeliveryStatus.SKIPPED)
    moved = schedule_for(bot, "ULEADC")  # "capacity" for a month, then only "will" this week
    for days, kinds in ((28, ["capacity"]), (14, ["capacity"]), (7, ["will"])):
        past_checkin(bot, moved, days_ago=days, status=DeliveryStatus.ANSWERED, rating=4, obstacles=kinds)

    view = open_home(slack_http, slack)
    assert needs(view) == ["*uleadb*: rating down by 2 or more", "*uleada*: an obstacle open for three weeks"]
    assert "rated 2 ↓" in section_with(view, "*uleadb* · ")["text"]["text"]
