"""The check-in a leader receives: the goal in a line, a 1-5 rating to tap, and the way to
answer fully, snooze, skip or pause."""

from __future__ import annotations

from bot import prompts
from bot.blocks.messages import Message
from bot.blocks.text import context, plain, section
from bot.ids import ActionId, pair
from bot.services.checkins import CheckinContext

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
