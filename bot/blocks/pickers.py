"""Small interactive elements several views share: a button carrying an id, and a select of
protocols each shown with its one-line purpose."""

from __future__ import annotations

from collections.abc import Iterable

from bot import i18n, prompts
from bot.blocks.text import option, plain
from bot.ids import pair
from bot.protocols.schema import Protocol

# Slack caps an option's text and description, and a button's text, at 75 characters.
OPTION_TEXT_MAX = 75


def button(label: str, action_id: str, value: str) -> dict:
    return {"type": "button", "text": plain(label), "action_id": action_id, "value": value}


def protocol_options(protocols: Iterable[Protocol], client_id: str | None = None) -> list[dict]:
    """Each protocol with its one-line purpose; the value is its id (paired with the client's
    when the protocol is to be about them)."""
    found = []
    for protocol in (p.in_language(i18n.current()) for p in protocols):
        value = pair(protocol.id, client_id) if client_id else protocol.id
        choice = option(value, protocol.title)
        choice["description"] = plain(prompts.one_line(protocol.purpose, OPTION_TEXT_MAX))
        found.append(choice)
    return found


def protocol_select(
    protocols: Iterable[Protocol], *, action_id: str, placeholder: str, client_id: str | None = None
) -> dict:
    return {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder),
        "options": protocol_options(protocols, client_id),
    }
