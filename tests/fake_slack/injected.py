"""Failures a test queues for the next calls of a method: an error, a 429, a dropped connection
or an answer that comes too late, so the bot's handling of each is tested over real HTTP."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from tests.fake_slack.wire import Json


@dataclass
class Injected:
    """A queued failure: an error code, or a 429 when ``retry_after`` is set; for the next call
    whose ``channel`` argument is ``channel``, when that is set."""

    error: str
    retry_after: int | None = None
    channel: str | None = None
    # No answer at all: the connection is closed once the request is read, as when Slack (or
    # the network) gives up mid-call. The client sees the same as a timeout, only sooner.
    drop: bool = False
    status: int = 200


class Failures:
    """Queued failures and hangs by method; callers hold the fake's lock."""

    def __init__(self) -> None:
        self._injected: dict[str, deque[Injected]] = {}
        self._hangs: dict[str, deque[float]] = {}

    def clear(self) -> None:
        self._injected.clear()
        self._hangs.clear()

    def add(self, method: str, failures: list[Injected]) -> None:
        self._injected.setdefault(method, deque()).extend(failures)

    def add_hangs(self, method: str, seconds: float, times: int) -> None:
        self._hangs.setdefault(method, deque()).extend(seconds for _ in range(times))

    def take(self, method: str, args: Json) -> Injected | None:
        """The first failure queued for this call, removed from the queue."""
        queue = self._injected.get(method)
        for injected in queue or ():
            if injected.channel is None or injected.channel == args.get("channel"):
                queue.remove(injected)  # type: ignore[union-attr]
                return injected
        return None

    def take_hang(self, method: str) -> float | None:
        """How long to hold this call's answer back, if a hang is queued."""
        queue = self._hangs.get(method)
        return queue.popleft() if queue else None
