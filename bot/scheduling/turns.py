"""Sending a batch of posts in turn at the shared per-team pace: one code path for every sender.

Each item gets a slot of its team's pace (bot.scheduling.pace), the slots taken a batch at a time
(one query for many posts). A send that Slack answers 429 holds the team: that item and the
team's others whose slots fell inside the hold go again after it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial
from typing import Protocol, TypeVar

from sqlalchemy import Engine

from bot.scheduling.pace import SharedPace, wait_until

BATCH = 200
# A paced sender claims this many seconds' worth of sends at a time: its claims wait little for
# their turn, and a hold set by another process reaches it soon.
PACED_BATCH_SECONDS = 2.0


class _ToTeam(Protocol):
    team_id: str


Item = TypeVar("Item", bound=_ToTeam)


class Turns:
    @classmethod
    def at_pace(
        cls, engine: Engine, per_second: float | None, on_wait: Callable[[float], object] | None = None
    ) -> Turns:
        """Turns at the shared pace of `per_second` messages a second (None: unpaced), with the
        batch a sender claims at a time sized to it."""
        if not per_second:
            return cls(None, BATCH, on_wait)
        batch = max(1, min(BATCH, round(per_second * PACED_BATCH_SECONDS)))
        return cls(SharedPace(engine=engine, per_second=per_second), batch, on_wait)

    def __init__(
        self, pace: SharedPace | None, batch: int, on_wait: Callable[[float], object] | None = None
    ) -> None:
        self.pace = pace
        self.batch = batch
        # Told how long each wait for a slot took (/metrics counts the time spent waiting).
        self._on_wait = on_wait

    def send(
        self,
        items: list[Item],
        *,
        send: Callable[[Item, Callable[[], None]], bool],
        deadline: float | None = None,
        idle: Callable[[], None] | None = None,
    ) -> list[Item]:
        """Send each item at a slot of its team's shared pace (all at once when unpaced).

        `send(item, turn)` calls `turn()` just before it calls Slack: `turn` waits for the item's
        slot, so what the sender does first (marking the row, rendering it, a commit that waits
        for the disk) does not push one post late and the next one close behind it. `send`
        returns False when Slack answered 429 and the team is held; `idle` is called before each
        wait (a sender records what it sent meanwhile). Returns the items left without a slot
        before `deadline` (`time.monotonic()`), unsent."""
        queue, late = list(items), []
        # A sender that fell behind its slots (a stalled CPU, a slow database) does not catch up
        # in a burst: its own sends to a team stay an interval apart, as Slack's bucket needs.
        interval = 1.0 / self.pace.per_second if self.pace is not None else 0.0
        previous: dict[str, float] = {}

        def turn(moment: float, team_id: str) -> None:
            at = max(moment, previous.get(team_id, -math.inf) + interval)
            if self.pace is not None and at < time.monotonic() - interval:
                # More than an interval behind its slot (this process stalled): the other
                # processes kept their slots, so spending this one now would double the team's
                # pace for as long as this process catches up. It takes the next free slot.
                fresh = self.pace.slots(team_id=team_id, count=1, deadline=deadline)
                if fresh:
                    at = fresh[0]
            if idle is not None and at > time.monotonic():
                idle()
            waited = wait_until(at)
            if self._on_wait is not None:
                self._on_wait(waited)
            previous[team_id] = time.monotonic()

        while queue:
            batch, queue = queue[: self.batch], queue[self.batch :]
            turns, unslotted = self._turns(batch, deadline=deadline)
            late += unslotted
            held: set[str] = set()
            again: list[Item] = []
            for moment, item in turns:
                if item.team_id in held:
                    again.append(item)
                    continue
                if not send(item, partial(turn, moment, item.team_id)):
                    held.add(item.team_id)
                    again.append(item)
            queue = again + queue
        return late

    def _turns(
        self, items: list[Item], *, deadline: float | None
    ) -> tuple[list[tuple[float, Item]], list[Item]]:
        """When to send each item, in order, and the items that got no slot before `deadline`:
        one reservation per team (Slack paces each workspace on its own)."""
        if self.pace is None:
            return [(0.0, item) for item in items], []
        by_team: dict[str, list[Item]] = {}
        for item in items:
            by_team.setdefault(item.team_id, []).append(item)
        turns: list[tuple[float, Item]] = []
        late: list[Item] = []
        for team_id, group in by_team.items():
            slots = self.pace.slots(team_id=team_id, count=len(group), deadline=deadline)
            if slots is None:
                late += group
            else:
                turns += zip(slots, group, strict=True)
        turns.sort(key=lambda turn: turn[0])
        return turns, late

    def held(self, team_id: str, retry_after: float | None) -> bool:
        """A 429 while paced: every process holds its sends to the team for the Retry-After."""
        if self.pace is None or not retry_after:
            return False
        self.pace.hold(team_id=team_id, seconds=retry_after)
        return True
