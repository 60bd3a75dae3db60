"""`coachbot serve` in HTTP mode, built exactly as `bot.cli.serve` builds it, but on a clock the
test moves: a simulated week passes in seconds, with no sleeping through it.

    PYTHONPATH=. python -m tests.clocked_serve CLOCK_FILE --pace 16 --dispatch-seconds 0.1 \
        --materialize-seconds 0.5 --rounds-seconds 0.2

The clock is the ISO 8601 time in CLOCK_FILE, which the test replaces as it moves on, so every
process reads the same simulated now. The scheduler's jobs run every fraction of a second so
that they keep up with it. Each dispatch pass that sent check-ins prints `sent N`, so the test
can tell that both processes did some of the work. Settings come from the environment, as
for `coachbot serve`.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent

from bot import logs
from bot.assembly import build_bot
from bot.config import Settings
from bot.server import serve_http


class FileClock:
    """Now, as the test last wrote it."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __call__(self) -> datetime:
        return datetime.fromisoformat(self._path.read_text())


def print_sends(event: JobExecutionEvent) -> None:
    if event.job_id == "send-owed" and event.retval.sent:
        print(f"sent {event.retval.sent}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("clock_file", type=Path)
    parser.add_argument("--pace", type=float, required=True, help="messages a second, shared")
    parser.add_argument("--dispatch-seconds", type=float, required=True)
    parser.add_argument("--materialize-seconds", type=float, required=True)
    parser.add_argument("--rounds-seconds", type=float, required=True)
    args = parser.parse_args()
    logs.configure()
    bot = build_bot(
        Settings(),
        clock=FileClock(args.clock_file),
        pace_per_second=args.pace,
        dispatch_seconds=args.dispatch_seconds,
        materialize_seconds=args.materialize_seconds,
        rounds_seconds=args.rounds_seconds,
    )
    bot.scheduler.add_listener(print_sends, EVENT_JOB_EXECUTED)
    serve_http(bot)


if __name__ == "__main__":
    main()
