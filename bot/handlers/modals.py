"""Modals the bot opens, fills and updates, and what the coach is told when Slack fails them.

A modal whose content needs the database opens as a placeholder at once (the trigger id lives
3 seconds), then the real view replaces it. Every view opened is recorded for its person, and
a view is updated only for the person it was opened for (bot.services.guards). When Slack
refuses or does not answer, the coach is told in words: a window that did not open, in a DM
(or the command's ephemeral answer); a window that could not be filled, in the window or a DM.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.actor import Actor
from bot.blocks.messages import Message, notice_message, notice_view, too_slow_message
from bot.blocks.protocol_views import loading_view
from bot.handlers.deps import Deps, coach_from_body
from bot.services.runs import ClientNotFound, RunNotFound, StaleSubmission, UnknownProtocol
from bot.slack_gateway import DeliveryFailed, TriggerExpired

log = logging.getLogger(__name__)

# What a refusal looks like: someone else's id, or one that is gone, reads as "not found".
REFUSALS = (RunNotFound, ClientNotFound, UnknownProtocol, StaleSubmission)


def tell(deps: Deps, coach: Actor, message: Message, response_url: str | None = None) -> None:
    """Say something to the coach after the fact: ephemerally where a command can still answer,
    else in their DM with the bot. Best effort: when Slack is down this is down too."""
    try:
        if response_url:
            deps.gateway.respond(response_url=response_url, message=message)
        else:
            deps.gateway.post(channel=coach.user_id, messages=[message])
    except (DeliveryFailed, OSError) as failure:
        log.warning("could not tell the coach: %s", type(failure).__name__)


def open_view_for(
    deps: Deps, coach: Actor, trigger_id: str, view: dict, *, response_url: str | None = None
) -> str | None:
    """Open a modal for `coach` and record it as theirs; None (and the coach told) when it did
    not open."""
    try:
        view_id = deps.gateway.open_view(trigger_id=trigger_id, view=view)
    except TriggerExpired:
        log.warning("modal not opened: trigger expired")
        tell(deps, coach, too_slow_message(), response_url)
        return None
    except DeliveryFailed as failure:
        log.warning("modal not opened: %s", failure.error)
        tell(deps, coach, notice_message("window_not_opened"), response_url)
        return None
    deps.guards.opened(coach, view_id)
    return view_id


def fill(deps: Deps, view_id: str, view: dict, coach: Actor) -> None:
    """Show `view` in a modal the bot opened for `coach`. If Slack will not take it, the window
    says so rather than staying as it was ("Opening…"); if it takes nothing, a DM says so."""
    if deps.gateway.update_view(view_id=view_id, view=view):
        return
    if not deps.gateway.update_view(view_id=view_id, view=notice_view("window_not_filled")):
        tell(deps, coach, notice_message("window_not_filled"))


def update_own(deps: Deps, coach: Actor, view_id: str | None, view: dict) -> bool:
    """Update a view named by a request only if the bot opened it for this coach: a view id in
    a payload (its root, its parent) could be anyone's."""
    if not view_id:  # a click in a message: no window to update
        return False
    if not deps.guards.owns(coach, view_id):
        log.warning("view update refused: not a view opened for the requester")
        return False
    fill(deps, view_id, view, coach)
    return True


def open_then_fill(
    deps: Deps,
    coach: Actor,
    trigger_id: str,
    title: str,
    build: Callable[[], dict],
    *,
    response_url: str | None = None,
) -> str | None:
    """Returns the view id, or None when the modal did not open (the coach is told)."""
    view_id = open_view_for(deps, coach, trigger_id, loading_view(title), response_url=response_url)
    if view_id is None:
        return None
    try:
        view = build()
    except REFUSALS as refusal:
        log.warning("refused: %s", type(refusal).__name__)
        view = notice_view("not_found")
    except Exception:
        fill(deps, view_id, notice_view("failed"), coach)
        raise  # logged by the error handler, by type and frames only
    fill(deps, view_id, view, coach)
    return view_id


def submitted_before(deps: Deps, coach: Actor, view: dict) -> bool:
    """Claim a form's submission by the view's own identity (its id and the hash of the version
    submitted): a double click or a Slack retry sends the same one again, and finds it taken.
    A form answered with errors is a new version when fixed, so it is claimed only once valid."""
    return deps.guards.claim(coach, f"view:{view.get('id')}:{view.get('hash')}") is not None


def release_submission(deps: Deps, view: dict) -> None:
    """The submission did nothing (refused, or it failed): sending it again may act."""
    deps.guards.release(f"view:{view.get('id')}:{view.get('hash')}")


def show(deps: Deps, body: dict, view: dict) -> None:
    """Open a modal for a click in a message; push it for a click inside a modal, so closing it
    returns there (Slack does not open a second modal over the first)."""
    coach = coach_from_body(body)
    trigger_id = body.get("trigger_id", "")
    if (body.get("view") or {}).get("type") != "modal":
        open_view_for(deps, coach, trigger_id, view)
        return
    try:
        view_id = deps.gateway.push_view(trigger_id=trigger_id, view=view)
    except TriggerExpired:
        log.warning("modal not pushed: trigger expired")
        tell(deps, coach, too_slow_message())
        return
    if view_id is None:
        tell(deps, coach, notice_message("window_not_opened"))
        return
    deps.guards.opened(coach, view_id)


def open_or_push(deps: Deps, body: dict, title: str, build: Callable[[], dict]) -> None:
    """A window for a click: opened (placeholder first) from a message or the Home; pushed over
    the window the click came from, built at once, since Slack opens no modal over a modal."""
    if (body.get("view") or {}).get("type") != "modal":
        open_then_fill(deps, coach_from_body(body), body.get("trigger_id", ""), title, build)
        return
    try:
        view = build()
    except REFUSALS as refusal:
        log.warning("refused: %s", type(refusal).__name__)
        view = notice_view("not_found")
    show(deps, body, view)
