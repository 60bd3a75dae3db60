"""The App Home tab."""

from __future__ import annotations

from collections.abc import Sequence

from bot import prompts
from bot.blocks.messages import resume_message
from bot.blocks.text import plain, sections
from bot.ids import ActionId
from bot.protocols.catalog import Catalog
from bot.services.runs import RunListing

HOME_BLOCKS_MAX = 100


def home_view(catalog: Catalog, unfinished: Sequence[RunListing]) -> dict:
    blocks = sections(prompts.render("home_intro"))
    for protocol in catalog:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": prompts.render("protocol_line", protocol=protocol)},
                "accessory": {
                    "type": "button",
                    "text": plain("Start"),
                    "action_id": ActionId.START_PROTOCOL,
                    "value": protocol.id,
                },
            }
        )
    if unfinished:
        blocks.append({"type": "divider"})
        blocks.extend(resume_message(unfinished).blocks)
    return {"type": "home", "blocks": blocks[:HOME_BLOCKS_MAX]}
