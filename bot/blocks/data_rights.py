"""Views for a person's own data (`/coach my data`) and a client's removal: pure builders."""

from __future__ import annotations

from bot import prompts
from bot.blocks.text import plain, sections
from bot.i18n import _
from bot.ids import ActionId, CallbackId
from bot.services.data_rights import ClientRemoval


def my_data_view(counts: dict[str, int]) -> dict:
    """What is held, with Export and Erase. The buttons carry no id: they act on the clicker."""
    held = any(counts.values())
    buttons = [
        {"type": "button", "action_id": ActionId.EXPORT_MY_DATA, "text": plain(_("Export")), "value": "me"},
    ]
    if held:
        buttons.append(
            {
                "type": "button",
                "action_id": ActionId.ERASE_MY_DATA,
                "text": plain(_("Erase…")),
                "style": "danger",
                "value": "me",
            }
        )
    return {
        "type": "modal",
        "callback_id": CallbackId.MY_DATA,
        "title": plain(_("Your data")),
        "close": plain(_("Close")),
        "blocks": [
            *sections(prompts.render("my_data", counts=counts)),
            {"type": "actions", "elements": buttons},
        ],
    }


def erase_confirm_view(counts: dict[str, int]) -> dict:
    """Exactly what an erasure takes, before it does."""
    return {
        "type": "modal",
        "callback_id": CallbackId.ERASE_MY_DATA,
        "title": plain(_("Erase your data")),
        "submit": plain(_("Erase")),
        "close": plain(_("Keep it")),
        "blocks": sections(prompts.render("erase_confirm", counts=counts)),
    }


def remove_client_view(removal: ClientRemoval) -> dict:
    """What removing a client takes, counted; the window names the client by id only."""
    return {
        "type": "modal",
        "callback_id": CallbackId.REMOVE_CLIENT,
        "private_metadata": removal.client_id,
        "title": plain(_("Remove a client")),
        "submit": plain(_("Remove")),
        "close": plain(_("Keep")),
        "blocks": sections(
            prompts.render("client_remove_confirm", removal=removal, name=removal.leader_name)
        ),
    }
