"""Keeping the dispatchers of every process under Slack's workspace-wide pace together.

Slack paces chat.postMessage per workspace. A pace kept in each process would let two
replicas send twice as fast as Slack takes, so the slots come from a row in the database
(bot.storage.pace), a batch at a time: one query for many messages, not one per message.
Waiting for a slot happens in the dispatcher's own thread (the scheduler's), never a listener's.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine
from sqlmodel import Session

from bot.storage import pace as pace_repo


class SharedPace:
    """One process's handle on the workspace's pace: it hands out slots, it keeps none."""

    def __init__(self, *, engine: Engine, per_second: float) -> None:
        self._engine = engine
        self.per_second = per_second
        self._interval = 1.0 / per_second

    def slots(self, *, team_id: str, count: int, deadline: float | None = None) -> list[float] | None:
        """`count` moments (on `time.monotonic()`'s clock) at which this process may send to the
        team, in order. With a `deadline` (same clock), None instead of any slot after it."""
        within = None if deadline is None else deadline - time.monotonic()
        if within is not None and within < 0:
            return None
        with Session(self._engine) as session:
            start = pace_repo.reserve_slots(
                session,
                team_id=team_id,
                count=count,
                interval=self._interval,
                within=within,
                clock=time.monotonic,
            )
        if start is None:
            return None
        # Mapped from the database's now, read half a round trip before the process's own: slots
        # land a little late rather than early.
        return [start + i * self._interval for i in range(count)]

    def hold(self, *, team_id: str, seconds: float) -> None:
        """Slack answered 429: every process waits `seconds` before its next send to the team."""
        with Session(self._engine) as session:
            pace_repo.hold_sends(session, team_id=team_id, seconds=seconds)


def wait_until(moment: float) -> float:
    """Sleep until `moment` on `time.monotonic()`'s clock (at once if it has passed); returns
    the seconds slept."""
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    return max(0.0, delay)
