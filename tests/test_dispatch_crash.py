"""`coachbot schedule dispatch` killed at random points while it sends 1,000 check-ins (and, in
a second test, 200 messages the outbox owes, of four kinds, stopped by SIGKILL and SIGTERM in
turn), then run again until nothing is left: not one lost, not one sent twice.

Each run is a real process killed with SIGKILL, so it dies wherever it happens to be: importing,
recovering stale claims, between claiming a batch and sending it, or between Slack taking a
message and the row recording it (the case the metadata in the DM history is for). Runs are
sequential, so `--stale-after 0` is safe: whoever claimed a row before this run is dead.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.scheduling.sender import EVENT_TYPE as OWED_EVENT
from bot.scheduling.turns import BATCH
from bot.storage.models import DeliveryStatus, OwedMessage, OwedStatus
from bot.storage.owed import Owe
from tests import slack_requests as sr
from tests.checkin_setup import COACH, due_rows, schedule_for, sent_delivery_ids, statuses
from tests.conftest import BOT_TOKEN

# Kills land at random moments into a run: measured with the machine to itself.
pytestmark = pytest.mark.timed

CHECKINS = 1_000
SEED = 20261122
# Kills that must land after the run sent something and before everything was sent.
MID_DISPATCH_KILLS = 5
MAX_KILLED_RUNS = 30
# A run is killed this many seconds after it starts (it takes ~0.5-1 s to import and start
# sending), or as soon as it has posted a random number of check-ins up to CHECKINS // 8,
# whichever comes first: on a fast machine 1,000 go out in under three seconds.
KILL_AFTER = (0.3, 1.5)
# A run that sent nothing before its kill moves the window this much later for the next ones.
KILL_LATER_BY = 0.5
# A pass recovers at most one batch of stale claims, so a big stale backlog takes several passes.
MAX_FINAL_RUNS = CHECKINS // BATCH + 3
RUN_TIMEOUT_S = 60
# Unpaced: the pace for real Slack (4 a second) would make 1,000 check-ins take over four
# minutes, and what is under test (exactly once, across kills) is the same either way.
DISPATCH = [sys.executable, "-m", "bot", "schedule", "dispatch", "--stale-after", "0", "--pace", "0"]
REPORT = re.compile(r"sent \d+, recovered \d+, retried \d+, failed \d+; owed: [^\n]*")
IDLE = "sent 0, recovered 0, retried 0, failed 0; owed: sent 0, recovered 0, retried 0, failed 0"


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


def posted(slack) -> int:
    return sum(call.ok for call in slack.calls_to("chat.postMessage"))


def sent_but_unrecorded(bot, slack) -> int:
    """Check-ins Slack took whose rows are still being sent: the process died in between."""
    sent = sent_delivery_ids(slack)
    return sum(status == DeliveryStatus.SENDING for status in statuses(bot, sent).values())


def environment(slack, database_url: str) -> dict[str, str]:
    """The bot's settings for a dispatch process: the fake Slack and the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return env | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": database_url,
    }


def kill_at_random_points(
    runs: Runs,
    *,
    total: int,
    posted: Callable[[], int],
    unrecorded: Callable[[], int],
    signals: tuple[signal.Signals, ...] = (signal.SIGKILL,),
) -> tuple[list[tuple[float, int]], int]:
    """Start runs and stop each at a random point with the next of `signals` in turn, until
    MID_DISPATCH_KILLS of them landed after sending something and one left a sent message
    unrecorded. Returns the kills (seconds after start, messages posted) and how many left a
    message unrecorded."""
    rng = random.Random(SEED)
    later = 0.0
    kills: list[tuple[float, int]] = []
    mid_dispatch = left_unrecorded = 0
    while mid_dispatch < MID_DISPATCH_KILLS or left_unrecorded == 0:
        before = posted()
        summary = f"{mid_dispatch} kills mid-dispatch, {left_unrecorded} between send and record: {kills}"
        assert runs.count < MAX_KILLED_RUNS and before < total - 1, summary
        delay = rng.uniform(*KILL_AFTER) + later
        cap = min(rng.randint(1, total // 8), total - before - 1)
        process, log = runs.start()
        began = time.monotonic()
        deadline = began + delay
        while time.monotonic() < deadline and posted() - before < cap:
            assert process.poll() is None, f"run {runs.count} ended before its kill:\n{runs.tail(log)}"
            time.sleep(0.005)
        process.send_signal(signals[runs.count % len(signals)])
        lived = time.monotonic() - began
        process.wait()
        time.sleep(0.02)  # a request the dead process had fully sent is still answered by the fake
        sent = posted() - before
        kills.append((round(lived, 2), sent))
        if sent == 0:
            later += KILL_LATER_BY
        else:
            mid_dispatch += 1
        left_unrecorded += unrecorded() > 0
    return kills, left_unrecorded


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


def test_killed_at_random_points_and_restarted_no_check_in_is_lost_or_sent_twice(
    bot, slack, database_url, tmp_path
):
    # A schedule that ended long ago, so the command's own materialize adds no rows to the count.
    schedule = schedule_for(bot, "ULEAD01", first_date=date(2020, 1, 6), end_date=date(2020, 1, 6))
    # The processes use the real clock.
    ids = due_rows(bot, schedule, CHECKINS, due=datetime.now(UTC) - timedelta(minutes=1))

    runs = Runs(environment(slack, database_url), tmp_path)
    kills, left_unrecorded = kill_at_random_points(
        runs, total=CHECKINS, posted=lambda: posted(slack), unrecorded=lambda: sent_but_unrecorded(bot, slack)
    )
    reports = run_until_done(runs)

    sent_ids = sent_delivery_ids(slack)
    lost = set(ids) - set(sent_ids)
    duplicated = [delivery_id for delivery_id, times in Counter(sent_ids).items() if times > 1]
    summary = (
        f"{len(lost)} lost, {len(duplicated)} duplicated; kills (s after start, posted): {kills}; "
        f"{left_unrecorded} left a sent check-in unrecorded; final runs: {reports}"
    )
    print(summary)
    assert not lost and not duplicated, summary
    assert sorted(sent_ids) == sorted(ids), summary
    assert set(statuses(bot, ids).values()) == {DeliveryStatus.SENT}, summary


OWED_KINDS = ("pause_notice", "missed_notice", "answer_notice", "undeliverable_notice")
OWED_PER_KIND = 50


def owed_keys_posted(slack) -> list[str]:
    """The outbox rows the fake received, by the key in their metadata."""
    found = []
    for call in slack.calls_to("chat.postMessage"):
        metadata = call.args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if call.ok and metadata and metadata.get("event_type") == OWED_EVENT:
            found.append(metadata["event_payload"]["key"])
    return found


def owed_statuses(bot) -> dict[str, OwedStatus]:
    with Session(bot.engine) as session:
        return {row.key: row.status for row in session.exec(select(OwedMessage)).all()}


def test_killed_while_sending_what_the_outbox_owes_nothing_is_lost_or_sent_twice(
    bot, slack, database_url, tmp_path
):
    schedule = schedule_for(bot, "ULEAD01", first_date=date(2020, 1, 6), end_date=date(2020, 1, 6))
    now = datetime.now(UTC)  # the processes use the real clock
    # Check-ins not due for a month: what is owed is only the outbox's rows about them.
    about = due_rows(bot, schedule, OWED_PER_KIND, due=now + timedelta(days=30))
    bot.sender.owe(
        *(
            Owe(f"{kind}:{ref}", kind, COACH.team_id, COACH.user_id, ref, due_at=now - timedelta(minutes=1))
            for kind in OWED_KINDS
            for ref in about
        )
    )
    keys = set(owed_statuses(bot))
    assert len(keys) == len(OWED_KINDS) * OWED_PER_KIND

    runs = Runs(environment(slack, database_url), tmp_path)

    def unrecorded() -> int:
        statuses = owed_statuses(bot)
        return sum(statuses[key] is OwedStatus.SENDING for key in owed_keys_posted(slack))

    # SIGTERM as well as SIGKILL: what a stopped process was sending is finished or recoverable.
    kills, left_unrecorded = kill_at_random_points(
        runs,
        total=len(keys),
        posted=lambda: len(owed_keys_posted(slack)),
        unrecorded=unrecorded,
        signals=(signal.SIGKILL, signal.SIGTERM),
    )
    reports = run_until_done(runs)

    sent = owed_keys_posted(slack)
    lost = keys - set(sent)
    duplicated = [key for key, times in Counter(sent).items() if times > 1]
    summary = (
        f"{len(lost)} lost, {len(duplicated)} duplicated; kills (s after start, posted): {kills}; "
        f"{left_unrecorded} left a sent message unrecorded; final runs: {reports}"
    )
    print(summary)
    assert not lost and not duplicated, summary
    assert set(owed_statuses(bot).values()) == {OwedStatus.SENT}, summary
