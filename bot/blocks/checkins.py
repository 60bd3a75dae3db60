"""The check-in a leader receives: the goal in a line, a 1-5 rating to tap, and the way to
answer fully, snooze, skip or pause."""

from __future__ import annotations

import json

from bot import prompts
from bot.blocks.messages import MESSAGE_BLOCKS_MAX, Message
from bot.blocks.protocol_views import page_view
from bot.blocks.text import context, plain, section, split_text
from bot.ids import ActionId, CallbackId, pair
from bot.services.checkins import CheckinContext
from bot.services.runs import PageToShow

RATINGS = ("1", "2", "3", "4", "5")


def checkin_message(checkin: CheckinContext) -> Message:
    ids = checkin.delivery_id
    rating = {
        "type": "actions",
        "block_id": f"rate:{ids}",
        "elements": [
            {
                "type": "button",
                "text": plain(value),
                "action_id": f"{ActionId.CHECKIN_RATE}:{value}",
                "value": ids,
            }
            for value in RATINGS
        ],
    }
    more = {
        "type": "actions",
        "block_id": f"more:{ids}",
        "elements": [
            {
                "type": "button",
                "text": plain("Answer"),
                "style": "primary",
                "action_id": ActionId.CHECKIN_ANSWER,
                "value": ids,
            },
            {
                "type": "overflow",
                "action_id": ActionId.CHECKIN_LATER,
                "options": [
                    {"text": plain("Remind me later today"), "value": pair(ids, "later")},
                    {"text": plain("Remind me tomorrow"), "value": pair(ids, "tomorrow")},
                    {"text": plain("Skip this one"), "value": pair(ids, "skip")},
                    {"text": plain("Pause check-ins (away)"), "value": pair(ids, "pause")},
                ],
            },
        ],
    }
    body = prompts.render("checkin", checkin=checkin)
    return Message(
        text="Time for a quick goal check-in",
        blocks=[section(body), context(prompts.render("checkin_rate_hint")), rating, more],
    )


def checkin_done_message(checkin: CheckinContext, rating: int | None) -> Message:
    """What the check-in becomes once answered: thanks, and the way to change the answer."""
    blocks = [section(prompts.render("checkin_done", checkin=checkin, rating=rating))]
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": plain("Change my answer"),
                    "action_id": ActionId.CHECKIN_ANSWER,
                    "value": checkin.delivery_id,
                }
            ],
        }
    )
    return Message(text="Thanks for checking in", blocks=blocks)


def missed_message(checkin: CheckinContext, reason: str | None) -> Message:
    body = prompts.render("checkin_missed", checkin=checkin, unsent=reason == "not_sent_in_time")
    return Message(text=f"A check-in with {checkin.leader_name} was missed", blocks=[section(body)])


def undeliverable_message(checkin: CheckinContext, error: str) -> Message:
    body = prompts.render("checkin_undeliverable", checkin=checkin, error=error)
    return Message(text=f"Check-ins with {checkin.leader_name} are paused", blocks=[section(body)])


def notice_in_place(name: str, **context: object) -> Message:
    """What a check-in message turns into after a choice (snoozed, skipped, closed)."""
    body = prompts.render(name, **context)
    return Message(text=body.split("\n", 1)[0][:150], blocks=[section(body)])


def checkin_form(shown: PageToShow, delivery_id: str) -> dict:
    """The goal-checkin protocol's page as the leader's modal; it carries the check-in's id only
    (the message to update once answered is the one stored for that check-in)."""
    view = page_view(shown)
    view["callback_id"] = CallbackId.CHECKIN_FORM
    view["private_metadata"] = json.dumps({"d": delivery_id})
    view["submit"] = plain("Send to my coach")
    view["close"] = plain("Cancel")
    view.pop("notify_on_close", None)
    return view


def coach_answer_messages(checkin: CheckinContext, rating: int | None, summary: str | None) -> list[Message]:
    header = prompts.render("checkin_answered", checkin=checkin, rating=rating)
    text = f"{checkin.leader_name} checked in"
    pieces = [header, *(split_text(summary) if summary else [])]
    return [Message(text=text, blocks=[section(piece) for piece in pieces[:MESSAGE_BLOCKS_MAX]])]


def reminder_message() -> Message:
    body = prompts.render("checkin_reminder")
    return Message(text="A gentle reminder about your check-in", blocks=[section(body)])
