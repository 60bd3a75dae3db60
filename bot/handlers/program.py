"""`/coach program` and its CSV button, for the people in PROGRAM_LEADS only.

Who may see the counts is the stored setting, checked on every request, command or click: the
button's value is only a number of months, so a click crafted by anyone else changes nothing.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.actor import Actor
from bot.blocks.messages import Message, notice_message
from bot.blocks.program import program_csv, program_message, word
from bot.handlers.deps import Deps, coach_from_body
from bot.handlers.modals import tell
from bot.ids import ActionId
from bot.services.program import MONTHS_DEFAULT, MONTHS_MAX, NotALead
from bot.slack_gateway import DeliveryFailed

log = logging.getLogger(__name__)


def program_answer(deps: Deps, person: Actor, months: int = MONTHS_DEFAULT) -> Message:
    try:
        return program_message(deps.program.for_lead(person, months=months), months)
    except NotALead:
        log.info("program view refused: not a program lead")
        return notice_message("program_refused")


def _months(action: dict) -> int:
    value = action.get("value")
    if isinstance(value, str) and value.isdigit() and 1 <= int(value) <= MONTHS_MAX:
        return int(value)
    return MONTHS_DEFAULT


def register(app: App, deps: Deps) -> None:
    @app.action(ActionId.PROGRAM_CSV)
    def on_program_csv(ack: Ack, body: dict, action: dict) -> None:
        ack()
        person, months = coach_from_body(body), _months(action)
        response_url = body.get("response_url") if isinstance(body.get("response_url"), str) else None
        try:
            report = deps.program.for_lead(person, months=months)
        except NotALead:
            log.info("program CSV refused: not a program lead")
            tell(deps, person, notice_message("program_refused"), response_url)
            return
        key = f"program_csv:{person.team_id}:{person.user_id}:{months}:{report.months[-1]}"
        if deps.guards.claim(person, key) is not None:
            tell(deps, person, notice_message("program_csv_already_sent"), response_url)
            return
        try:
            deps.gateway.send_file(
                user_id=person.user_id,
                filename=f"program-{report.months[0]}-to-{report.months[-1]}.csv",
                title=word("csv_title"),
                content=program_csv(report),
                comment=word("csv_comment"),
            )
        except DeliveryFailed as failure:
            log.warning("program CSV not sent: %s", failure.error)
            deps.guards.release(key)
            tell(deps, person, notice_message("program_csv_failed"), response_url)
