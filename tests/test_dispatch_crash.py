"""`coachbot schedule dispatch` killed at random points while it sends 1,000 check-ins, then run
again until nothing is left: not one check-in lost, not one sent twice.

Each run is a real process killed with SIGKILL, so it dies wherever it happens to be: importing,
recovering stale claims, between claiming a batch and sending it, or between Slack taking a
message and the row recording it (the case the metadata in the DM history is for). Runs are
sequential, so `--stale-after 0` is safe: whoever claimed a row before this run is dead.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.scheduling.dispatch import BATCH
from bot.storage.models import DeliveryStatus
from tests import slack_requests as sr
from tests.checkin_setup import due_rows, schedule_for, sent_delivery_ids, statuses
from tests.conftest import BOT_TOKEN

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
KILL_LATER_BY = 0.25
# A pass recovers at most one batch of stale claims, so a big stale backlog takes several passes.
MAX_FINAL_RUNS = CHECKINS // BATCH + 3
RUN_TIMEOUT_S = 60
# Unpaced: the pace for real Slack (4 a second) would make 1,000 check-ins take over four
# minutes, and what is under test (exactly once, across kills) is the same either way.
DISPATCH = [sys.executable, "-m", "bot", "schedule", "dispatch", "--stale-after", "0", "--pace", "0"]
REPORT = re.compile(r"sent (\d+), recovered (\d+), retried (\d+), failed (\d+)")


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


def test_killed_at_random_points_and_restarted_no_check_in_is_lost_or_sent_twice(
    bot, slack, database_url, tmp_path
):
    # A schedule that ended long ago, so the command's own materialize adds no rows to the count.
    schedule = schedule_for(bot, "ULEAD01", first_date=date(2020, 1, 6), end_date=date(2020, 1, 6))
    # The processes use the real clock.
    ids = due_rows(bot, schedule, CHECKINS, due=datetime.now(UTC) - timedelta(minutes=1))

    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env |= {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": database_url,
    }
    runs = Runs(env, tmp_path)
    rng = random.Random(SEED)
    later = 0.0
    kills: list[tuple[float, int]] = []  # (seconds from start to kill, check-ins that run posted)
    mid_dispatch = left_unrecorded = 0

    while mid_dispatch < MID_DISPATCH_KILLS or left_unrecorded == 0:
        before = posted(slack)
        summary = f"{mid_dispatch} kills mid-dispatch, {left_unrecorded} between send and record: {kills}"
        assert runs.count < MAX_KILLED_RUNS and before < CHECKINS - 1, summary
        delay = rng.uniform(*KILL_AFTER) + later
        cap = min(rng.randint(1, CHECKINS // 8), CHECKINS - before - 1)
        process, log = runs.start()
        began = time.monotonic()
        deadline = began + delay
        while time.monotonic() < deadline and posted(slack) - before < cap:
            assert process.poll() is None, f"run {runs.count} ended before its kill:\n{runs.tail(log)}"
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        lived = time.monotonic() - began
        process.wait()
        time.sleep(0.02)  # a request the dead process had fully sent is still answered by the fake
        sent = posted(slack) - before
        kills.append((round(lived, 2), sent))
        if sent == 0:
            later += KILL_LATER_BY
        else:
            mid_dispatch += 1
        left_unrecorded += sent_but_unrecorded(bot, slack) > 0

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
        if found.group(0) == "sent 0, recovered 0, retried 0, failed 0":
            break
    else:
        raise AssertionError(f"still work left after {MAX_FINAL_RUNS} runs: {reports}")

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
