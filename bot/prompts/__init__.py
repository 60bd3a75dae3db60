"""The bot's own words, as jinja2 templates rendering Slack mrkdwn.

StrictUndefined turns a missing variable into an error in tests instead of a blank in Slack;
`finalize` escapes every expression, so user text is always data, never markup.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2

from bot import i18n, mrkdwn
from bot.i18n import jinja as i18n_jinja

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("bot", "prompts"),
    undefined=jinja2.StrictUndefined,
    finalize=mrkdwn.escape,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
    # The templates ship with the code and never change under a running process; without this,
    # every render stats the template file to see whether it changed.
    auto_reload=False,
)
_ENV.filters["slack_date"] = mrkdwn.date
i18n_jinja.install(_ENV)

# A goal shown "in one line" (a check-in DM): a goal taken from a long reply must not push the
# message past Slack's 3,000-character section limit. The full text stays in the coach's record.
ONE_LINE_MAX = 300


def one_line(text: str, limit: int = ONE_LINE_MAX) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


_ENV.filters["one_line"] = one_line


def render(template: str, /, **context: Any) -> str:
    """`template` in the language being spoken (bot.i18n.speaking)."""
    if not context:
        return _fixed(template, i18n.current())
    return _ENV.get_template(f"{template}.md.j2").render(**context).strip()


@functools.cache
def _fixed(template: str, language: str) -> str:
    """A template given nothing says the same every time in a language (a hint under every
    check-in): once per language. The language is in the key because the template reads it."""
    return _ENV.get_template(f"{template}.md.j2").render().strip()
