"""The tests' notion of now: a fixed instant, moved by tests instead of waited for.

Every test starts at `START` whatever the machine's calendar says, so a schedule a test pins
(its first date, its weekday) meets the same clock on any day the suite runs. A test about a
particular day (a DST change, a leap day) sets `clock.now` itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

# A Sunday noon in UTC (Sunday morning in the Americas): the day before the first check-in of
# `tests.checkin_setup`'s schedules, so nothing a schedule makes is due until a test moves on.
START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# The Monday those schedules start on.
FIRST_MONDAY = date(2026, 11, 23)


class FakeClock:
    """Called like `utcnow`; tests set or advance `now`."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
