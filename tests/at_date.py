"""Run a command with the machine's clock moved to another date, to show the suite does not
depend on the day it runs.

    .venv/bin/python -m tests.at_date '2027-03-14 06:30:00' .venv/bin/pytest -m dates

The clock starts at that UTC time and keeps running, for the command and every process it starts
(the PostgreSQL server, `coachbot serve`, the fake Slack), all moved by the same offset.

Why not Debian's `faketime`: its libfaketime (0.9.10, bookworm) cannot run threaded Python 3.11.
Faking the monotonic clock (its default) makes every timed wait hang, since CPython waits with
`sem_clockwait(CLOCK_MONOTONIC)`, which that release does not translate (libfaketime #390, #469);
leaving the monotonic clock alone (`--exclude-monotonic`) makes every `time.sleep` fail with
EINVAL, as it shifts the sleep's absolute monotonic deadline by the fake offset. The `libfaketime`
package on PyPI (a test dependency) ships a later libfaketime that does both right with the
monotonic clock left real, which is what this runs: only the calendar moves.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import libfaketime


def moved_environment(start: datetime, environ: dict[str, str]) -> dict[str, str]:
    """The environment that starts the clock at `start`: an offset, so that every process the
    command starts, whenever it starts, agrees on the time."""
    library = Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
    offset = round((start - datetime.now(UTC)).total_seconds())
    preload = " ".join(filter(None, [str(library), environ.get("LD_PRELOAD", "")]))
    return environ | {
        "LD_PRELOAD": preload,
        "FAKETIME": f"{offset:+d}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "DONT_FAKE_MONOTONIC": "1",
    }


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit("usage: python -m tests.at_date 'YYYY-MM-DD HH:MM:SS' COMMAND [ARGS...]  (UTC)")
    start = datetime.fromisoformat(argv[0]).replace(tzinfo=UTC)
    os.execvpe(argv[1], argv[1:], moved_environment(start, dict(os.environ)))


if __name__ == "__main__":
    main(sys.argv[1:])
