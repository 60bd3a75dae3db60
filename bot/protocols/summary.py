"""Rendering a protocol's own summary template.

The template comes from a protocol file, so it renders in Jinja's sandbox; every expression is
escaped for mrkdwn by `finalize`, so a coach's answer can never become markup or a mention.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from bot import mrkdwn
from bot.protocols.schema import Protocol

_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined,
    finalize=mrkdwn.escape,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
    keep_trailing_newline=False,
)


@lru_cache(maxsize=256)
def _template(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


def render_summary(
    protocol: Protocol, answers: Mapping[str, str], *, started_at: datetime, completed_at: datetime | None
) -> str:
    """The summary as mrkdwn; `answers` maps step ids to display text (already readable, not JSON)."""
    text = _template(protocol.summary).render(
        protocol=protocol,
        answers=dict(answers),
        run={"started_at": started_at, "completed_at": completed_at},
    )
    return text.strip()


def check_summary_template(protocol: Protocol) -> str | None:
    """Render the template with every step answered and with only required ones, so an author
    hears about a typo or an unguarded optional answer at validation time, not from a coach."""
    sample = {step.id: f"({step.id})" for step in protocol.steps}
    required_only = {step.id: f"({step.id})" for step in protocol.steps if step.required}
    now = datetime(2026, 1, 1)
    for answers in (sample, required_only):
        try:
            render_summary(protocol, answers, started_at=now, completed_at=now)
        except jinja2.TemplateError as error:
            line = getattr(error, "lineno", None)
            where = f" (template line {line})" if line else ""
            return f"{error.message or error}{where}"
    return None
