"""Reading a submitted form's inputs (the schedule forms, the round forms): each input block
holds one element, `ActionId.FIELD`, and an empty or missing one reads as nothing chosen."""

from __future__ import annotations

from bot.blocks.protocol_views import MalformedPayload
from bot.ids import ActionId


def form_values(body: dict) -> tuple[dict, dict]:
    """The submitted view and its input values; a payload without them is malformed."""
    view = body.get("view")
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        raise MalformedPayload("the form has no state")
    return view, values


def field(values: dict, block_id: str) -> dict:
    block = values.get(block_id)
    element = block.get(ActionId.FIELD) if isinstance(block, dict) else None
    return element if isinstance(element, dict) else {}


def chosen(values: dict, block_id: str) -> str | None:
    """The value of the option picked in a select or radio group, if any."""
    value = (field(values, block_id).get("selected_option") or {}).get("value")
    return value if isinstance(value, str) else None
