"""Work asked for in a burst is done once per key, in the order first asked, and a key asked for
while its work runs is done again after (bot.coalesce), as a coach's Home republishing needs."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future

from bot.coalesce import Coalescer


class HeldExecutor(Executor):
    """Runs what it is given only when the test says, so a burst can arrive before any of it."""

    def __init__(self) -> None:
        self.tasks: list[Callable[[], None]] = []

    def submit(self, fn: Callable, /, *args: object, **kwargs: object) -> Future:
        self.tasks.append(lambda: fn(*args, **kwargs))
        return Future()

    def run_all(self) -> None:
        while self.tasks:
            self.tasks.pop(0)()


def test_a_burst_is_worked_once_per_key_in_the_order_first_asked() -> None:
    done: list[str] = []
    executor = HeldExecutor()
    changes = Coalescer(done.append, executor)
    for key in ("ana", "ben", "ana", "ana", "ben", "cy"):
        changes.ask(key)
    assert len(executor.tasks) == 1  # one task works through the burst
    executor.run_all()
    assert done == ["ana", "ben", "cy"]


def test_a_key_asked_for_during_its_own_work_is_worked_again_after() -> None:
    done: list[str] = []
    executor = HeldExecutor()

    def work(key: str) -> None:
        done.append(key)
        if len(done) == 1:
            changes.ask("ana")  # a change made while ana's Home was being computed

    changes = Coalescer(work, executor)
    changes.ask("ana")
    executor.run_all()
    assert done == ["ana", "ana"]


def test_one_keys_failure_does_not_stop_the_others_and_later_asks_run() -> None:
    done: list[str] = []
    executor = HeldExecutor()

    def work(key: str) -> None:
        if key == "bad":
            raise RuntimeError("Slack refused")
        done.append(key)

    changes = Coalescer(work, executor)
    changes.ask("bad")
    changes.ask("ana")
    executor.run_all()
    changes.ask("ben")
    executor.run_all()
    assert done == ["ana", "ben"]


def test_a_burst_settles_before_the_work_begins() -> None:
    done: list[str] = []
    slept: list[float] = []
    executor = HeldExecutor()
    changes = Coalescer(done.append, executor, settle_seconds=0.5, sleep=slept.append)
    changes.ask("ana")
    changes.ask("ana")
    executor.run_all()
    assert (slept, done) == ([0.5], ["ana"])
