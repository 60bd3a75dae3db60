"""The send pace is the workspace's, not the process's: every dispatcher on the database takes
its slots from the same row, and a 429 one of them gets holds them all."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import Engine

from bot.scheduling.dispatch import Dispatcher
from bot.scheduling.pace import SharedPace
from bot.scheduling.turns import Turns
from bot.storage.db import make_engine
from bot.storage.models import OwedStatus
from tests import slack_requests as sr
from tests.checkin_setup import checkin_message_row, due_rows, schedule_for, sent_delivery_ids

# No calendar here: slots come from the database's clock and the monotonic one, never a date.

# Spacings of tens of milliseconds: measured with the machine to itself.
pytestmark = pytest.mark.timed

PER_SECOND = 20.0
INTERVAL = 1 / PER_SECOND
# How far two sends' slots may drift apart: each reservation maps the database's clock onto the
# process's own with the latency of its query, and a post reaches Slack a few milliseconds after
# its slot. Well short of an interval: two senders pacing alone would send at once.
JITTER = 0.03


@pytest.fixture
def engines(bot) -> Iterator[Callable[[], Engine]]:
    """Engines of their own on the bot's database, as other processes have."""
    made: list[Engine] = []

    def engine() -> Engine:
        made.append(make_engine(bot.engine.url.render_as_string(hide_password=False)))
        return made[-1]

    yield engine
    for each in made:
        each.dispose()


@pytest.fixture
def dispatcher(bot, clock, engines) -> Callable[..., Dispatcher]:
    def make(**options) -> Dispatcher:
        return Dispatcher(
            engine=engines(),
            kinds=bot.kinds,
            gateway=bot.gateway,
            clock=clock,
            pace_per_second=PER_SECOND,
            **options,
        )

    return make


def test_two_processes_taking_batches_at_once_never_get_overlapping_slots(engines):
    paces = [SharedPace(engine=engines(), per_second=PER_SECOND) for _ in range(2)]
    taken: list[list[float]] = [[], []]

    def take(which: int) -> None:
        for _ in range(40):
            taken[which] += paces[which].slots(team_id=sr.TEAM, count=5)

    threads = [threading.Thread(target=take, args=(which,)) for which in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(taken[0]) == len(taken[1]) == 200
    slots = sorted(taken[0] + taken[1])
    gaps = [later - earlier for earlier, later in pairwise(slots)]
    assert min(gaps) >= INTERVAL - JITTER
    # Back to back: 400 slots at the pace, not 200 twice over in the same time.
    assert slots[-1] - slots[0] >= 399 * INTERVAL - JITTER


def test_a_slot_further_off_than_the_caller_can_wait_is_not_taken(engines):
    pace = SharedPace(engine=engines(), per_second=PER_SECOND)
    (first,) = pace.slots(team_id=sr.TEAM, count=1)
    # The next 100 slots end 5 s out: a caller that can wait 1 s takes none of them ...
    assert pace.slots(team_id=sr.TEAM, count=100, deadline=time.monotonic() + 1) is None
    # ... so they are still free for the next caller.
    (second,) = pace.slots(team_id=sr.TEAM, count=1)
    assert abs(second - first - INTERVAL) < JITTER


def test_a_process_that_stalls_past_its_slots_takes_fresh_ones_rather_than_doubling_the_pace(engines):
    """A sender the machine stalls finds its slots gone by; the other process kept its own. The
    late one takes the next free slots, so no two sends ever come together; spending its
    stale slots as it caught up used to send at twice the pace."""

    @dataclass
    class Post:
        team_id: str

    stalled, steady = (Turns.at_pace(engines(), PER_SECOND) for _ in range(2))
    sent: list[float] = []
    lock = threading.Lock()

    def send(stall: float) -> Callable[[Post, Callable[[], None]], bool]:
        def one(post: Post, turn: Callable[[], None]) -> bool:
            if stall and not sent:
                time.sleep(stall)  # the machine stalls this process before its first send
            turn()
            with lock:
                sent.append(time.monotonic())
            return True

        return one

    late = threading.Thread(target=stalled.send, args=([Post(sr.TEAM)] * 6,), kwargs={"send": send(0.4)})
    late.start()
    time.sleep(0.05)  # its six slots are taken; the steady process's ten come after them
    steady.send([Post(sr.TEAM)] * 10, send=send(0))
    late.join(timeout=30)
    assert len(sent) == 16
    gaps = [later - earlier for earlier, later in pairwise(sorted(sent))]
    assert min(gaps) >= INTERVAL - JITTER, gaps


def test_two_dispatchers_together_keep_one_pace(bot, slack, clock, dispatcher):
    schedule = schedule_for(bot, "ULEAD01")
    # Each claims two seconds' worth (40): both send at once.
    ids = due_rows(bot, schedule, 80, due=clock.now - timedelta(minutes=1))
    threads = [threading.Thread(target=dispatcher().run_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(sent_delivery_ids(bot, slack)) == sorted(ids)
    posted = sorted(float(c.response["ts"]) for c in slack.calls_to("chat.postMessage") if c.ok)
    # Two dispatchers pacing alone would send twice as fast: 40 posts in a second, the 80 in
    # two. Together the 80 take the pace's four seconds, and no second holds half as many again
    # as the pace: a process the machine stalls posts its turn late, next to the other's, and
    # the fake Slack that stamps the posts shares the stalled CPUs (26 seen in a second).
    assert posted[-1] - posted[0] >= (len(posted) - 1) * INTERVAL - 0.2
    busiest = max(sum(1 for other in posted if start <= other < start + 1) for start in posted)
    assert busiest <= 1.5 * PER_SECOND


def test_a_429_one_dispatcher_gets_holds_the_other_too(bot, slack, clock, dispatcher):
    schedule = schedule_for(bot, "ULEAD01")
    (delivery_id,) = due_rows(bot, schedule, 1, due=clock.now - timedelta(minutes=1))
    # Its claims go stale after 2 s, so it waits at most 1 s with the row claimed.
    hasty, patient = dispatcher(claim_timeout=timedelta(seconds=2)), dispatcher()
    slack.rate_limit_next("chat.postMessage", retry_after=2)
    started = time.monotonic()
    report = hasty.run_once()
    # Told to wait 2 s, it gives the row back instead of holding its claim that long ...
    assert (report.sent, report.retried) == (0, 1) and time.monotonic() - started < 1
    row = checkin_message_row(bot, delivery_id)
    assert (row.status, row.attempts, row.claimed_at) == (OwedStatus.PENDING, 0, None)
    # ... and the other process, told nothing by Slack, waits out the hold before sending it.
    assert patient.run_once().sent == 1
    assert time.monotonic() - started >= 2 - JITTER
    assert sent_delivery_ids(bot, slack) == [delivery_id]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]


def test_reminders_and_coach_notices_wait_their_turn_too(bot, slack, clock, dispatcher, engines):
    # Schedules that ended long ago, so that only these rows fall due.
    ended = {"first_date": date(2020, 1, 6), "end_date": date(2020, 1, 6)}
    reminded = schedule_for(bot, "ULEAD01", reminder_after_hours=24, **ended)
    unanswered = schedule_for(bot, "ULEAD02", **ended)
    due = clock.now - timedelta(minutes=1)
    due_rows(bot, reminded, 1, due=due, to="ULEAD01")  # open a week: reminded after a day
    due_rows(bot, unanswered, 1, due=due, to="ULEAD02", window=timedelta(hours=2))  # missed by then
    assert bot.dispatcher.run_once().sent == 2
    clock.advance(timedelta(hours=25))
    SharedPace(engine=engines(), per_second=PER_SECOND).hold(team_id=sr.TEAM, seconds=1)
    before = len(slack.calls_to("chat.postMessage"))
    started = time.monotonic()
    report = dispatcher().run_once()
    assert (report.reminded, len(report.missed)) == (1, 1)
    assert time.monotonic() - started >= 1 - JITTER
    reminder, notice = sorted(slack.calls_to("chat.postMessage")[before:], key=lambda c: c.response["ts"])
    assert abs(float(reminder.response["ts"]) - float(notice.response["ts"])) >= INTERVAL - JITTER
