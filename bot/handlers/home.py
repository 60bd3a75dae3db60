"""The App Home tab: the protocols to start and the runs to continue, one click each."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.blocks.home import home_view
from bot.handlers.commands import open_protocol
from bot.handlers.deps import Deps, coach_from_body
from bot.ids import ActionId
from bot.services.runs import Coach
from bot.storage.models import RunStatus


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict, context: dict) -> None:
        if event.get("tab") != "home" or not isinstance(event.get("user"), str):
            return
        coach = Coach(team_id=context.get("team_id") or "", user_id=event["user"])
        unfinished = deps.runs.listing(coach, status=RunStatus.IN_PROGRESS, limit=10)
        deps.gateway.publish_home(
            user_id=coach.user_id, view=home_view(deps.runs.coach_protocols, unfinished)
        )

    @app.action(ActionId.START_PROTOCOL)
    def on_start_clicked(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        protocol_id = action.get("value")
        if isinstance(protocol_id, str) and deps.runs.coach_protocols.get(protocol_id):
            open_protocol(deps, coach, body.get("trigger_id", ""), protocol_id, None)
