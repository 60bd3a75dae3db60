"""Slack listeners: parse the payload, ack fast, call a service, render a view. One
`register(app, deps)` per module, in the way of bolt's own samples."""

from __future__ import annotations

from slack_bolt import App

from bot.handlers import (
    checkins,
    clients,
    commands,
    data_rights,
    errors,
    home,
    language,
    program,
    protocol_modal,
    rounds,
    run_actions,
)
from bot.handlers.deps import Deps


def register_all(app: App, deps: Deps) -> None:
    for module in (
        language,
        errors,
        commands,
        protocol_modal,
        clients,
        run_actions,
        checkins,
        home,
        rounds,
        data_rights,
        program,
    ):
        module.register(app, deps)
