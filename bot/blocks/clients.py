"""Client views: the registration form, the roster, and one client's record."""

from __future__ import annotations

from collections.abc import Sequence

from bot import prompts
from bot.blocks.charts import obstacles_blocks, ratings_blocks
from bot.blocks.languages import language_select
from bot.blocks.messages import Message
from bot.blocks.tables import attachment, table
from bot.blocks.text import context, option, plain, section, sections
from bot.i18n import _
from bot.ids import ActionId, BlockId, CallbackId
from bot.protocols.schema import CyclePhase
from bot.services.checkins import HistoryLine
from bot.services.clients import ClientRecord, ClientSummary
from bot.storage.models import Client, Domain

MODAL_BLOCKS_MAX = 100


def domain_labels() -> dict[Domain, str]:
    """Read when a view is built, so each reader gets their own language."""
    return {Domain.SCHOOL: _("School"), Domain.DISTRICT: _("District"), Domain.COMMUNITY: _("Community")}


def client_form(*, leader_id: str | None, existing: Client | None = None) -> dict:
    """Register a leader as a client (or change how they are registered)."""
    leader: dict = {"type": "users_select", "action_id": ActionId.FIELD}
    if leader_id:
        leader["initial_user"] = leader_id
    organization: dict = {"type": "plain_text_input", "action_id": ActionId.FIELD, "max_length": 200}
    domains = [option(d.value, label) for d, label in domain_labels().items()]
    domain: dict = {"type": "radio_buttons", "action_id": ActionId.FIELD, "options": domains}
    if existing is not None:
        organization["initial_value"] = existing.organization
        domain["initial_option"] = option(existing.domain.value, domain_labels()[existing.domain])
    return {
        "type": "modal",
        "callback_id": CallbackId.CLIENT_FORM,
        "title": plain(_("Add a client")),
        "submit": plain(_("Save")),
        "close": plain(_("Cancel")),
        "blocks": [
            section(prompts.render("client_form_intro")),
            {
                "type": "input",
                "block_id": BlockId.CLIENT_LEADER,
                "label": plain(_("Leader")),
                "element": leader,
            },
            {
                "type": "input",
                "block_id": BlockId.CLIENT_ORGANIZATION,
                "label": plain(_("School, district or organization")),
                "element": organization,
            },
            {
                "type": "input",
                "block_id": BlockId.CLIENT_DOMAIN,
                "label": plain(_("Domain")),
                "element": domain,
            },
            language_select(existing.language if existing is not None else None),
        ],
    }


def client_saved_view(client: Client) -> dict:
    return {
        "type": "modal",
        "title": plain(_("Client saved")),
        "close": plain(_("Done")),
        "blocks": sections(prompts.render("client_saved", client=client)),
    }


def _summary_line(summary: ClientSummary) -> str:
    return prompts.render(
        "client_line",
        summary=summary,
        domain=domain_labels()[summary.client.domain],
        phase=summary.client.phase.label,
    )


ROSTER_LINES_MAX = 48


def roster_header() -> tuple[str, ...]:
    return (_("Client"), _("Organization"), _("Domain"), _("Phase"), _("Protocol runs"), _("Goals"))


def roster_table(roster: Sequence[ClientSummary]) -> dict:
    """The clients side by side, the same facts as their lines in words below."""
    return table(
        roster_header(),
        [
            (
                summary.client.leader_name,
                summary.client.organization,
                domain_labels()[summary.client.domain],
                summary.client.phase.label,
                str(summary.runs),
                str(summary.goals),
            )
            for summary in roster[:ROSTER_LINES_MAX]
        ],
        right=frozenset({4, 5}),
    )


def roster_message(roster: Sequence[ClientSummary]) -> Message:
    """A line in words per client, each with its Open button, and (with any client) the same in
    a table, which Slack shows beneath, from the message's attachments."""
    blocks = sections(prompts.render("clients", count=len(roster)))
    for summary in roster[:ROSTER_LINES_MAX]:
        block = section(_summary_line(summary))
        block["accessory"] = {
            "type": "button",
            "text": plain(_("Open")),
            "action_id": ActionId.OPEN_CLIENT,
            "value": summary.client.id,
        }
        blocks.append(block)
    attachments = (attachment(roster_table(roster)),) if roster else ()
    return Message(text=_("Your clients"), blocks=blocks, attachments=attachments)


def record_view(record: ClientRecord, history: Sequence[HistoryLine] = ()) -> dict:
    """One client: where they stand in the cycle (changeable), their runs, goals and checklist,
    and how their check-ins have gone (charts, with the same in words)."""
    client = record.summary.client
    phases = [option(p.value, p.label) for p in CyclePhase]
    blocks: list[dict] = [
        section(_summary_line(record.summary)),
        {
            "type": "section",
            "block_id": BlockId.PHASE,
            "text": {"type": "mrkdwn", "text": "*Coaching cycle phase*"},
            "accessory": {
                "type": "static_select",
                "action_id": ActionId.SET_PHASE,
                "options": phases,
                "initial_option": option(client.phase.value, client.phase.label),
            },
        },
    ]
    if record.summary.checklist:
        blocks.extend(sections(prompts.render("checklist", items=record.summary.checklist)))
    blocks.extend(sections(prompts.render("goals", goals=record.goals)))
    blocks += [*ratings_blocks(history), *obstacles_blocks(history)]
    blocks.append(section(prompts.render("client_runs_heading", count=len(record.runs))))
    room = MODAL_BLOCKS_MAX - len(blocks) - 1
    for run in record.runs[:room]:
        block = section(prompts.render("run_line", run=run))
        block["accessory"] = {
            "type": "button",
            "text": plain(_("View")),
            "action_id": ActionId.VIEW_RUN,
            "value": run.run_id,
        }
        blocks.append(block)
    if len(record.runs) > room:
        blocks.append(
            context(
                _("%(count)d older runs are in `/coach export` for this client.")
                % {"count": len(record.runs) - room}
            )
        )
    return {
        "type": "modal",
        "callback_id": CallbackId.CLIENT_RECORD,
        "private_metadata": client.id,
        "title": plain(client.leader_name[:24] or _("Client")),
        "close": plain(_("Close")),
        "blocks": blocks,
    }
