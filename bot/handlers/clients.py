"""Clients: `/coach client add`, `/coach clients`, a client's record and phase, `/coach export`."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot import i18n
from bot.actor import Actor
from bot.blocks.clients import client_form, client_saved_view, record_view
from bot.blocks.messages import notice_view
from bot.blocks.protocol_views import MalformedPayload
from bot.handlers.deps import Deps, coach_from_body
from bot.handlers.modals import REFUSALS, open_or_push, open_view_for, update_own
from bot.i18n import _
from bot.ids import ActionId, BlockId, CallbackId
from bot.protocols.schema import CyclePhase
from bot.services.clients import LeaderRef
from bot.services.export import client_markdown
from bot.slack_gateway import DeliveryFailed
from bot.storage.models import Domain

log = logging.getLogger(__name__)
ORGANIZATION_MAX = 200


def _field(values: dict, block_id: str) -> dict:
    element = (values.get(block_id) or {}).get(ActionId.FIELD)
    if not isinstance(element, dict):
        raise MalformedPayload(f"the form has no {block_id}")
    return element


def read_client_form(view: dict) -> tuple[str | None, str, str | None]:
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        raise MalformedPayload("the form has no state")
    leader = _field(values, BlockId.CLIENT_LEADER).get("selected_user")
    organization = _field(values, BlockId.CLIENT_ORGANIZATION).get("value") or ""
    chosen = _field(values, BlockId.CLIENT_DOMAIN).get("selected_option")
    domain = chosen.get("value") if isinstance(chosen, dict) else None
    if not (leader is None or isinstance(leader, str)) or not isinstance(organization, str):
        raise MalformedPayload("the form carries malformed values")
    return leader, organization.strip(), domain


def read_client_language(view: dict) -> str | None:
    """The language the coach chose for the leader's check-ins; None follows the leader's own
    (the form's default, a form from before the choice existed, or a value the bot has no
    catalog for)."""
    values = ((view.get("state") or {}).get("values") or {}) if isinstance(view, dict) else {}
    element = (values.get(BlockId.CLIENT_LANGUAGE) or {}).get(ActionId.FIELD) or {}
    chosen = element.get("selected_option") if isinstance(element, dict) else None
    value = chosen.get("value") if isinstance(chosen, dict) else None
    return value if value in i18n.available() else None


def open_client_form(deps: Deps, coach: Actor, trigger_id: str, leader_id: str | None) -> None:
    """A leader already registered comes with how they are (their check-ins' language too)."""
    existing = deps.clients.resolve(coach, LeaderRef(leader_id, None)) if leader_id else None
    open_view_for(deps, coach, trigger_id, client_form(leader_id=leader_id, existing=existing))


def send_client_export(deps: Deps, coach: Actor, client_id: str) -> bool:
    """Build the client's whole record as Markdown and send it as a file in the coach's DM."""
    record = deps.clients.record(coach, client_id)
    details = [deps.runs.detail(coach, run.run_id) for run in record.runs]
    name = record.summary.client.leader_name
    try:
        deps.gateway.send_file(
            user_id=coach.user_id,
            filename=f"coaching-record-{name}.md",
            title=_("Coaching record: %(name)s") % {"name": name},
            content=client_markdown(record, details),
            comment=_("Your export. It is private to you; keep it somewhere safe."),
        )
    except DeliveryFailed as failure:
        log.warning("export not sent: %s", failure.error)
        return False
    return True


def client_record(deps: Deps, coach: Actor, client_id: str) -> dict:
    return record_view(deps.clients.record(coach, client_id), deps.checkins.history(coach, client_id))


def register(app: App, deps: Deps) -> None:
    @app.view_submission(CallbackId.CLIENT_FORM)
    def on_client_saved(ack: Ack, body: dict) -> None:
        coach = coach_from_body(body)
        leader, organization, domain = read_client_form(body.get("view"))
        errors = {}
        if not leader:
            errors[BlockId.CLIENT_LEADER] = _("Pick the leader you coach.")
        elif leader == coach.user_id:
            errors[BlockId.CLIENT_LEADER] = _("You can't be your own client; pick the leader you coach.")
        if not organization:
            errors[BlockId.CLIENT_ORGANIZATION] = _("Name their school, district or organization.")
        elif len(organization) > ORGANIZATION_MAX:
            errors[BlockId.CLIENT_ORGANIZATION] = _("Please keep this under %(max)d characters.") % {
                "max": ORGANIZATION_MAX
            }
        if domain not in {d.value for d in Domain}:
            errors[BlockId.CLIENT_DOMAIN] = _("Choose school, district or community.")
        if errors:
            ack(response_action="errors", errors=errors)
            return
        name = deps.gateway.user_name(leader) or leader
        client = deps.clients.add(
            coach,
            leader_id=leader,
            leader_name=name,
            organization=organization,
            domain=Domain(domain),
            language=read_client_language(body.get("view")),
        )
        ack(response_action="update", view=client_saved_view(client))
        deps.home_tab.changed(coach.team_id, coach.user_id)

    @app.action(ActionId.OPEN_CLIENT)
    def on_open_client(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        client_id = action.get("value")
        if not isinstance(client_id, str):
            raise MalformedPayload("the button carries no client")
        open_or_push(deps, body, _("Client"), lambda: client_record(deps, coach, client_id))

    @app.action(ActionId.SET_PHASE)
    def on_set_phase(ack: Ack, body: dict, action: dict) -> None:
        ack()
        coach = coach_from_body(body)
        view = body.get("view") or {}
        chosen = (action.get("selected_option") or {}).get("value")
        client_id = view.get("private_metadata")
        if chosen not in {p.value for p in CyclePhase} or not isinstance(client_id, str):
            raise MalformedPayload("the phase or the client is missing")
        try:
            deps.clients.set_phase(coach, client_id, CyclePhase(chosen))
            updated = client_record(deps, coach, client_id)
        except REFUSALS:
            log.warning("phase change refused")
            updated = notice_view("not_found")
        update_own(deps, coach, view.get("id"), updated)
