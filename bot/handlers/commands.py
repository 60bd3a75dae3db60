"""`/coach` and its subcommands."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot import commands
from bot.blocks import messages
from bot.blocks.protocol_views import page_view
from bot.handlers.deps import Deps
from bot.ids import COMMAND
from bot.services.runs import Coach
from bot.slack_gateway import TriggerExpired
from bot.storage.models import RunStatus

log = logging.getLogger(__name__)


def ephemeral(ack: Ack, message: messages.Message) -> None:
    ack(response_type="ephemeral", text=message.text, blocks=message.blocks)


def register(app: App, deps: Deps) -> None:
    @app.command(COMMAND)
    def on_coach(ack: Ack, command: dict) -> None:
        coach = Coach(team_id=command.get("team_id", ""), user_id=command.get("user_id", ""))
        parsed = commands.parse(command.get("text") or "", deps.runs.catalog)
        match parsed:
            case commands.Start(protocol_id):
                ack()
                open_protocol(deps, command.get("trigger_id", ""), protocol_id, command.get("response_url"))
            case commands.Resume():
                ephemeral(
                    ack, messages.resume_message(deps.runs.listing(coach, status=RunStatus.IN_PROGRESS))
                )
            case commands.History():
                ephemeral(ack, messages.history_message(deps.runs.listing(coach)))
            case commands.Help(unknown):
                ephemeral(ack, messages.help_message(deps.runs.catalog, unknown=unknown))


def open_protocol(deps: Deps, trigger_id: str, protocol_id: str, response_url: str | None) -> None:
    """Open the first page at once (a trigger id lives 3 seconds). Nothing is written yet: the
    run begins with the first answer saved, so a window opened and closed empty leaves nothing."""
    try:
        deps.gateway.open_view(trigger_id=trigger_id, view=page_view(deps.runs.first_page(protocol_id)))
    except TriggerExpired:
        log.warning("modal for %s not opened: trigger expired", protocol_id)
        if response_url:
            deps.gateway.respond(response_url=response_url, message=messages.too_slow_message())
