"""Driving a feedback round through the Slack surface: register the channel, frame the round,
reply in its thread with signed message events, click the round's buttons."""

from __future__ import annotations

from datetime import date, timedelta

from tests import slack_requests as sr

CHANNEL = "CCOLLAB1"
MEMBER_A = "UMEMBERA"
MEMBER_B = "UMEMBERB"
FACILITATOR = sr.OTHER_COACH
PRESENTER = sr.COACH
MEMBERS = [PRESENTER, FACILITATOR, MEMBER_A, MEMBER_B]
FRAMING = {
    "consultancy": {
        "snapshot": "Our 9th grade team <!channel> keeps tracking students & I can't shift it.",
        "tried": "Two data dives and a book study.",
        "focus": "How might I help the team see tracking as a choice?",
    },
    "tuning": {
        "context": "A district plan for ninth-grade literacy.",
        "work": "If we coach teachers weekly, then read-alouds grow, which lifts reading.",
        "focus": "Does the theory of action reach the students furthest from opportunity?",
    },
}


def set_up_channel(slack) -> None:
    for member in MEMBERS:
        slack.add_user(member, tz="America/Los_Angeles")
    slack.set_members(CHANNEL, [slack.bot_user_id, *MEMBERS])


def register(slack_http, slack) -> None:
    slack_http.send(sr.command("collaborative", trigger_id=slack.issue_trigger_id(), channel=CHANNEL))


def framing_view(slack_http, slack, protocol_id: str, *, user: str = PRESENTER) -> dict:
    """`/coach round <protocol>` in the channel; returns the framing modal as shown."""
    slack_http.send(
        sr.command(f"round {protocol_id}", trigger_id=slack.issue_trigger_id(), channel=CHANNEL, user=user)
    )
    update = slack.calls_to("views.update")[-1]
    return update.response["view"]


def frame(
    slack_http,
    slack,
    protocol_id: str,
    *,
    mode: str = "live",
    facilitator: str | None = FACILITATOR,
    client: str | None = None,
):
    view = framing_view(slack_http, slack, protocol_id)
    answers = dict(FRAMING[protocol_id])
    if client:
        answers["client"] = client
    answers["round_mode"] = mode
    if facilitator:
        answers["round_facilitator"] = facilitator
    response = slack_http.send(sr.view_submission(view, answers))
    assert response.status_code == 200, response.text
    return response.json()


def thread(slack) -> tuple[str, list[dict]]:
    """The round's post ts and the bot's messages in its thread."""
    posts = [m for m in slack.messages[CHANNEL] if not m.get("thread_ts") and m.get("bot_id")]
    parent = posts[-1]["ts"]
    replies = [m for m in slack.messages[CHANNEL] if m.get("thread_ts") == parent and m.get("bot_id")]
    return parent, replies


def reply(
    slack_http, slack, clock, user: str, text: str, *, retry: bool = False, deliver: bool = True
) -> str:
    """A member writes in the round's thread (at the bot's clock); Slack sends the event."""
    parent, _ = thread(slack)
    clock.advance(timedelta(seconds=1))
    event = slack.user_posts(CHANNEL, user, text, thread_ts=parent, ts=f"{clock().timestamp():.6f}")
    if deliver:
        request = sr.event(event, event_id=f"Ev{event['ts']}")
        assert slack_http.send(request).status_code == 200
        if retry:
            assert slack_http.send(sr.event(event, event_id=f"Ev{event['ts']}", retry=1)).status_code == 200
    return event["ts"]


def click(slack_http, slack, action_id: str, value: str, *, user: str = PRESENTER, in_thread: bool = True):
    parent, replies = thread(slack)
    ts = replies[-1]["ts"] if in_thread and replies else parent
    return slack_http.send(
        sr.block_action(
            action_id,
            value,
            trigger_id=slack.issue_trigger_id(),
            user=user,
            message=(CHANNEL, ts),
            thread_ts=parent if in_thread else None,
        )
    )


def buttons(message: dict) -> dict[str, str]:
    """action_id -> value of the buttons on a message."""
    return {
        element["action_id"]: element.get("value", "")
        for block in message.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    }


def text_of(message: dict) -> str:
    return "\n".join(
        block["text"]["text"] for block in message.get("blocks") or [] if block["type"] == "section"
    )


def tick(bot) -> None:
    """The scheduler's round job, then its outbox job: what the round owes, then sending it."""
    bot.keeper.run_once()
    bot.sender.run_once()


def schedule_rounds(slack_http, slack, *, first: date, rotation: list[str]) -> None:
    """`/coach collaborative schedule` in the channel, saved: an Issaquah round every two weeks
    from `first`, presenters in turn, each asked three days ahead."""
    slack_http.send(
        sr.command("collaborative schedule", trigger_id=slack.issue_trigger_id(), channel=CHANNEL)
    )
    form = slack.calls_to("views.update")[-1].response["view"]
    answers = {
        "round_protocol": "issaquah",
        "round_mode": "live",
        "round_every": "2",
        "round_first": first.isoformat(),
        "round_time": "15:30",
        "round_rotation": rotation,
        "round_ask_ahead": "3",
    }
    slack_http.send(sr.view_submission(form, answers))
