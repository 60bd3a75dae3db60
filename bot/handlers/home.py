"""The App Home tab and what its (and `/coach help`'s) buttons and selects do: start a protocol,
alone or about a client; a client's check-ins; all clients; history. Every id a click carries is
checked against what is stored for the clicker (a client id must be their client, a protocol id
a coach protocol)."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

from bot.blocks.home import all_clients_view
from bot.blocks.messages import history_message
from bot.blocks.protocol_views import MalformedPayload, page_view
from bot.handlers.checkins import checkins_or_form
from bot.handlers.commands import open_protocol
from bot.handlers.deps import Deps, coach_from_body
from bot.handlers.modals import open_or_push, tell
from bot.i18n import _
from bot.ids import ActionId, unpair


def chosen_value(action: dict) -> object:
    """A button's value, or the value of the option chosen in a select."""
    selected = action.get("selected_option")
    return selected.get("value") if isinstance(selected, dict) else action.get("value")


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict, context: dict) -> None:
        if event.get("tab") != "home" or not isinstance(event.get("user"), str):
            return
        deps.home_tab.refresh(context.get("team_id") or "", event["user"], shown=event.get("view"))

    @app.action(ActionId.START_PROTOCOL)
    def on_start_clicked(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        protocol_id = chosen_value(action)
        if isinstance(protocol_id, str) and deps.runs.coach_protocols.get(protocol_id):
            open_protocol(deps, coach, body.get("trigger_id", ""), protocol_id, body.get("response_url"))

    @app.action(ActionId.START_ABOUT)
    def on_start_about(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        ids = unpair(chosen_value(action))
        if ids is None or deps.runs.coach_protocols.get(ids[0]) is None:
            raise MalformedPayload("the choice names no protocol and client")
        protocol_id, client_id = ids
        title = deps.runs.protocol(protocol_id).title
        open_or_push(
            deps, body, title, lambda: page_view(deps.runs.first_page_about(coach, protocol_id, client_id))
        )

    @app.action(ActionId.CLIENT_CHECKINS)
    def on_client_checkins(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        client_id = action.get("value")
        if not isinstance(client_id, str):
            raise MalformedPayload("the button carries no client")
        open_or_push(deps, body, _("Check-ins"), lambda: checkins_or_form(deps, coach, client_id))

    @app.action(re.compile(f"^({ActionId.ALL_CLIENTS}|{ActionId.CHECKINS_LIST})$"))
    def on_all_clients(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        checkins = action.get("action_id") == ActionId.CHECKINS_LIST

        def build() -> dict:
            return all_clients_view(deps.home.page(coach).clients, checkins=checkins)

        open_or_push(deps, body, _("All clients"), build)

    @app.action(ActionId.SHOW_HISTORY)
    def on_history(ack: Ack, body: dict) -> None:
        ack()
        coach = coach_from_body(body)
        tell(deps, coach, history_message(deps.runs.listing(coach)), body.get("response_url"))
