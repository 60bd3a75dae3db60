"""The coach's side of check-ins: a leader's schedule and history, and the schedule form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot import prompts
from bot.blocks.charts import obstacles_blocks, ratings_blocks
from bot.blocks.text import context, option, plain, section
from bot.ids import ActionId, BlockId, CallbackId
from bot.recurrence import Cadence, zone_of
from bot.services.checkins import DEFAULT_TIME, HistoryLine
from bot.storage.models import CheckinSchedule, Client, Goal

CADENCES = {
    Cadence.WEEKLY: "Every week",
    Cadence.BIWEEKLY: "Every two weeks",
    Cadence.MONTHLY: "Every month",
    Cadence.WEEKDAYS: "On the weekdays chosen below",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _input(
    block_id: str, label: str, element: dict, *, optional: bool = False, hint: str | None = None
) -> dict:
    block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": {"action_id": ActionId.FIELD, **element},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def schedule_form(
    client: Client, goals: Sequence[Goal], current: CheckinSchedule | None, *, first_slot: date
) -> dict:
    """The form for a client's schedule: the current one's values, or for a new one the next
    slot still ahead (`first_slot`, at DEFAULT_TIME), so saving it as offered sends nothing at once."""
    blocks: list[dict] = [section(prompts.render("schedule_intro", client=client))]
    if goals:
        options = [
            option(goal.id, goal.statement[:72] + ("…" if len(goal.statement) > 72 else ""))
            for goal in goals[:100]
        ]
        chosen = next((o for o in options if current and o["value"] == current.goal_id), options[0])
        blocks.append(
            _input(
                BlockId.SCHEDULE_GOAL,
                "Goal",
                {"type": "static_select", "options": options, "initial_option": chosen},
                optional=True,
            )
        )
    blocks.append(
        _input(
            BlockId.SCHEDULE_NEW_GOAL,
            "A new goal" if goals else "Goal",
            {"type": "plain_text_input", "max_length": 500},
            optional=bool(goals),
            hint="Leave empty to use the goal chosen above." if goals else "One measurable sentence.",
        )
    )
    cadences = [option(c.value, label) for c, label in CADENCES.items()]
    cadence = next(
        o for o in cadences if o["value"] == (current.cadence.value if current else Cadence.WEEKLY.value)
    )
    blocks.append(
        _input(
            BlockId.SCHEDULE_CADENCE,
            "How often",
            {"type": "static_select", "options": cadences, "initial_option": cadence},
        )
    )
    days = [option(str(i), name) for i, name in enumerate(WEEKDAYS)]
    weekday_element: dict = {"type": "checkboxes", "options": days}
    chosen_days = [o for o in days if current and o["value"] in current.weekdays.split(",")]
    if chosen_days:
        weekday_element["initial_options"] = chosen_days
    blocks.append(_input(BlockId.SCHEDULE_WEEKDAYS, "Weekdays", weekday_element, optional=True))
    blocks.append(
        _input(
            BlockId.SCHEDULE_TIME,
            "Time of day",
            {
                "type": "timepicker",
                "initial_time": current.local_time if current else DEFAULT_TIME.strftime("%H:%M"),
            },
            hint=f"In {client.leader_name}'s own time zone, as set in Slack.",
        )
    )
    first = current.first_date if current else first_slot
    blocks.append(
        _input(
            BlockId.SCHEDULE_FIRST,
            "First check-in",
            {"type": "datepicker", "initial_date": first.isoformat()},
        )
    )
    end: dict = {"type": "datepicker"}
    if current and current.end_date:
        end["initial_date"] = current.end_date.isoformat()
    blocks.append(_input(BlockId.SCHEDULE_END, "Last check-in", end, optional=True))
    reminders = [option("none", "No reminder"), option("24", "Once, after 24 hours unanswered")]
    reminder = reminders[1] if current and current.reminder_after_hours else reminders[0]
    blocks.append(
        _input(
            BlockId.SCHEDULE_REMINDER,
            "Reminder",
            {"type": "static_select", "options": reminders, "initial_option": reminder},
        )
    )
    return {
        "type": "modal",
        "callback_id": CallbackId.SCHEDULE_FORM,
        "private_metadata": client.id,
        "title": plain("Check-ins"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def checkins_view(
    client: Client,
    schedule: CheckinSchedule | None,
    next_due: datetime | None,
    history: Sequence[HistoryLine],
) -> dict:
    blocks: list[dict] = [
        section(
            prompts.render(
                "checkins_overview",
                client=client,
                schedule=schedule,
                cadence=CADENCES.get(schedule.cadence) if schedule else None,
                next_due=next_due,
            )
        ),
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": plain("Change the schedule" if schedule else "Set up check-ins"),
                    "action_id": ActionId.SET_UP_CHECKINS,
                    "value": client.id,
                    "style": "primary",
                }
            ],
        },
        *ratings_blocks(history),
        *obstacles_blocks(history),
        section(prompts.render("checkins_history", history=history)),
    ]
    if schedule:
        blocks.append(context(prompts.render("checkins_zone", schedule=schedule)))
    return {"type": "modal", "title": plain("Check-ins"), "close": plain("Close"), "blocks": blocks}


def schedule_sends_at_once(passed: datetime, tz: str | None) -> dict[str, str]:
    """The form's answer when its first check-in's time has passed: said on the date field,
    in the leader's own time, before anything is saved."""
    when = passed.astimezone(zone_of(tz))
    return {BlockId.SCHEDULE_FIRST: prompts.render("schedule_sends_at_once", when=when)}


def schedule_saved_view(client: Client, next_due: datetime | None) -> dict:
    return {
        "type": "modal",
        "title": plain("Check-ins"),
        "close": plain("Done"),
        "blocks": [section(prompts.render("schedule_saved", client=client, next_due=next_due))],
    }
