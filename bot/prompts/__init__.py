"""The bot's own words, as jinja2 templates rendering Slack mrkdwn.

StrictUndefined turns a missing variable into an error in tests instead of a blank in Slack;
`finalize` escapes every expression, so user text is always data, never markup.
"""

from __future__ import annotations

from typing import Any

import jinja2

from bot import mrkdwn

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


def render(template: str, /, **context: Any) -> str:
    return _ENV.get_template(f"{template}.md.j2").render(**context).strip()
