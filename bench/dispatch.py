"""Check-in dispatch at scale: many check-ins due at once, sent through the fake Slack.

Two runs, each on a fresh SQLite database with every check-in due at the same moment, each to
its own leader, and the dispatcher driven the way `coachbot serve` drives it (a pass, then the
next one DISPATCH_SECONDS after the last began, until nothing is left):

1. No rate limits, no pacing, 10,000 check-ins: CPU milliseconds per delivery (goal: under 2)
   and deliveries per second; and, in the same run against the same fake, a floor: the least an
   outbox can do with this stack (claim a batch in one statement, post each message with the same
   kept-alive client, record each in one statement), with the bot's CPU per delivery printed as
   a multiple of it (goal: at most 2x).
2. Slack's limits simulated, 2,000 check-ins: chat.postMessage limited workspace-wide (50 a
   second after a burst of 10) and per channel (1 a second after a burst of 3), the dispatcher
   paced at the workspace rate. Goals: total time within 10% of the least the limits allow, at
   most 1% of calls answered 429, no check-in sent twice.

    python bench/dispatch.py                  # both runs, about a minute on 2 CPUs
    python bench/dispatch.py --quick          # 1,000 and 200 check-ins, a few seconds
    python bench/dispatch.py --pace 0         # the limited run without pacing, to compare

The fake Slack runs in a process of its own, so the CPU figure is the dispatcher's alone: the
CPU time of the thread that runs the passes (Python, SQLAlchemy, SQLite, which runs in that
thread, building the blocks, slack_sdk and http.client; user and system time), not the fake's.
Against the fake a call takes well under a millisecond; against Slack it takes 50-200 ms, so
deliveries per second here is what the bot could do, not what Slack would take.

Exits 0 whatever the numbers (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

if not __package__:  # run as a script: `tests` (the fake Slack, check-in helpers) lives in the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from bot.assembly import DISPATCH_SECONDS, build_bot
from bot.blocks.checkins import checkin_message
from bot.config import Settings
from bot.scheduling.sender import EVENT_TYPE
from bot.slack_gateway import make_client
from bot.storage import owed
from bot.storage.models import Delivery, DeliveryStatus, OwedMessage, utcnow
from tests import fake_slack
from tests.checkin_setup import due_rows, schedule_for

BOT_TOKEN = "xoxb-bench-token"
SIGNING_SECRET = "bench-signing-secret"
UNLIMITED_COUNT = 10_000
LIMITED_COUNT = 2_000
QUICK_COUNTS = (1_000, 200)
WORKSPACE_PER_SECOND = 50.0
WORKSPACE_BURST = 10
CHANNEL_PER_SECOND = 1.0
CPU_GOAL_MS = 2.0
FLOOR_GOAL = 2.0
FLOOR_BATCH = 200
BOUND_GOAL = 1.10
RATE_LIMITED_GOAL = 0.01
# A limited run that has not finished by then (5 x bound, at least a minute) is stopped and
# reported as it stands.
GIVE_UP_AFTER_BOUND = 5.0
GIVE_UP_MIN_S = 60.0


# --------------------------------------------------------------------------------------------------
# The fake Slack, in its own process
# --------------------------------------------------------------------------------------------------


@dataclass
class FakeSummary:
    """What the fake saw during one run."""

    posts: int
    posts_ok: int
    posts_429: int
    post_errors: Counter[str]
    other_calls: Counter[str]
    # The outbox keys of the messages Slack took.
    keys: list[str]
    cpu_s: float


def serve_fake(conn: Connection) -> None:
    """The child process: ("start", limits) -> url; ("summary", None) -> FakeSummary and stop;
    ("quit", None) ends it."""
    # The fake answers with two writes (headers, then body); without TCP_NODELAY, Nagle's
    # algorithm holds the body for the client's delayed ACK, ~40 ms on every kept-alive call.
    fake: fake_slack.FakeSlack | None = None
    cpu_start = 0.0
    while True:
        command, argument = conn.recv()
        if command == "start":
            fake = fake_slack.FakeSlack(token=BOT_TOKEN, **argument).start()
            cpu_start = time.process_time()
            conn.send(fake.url)
        elif command == "summary":
            assert fake is not None
            cpu = time.process_time() - cpu_start
            fake.stop()
            conn.send(summarize(fake, cpu))
            fake = None
        else:
            return


def summarize(fake: fake_slack.FakeSlack, cpu_s: float) -> FakeSummary:
    posts = [call for call in fake.calls if call.method == "chat.postMessage"]
    ids = []
    for call in posts:
        metadata = call.args.get("metadata")
        if call.ok and isinstance(metadata, dict) and metadata.get("event_type") == EVENT_TYPE:
            ids.append(metadata["event_payload"]["key"])
    return FakeSummary(
        posts=len(posts),
        posts_ok=sum(call.ok for call in posts),
        posts_429=sum(call.status == 429 for call in posts),
        post_errors=Counter(
            str(call.response.get("error")) for call in posts if not call.ok and call.status != 429
        ),
        other_calls=Counter(call.method for call in fake.calls if call.method != "chat.postMessage"),
        keys=ids,
        cpu_s=cpu_s,
    )


class FakeProcess:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=serve_fake, args=(child,), name="fake-slack", daemon=True)
        self._process.start()

    def start(self, **limits: object) -> str:
        self._conn.send(("start", limits))
        return self._conn.recv()

    def summary(self) -> FakeSummary:
        self._conn.send(("summary", None))
        return self._conn.recv()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(("quit", None))
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()


# --------------------------------------------------------------------------------------------------
# A run
# --------------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    count: int
    passes: int = 0
    seconds: float = 0.0  # from the first pass's start to the end of the last pass that sent
    cpu_s: float = 0.0  # the dispatching thread's CPU inside the passes
    sent: int = 0
    retried: int = 0
    failed: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    fake: FakeSummary | None = None
    gave_up: bool = False

    @property
    def duplicated(self) -> int:
        assert self.fake is not None
        return sum(n - 1 for n in Counter(self.fake.keys).values() if n > 1)

    @property
    def lost(self) -> int:
        return self.count - self.statuses.get(DeliveryStatus.SENT, 0)


def settings_for(url: str, database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=None,
        slack_api_url=url,
        database_url=database_url,
    )


def left_to_send(session: Session) -> int:
    query = select(func.count()).select_from(OwedMessage).where(col(OwedMessage.status).in_(owed.OPEN))
    return session.exec(query).one()


def dispatch_all(
    fake: FakeProcess, workdir: Path, name: str, count: int, *, pace: float | None, give_up_s: float, **limits
) -> RunResult:
    url = fake.start(**limits)
    bot = build_bot(settings_for(url, f"sqlite:///{workdir / name}.db"), pace_per_second=pace)
    result = RunResult(count=count)
    try:
        # A schedule that ended long ago: only the bulk rows are due.
        schedule = schedule_for(bot, "ULEAD01", first_date=date(2020, 1, 6), end_date=date(2020, 1, 6))
        due_rows(bot, schedule, count, due=utcnow() - timedelta(minutes=1))
        started = time.perf_counter()
        while True:
            pass_start = time.perf_counter()
            cpu_start = time.thread_time()
            report = bot.dispatcher.run_once()
            result.cpu_s += time.thread_time() - cpu_start
            result.passes += 1
            result.sent += report.sent
            result.retried += report.retried
            result.failed += report.failed
            if report.sent or report.failed:
                result.seconds = time.perf_counter() - started
            with Session(bot.engine) as session:
                if left_to_send(session) == 0:
                    break
            if time.perf_counter() - started > give_up_s:
                result.gave_up = True
                break
            # The scheduler starts the next pass DISPATCH_SECONDS after this one started.
            time.sleep(max(0.0, pass_start + DISPATCH_SECONDS - time.perf_counter()))
        with Session(bot.engine) as session:
            rows = session.exec(select(Delivery.status)).all()
        result.statuses = Counter(str(status) for status in rows)
    finally:
        result.fake = fake.summary()
        bot.engine.dispose()
    return result


@dataclass
class FloorResult:
    count: int
    sent: int
    cpu_s: float


def floor_run(fake: FakeProcess, workdir: Path, count: int) -> FloorResult:
    """The least an outbox can do with this stack, on the same schema and the same fake: claim a
    batch in one statement, post each with one kept-alive client (a message like a check-in, with
    the row's id in metadata), record each in one statement."""
    url = fake.start()
    bot = build_bot(settings_for(url, f"sqlite:///{workdir}/floor.db"), pace_per_second=None)
    schedule = schedule_for(bot, "ULEAD01", first_date=date(2020, 1, 6), end_date=date(2020, 1, 6))
    ids = due_rows(bot, schedule, count, due=utcnow() - timedelta(minutes=1))
    message = checkin_message(bot.checkins.context(ids[0]))  # one message: the floor renders nothing
    client = make_client(token=BOT_TOKEN, base_url=url)
    claim = text(
        "UPDATE owed_message SET status = 'claimed' WHERE id IN (SELECT id FROM owed_message "
        "WHERE status = 'pending' AND due_at <= :now ORDER BY due_at LIMIT :limit) "
        "RETURNING id, key, channel"
    )
    record = text("UPDATE owed_message SET status = 'sent', ts = :ts WHERE id = :id")
    sent = 0
    cpu_start = time.thread_time()
    with bot.engine.connect() as connection:
        while True:
            batch = connection.execute(claim, {"now": utcnow(), "limit": FLOOR_BATCH}).all()
            connection.commit()
            if not batch:
                break
            for row_id, key, recipient in batch:
                response = client.chat_postMessage(
                    channel=recipient,
                    text=message.text,
                    blocks=message.blocks,
                    metadata={"event_type": EVENT_TYPE, "event_payload": {"key": key}},
                )
                connection.execute(record, {"ts": response["ts"], "id": row_id})
                connection.commit()
                sent += 1
    cpu_s = time.thread_time() - cpu_start
    fake.summary()
    bot.engine.dispose()
    return FloorResult(count=count, sent=sent, cpu_s=cpu_s)


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def print_common(result: RunResult) -> None:
    fake = result.fake
    assert fake is not None
    per_delivery_ms = result.cpu_s * 1000 / max(1, result.sent)
    print(
        f"  passes: {result.passes}; dispatcher: sent {result.sent}, retried {result.retried}, "
        f"failed {result.failed}"
    )
    print(f"  wall time: {result.seconds:.2f} s; {result.sent / max(result.seconds, 1e-9):.0f} deliveries/s")
    print(f"  dispatcher thread CPU: {result.cpu_s:.2f} s, {per_delivery_ms:.2f} ms per delivery")
    print(
        f"  fake Slack process CPU: {fake.cpu_s:.2f} s "
        f"({fake.cpu_s * 1000 / max(1, fake.posts + sum(fake.other_calls.values())):.2f} ms per call)"
    )
    errors = f", other errors {dict(fake.post_errors)}" if fake.post_errors else ""
    others = f"; other calls {dict(fake.other_calls)}" if fake.other_calls else ""
    print(
        f"  chat.postMessage: {fake.posts} calls, {fake.posts_ok} ok, "
        f"{fake.posts_429} answered 429{errors}{others}"
    )
    print(
        f"  rows: {dict(sorted(result.statuses.items()))}; "
        f"not sent {result.lost}, sent twice {result.duplicated}"
    )
    if result.gave_up:
        print("  (stopped before every check-in was settled)")


def print_unlimited(result: RunResult, floor: FloorResult) -> None:
    print(f"\n1. no rate limits, unpaced: {result.count:,} check-ins due at once")
    print_common(result)
    per_delivery_ms = result.cpu_s * 1000 / max(1, result.sent)
    floor_ms = floor.cpu_s * 1000 / max(1, floor.sent)
    print(
        f"  CPU per delivery: {per_delivery_ms:.2f} ms (goal < {CPU_GOAL_MS:.0f} ms) "
        f"{verdict(per_delivery_ms < CPU_GOAL_MS)}"
    )
    print(
        f"  floor (claim a batch, post, record; same fake, same run): {floor.sent:,} sent, "
        f"{floor_ms:.2f} ms CPU per delivery"
    )
    ratio = per_delivery_ms / max(floor_ms, 1e-9)
    print(f"  bot / floor: {ratio:.2f}x (goal <= {FLOOR_GOAL:g}x) {verdict(ratio <= FLOOR_GOAL)}")


def print_limited(result: RunResult, pace: float | None, bound_s: float) -> None:
    fake = result.fake
    assert fake is not None
    paced = f"paced at {pace:g}/s" if pace else "unpaced"
    print(
        f"\n2. Slack's limits simulated ({WORKSPACE_PER_SECOND:g}/s per workspace after a burst of "
        f"{WORKSPACE_BURST}, {CHANNEL_PER_SECOND:g}/s per channel), {paced}: {result.count:,} check-ins"
    )
    print(f"  bound: {bound_s:.1f} s ({result.count:,} posts at {WORKSPACE_PER_SECOND:g}/s after the burst)")
    print_common(result)
    ratio = result.seconds / bound_s
    share_429 = fake.posts_429 / max(1, fake.posts)
    done = not result.gave_up and result.lost == 0
    unsent = "" if done else f", with {result.lost:,} check-ins never sent"
    print(
        f"  total time: {result.seconds:.1f} s = {ratio:.2f} x bound{unsent} (goal <= {BOUND_GOAL:.2f}) "
        f"{verdict(done and ratio <= BOUND_GOAL)}"
    )
    print(
        f"  answered 429: {share_429:.1%} of calls (goal <= {RATE_LIMITED_GOAL:.0%}) "
        f"{verdict(share_429 <= RATE_LIMITED_GOAL)}"
    )
    print(f"  duplicates: {result.duplicated} (goal 0) {verdict(result.duplicated == 0)}")


def print_machine() -> None:
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}; database: SQLite (WAL) in a temporary directory"
    )


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (fewer check-ins)")
    parser.add_argument(
        "--pace",
        type=float,
        default=WORKSPACE_PER_SECOND,
        help="the dispatcher's pace in the limited run, per second (0: unpaced)",
    )
    return parser.parse_args(argv)


@contextlib.contextmanager
def fake_process() -> Iterator[FakeProcess]:
    fake = FakeProcess()
    try:
        yield fake
    finally:
        fake.close()


def run(args: argparse.Namespace) -> int:
    unlimited, limited = QUICK_COUNTS if args.quick else (UNLIMITED_COUNT, LIMITED_COUNT)
    pace = args.pace or None
    bound_s = (limited - WORKSPACE_BURST) / WORKSPACE_PER_SECOND
    # The dispatcher logs a warning for every 429 and every check-in it gives up on; the counts
    # in the report say the same.
    logging.disable(logging.WARNING)
    print_machine()
    with fake_process() as fake, tempfile.TemporaryDirectory(prefix="coachbot-bench-") as workdir:
        print(f"dispatching {unlimited:,} check-ins without limits")
        result = dispatch_all(fake, Path(workdir), "unlimited", unlimited, pace=None, give_up_s=600)
        print(f"the floor: {unlimited:,} check-ins, claimed, posted and recorded by hand")
        floor = floor_run(fake, Path(workdir), unlimited)
        print_unlimited(result, floor)

        print(f"\ndispatching {limited:,} check-ins under the simulated limits (bound {bound_s:.1f} s)")
        result = dispatch_all(
            fake,
            Path(workdir),
            "limited",
            limited,
            pace=pace,
            give_up_s=max(GIVE_UP_MIN_S, bound_s * GIVE_UP_AFTER_BOUND),
            workspace_per_second=WORKSPACE_PER_SECOND,
            workspace_burst=WORKSPACE_BURST,
            per_channel_per_second=CHANNEL_PER_SECOND,
        )
        print_limited(result, pace, bound_s)
    return 0


def main() -> None:
    try:
        sys.exit(run(parse_args()))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
