"""`coachbot schedule dispatch` stopped at random points (SIGKILL and SIGTERM in turn) while the
outbox owes messages of every kind, restarted, and run again until nothing is left: not one lost,
not one sent twice.

Each run is a real process, so it dies wherever it happens to be: importing, recovering stale
claims, between claiming a batch and sending it, or between Slack taking a message and the row
recording it (the case the key in the message's metadata is for). The kills are one sequence on
one database, each run recovering what the killed one before it left. Runs are sequential, so
`--stale-after 0` is safe: whoever claimed a row before this run is dead.

To cover a new kind, add a line to KINDS: a function that owes some messages of it and returns
their keys.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, delete, select

from bot.scheduling import kinds as k
from bot.scheduling.sender import EVENT_TYPE
from bot.storage import checkins as checkin_repo
from bot.storage.models import (
    DeliveryStatus,
    FeedbackRound,
    OwedMessage,
    OwedStatus,
    RoundInvitation,
    RoundSchedule,
)
from bot.storage.owed import Owe
from tests import slack_requests as sr
from tests.checkin_setup import COACH, due_rows, schedule_for, statuses
from tests.conftest import BOT_TOKEN
from tests.flow import fill_all_pages
from tests.round_flow import FACILITATOR, MEMBER_A, MEMBER_B, frame, register, schedule_rounds, set_up_channel

# Kills land at random moments into a run: measured with the machine to itself.
pytestmark = pytest.mark.timed

SEED = 20261122
TRIALS = 20
# A run that never left a sent message unrecorded gets company, up to this many runs in all.
MAX_KILLED_RUNS = 30
# Most runs are stopped as soon as they have posted a random number of messages, up to
# MAX_POSTS_PER_RUN (wherever they are in a send then); every EARLY_EVERY-th a random time after
# it starts, while it imports, connects or recovers what the run before it left.
MAX_POSTS_PER_RUN = 12
EARLY_EVERY = 5
EARLY_KILL_S = (0.05, 0.6)
# Longer than a loaded machine takes to start a run and send its first message.
FIRST_POST_TIMEOUT_S = 60
MAX_FINAL_RUNS = 6
RUN_TIMEOUT_S = 60
# Unpaced: the pace for real Slack (4 a second) would make this take minutes, and what is under
# test (exactly once, across kills) is the same either way.
DISPATCH = [sys.executable, "-m", "bot", "schedule", "dispatch", "--stale-after", "0", "--pace", "0"]
REPORT = re.compile(r"check-ins sent \d+, recovered \d+; all kinds: [^\n]*")
IDLE = "check-ins sent 0, recovered 0; all kinds: sent 0, recovered 0, retried 0, failed 0, dropped 0"


@dataclass
class World:
    """What the setups owe messages about; the processes use the real clock, so `now` is it."""

    bot: object
    slack: object
    slack_http: object
    now: datetime
    leaders: int = 0

    def schedule(self):
        """A schedule of its own leader that ended long ago: only the rows made here fall due."""
        self.leaders += 1
        leader = f"ULEAD{self.leaders:02d}"
        return schedule_for(self.bot, leader, first_date=date(2020, 1, 6), end_date=date(2020, 1, 6))


def check_ins(world: World, count: int) -> list[str]:
    ids = due_rows(world.bot, world.schedule(), count, due=world.now - timedelta(minutes=1))
    with Session(world.bot.engine) as session:
        query = select(OwedMessage.key).where(
            OwedMessage.kind == checkin_repo.CHECKIN, col(OwedMessage.ref).in_(ids)
        )
        return list(session.exec(query).all())


def check_in_reminders(world: World, count: int) -> list[str]:
    """Reminders in the threads of check-ins sent before (by this process, before the kills)."""
    schedule = world.schedule()
    ids = due_rows(world.bot, schedule, count, due=world.now - timedelta(minutes=2), to=schedule.leader_id)
    with Session(world.bot.engine, expire_on_commit=False) as session:
        deliveries = [checkin_repo.get_delivery(session, delivery_id=i) for i in ids]
    for delivery in deliveries:
        assert world.bot.sender.send_now(checkin_repo.message_owed(delivery))
    owed = []
    with Session(world.bot.engine, expire_on_commit=False) as session:
        for delivery in deliveries:
            message = checkin_repo.message_of(session, delivery_id=delivery.id)
            owed.append(
                k.checkin_reminder_owed(checkin_repo.get_delivery(session, delivery_id=delivery.id), message)
            )
    world.bot.sender.owe(*owed)
    return [o.key for o in owed]


def about_check_ins(kind: str) -> Callable[[World, int], list[str]]:
    """Notices to the coach about check-ins (not due for a month themselves)."""

    def owe(world: World, count: int) -> list[str]:
        ids = due_rows(world.bot, world.schedule(), count, due=world.now + timedelta(days=30))
        owed = [Owe(f"{kind}:{ref}", kind, COACH.team_id, COACH.user_id, ref) for ref in ids]
        world.bot.sender.owe(*owed)
        return [o.key for o in owed]

    return owe


def summaries(world: World, count: int) -> list[str]:
    """Completed runs' summaries, owed again from scratch (Finish sent each once already)."""
    for _ in range(count):
        fill_all_pages(world.slack_http, world.slack, "five-lenses")
    with Session(world.bot.engine) as session:
        run_ids = list(session.exec(select(OwedMessage.ref).where(OwedMessage.kind == k.SUMMARY)).all())
        session.exec(delete(OwedMessage).where(OwedMessage.kind == k.SUMMARY))
        session.commit()
    owed = [k.summary_owed(COACH, run_id) for run_id in run_ids]
    world.bot.sender.owe(*owed)
    return [o.key for o in owed]


def round_reminders(world: World, count: int) -> list[str]:
    """An open async round's members who have not replied, each reminded (count: at most three)."""
    set_up_channel(world.slack)
    register(world.slack_http, world.slack)
    frame(world.slack_http, world.slack, "tuning", mode="async", facilitator=None)
    with Session(world.bot.engine) as session:
        round_id = session.exec(select(FeedbackRound.id)).one()
    view = world.bot.rounds.get(round_id)
    owed = [k.round_reminder_owed(view, member) for member in [FACILITATOR, MEMBER_A, MEMBER_B][:count]]
    world.bot.sender.owe(*owed)
    return [o.key for o in owed]


def round_invitations(world: World, count: int) -> list[str]:
    """Presenters of rounds a schedule has ahead, each asked to frame theirs (after
    round_reminders, which registered the channel)."""
    schedule_rounds(
        world.slack_http,
        world.slack,
        first=(world.now + timedelta(days=10)).date(),
        rotation=[MEMBER_A, MEMBER_B],
    )
    with Session(world.bot.engine, expire_on_commit=False) as session:
        schedule_id = session.exec(select(RoundSchedule.id)).one()
        invitations = [
            RoundInvitation(
                key=f"kill-test:{i}",
                schedule_id=schedule_id,
                presenter_id=[MEMBER_A, MEMBER_B][i % 2],
                opens_at=world.now + timedelta(days=10 + 14 * i),
            )
            for i in range(count)
        ]
        session.add_all(invitations)
        session.commit()
    owed = [
        Owe(f"{k.ROUND_INVITATION}:{i.id}", k.ROUND_INVITATION, COACH.team_id, i.presenter_id, i.id)
        for i in invitations
    ]
    world.bot.sender.owe(*owed)
    return [o.key for o in owed]


# Every kind the outbox sends, and how many of it are owed when the kills begin.
KINDS: list[tuple[Callable[[World, int], list[str]], int]] = [
    (check_ins, 300),
    (check_in_reminders, 15),
    (about_check_ins(k.ANSWER_NOTICE), 15),
    (about_check_ins(k.MISSED_NOTICE), 15),
    (about_check_ins(k.UNDELIVERABLE_NOTICE), 15),
    (about_check_ins(k.PAUSE_NOTICE), 15),
    (summaries, 2),
    (round_reminders, 3),
    (round_invitations, 4),
]


class Runs:
    """Starts the dispatch command, each run logging to its own files."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.count = 0

    def start(self) -> tuple[subprocess.Popen, Path]:
        self.count += 1
        log = self.workdir / f"run-{self.count:02d}"
        with open(f"{log}.out", "wb") as out, open(f"{log}.err", "wb") as err:
            process = subprocess.Popen(DISPATCH, cwd=self.workdir, env=self.env, stdout=out, stderr=err)
        return process, log

    @staticmethod
    def tail(log: Path) -> str:
        return Path(f"{log}.err").read_text(errors="replace")[-3000:]


def environment(slack, database_url: str) -> dict[str, str]:
    """The bot's settings for a dispatch process: the fake Slack and the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return env | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": database_url,
    }


def keys_posted(slack, since: int, keys: set[str]) -> list[str]:
    """The keys of `keys` in the metadata of the posts Slack took after the first `since`."""
    found = []
    for call in slack.calls_to("chat.postMessage")[since:]:
        metadata = call.args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if call.ok and metadata and metadata.get("event_type") == EVENT_TYPE:
            key = metadata["event_payload"]["key"]
            if key in keys:
                found.append(key)
    return found


def owed_statuses(bot, keys: set[str]) -> dict[str, OwedStatus]:
    with Session(bot.engine) as session:
        return {row.key: row.status for row in session.exec(select(OwedMessage)).all() if row.key in keys}


def run_until_done(runs: Runs) -> list[str]:
    """Runs left to finish, one after another, until one finds nothing at all to do."""
    reports = []
    for _ in range(MAX_FINAL_RUNS):
        process, log = runs.start()
        try:
            assert process.wait(timeout=RUN_TIMEOUT_S) == 0, runs.tail(log)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"run {runs.count} did not finish:\n{runs.tail(log)}") from None
        found = REPORT.search(Path(f"{log}.out").read_text())
        assert found, runs.tail(log)
        reports.append(found.group(0))
        if found.group(0) == IDLE:
            return reports
    raise AssertionError(f"still work left after {MAX_FINAL_RUNS} runs: {reports}")


def test_stopped_at_random_points_and_restarted_nothing_of_any_kind_is_lost_or_sent_twice(
    bot, slack, slack_http, clock, database_url, tmp_path
):
    clock.now = datetime.now(UTC).replace(microsecond=0)  # what the processes' clock says
    world = World(bot, slack, slack_http, clock.now)
    owed_by_kind = {setup: setup(world, count) for setup, count in KINDS}
    keys = {key for owed in owed_by_kind.values() for key in owed}
    assert all(owed_by_kind.values()) and len(keys) == sum(map(len, owed_by_kind.values()))
    since = len(slack.calls_to("chat.postMessage"))  # what the setups sent is not counted

    runs = Runs(environment(slack, database_url), tmp_path)
    rng = random.Random(SEED)
    kills: list[tuple[str, float, int]] = []
    left_unrecorded = 0
    while len(kills) < TRIALS or left_unrecorded == 0:
        before = len(keys_posted(slack, since, keys))
        summary = f"{left_unrecorded} kills between send and record: {kills}"
        assert runs.count < MAX_KILLED_RUNS and before < len(keys) - MAX_POSTS_PER_RUN, summary
        early = runs.count % EARLY_EVERY == EARLY_EVERY - 1
        cap = rng.randint(1, MAX_POSTS_PER_RUN)
        stop = (signal.SIGKILL, signal.SIGTERM)[runs.count % 2]
        process, log = runs.start()
        began = time.monotonic()
        deadline = began + (rng.uniform(*EARLY_KILL_S) if early else FIRST_POST_TIMEOUT_S)
        while time.monotonic() < deadline and len(keys_posted(slack, since, keys)) - before < cap:
            assert process.poll() is None, f"run {runs.count} ended before its kill:\n{runs.tail(log)}"
            time.sleep(0.002)
        assert early or time.monotonic() < deadline, f"run {runs.count} sent nothing:\n{runs.tail(log)}"
        process.send_signal(stop)
        lived = time.monotonic() - began
        process.wait()
        time.sleep(0.02)  # a request the dead process had fully sent is still answered by the fake
        sent = keys_posted(slack, since, keys)
        kills.append((stop.name, round(lived, 2), len(sent) - before))
        statuses_now = owed_statuses(bot, keys)
        left_unrecorded += any(statuses_now[key] is OwedStatus.SENDING for key in sent[before:])
    reports = run_until_done(runs)

    sent = keys_posted(slack, since, keys)
    lost = keys - set(sent)
    duplicated = [key for key, times in Counter(sent).items() if times > 1]
    mid_dispatch = sum(posted > 0 for _, _, posted in kills)
    summary = (
        f"{len(lost)} lost, {len(duplicated)} duplicated of {len(keys)}; {len(kills)} kills "
        f"(signal, s after start, posted), {mid_dispatch} mid-dispatch, {left_unrecorded} between "
        f"send and record: {kills}; final runs: {reports}"
    )
    print(summary)
    assert not lost and not duplicated, summary
    assert mid_dispatch >= TRIALS - TRIALS // EARLY_EVERY, summary
    assert set(owed_statuses(bot, keys).values()) == {OwedStatus.SENT}, summary
    assert set(statuses(bot, _refs(bot, owed_by_kind[check_ins])).values()) == {DeliveryStatus.SENT}, summary


def _refs(bot, keys: list[str]) -> list[str]:
    with Session(bot.engine) as session:
        return list(session.exec(select(OwedMessage.ref).where(col(OwedMessage.key).in_(keys))).all())
