"""The fake Slack in a process of its own, as Slack is a remote service.

Run inside the benchmark's process, the fake's request handling (parsing and checking every
modal the bot opens) holds that process's GIL while the load clients are timing responses, so
it would be counted as the bot's latency. In its own process it only competes for the machine's
CPUs, as a remote Slack would not even do.
"""

from __future__ import annotations

import os
from collections import Counter
from multiprocessing.managers import BaseManager

from tests.fake_slack import FakeSlack


class FakeSlackService:
    """What the benchmark asks of the fake, in values that cross a process boundary."""

    def __init__(self, token: str) -> None:
        self._fake = FakeSlack(token=token).start()

    def url(self) -> str:
        return self._fake.url

    def pid(self) -> int:
        """The process the fake serves from, whose CPU time the benchmark reports."""
        return os.getpid()

    def issue_trigger_ids(self, count: int) -> list[str]:
        """Several at once: each call is a round trip to this process, and it waits for this
        process's GIL, which the fake holds while it handles the bot's views.open."""
        return [self._fake.issue_trigger_id() for _ in range(count)]

    def add_users(self, user_ids: list[str]) -> None:
        """People of the workspace, as Slack knows its users: the bot reads their locale."""
        for user_id in user_ids:
            self._fake.add_user(user_id, tz="UTC")

    def wait_for(self, method: str, count: int, timeout: float) -> None:
        self._fake.wait_for(method, count=count, timeout=timeout)

    def views_opened(self) -> tuple[int, Counter[str]]:
        calls = self._fake.calls_to("views.open")
        failures = Counter(str(c.response.get("error")) for c in calls if not c.ok)
        return sum(c.ok for c in calls), failures

    def opened_views(self, after: int) -> list[dict]:
        """The views the fake opened after its first `after` views.open calls: windows to submit."""
        calls = self._fake.calls_to("views.open")[after:]
        return [c.response["view"] for c in calls if c.ok]

    def count_of(self, method: str) -> int:
        return len(self._fake.calls_to(method))

    def failed_calls(self) -> Counter[str]:
        """Refused Web API calls by method and error: a benchmark with any is not comparing like
        with like."""
        return Counter(f"{c.method}: {c.response.get('error')}" for c in list(self._fake.calls) if not c.ok)

    def stop(self) -> None:
        self._fake.stop()


class _Manager(BaseManager):
    pass


_Manager.register("FakeSlackService", FakeSlackService)


def start_remote_fake(token: str) -> tuple[FakeSlackService, _Manager]:
    """A proxy to a fake Slack serving from a child process, and the manager that owns it."""
    manager = _Manager()
    manager.start()
    return manager.FakeSlackService(token), manager  # type: ignore[attr-defined]
