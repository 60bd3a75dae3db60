"""The one translation layer: every word the bot says is looked up here, in the language of the
person it is said to.

The language is carried in a context variable, set where the reader is known (a request's
middleware, the sender for each owed message) with `speaking(...)`, so view builders and
templates need no extra parameter to say the same thing in another language. gettext's usual
names (`_`, `ngettext`) keep the strings extractable by Babel (`pybabel extract -F babel.cfg`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from bot.i18n.catalogs import SOURCE, available, translations

_LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=SOURCE)


def current() -> str:
    return _LANGUAGE.get()


@contextmanager
def speaking(language: str | None) -> Iterator[str]:
    """Say everything inside in `language` (English when it is unknown or None)."""
    chosen = language if language in available() else SOURCE
    token = _LANGUAGE.set(chosen)
    try:
        yield chosen
    finally:
        _LANGUAGE.reset(token)


def speak_from_here(language: str | None) -> str:
    """Say everything that follows in this context in `language`, with nothing to undo: for a
    request, whose whole handling runs in a context of its own (bot.request_log.ObservedApp), and
    the listener threads it starts, which copy that context (bot.handlers.language)."""
    chosen = language if language in available() else SOURCE
    _LANGUAGE.set(chosen)
    return chosen


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(current()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """For a word that reads differently by where it stands (a button's "Open" and a status)."""
    return translations(current()).pgettext(context, message)


_ = gettext


def from_slack_locale(tag: str | None) -> str | None:
    """Slack's locale (`es-LA`, `es-ES`, `en-US`, `pt-BR`) as a language the bot speaks, or None."""
    if not tag:
        return None
    language = tag.replace("_", "-").split("-")[0].lower()
    return language if language in available() else None


__all__ = [
    "SOURCE",
    "_",
    "available",
    "current",
    "from_slack_locale",
    "gettext",
    "ngettext",
    "pgettext",
    "speak_from_here",
    "speaking",
]
