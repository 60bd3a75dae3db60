"""Slack mrkdwn safety: user text is escaped so nobody can write `<!channel>` through the bot."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class Markup(str):
    """Markup the bot composed itself from ids or times, which `escape` passes through."""

    __slots__ = ()


def mention(user_id: str) -> Markup:
    if not _USER_ID.match(user_id):
        raise ValueError("not a Slack user id")
    return Markup(f"<@{user_id}>")


def date(moment: datetime) -> Markup:
    """A `<!date>` token: Slack shows it in each reader's own time zone."""
    from bot.i18n import dates  # here: bot.i18n's template support imports this module

    fallback = dates.moment(moment.astimezone(UTC), UTC) + " UTC"
    return Markup(f"<!date^{int(moment.timestamp())}^{{date_short}} {{time}}|{fallback}>")


def escape(value: Any) -> str:
    """Jinja `finalize` hook: every `{{ expression }}` is escaped unless the bot made it Markup."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    return str(value).translate(_ESCAPES)


_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def channel(channel_id: str) -> Markup:
    if not _CHANNEL_ID.match(channel_id):
        raise ValueError("not a Slack channel id")
    return Markup(f"<#{channel_id}>")
