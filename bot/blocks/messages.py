"""Ephemeral answers to `/coach` and the DMs the bot sends."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot import i18n, mrkdwn, prompts
from bot.blocks.pickers import button, protocol_select
from bot.blocks.text import section, sections, split_text
from bot.i18n import _
from bot.ids import ActionId
from bot.protocols.schema import Protocol
from bot.services.runs import Completed, RunListing

MESSAGE_BLOCKS_MAX = 50
# Slack answers msg_blocks_too_long past roughly 13,000 characters of block text; stay clear.
MESSAGE_BLOCK_CHARS = 11_000


@dataclass(frozen=True)
class Message:
    """One chat message: `text` is the notification line, so it never carries coaching content.
    `attachments` carry what Slack takes only there (a table, bot.blocks.tables)."""

    text: str
    blocks: list[dict]
    attachments: tuple[dict, ...] = ()


def help_message(
    protocols: Iterable[Protocol], *, unknown: str | None = None, suggestion: str | None = None
) -> Message:
    """A few lines and the buttons for what a coach does most; the details are on the Home."""
    blocks = sections(prompts.render("help", unknown=unknown, suggestion=suggestion))
    blocks[-1]["accessory"] = protocol_select(
        protocols, action_id=ActionId.START_PROTOCOL, placeholder=_("Start a protocol")
    )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                button(_("History"), ActionId.SHOW_HISTORY, "history"),
                button(_("Clients"), ActionId.ALL_CLIENTS, "clients"),
                button(_("Check-ins"), ActionId.CHECKINS_LIST, "checkins"),
            ],
        }
    )
    return Message(text=_("How to use the coaching companion"), blocks=blocks)


def _run_list(intro: str, runs: Sequence[RunListing], *, button: str, action_id: str, text: str) -> Message:
    """A list of the coach's runs, each line with one button carrying the run's id."""
    blocks = sections(intro)
    for run in runs[: MESSAGE_BLOCKS_MAX - len(blocks)]:
        block = section(prompts.render("run_line", run=run))
        block["accessory"] = {
            "type": "button",
            "text": {"type": "plain_text", "text": button},
            "action_id": action_id,
            "value": run.run_id,
        }
        blocks.append(block)
    return Message(text=text, blocks=blocks)


def resume_message(runs: Sequence[RunListing]) -> Message:
    intro = prompts.render("resume", runs=runs)
    return _run_list(
        intro, runs, button="Continue", action_id=ActionId.RESUME_RUN, text=_("Your unfinished protocols")
    )


def history_message(runs: Sequence[RunListing]) -> Message:
    """Newest first, each with a button to open it (view, change, share, export, delete)."""
    intro = prompts.render("history", runs=runs)
    return _run_list(intro, runs, button="View", action_id=ActionId.VIEW_RUN, text=_("Your protocol history"))


def chunked(pieces: list[str], notification: str) -> list[Message]:
    """Sections grouped into as many messages as Slack's limits need."""
    messages: list[Message] = []
    blocks: list[dict] = []
    size = 0
    for piece in pieces:
        if blocks and (size + len(piece) > MESSAGE_BLOCK_CHARS or len(blocks) == MESSAGE_BLOCKS_MAX):
            messages.append(Message(text=notification, blocks=blocks))
            blocks, size = [], 0
        blocks.append(section(piece))
        size += len(piece)
    messages.append(Message(text=notification, blocks=blocks))
    return messages


def summary_messages(completed: Completed) -> list[Message]:
    """The whole summary, split over as many messages as Slack's limits need: nothing is cut."""
    header = prompts.render(
        "summary_header", protocol=completed.protocol, completed_at=completed.completed_at
    )
    return chunked(
        [header, *split_text(completed.summary)],
        _("Your %(protocol)s summary") % {"protocol": completed.protocol.title},
    )


def too_slow_message() -> Message:
    return Message(text=_("That took too long"), blocks=sections(prompts.render("too_slow")))


def notice_view(name: str, *, title: str | None = None, **context: object) -> dict:
    """A small modal that only says something (a refusal, a run that is gone); titled with the
    bot's name unless `title` says otherwise."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title or _("Coaching companion")},
        "close": {"type": "plain_text", "text": _("Close")},
        "blocks": sections(prompts.render(name, **context)),
    }


def notice_message(name: str, **context: object) -> Message:
    """A short ephemeral answer in the bot's words (an export on its way, a refusal)."""
    body = prompts.render(name, **context)
    return Message(text=body.split("\n", 1)[0][:150], blocks=sections(body))


def shared_messages(completed: Completed, coach_id: str) -> list[Message]:
    """A run's summary as shared by its coach: named as theirs, split to fit, never cut."""
    header = prompts.render("shared_header", protocol=completed.protocol, coach=mrkdwn.mention(coach_id))
    return chunked(
        [header, *split_text(completed.summary)],
        _("%(protocol)s, shared by a coach") % {"protocol": completed.protocol.title},
    )


def draft_not_saved_messages(protocol: Protocol, raw: dict[str, object]) -> list[Message]:
    """A closed page the database never took: said so, with what the coach typed given back
    (their own DM, like their summaries), so nothing is lost. The notification names only the
    protocol."""
    protocol = protocol.in_language(i18n.current())
    prompts_by_step = {step.id: step.prompt for page in protocol.pages for step in page.steps}
    pieces = [prompts.render("draft_not_saved", protocol=protocol)]
    for step_id, value in raw.items():
        typed = ", ".join(value) if isinstance(value, list) else value
        if isinstance(typed, str) and typed.strip():
            prompt = prompts.render("draft_answer", prompt=prompts_by_step.get(step_id, step_id))
            pieces += [prompt, *split_text(mrkdwn.escape(typed))]
    return chunked(pieces, _("A page of %(protocol)s was not saved") % {"protocol": protocol.title})
