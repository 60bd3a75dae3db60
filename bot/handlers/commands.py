"""`/coach` and its subcommands."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from slack_bolt import Ack, App

from bot import commands, i18n, mrkdwn
from bot.actor import Actor
from bot.blocks import messages
from bot.blocks.clients import roster_message
from bot.blocks.languages import (
    FOLLOW_THEIRS,
    language_message,
    language_set_message,
    language_unknown_message,
)
from bot.blocks.protocol_views import page_view
from bot.blocks.rounds import notice as round_notice
from bot.blocks.rounds import schedule_form
from bot.handlers.checkins import checkins_or_form
from bot.handlers.clients import open_client_form, send_client_export
from bot.handlers.data_rights import open_client_removal, open_my_data
from bot.handlers.deps import Deps
from bot.handlers.modals import open_then_fill, open_view_for, tell
from bot.handlers.program import program_answer
from bot.handlers.rounds import is_member, open_framing, register_channel
from bot.i18n import _
from bot.ids import COMMAND
from bot.protocols.schema import Protocol
from bot.services.clients import LeaderRef
from bot.services.rounds import RoundSetup
from bot.services.runs import PageToShow
from bot.storage.models import RunStatus

log = logging.getLogger(__name__)


def ephemeral(ack: Ack, message: messages.Message) -> None:
    if message.attachments:  # bolt's ack keeps attachments or blocks, not both: the whole body
        ack(
            {
                "response_type": "ephemeral",
                "text": message.text,
                "blocks": message.blocks,
                "attachments": list(message.attachments),
            }
        )
        return
    ack(response_type="ephemeral", text=message.text, blocks=message.blocks)


def _who(leader: LeaderRef) -> str:
    return f"<@{leader.user_id}>" if leader.user_id else f"@{leader.name}"


def register(app: App, deps: Deps) -> None:
    @app.command(COMMAND)
    def on_coach(ack: Ack, command: dict) -> None:
        coach = Actor(team_id=command.get("team_id", ""), user_id=command.get("user_id", ""))
        trigger_id = command.get("trigger_id", "")
        match commands.parse(command.get("text") or "", deps.runs.coach_protocols, deps.rounds.protocols):
            case commands.Start(protocol_id, None):
                ack()
                open_protocol(deps, coach, trigger_id, protocol_id, command.get("response_url"))
            case commands.Start(protocol_id, leader):
                client = deps.clients.resolve(coach, leader)
                if client is None:
                    ephemeral(ack, messages.notice_message("not_a_client", who=_who(leader)))
                    return
                ack()
                open_then_fill(
                    deps,
                    coach,
                    trigger_id,
                    deps.runs.protocol(protocol_id).in_language(i18n.current()).title,
                    lambda: page_view(deps.runs.first_page_about(coach, protocol_id, client.id)),
                )
            case commands.AddClient(leader):
                ack()
                open_client_form(deps, coach, trigger_id, leader.user_id if leader else None)
            case commands.MyData():
                ack()
                open_my_data(deps, coach, trigger_id)
            case commands.RemoveClient(leader):
                client = deps.clients.resolve(coach, leader)
                if client is None:
                    ephemeral(ack, messages.notice_message("not_a_client", who=_who(leader)))
                    return
                ack()
                open_client_removal(deps, coach, trigger_id, client.id)
            case commands.Clients():
                ephemeral(ack, roster_message(deps.clients.roster(coach)))
            case commands.Export(leader):
                client = deps.clients.resolve(coach, leader)
                if client is None:
                    ephemeral(ack, messages.notice_message("not_a_client", who=_who(leader)))
                    return
                key = f"export_client:{client.id}"  # a second /coach export at once sends one file
                if deps.guards.claim(coach, key) is not None:
                    ephemeral(ack, messages.notice_message("export_already_sent"))
                    return
                ephemeral(ack, messages.notice_message("export_coming"))
                if not send_client_export(deps, coach, client.id):
                    deps.guards.release(key)
                    tell(deps, coach, messages.notice_message("export_failed"), command.get("response_url"))
            case commands.Checkins(leader):
                client = deps.clients.resolve(coach, leader)
                if client is None:
                    ephemeral(ack, messages.notice_message("not_a_client", who=_who(leader)))
                    return
                ack()
                open_then_fill(
                    deps, coach, trigger_id, "Check-ins", lambda: checkins_or_form(deps, coach, client.id)
                )
            case commands.Round(protocol_id):
                ack()
                setup = RoundSetup(channel_id=command.get("channel_id", ""))
                open_framing(deps, coach, trigger_id, protocol_id, setup)
            case commands.ScheduleRounds():
                ack()
                channel_id = command.get("channel_id", "")
                open_then_fill(
                    deps,
                    coach,
                    trigger_id,
                    _("Recurring rounds"),
                    lambda: (
                        schedule_form(
                            channel_id,
                            deps.rounds.protocols,
                            today=deps.round_schedules.today(deps.gateway.user_tz(coach.user_id)),
                        )
                        if deps.rounds.is_collaborative(coach.team_id, channel_id)
                        and is_member(deps, coach, channel_id)
                        else round_notice("round_not_collaborative")
                    ),
                )
            case commands.Program():
                ephemeral(ack, program_answer(deps, coach))
            case commands.Language(None):
                reading = deps.languages.reading(coach.team_id, coach.user_id, fresh=True)
                ephemeral(ack, language_message(reading))
            case commands.Language(code) if code == FOLLOW_THEIRS or code in i18n.available():
                reading = deps.languages.choose(coach, None if code == FOLLOW_THEIRS else code)
                with i18n.speaking(reading.language):  # the answer is in the language chosen
                    ephemeral(ack, language_set_message(reading))
            case commands.Language(code):
                ephemeral(ack, language_unknown_message(code))
            case commands.Collaborative():
                ack()
                newly = register_channel(
                    deps, team_id=coach.team_id, channel_id=command.get("channel_id", ""), by=coach.user_id
                )
                if command.get("response_url"):
                    answer = (
                        messages.notice_message(
                            "round_not_in_channel", channel=mrkdwn.channel(command["channel_id"])
                        )
                        if newly is None
                        else messages.notice_message("round_collaborative_done", newly=newly)
                    )
                    deps.gateway.respond(response_url=command["response_url"], message=answer)
            case commands.Resume():
                ephemeral(
                    ack, messages.resume_message(deps.runs.listing(coach, status=RunStatus.IN_PROGRESS))
                )
            case commands.History():
                ephemeral(ack, messages.history_message(deps.runs.listing(coach)))
            case commands.Help(unknown):
                protocols = deps.runs.coach_protocols
                suggestion = commands.suggest(unknown, protocols) if unknown else None
                if not unknown:
                    ephemeral(ack, _plain_help(protocols))
                else:
                    ephemeral(ack, messages.help_message(protocols, unknown=unknown, suggestion=suggestion))


# A protocol's first page, empty, is the same for every coach reading one language: built once
# per protocol version, language and process, as it is on the path that must answer inside
# Slack's 3 seconds. Never changed.
_OPENING_VIEWS: dict[tuple[str, int, str], dict] = {}


def _opening_view(protocol: Protocol) -> dict:
    key = (*protocol.key, i18n.current())
    view = _OPENING_VIEWS.get(key)
    if view is None:
        view = _OPENING_VIEWS[key] = page_view(PageToShow(protocol, protocol.pages[0], {}))
    return view


# `/coach help` says the same to every coach reading one language, for the protocols installed:
# built once per language and catalog, as `help` is the command a new coach types most. Never
# changed (bolt's ack serializes the blocks it is given as they are).
_HELP: dict[tuple[str, tuple[tuple[str, int], ...]], messages.Message] = {}


def _plain_help(protocols: Iterable[Protocol]) -> messages.Message:
    protocols = tuple(protocols)
    key = (i18n.current(), tuple(protocol.key for protocol in protocols))
    message = _HELP.get(key)
    if message is None:
        message = _HELP[key] = messages.help_message(protocols)
    return message


def open_protocol(
    deps: Deps, coach: Actor, trigger_id: str, protocol_id: str, response_url: str | None
) -> None:
    """Open the first page at once (a trigger id lives 3 seconds). Nothing is written yet but
    the record that the window is the coach's: the run begins with the first answer saved, so a
    window opened and closed empty leaves no run."""
    view = _opening_view(deps.runs.protocol(protocol_id))
    open_view_for(deps, coach, trigger_id, view, response_url=response_url)
