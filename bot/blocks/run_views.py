"""One run seen by its coach: summary, answers (each editable), sharing, export, delete."""

from __future__ import annotations

import json

from bot import prompts
from bot.blocks.protocol_views import PageMeta, step_block
from bot.blocks.text import SECTION_TEXT_MAX, context, plain, section, sections
from bot.i18n import _
from bot.ids import ActionId, BlockId, CallbackId, pair
from bot.protocols.engine import Value
from bot.protocols.schema import Protocol, Step
from bot.services.runs import RunDetail
from bot.storage.models import RunStatus

MODAL_BLOCKS_MAX = 100


def _button(
    text: str, action_id: str, value: str, *, style: str | None = None, confirm: dict | None = None
) -> dict:
    button = {"type": "button", "text": plain(text), "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def _confirm(title: str, text: str, yes: str) -> dict:
    return {
        "title": plain(title),
        "text": {"type": "mrkdwn", "text": text},
        "confirm": plain(yes),
        "deny": plain(_("Cancel")),
        "style": "danger",
    }


def _answer_block(detail: RunDetail, prompt: str, text: str, step_id: str, revisions: int) -> dict:
    body = prompts.render("answer_line", prompt=prompt, text=text, revisions=revisions)
    if len(body) > SECTION_TEXT_MAX:
        note = prompts.render("answer_continues")
        body = body[: SECTION_TEXT_MAX - len(note) - 2].rstrip() + "…\n" + note
    block = section(body)
    block["accessory"] = _button(_("Edit"), ActionId.EDIT_ANSWER, pair(detail.listing.run_id, step_id))
    return block


def run_detail_view(detail: RunDetail, *, note: str | None = None) -> dict:
    run_id = detail.listing.run_id
    completed = detail.listing.status is RunStatus.COMPLETED
    blocks: list[dict] = [context(prompts.render("run_line", run=detail.listing))]
    if note:
        blocks.append(section(note))
    actions = []
    if not completed:
        actions.append(_button(_("Continue"), ActionId.RESUME_RUN, run_id, style="primary"))
    else:
        actions.append(_button(_("Share to a channel"), ActionId.SHARE_CHANNEL, run_id))
        if detail.client_leader_id:
            confirm = _confirm(
                _("Share with your client?"),
                prompts.render("confirm_share_client", name=detail.client.name if detail.client else ""),
                _("Share"),
            )
            actions.append(_button(_("Share with client"), ActionId.SHARE_CLIENT, run_id, confirm=confirm))
    actions.append(_button(_("Export"), ActionId.EXPORT_RUN, run_id))
    confirm = _confirm(_("Delete this run?"), prompts.render("confirm_delete"), _("Delete"))
    actions.append(_button(_("Delete"), ActionId.DELETE_RUN, run_id, style="danger", confirm=confirm))
    blocks.append({"type": "actions", "elements": actions})
    active = [share for share in detail.shares if share.withdrawn_at is None]
    for share in active[:5]:
        line = section(prompts.render("share_line", share=share))
        line["accessory"] = _button(_("Withdraw"), ActionId.WITHDRAW_SHARE, pair(run_id, share.id))
        blocks.append(line)
    if detail.summary:
        blocks.append({"type": "divider"})
        blocks.extend(sections(detail.summary)[:10])
    blocks.append({"type": "divider"})
    room = MODAL_BLOCKS_MAX - len(blocks) - 1
    for answer in detail.answers[:room]:
        blocks.append(_answer_block(detail, answer.prompt, answer.text, answer.step_id, answer.revisions))
    if len(detail.answers) > room:
        blocks.append(context(prompts.render("answer_continues")))
    return {
        "type": "modal",
        "callback_id": CallbackId.RUN_DETAIL,
        "private_metadata": run_id,
        "title": plain(detail.protocol.title),
        "close": plain(_("Close")),
        "blocks": blocks,
    }


def edit_answer_view(protocol: Protocol, step: Step, value: Value | None, *, run_id: str) -> dict:
    meta = PageMeta(protocol.id, protocol.version, step.id, run_id=run_id)
    return {
        "type": "modal",
        "callback_id": CallbackId.EDIT_ANSWER,
        "private_metadata": meta.encode(),
        "title": plain(_("Change an answer")),
        "submit": plain(_("Save")),
        "close": plain(_("Back")),
        "blocks": [context(prompts.render("edit_note")), step_block(step, value)],
    }


def share_form(run_id: str) -> dict:
    return {
        "type": "modal",
        "callback_id": CallbackId.SHARE_TO_CHANNEL,
        "private_metadata": json.dumps({"r": run_id}),
        "title": plain(_("Share to a channel")),
        "submit": plain(_("Share")),
        "close": plain(_("Back")),
        "blocks": [
            section(prompts.render("share_form_intro")),
            {
                "type": "input",
                "block_id": BlockId.SHARE_CHANNEL,
                "label": plain(_("Channel")),
                "element": {"type": "conversations_select", "action_id": ActionId.FIELD},
            },
        ],
    }
