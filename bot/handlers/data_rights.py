"""`/coach my data` (what is held, export, erase) and `/coach client remove`.

Export and erasure act on whoever clicked or submitted, read from the signed payload's user:
no button value or private_metadata names whose data it is, so a crafted one changes nothing.
A client's removal names the client in private_metadata, and the service refuses any client
that is not the submitter's.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.actor import Actor
from bot.blocks.data_rights import erase_confirm_view, my_data_view, remove_client_view
from bot.blocks.messages import notice_message, notice_view
from bot.handlers.deps import Deps, coach_from_body
from bot.handlers.modals import (
    REFUSALS,
    open_then_fill,
    release_submission,
    show,
    submitted_before,
    tell,
    update_own,
)
from bot.i18n import _
from bot.ids import ActionId, CallbackId
from bot.services.data_rights import ShareToWithdraw
from bot.slack_gateway import DeliveryFailed, Posted

log = logging.getLogger(__name__)


def open_my_data(deps: Deps, person: Actor, trigger_id: str) -> None:
    open_then_fill(
        deps,
        person,
        trigger_id,
        _("Your data"),
        lambda: my_data_view(deps.data_rights.holding(person).counts()),
    )


def open_client_removal(deps: Deps, coach: Actor, trigger_id: str, client_id: str) -> None:
    open_then_fill(
        deps,
        coach,
        trigger_id,
        _("Remove a client"),
        lambda: remove_client_view(deps.data_rights.removal(coach, client_id)),
    )


def _withdrawn(deps: Deps, shares: list[ShareToWithdraw]) -> bool:
    """Delete shared summaries from Slack; False (and nothing more done) when Slack refused one."""
    try:
        for share in shares:
            deps.gateway.retract(Posted(share.channel_id, share.ts))
    except DeliveryFailed as failure:
        log.warning("a shared summary could not be withdrawn: %s", failure.error)
        return False
    return True


def register(app: App, deps: Deps) -> None:
    @app.action(ActionId.EXPORT_MY_DATA)
    def on_export(ack: Ack, body: dict) -> None:
        ack()
        person = coach_from_body(body)
        key = f"export_my_data:{person.team_id}:{person.user_id}"
        if deps.guards.claim(person, key) is not None:
            tell(deps, person, notice_message("export_already_sent"))
            return
        try:
            deps.gateway.send_file(
                user_id=person.user_id,
                filename="my-coaching-data.zip",
                title=_("Your coaching companion data"),
                content=deps.data_rights.export(person),
                comment=notice_message("my_data_export_sent").text,
            )
        except DeliveryFailed:
            deps.guards.release(key)
            tell(deps, person, notice_message("export_failed"))

    @app.action(ActionId.ERASE_MY_DATA)
    def on_erase_clicked(ack: Ack, body: dict) -> None:
        ack()
        person = coach_from_body(body)
        show(deps, body, erase_confirm_view(deps.data_rights.holding(person).counts()))

    @app.view_submission(CallbackId.ERASE_MY_DATA)
    def on_erase_confirmed(ack: Ack, body: dict) -> None:
        person, view = coach_from_body(body), body.get("view") or {}
        if submitted_before(deps, person, view):
            ack()
            return
        ack(response_action="update", view=notice_view("erasing"))
        shares = deps.data_rights.shares_to_withdraw(person)
        if not _withdrawn(deps, shares):
            release_submission(deps, view)
            update_own(deps, person, view.get("id"), notice_view("erase_failed"))
            return
        erased = deps.data_rights.erase(person)
        for notice in erased.notices:  # owed with the erasure; sent now, or by the next pass
            deps.sender.send_now(notice)
        update_own(deps, person, view.get("id"), notice_view("erased", withdrawn=bool(shares)))

    @app.view_submission(CallbackId.REMOVE_CLIENT)
    def on_remove_confirmed(ack: Ack, body: dict) -> None:
        coach, view = coach_from_body(body), body.get("view") or {}
        client_id = view.get("private_metadata")
        if submitted_before(deps, coach, view):
            ack()
            return
        try:
            removal = deps.data_rights.removal(coach, client_id if isinstance(client_id, str) else "")
        except REFUSALS:
            log.warning("client removal refused")
            release_submission(deps, view)
            ack(response_action="update", view=notice_view("not_found"))
            return
        ack(response_action="update", view=notice_view("removing_client"))
        if not _withdrawn(deps, deps.data_rights.client_shares(coach, removal.client_id)):
            release_submission(deps, view)
            update_own(deps, coach, view.get("id"), notice_view("client_remove_failed"))
            return
        deps.data_rights.remove_client(coach, removal.client_id)
        update_own(deps, coach, view.get("id"), notice_view("client_removed", name=removal.leader_name))
