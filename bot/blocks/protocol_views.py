"""The protocol modal: one page of steps, and the summary shown when the run completes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot import prompts
from bot.blocks.pickers import button
from bot.blocks.text import context, option, plain, section, split_text
from bot.i18n import _, dates
from bot.ids import ActionId, CallbackId, step_block_id, step_of_block
from bot.protocols.engine import Raw, Value, display
from bot.protocols.schema import InputType, Step
from bot.services.runs import Completed, PageToShow

MODAL_BLOCKS_MAX = 100
# How much of last time's answer to show beside a prompt: a reminder, not the record.
LAST_TIME_CHARS = 280
# Keep the modal's summary well under Slack's 250 kB view limit; the DM carries all of it.
MODAL_SUMMARY_CHARS = 24_000
RATING_VALUES = ("1", "2", "3", "4", "5")


class MalformedPayload(ValueError):
    """A payload that Slack itself would never send: answered with 400, never a crash."""


@dataclass(frozen=True)
class PageMeta:
    """What a page modal carries in `private_metadata`: ids only, state is in the database."""

    protocol_id: str
    version: int
    page_id: str
    run_id: str | None = None
    client_id: str | None = None

    def encode(self) -> str:
        fields = {
            "p": self.protocol_id,
            "v": self.version,
            "g": self.page_id,
            "r": self.run_id,
            "c": self.client_id,
        }
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> PageMeta:
        try:
            data = json.loads(text)
            meta = cls(data["p"], data["v"], data["g"], run_id=data.get("r"), client_id=data.get("c"))
        except (ValueError, TypeError, KeyError) as error:
            raise MalformedPayload("private_metadata is not a page reference") from error
        valid = isinstance(meta.protocol_id, str) and isinstance(meta.page_id, str)
        valid = valid and isinstance(meta.version, int) and isinstance(meta.run_id, str | None)
        valid = valid and isinstance(meta.client_id, str | None)
        if not valid:
            raise MalformedPayload("private_metadata is not a page reference")
        return meta


def _element(step: Step, answer: Value | None) -> dict:
    element: dict[str, Any] = {"action_id": ActionId.ANSWER}
    kind = step.input
    if kind in (InputType.SHORT_TEXT, InputType.LONG_TEXT):
        element |= {"type": "plain_text_input", "multiline": kind is InputType.LONG_TEXT}
        element["max_length"] = step.max_length
        if step.placeholder:
            element["placeholder"] = plain(step.placeholder)
        if isinstance(answer, str):
            element["initial_value"] = answer
    elif kind is InputType.SINGLE_CHOICE:
        options = [option(o.value, o.label) for o in step.options]
        element |= {"type": "radio_buttons" if len(options) <= 10 else "static_select", "options": options}
        chosen = [o for o in options if o["value"] == answer]
        if chosen:
            element["initial_option"] = chosen[0]
    elif kind in (InputType.MULTI_CHOICE, InputType.CHECKLIST):
        options = [option(o.value, o.label) for o in step.options]
        element |= {"type": "checkboxes", "options": options}
        chosen = [o for o in options if isinstance(answer, list) and o["value"] in answer]
        if chosen:
            element["initial_options"] = chosen
    elif kind is InputType.RATING:
        options = [option(v, v) for v in RATING_VALUES]
        element |= {"type": "radio_buttons", "options": options}
        chosen = [o for o in options if o["value"] == answer]
        if chosen:
            element["initial_option"] = chosen[0]
    elif kind is InputType.DATE:
        element["type"] = "datepicker"
        if isinstance(answer, str):
            element["initial_date"] = answer
    elif kind is InputType.TIME:
        element["type"] = "timepicker"
        if isinstance(answer, str):
            element["initial_time"] = answer
    elif kind is InputType.USER:
        element["type"] = "users_select"
        if isinstance(answer, str):
            element["initial_user"] = answer
    return element


def step_block(step: Step, answer: Value | None) -> dict:
    block = {
        "type": "input",
        "block_id": step_block_id(step.id),
        "label": plain(step.prompt),
        "element": _element(step, answer),
        "optional": not step.required,
    }
    if step.help:
        block["hint"] = plain(step.help)
    return block


def _last_time(step: Step, shown: PageToShow) -> dict | None:
    """ "Last time you said ...": the answer from the previous run about the same client."""
    previous = shown.previous
    if previous is None or step.id not in previous.answers:
        return None
    said = str(display(step, previous.answers[step.id]))
    if len(said) > LAST_TIME_CHARS:
        said = said[:LAST_TIME_CHARS].rstrip() + " … " + _("(the rest is in that run, under /coach history)")
    when = dates.day(previous.completed_at)
    return context(prompts.render("last_time", when=when, said=said))


def page_view(shown: PageToShow) -> dict:
    protocol, page = shown.spoken
    total = len(protocol.pages)
    last = shown.number == total
    about = prompts.render("page_context", number=shown.number, total=total, client=shown.client)
    blocks: list[dict] = [{"type": "header", "text": plain(page.title)}, context(about)]
    if page.intro:
        blocks.append(section(page.intro))
    for step in page.steps:
        blocks.append(step_block(step, shown.answers.get(step.id)))
        if reminder := _last_time(step, shown):
            blocks.append(reminder)
    if shown.number > 1:
        blocks.append({"type": "actions", "elements": [button(_("Back"), ActionId.BACK_PAGE, page.id)]})
    meta = PageMeta(
        protocol.id,
        protocol.version,
        page.id,
        run_id=shown.run_id,
        client_id=shown.client.id if shown.client else None,
    )
    return {
        "type": "modal",
        "callback_id": CallbackId.PROTOCOL_PAGE,
        "title": plain(protocol.title),
        "submit": plain(_("Finish") if last else _("Next")),
        "close": plain(_("Save and close")),
        "notify_on_close": True,
        "private_metadata": meta.encode(),
        "blocks": blocks,
    }


def loading_view(title: str) -> dict:
    """Shown at once while the page is looked up, so the trigger id is used inside 3 seconds."""
    return {
        "type": "modal",
        "title": plain(title),
        "close": plain(_("Close")),
        "blocks": [context(_("Opening…"))],
    }


def step_errors(errors: dict[str, str]) -> dict[str, str]:
    """`response_action: errors` keys errors by block id."""
    return {step_block_id(step_id): message for step_id, message in errors.items()}


def _read_element(element: dict) -> Raw:
    kind = element.get("type")
    if kind == "plain_text_input":
        return element.get("value")
    if kind in ("radio_buttons", "static_select"):
        chosen = element.get("selected_option")
        return chosen.get("value") if isinstance(chosen, dict) else None
    if kind == "checkboxes":
        return [o.get("value") for o in element.get("selected_options") or [] if isinstance(o, dict)]
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    if kind == "users_select":
        return element.get("selected_user")
    raise MalformedPayload("an answer has an element type no step uses")


def read_state(state_values: Any) -> dict[str, Raw]:
    """Turn `view.state.values` into raw answers by step id; the service keeps those on the page."""
    if not isinstance(state_values, dict):
        raise MalformedPayload("view.state.values is not an object")
    raw: dict[str, Raw] = {}
    for block_id, actions in state_values.items():
        step_id = step_of_block(block_id)
        if step_id is None:
            continue
        element = actions.get(ActionId.ANSWER) if isinstance(actions, dict) else None
        if not isinstance(element, dict):
            raise MalformedPayload("a step block has no answer element")
        value = _read_element(element)
        is_list = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if not (value is None or isinstance(value, str) or is_list):
            raise MalformedPayload("a step block carries a malformed value")
        raw[step_id] = value
    return raw


def _after_completion(completed: Completed) -> list[dict]:
    """What a coach does next with a finished run, right there: check-ins for a goal about a
    client, share it, export it (the same buttons as the run's page under History)."""
    run_id, client = completed.run_id, completed.client
    elements = []
    if completed.protocol.goal is not None and client is not None:
        label = prompts.one_line(_("Set up check-ins with %(name)s") % {"name": client.name}, 75)
        elements.append(button(label, ActionId.SET_UP_CHECKINS, client.id) | {"style": "primary"})
    elements.append(button(_("Share to a channel"), ActionId.SHARE_CHANNEL, run_id))
    if client is not None:
        confirm = {
            "title": plain(_("Share with your client?")),
            "text": {"type": "mrkdwn", "text": prompts.render("confirm_share_client", name=client.name)},
            "confirm": plain(_("Share")),
            "deny": plain(_("Cancel")),
        }
        elements.append(button(_("Share with client"), ActionId.SHARE_CLIENT, run_id) | {"confirm": confirm})
    elements.append(button(_("Export"), ActionId.EXPORT_RUN, run_id))
    return elements


def summary_view(completed: Completed) -> dict:
    text = completed.summary
    note = (
        _("Completed. This summary is private to you, and on its way to your DMs.")
        if completed.newly
        else _("Completed. This summary is private to you, and also in your DMs.")
    )
    blocks: list[dict] = [context(note)]
    pieces = split_text(text[:MODAL_SUMMARY_CHARS])
    room = MODAL_BLOCKS_MAX - len(blocks) - 2
    cut = len(text) > MODAL_SUMMARY_CHARS or len(pieces) > room
    blocks.extend(section(piece) for piece in pieces[:room])
    if cut:
        blocks.append(context(_("The summary continues in your DM, where it is sent in full.")))
    blocks.append({"type": "actions", "elements": _after_completion(completed)})
    return {
        "type": "modal",
        "callback_id": CallbackId.PROTOCOL_SUMMARY,
        "title": plain(completed.protocol.title),
        "close": plain(_("Done")),
        "blocks": blocks,
    }
