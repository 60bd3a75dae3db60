"""gettext in the bot's jinja2 templates, with the templates' escaping kept.

Jinja's own newstyle gettext formats a translation with `%` and leaves the result to the
environment's `finalize`, which would then escape the bot's own markup in it (a mention, a
channel link) or, without it, let user text through unescaped. Here each variable is escaped as
any `{{ expression }}` is, and the translated sentence, which is the bot's own, is passed as is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2

from bot import i18n, mrkdwn


def _fill(message: str, variables: dict[str, Any], escape: Callable[[Any], str]) -> mrkdwn.Markup:
    # Jinja's trans blocks double every literal `%`, so the message is always formatted.
    return mrkdwn.Markup(message % {name: escape(value) for name, value in variables.items()})


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def install(env: jinja2.Environment, *, escape: Callable[[Any], str] | None = mrkdwn.escape) -> None:
    """`{% trans %}`, `{% pluralize %}`, `_()`, `ngettext()` and `pgettext()` in `env`. Variables
    are escaped for Slack mrkdwn, unless `escape=None` (a Markdown file written out, where user
    text stays exactly as typed)."""
    fill_in = escape or _as_text

    def gettext(__string: str, **variables: Any) -> mrkdwn.Markup:
        return _fill(i18n.gettext(__string), variables, fill_in)

    def ngettext(__singular: str, __plural: str, __num: int, **variables: Any) -> mrkdwn.Markup:
        variables.setdefault("num", __num)
        return _fill(i18n.ngettext(__singular, __plural, __num), variables, fill_in)

    def pgettext(__context: str, __string: str, **variables: Any) -> mrkdwn.Markup:
        return _fill(i18n.pgettext(__context, __string), variables, fill_in)

    env.add_extension("jinja2.ext.i18n")
    env.globals.update(gettext=gettext, _=gettext, ngettext=ngettext, pgettext=pgettext)
    env.newstyle_gettext = True  # type: ignore[attr-defined]
