"""Opening a modal whose content needs the database: a placeholder opens at once (the trigger id
lives 3 seconds), then the real view replaces it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.blocks.messages import notice_view
from bot.blocks.protocol_views import loading_view
from bot.handlers.deps import Deps
from bot.services.runs import ClientNotFound, RunNotFound, StaleSubmission, UnknownProtocol
from bot.slack_gateway import TriggerExpired

log = logging.getLogger(__name__)

# What a refusal looks like: someone else's id, or one that is gone, reads as "not found".
REFUSALS = (RunNotFound, ClientNotFound, UnknownProtocol, StaleSubmission)


def open_then_fill(deps: Deps, trigger_id: str, title: str, build: Callable[[], dict]) -> str | None:
    """Returns the view id, or None when Slack's trigger expired before the modal opened."""
    try:
        view_id = deps.gateway.open_view(trigger_id=trigger_id, view=loading_view(title))
    except TriggerExpired:
        log.warning("modal not opened: trigger expired")
        return None
    try:
        view = build()
    except REFUSALS as refusal:
        log.warning("refused: %s", type(refusal).__name__)
        view = notice_view("not_found")
    except Exception:
        deps.gateway.update_view(view_id=view_id, view=notice_view("failed"))
        raise  # logged by the error handler, by type and frames only
    deps.gateway.update_view(view_id=view_id, view=view)
    return view_id


def show(deps: Deps, body: dict, view: dict) -> None:
    """Open a modal for a click in a message; push it for a click inside a modal, so closing it
    returns there (Slack does not open a second modal over the first)."""
    trigger_id = body.get("trigger_id", "")
    try:
        if (body.get("view") or {}).get("type") == "modal":
            deps.gateway.push_view(trigger_id=trigger_id, view=view)
        else:
            deps.gateway.open_view(trigger_id=trigger_id, view=view)
    except TriggerExpired:
        log.warning("modal not shown: trigger expired")
