"""Markdown exports of a run or a client's whole record: the coach's own copy, in plain text.

A file, not Slack mrkdwn: nothing is escaped, and every answer is written out in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import jinja2

from bot.i18n import dates
from bot.i18n import jinja as i18n_jinja
from bot.services.clients import ClientRecord
from bot.services.runs import RunDetail

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("bot.services", "templates"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
    keep_trailing_newline=True,
)
_ENV.filters["day"] = lambda moment: dates.day(moment) if moment else ""
# A file, not mrkdwn: the words are translated, the user text in them is written as typed.
i18n_jinja.install(_ENV, escape=None)


def run_markdown(detail: RunDetail) -> str:
    return _ENV.get_template("run.md.j2").render(detail=detail)


def client_markdown(record: ClientRecord, details: Sequence[RunDetail]) -> str:
    return _ENV.get_template("client.md.j2").render(record=record, details=details)


def my_data_markdown(held: object, *, exported_at: datetime) -> str:
    """Everything held about one person (bot.services.data_rights.Holding), to read."""
    return _ENV.get_template("my_data.md.j2").render(held=held, exported_at=exported_at)
