"""Dates and times written out in words, in the reader's language (Babel's CLDR data).

Slack's own `<!date>` token already shows a time in each reader's zone and language; these are
for the places it cannot reach: its fallback text, exports, the terminal, modal fields.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, tzinfo

from babel import Locale
from babel import dates as babel_dates

from bot.i18n import current


@functools.cache
def _locale(language: str) -> Locale:
    """Babel parses a language's name into its CLDR data on every call given the name: a list of
    runs writes two dates a line, so each language is parsed once."""
    return Locale.parse(language)


@functools.cache
def _day_and_time(language: str) -> str:
    return babel_dates.get_datetime_format("medium", locale=_locale(language))


def day(value: date | datetime) -> str:
    """A day as the reader's language writes it: "Dec 2, 2026", "2 dic 2026"."""
    return babel_dates.format_date(value, format="medium", locale=_locale(current()))


def moment(value: datetime, zone: tzinfo | None = None) -> str:
    """A day and a time without seconds, in `zone` when given (a leader's), else in the time's own
    zone: "Dec 2, 2026, 3:30 PM", "2 dic 2026, 15:30"."""
    language = current()
    shown = value.astimezone(zone) if zone is not None else value
    on = babel_dates.format_date(shown, format="medium", locale=_locale(language))
    at = babel_dates.format_time(shown, format="short", tzinfo=zone, locale=_locale(language))
    pattern = _day_and_time(language)
    # CLDR puts a narrow no-break space before "PM"; a plain one reads the same everywhere,
    # terminals and exports included.
    return pattern.replace("{1}", on).replace("{0}", at).replace("\u202f", " ")


def weekday(value: date) -> str:
    return babel_dates.format_date(value, format="EEEE", locale=_locale(current()))
