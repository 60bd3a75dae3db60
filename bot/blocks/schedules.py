"""The coach's side of check-ins: a leader's schedule and history, and the schedule form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot import prompts
from bot.blocks.charts import obstacles_blocks, ratings_blocks
from bot.blocks.text import context, option, plain, section
from bot.i18n import _, dates
from bot.ids import ActionId, BlockId, CallbackId
from bot.recurrence import Cadence, zone_of
from bot.services.checkins import DEFAULT_TIME, HistoryLine
from bot.storage.models import CheckinSchedule, Client, Goal


def cadences() -> dict[Cadence, str]:
    """Read when a view is built, so each reader gets their own language."""
    return {
        Cadence.WEEKLY: _("Every week"),
        Cadence.BIWEEKLY: _("Every two weeks"),
        Cadence.MONTHLY: _("Every month"),
        Cadence.WEEKDAYS: _("On the weekdays chosen below"),
    }


def weekdays() -> tuple[str, ...]:
    """Monday first (the schedule stores 0 for Monday), as the reader's language names them."""
    monday = date(2024, 1, 1)
    return tuple(dates.weekday(monday + timedelta(days=n)).capitalize() for n in range(7))


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
                _("Goal"),
                {"type": "static_select", "options": options, "initial_option": chosen},
                optional=True,
            )
        )
    blocks.append(
        _input(
            BlockId.SCHEDULE_NEW_GOAL,
            _("A new goal") if goals else _("Goal"),
            {"type": "plain_text_input", "max_length": 500},
            optional=bool(goals),
            hint=_("Leave empty to use the goal chosen above.") if goals else _("One measurable sentence."),
        )
    )
    often = [option(c.value, label) for c, label in cadences().items()]
    cadence = next(
        o for o in often if o["value"] == (current.cadence.value if current else Cadence.WEEKLY.value)
    )
    blocks.append(
        _input(
            BlockId.SCHEDULE_CADENCE,
            _("How often"),
            {"type": "static_select", "options": often, "initial_option": cadence},
        )
    )
    days = [option(str(i), name) for i, name in enumerate(weekdays())]
    weekday_element: dict = {"type": "checkboxes", "options": days}
    chosen_days = [o for o in days if current and o["value"] in current.weekdays.split(",")]
    if chosen_days:
        weekday_element["initial_options"] = chosen_days
    blocks.append(_input(BlockId.SCHEDULE_WEEKDAYS, _("Weekdays"), weekday_element, optional=True))
    blocks.append(
        _input(
            BlockId.SCHEDULE_TIME,
            _("Time of day"),
            {
                "type": "timepicker",
                "initial_time": current.local_time if current else DEFAULT_TIME.strftime("%H:%M"),
            },
            hint=_("In %(name)s's own time zone, as set in Slack.") % {"name": client.leader_name},
        )
    )
    first = current.first_date if current else first_slot
    blocks.append(
        _input(
            BlockId.SCHEDULE_FIRST,
            _("First check-in"),
            {"type": "datepicker", "initial_date": first.isoformat()},
        )
    )
    end: dict = {"type": "datepicker"}
    if current and current.end_date:
        end["initial_date"] = current.end_date.isoformat()
    blocks.append(_input(BlockId.SCHEDULE_END, _("Last check-in"), end, optional=True))
    reminders = [option("none", _("No reminder")), option("24", _("Once, after 24 hours unanswered"))]
    reminder = reminders[1] if current and current.reminder_after_hours else reminders[0]
    blocks.append(
        _input(
            BlockId.SCHEDULE_REMINDER,
            _("Reminder"),
            {"type": "static_select", "options": reminders, "initial_option": reminder},
        )
    )
    return {
        "type": "modal",
        "callback_id": CallbackId.SCHEDULE_FORM,
        "private_metadata": client.id,
        "title": plain(_("Check-ins")),
        "submit": plain(_("Save")),
        "close": plain(_("Cancel")),
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
                cadence=cadences().get(schedule.cadence) if schedule else None,
                next_due=next_due,
            )
        ),
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": plain(_("Change the schedule") if schedule else _("Set up check-ins")),
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
    return {"type": "modal", "title": plain(_("Check-ins")), "close": plain(_("Close")), "blocks": blocks}


def schedule_sends_at_once(passed: datetime, tz: str | None) -> dict[str, str]:
    """The form's answer when its first check-in's time has passed: said on the date field,
    in the leader's own time, before anything is saved."""
    when = dates.moment(passed, zone_of(tz))
    return {BlockId.SCHEDULE_FIRST: prompts.render("schedule_sends_at_once", when=when)}


def schedule_saved_view(client: Client, next_due: datetime | None) -> dict:
    return {
        "type": "modal",
        "title": plain(_("Check-ins")),
        "close": plain(_("Done")),
        "blocks": [section(prompts.render("schedule_saved", client=client, next_due=next_due))],
    }
