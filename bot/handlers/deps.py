"""What listeners are given: services and the gateway, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from bot.actor import Actor
from bot.blocks.protocol_views import MalformedPayload
from bot.home_tab import HomeTab
from bot.scheduling.sender import Sender
from bot.services.checkins import CheckinService
from bot.services.clients import ClientService
from bot.services.data_rights import DataRights
from bot.services.drafts import DraftKeeper
from bot.services.guards import Guards
from bot.services.home import HomeService
from bot.services.languages import LanguageService
from bot.services.program import ProgramService
from bot.services.round_schedules import RoundScheduleService
from bot.services.rounds import RoundService
from bot.services.runs import RunService
from bot.slack_gateway import SlackGateway


@dataclass(frozen=True)
class Deps:
    runs: RunService
    clients: ClientService
    checkins: CheckinService
    gateway: SlackGateway
    rounds: RoundService
    round_schedules: RoundScheduleService
    guards: Guards
    drafts: DraftKeeper
    sender: Sender
    data_rights: DataRights
    program: ProgramService
    home: HomeService
    home_tab: HomeTab
    languages: LanguageService


def coach_from_body(body: dict) -> Actor:
    """The coach behind an interactive payload (block_actions, view_submission, view_closed)."""
    user, team = body.get("user"), body.get("team")
    user_id = user.get("id") if isinstance(user, dict) else None
    team_id = (team.get("id") if isinstance(team, dict) else None) or (
        user.get("team_id") if isinstance(user, dict) else None
    )
    if not isinstance(user_id, str) or not isinstance(team_id, str):
        raise MalformedPayload("the payload names no user or team")
    return Actor(team_id=team_id, user_id=user_id)
