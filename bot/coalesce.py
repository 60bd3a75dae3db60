"""Work asked for many times that needs doing once: the latest state is what counts.

A coach's Home is recomputed from what is stored, so ten answers arriving together need one
republish, not ten. Doing it inside each request would also spend the listener threads and the
CPU that the next requests' acks wait for (Slack gives an ack 3 seconds). A `Coalescer` keeps the
keys asked for, in order, each once, and one task at a time works through them on its
executor, after letting a burst settle. A key asked for again while its work runs is done again
afterwards, so a change made during a republish is never missed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Executor
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)


class Coalescer(Generic[K]):
    def __init__(
        self,
        work: Callable[[K], None],
        executor: Executor,
        *,
        settle_seconds: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._work = work
        self._executor = executor
        self._settle = settle_seconds
        self._sleep = sleep
        self._lock = threading.Lock()
        self._pending: dict[K, None] = {}
        self._running = False

    def ask(self, key: K) -> None:
        """Have `key`'s work done soon; returns at once."""
        with self._lock:
            self._pending[key] = None
            if self._running:
                return
            self._running = True
        self._executor.submit(self._drain)

    def _drain(self) -> None:
        if self._settle:
            self._sleep(self._settle)
        while True:
            with self._lock:
                if not self._pending:
                    self._running = False
                    return
                key = next(iter(self._pending))
                del self._pending[key]
            try:
                self._work(key)
            except Exception as error:  # one key's failure must not stop the others' work
                log.warning("coalesced work failed: %s", type(error).__name__)
