"""Check-in times across daylight-saving changes: exactly one per local due date, at the local
time asked for (or, on the day it does not exist, the first moment after)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.recurrence import Cadence, Rule, due_at, local_dates, next_after, occurrences

# The calendar matters here: CI runs these again with the machine's clock moved (tests/at_date.py).
pytestmark = pytest.mark.dates

ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "America/Phoenix"]
# Spring and fall changes in 2026 for the zones that have them (Kolkata and Phoenix have none).
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("zone_name", ZONES)
@pytest.mark.parametrize("at", [time(9, 0), time(2, 30), time(1, 30), time(23, 45)])
def test_a_daily_rule_gives_one_check_in_per_local_day_all_year(zone_name, at):
    zone = ZoneInfo(zone_name)
    rule = Rule(Cadence.WEEKDAYS, at, date(2026, 1, 1), weekdays=frozenset(range(7)))
    found = occurrences(rule, zone, YEAR_START, YEAR_END)
    days = [day for day, _ in found]
    assert len(days) == len(set(days))  # never doubled
    candidates = local_dates(rule, date(2025, 12, 31), date(2027, 1, 1))
    expected = {d for d in candidates if YEAR_START <= due_at(d, at, zone) < YEAR_END}
    assert set(days) == expected  # never skipped
    for day, moment in found:
        local = moment.astimezone(zone)
        assert local.date() == day
        shifted = (local.hour, local.minute) != (at.hour, at.minute)
        if shifted:  # only on the spring-forward day, and only by the gap
            assert (datetime.combine(day, at) + timedelta(hours=1)).time() == local.time().replace(
                tzinfo=None
            )


def test_spring_forward_in_new_york_moves_the_missing_half_hour_forward():
    zone = ZoneInfo("America/New_York")
    assert due_at(date(2026, 3, 8), time(2, 30), zone) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT
    assert due_at(date(2026, 3, 7), time(2, 30), zone) == datetime(2026, 3, 7, 7, 30, tzinfo=UTC)  # 02:30 EST


def test_fall_back_in_new_york_uses_the_first_of_the_two_times():
    zone = ZoneInfo("America/New_York")
    assert due_at(date(2026, 11, 1), time(1, 30), zone) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )  # 01:30 EDT


def test_weekly_check_ins_keep_their_local_time_across_a_change():
    zone = ZoneInfo("Europe/Berlin")
    rule = Rule(Cadence.WEEKLY, time(8, 0), date(2026, 3, 16))
    found = occurrences(rule, zone, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 15, tzinfo=UTC))
    assert [d for d, _ in found] == [
        date(2026, 3, 16),
        date(2026, 3, 23),
        date(2026, 3, 30),
        date(2026, 4, 6),
        date(2026, 4, 13),
    ]
    assert {m.astimezone(zone).hour for _, m in found} == {8}
    assert found[1][1].hour == 7 and found[2][1].hour == 6  # 08:00 CET, then 08:00 CEST


def test_biweekly_monthly_and_end_date():
    assert list(
        local_dates(Rule(Cadence.BIWEEKLY, time(9), date(2026, 1, 5)), date(2026, 1, 6), date(2026, 2, 20))
    ) == [
        date(2026, 1, 19),
        date(2026, 2, 2),
        date(2026, 2, 16),
    ]
    monthly = Rule(Cadence.MONTHLY, time(9), date(2026, 1, 31), last=date(2026, 5, 1))
    assert list(local_dates(monthly, date(2026, 1, 1), date(2026, 12, 31))) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


def test_chosen_weekdays_and_the_answer_window():
    rule = Rule(Cadence.WEEKDAYS, time(16, 0), date(2026, 11, 23), weekdays=frozenset({0, 3}))  # Mon, Thu
    days = list(local_dates(rule, date(2026, 11, 23), date(2026, 12, 3)))
    assert days == [date(2026, 11, 23), date(2026, 11, 26), date(2026, 11, 30), date(2026, 12, 3)]
    zone = ZoneInfo("Asia/Kolkata")
    assert next_after(rule, zone, date(2026, 11, 23)) == due_at(date(2026, 11, 26), time(16, 0), zone)
    assert (
        next_after(
            Rule(Cadence.WEEKLY, time(9), date(2026, 1, 1), last=date(2026, 1, 1)), zone, date(2026, 1, 1)
        )
        is None
    )
