"""When check-ins fall due: recurrence rules in the recipient's own time zone, made DST-safe.

A rule yields local dates; each date gets exactly one due time. A local time that does not
exist on a spring-forward day (02:30 in New York) falls due when the clocks say it again,
one hour later; a local time that happens twice on a fall-back day falls due the first time.
Python's zoneinfo gives exactly that for `fold=0`, so the rule is: combine, then convert.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Cadence(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    WEEKDAYS = "weekdays"


@dataclass(frozen=True)
class Rule:
    cadence: Cadence
    at: time
    first: date
    last: date | None = None
    # For WEEKDAYS: Monday is 0, as in date.weekday().
    weekdays: frozenset[int] = field(default_factory=frozenset)


def _month_day(year: int, month: int, day: int) -> date:
    """The same day of another month, or its last day when the month is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def local_dates(rule: Rule, start: date, end: date) -> Iterator[date]:
    """Every local date in [start, end] on which the rule falls, in order."""
    start = max(start, rule.first)
    if rule.last is not None:
        end = min(end, rule.last)
    if start > end:
        return
    if rule.cadence in (Cadence.WEEKLY, Cadence.BIWEEKLY):
        step = 7 if rule.cadence is Cadence.WEEKLY else 14
        offset = (start - rule.first).days
        day = rule.first + timedelta(days=-(-offset // step) * step)
        while day <= end:
            yield day
            day += timedelta(days=step)
    elif rule.cadence is Cadence.MONTHLY:
        year, month = start.year, start.month
        while (day := _month_day(year, month, rule.first.day)) <= end:
            if day >= start:
                yield day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        day = start
        while day <= end:
            if day.weekday() in rule.weekdays:
                yield day
            day += timedelta(days=1)


def zone_of(name: str | None) -> ZoneInfo:
    """The zone Slack named, or UTC when it named none we know: a bad name must not stop a send."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(moment: datetime, zone: str | None) -> date:
    """The calendar date `moment` falls on for someone in `zone`: a form's "today" is theirs, not
    the server's, and it comes from the injected clock, not the wall."""
    return moment.astimezone(zone_of(zone)).date()


def due_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant a local date and time stand for (see the module's note on DST)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def occurrences(rule: Rule, zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[date, datetime]]:
    """(local date, UTC due time) for every occurrence due in [start, end)."""
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    found = []
    for day in local_dates(rule, first_day, last_day):
        moment = due_at(day, rule.at, zone)
        if start <= moment < end:
            found.append((day, moment))
    return found


def next_after(rule: Rule, zone: ZoneInfo, day: date) -> datetime | None:
    """When the occurrence after `day` falls due (the end of `day`'s answer window)."""
    horizon = day + timedelta(days=62)
    for later in local_dates(rule, day + timedelta(days=1), horizon):
        return due_at(later, rule.at, zone)
    return None
