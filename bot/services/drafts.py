"""Drafts the database could not take when a window closed.

Closing a window is acked before the draft is written (Slack wants the ack at once), so a
locked or briefly unavailable database would lose what the coach typed. Such a draft is kept
here, in memory, and written on the next pass once the database is back. One that cannot be
written within `give_up_after` is handed to `tell`, so the coach hears it was not saved (and
gets what they typed back) instead of finding it gone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError

from bot.actor import Actor, Clock
from bot.services.runs import (
    ClientNotFound,
    PageAnswers,
    RunNotFound,
    RunService,
    StaleSubmission,
    UnknownProtocol,
)
from bot.storage.db import short_waits

log = logging.getLogger(__name__)
GIVE_UP_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class KeptDraft:
    coach: Actor
    given: PageAnswers
    since: datetime


class DraftKeeper:
    def __init__(self, *, runs: RunService, clock: Clock, give_up_after: timedelta = GIVE_UP_AFTER) -> None:
        self._runs = runs
        self._clock = clock
        self._give_up_after = give_up_after
        self._lock = threading.Lock()
        self._kept: list[KeptDraft] = []

    def save(self, coach: Actor, given: PageAnswers) -> int | None:
        """Write the draft now if the database answers in time; else keep it (None)."""
        try:
            with short_waits():
                return self._runs.save_draft(coach, given)
        except OperationalError:
            log.warning("draft kept in memory: the database did not answer")
            with self._lock:
                self._kept.append(KeptDraft(coach, given, self._clock()))
            return None

    def pending(self) -> int:
        with self._lock:
            return len(self._kept)

    def flush(self, tell: Callable[[Actor, PageAnswers], None]) -> int:
        """Write what was kept, oldest first; returns how many were written."""
        with self._lock:
            kept, self._kept = self._kept, []
        written, still = 0, []
        for draft in kept:
            try:
                with short_waits():
                    self._runs.save_draft(draft.coach, draft.given)
                written += 1
            except OperationalError:
                if self._clock() - draft.since >= self._give_up_after:
                    log.warning("draft not saved: the database stayed unavailable; the coach is told")
                    tell(draft.coach, draft.given)
                else:
                    still.append(draft)
            except (RunNotFound, ClientNotFound, UnknownProtocol, StaleSubmission) as refusal:
                log.warning("kept draft refused: %s", type(refusal).__name__)
        with self._lock:
            self._kept = still + self._kept
        return written
