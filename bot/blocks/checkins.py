"""The check-in a leader receives: the goal in a line, a 1-5 rating to tap, and the way to
answer fully, snooze, skip or pause; and what the coach hears of it. Each is rendered in the
language of whoever reads it (the sender or the request says which: bot.i18n.speaking)."""

from __future__ import annotations

import json

from bot import mrkdwn, prompts
from bot.blocks.messages import MESSAGE_BLOCKS_MAX, Message
from bot.blocks.protocol_views import page_view
from bot.blocks.text import context, plain, section, split_text
from bot.i18n import _, dates, pgettext
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
                "text": plain(pgettext("check-in button", "Answer")),
                "style": "primary",
                "action_id": ActionId.CHECKIN_ANSWER,
                "value": ids,
            },
            {
                "type": "overflow",
                "action_id": ActionId.CHECKIN_LATER,
                "options": [
                    {"text": plain(_("Remind me later today")), "value": pair(ids, "later")},
                    {"text": plain(_("Remind me tomorrow")), "value": pair(ids, "tomorrow")},
                    {"text": plain(_("Skip this one")), "value": pair(ids, "skip")},
                    {"text": plain(_("Pause check-ins (away)")), "value": pair(ids, "pause")},
                ],
            },
        ],
    }
    body = prompts.render("checkin", checkin=checkin)
    return Message(
        text=_("Time for a quick goal check-in"),
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
                    "text": plain(_("Change my answer")),
                    "action_id": ActionId.CHECKIN_ANSWER,
                    "value": checkin.delivery_id,
                }
            ],
        }
    )
    return Message(text=_("Thanks for checking in"), blocks=blocks)


def _leader(checkin: CheckinContext) -> dict[str, str]:
    """The leader's name for a notification's plain text: their own words, so escaped."""
    return {"leader": mrkdwn.escape(checkin.leader_name)}


def missed_message(checkin: CheckinContext, reason: str | None) -> Message:
    day = dates.day(checkin.occurrence)
    body = prompts.render("checkin_missed", checkin=checkin, day=day, unsent=reason == "not_sent_in_time")
    text = _("A check-in with %(leader)s was missed") % _leader(checkin)
    return Message(text=text, blocks=[section(body)])


def undeliverable_message(checkin: CheckinContext, error: str) -> Message:
    body = prompts.render("checkin_undeliverable", checkin=checkin, error=error)
    text = _("Check-ins with %(leader)s are paused") % _leader(checkin)
    return Message(text=text, blocks=[section(body)])


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
    view["submit"] = plain(_("Send to my coach"))
    view["close"] = plain(_("Cancel"))
    view.pop("notify_on_close", None)
    return view


def coach_answer_messages(checkin: CheckinContext, rating: int | None, summary: str | None) -> list[Message]:
    """The coach's notice of an answer, in the coach's language; the summary's answers are the
    leader's own words, as written."""
    day = dates.day(checkin.occurrence)
    header = prompts.render("checkin_answered", checkin=checkin, rating=rating, day=day)
    text = _("%(leader)s checked in") % _leader(checkin)
    pieces = [header, *(split_text(summary) if summary else [])]
    return [Message(text=text, blocks=[section(piece) for piece in pieces[:MESSAGE_BLOCKS_MAX]])]


def reminder_message() -> Message:
    body = prompts.render("checkin_reminder")
    return Message(text=_("A gentle reminder about your check-in"), blocks=[section(body)])
