"""The App Home tab, top to bottom: who needs the coach this week, what they left unfinished,
their clients, this week, and a compact way to start a protocol. Pure: a HomePage in, a view out.

However many clients a coach has, the view stays inside Slack's 100 blocks: each section shows
a bounded number of entries and the rest are one click away ("All clients").
"""

from __future__ import annotations

from collections.abc import Sequence

from bot import mrkdwn, prompts
from bot.blocks.pickers import OPTION_TEXT_MAX, button, protocol_select
from bot.blocks.text import context, plain, section
from bot.i18n import _
from bot.ids import ActionId, pair
from bot.protocols.catalog import Catalog
from bot.services.home import ClientLine, HomePage, Need, Step

# Bounds per section (at most 46 blocks in all): well inside Slack's 100 for a home view.
NEEDS_SHOWN = 8
CLIENTS_SHOWN = 10
MODAL_BLOCKS_MAX = 100


def _need_block(need: Need) -> dict:
    block = section(prompts.render("home_need", need=need))
    client_id = need.client.id
    match need.step:
        case Step.CHECKINS:
            block["accessory"] = button(_("Check-ins"), ActionId.CLIENT_CHECKINS, client_id)
        case Step.SET_UP_CHECKINS:
            block["accessory"] = button(_("Set up check-ins"), ActionId.SET_UP_CHECKINS, client_id)
        case Step.START_ABOUT:
            label = prompts.one_line(
                _("Start %(protocol)s") % {"protocol": need.protocol_title}, OPTION_TEXT_MAX
            )
            block["accessory"] = button(label, ActionId.START_ABOUT, pair(need.protocol_id or "", client_id))
        case _:
            block["accessory"] = button(_("Open"), ActionId.OPEN_CLIENT, client_id)
    return block


def _client_blocks(line: ClientLine, protocols: Catalog) -> list[dict]:
    client_id = line.client.id
    return [
        section(prompts.render("home_client", line=line)),
        {
            "type": "actions",
            "elements": [
                button(_("Open"), ActionId.OPEN_CLIENT, client_id),
                protocol_select(
                    protocols,
                    action_id=ActionId.START_ABOUT,
                    placeholder=_("Start a protocol about them"),
                    client_id=client_id,
                ),
                button(_("Check-ins"), ActionId.CLIENT_CHECKINS, client_id),
            ],
        },
    ]


def home_view(page: HomePage, protocols: Catalog) -> dict:
    blocks: list[dict] = [section(prompts.render("home_intro"))]
    if page.needs:
        blocks += [{"type": "divider"}, section(prompts.render("home_needs_heading"))]
        blocks += [_need_block(need) for need in page.needs[:NEEDS_SHOWN]]
        if len(page.needs) > NEEDS_SHOWN:
            blocks.append(context(prompts.render("home_more", count=len(page.needs) - NEEDS_SHOWN)))
    if page.unfinished:
        blocks += [{"type": "divider"}, section(prompts.render("home_unfinished_heading"))]
        for run in page.unfinished:
            block = section(prompts.render("home_unfinished", run=run))
            block["accessory"] = button(_("Continue"), ActionId.RESUME_RUN, run.run_id)
            blocks.append(block)
    shown = page.clients[:CLIENTS_SHOWN]
    blocks += [
        {"type": "divider"},
        section(prompts.render("home_clients_heading", total=len(page.clients), shown=len(shown))),
    ]
    for line in shown:
        blocks += _client_blocks(line, protocols)
    if len(page.clients) > CLIENTS_SHOWN:
        more = button(_("All clients"), ActionId.ALL_CLIENTS, "clients")
        blocks.append({"type": "actions", "elements": [more]})
    blocks += [
        {"type": "divider"},
        section(prompts.render("home_this_week", page=page, channel=mrkdwn.channel)),
        {"type": "divider"},
        {
            **section(prompts.render("home_start")),
            "accessory": protocol_select(
                protocols, action_id=ActionId.START_PROTOCOL, placeholder=_("Choose")
            ),
        },
    ]
    return {"type": "home", "blocks": blocks}


def all_clients_view(lines: Sequence[ClientLine], *, checkins: bool = False) -> dict:
    """Every client, one line each with Open (or Check-ins), for a coach with more than the Home
    shows and for `/coach help`'s buttons."""
    blocks = [section(prompts.render("home_all_clients", count=len(lines)))]
    room = MODAL_BLOCKS_MAX - 2
    for line in lines[:room]:
        block = section(prompts.render("home_client", line=line))
        block["accessory"] = (
            button(_("Check-ins"), ActionId.CLIENT_CHECKINS, line.client.id)
            if checkins
            else button(_("Open"), ActionId.OPEN_CLIENT, line.client.id)
        )
        blocks.append(block)
    if len(lines) > room:
        blocks.append(context(prompts.render("home_more", count=len(lines) - room)))
    return {
        "type": "modal",
        "title": plain(_("All clients")),
        "close": plain(_("Close")),
        "blocks": blocks,
    }
