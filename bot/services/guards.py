"""What a request may touch and whether it already acted, decided from what is stored.

Views: the bot records each modal it opens and for whom, so a request naming a view id (its
own `view.id`, a `root_view_id`, a `previous_view_id`) gets that view updated only when it is
the requester's. Actions: a share, an export or a saved form claims a key (what it does, or
the submitted view); a repeat inside the window finds the claim and is answered "already done"
with where it was done, instead of doing it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.actor import Actor, Clock
from bot.storage import views as views_repo
from bot.storage.models import ActionDone, OpenedView

# Long enough to cover a double click, a Slack retry and an impatient second try; short enough
# that sharing the same run to the same channel next week is a new share.
REPEAT_WINDOW = timedelta(minutes=10)
# A modal is not kept open for longer than this; the records of older ones are dropped.
VIEW_LIFETIME = timedelta(days=7)
# How often a process drops those records: on a view opened this long after its last sweep, not
# on every one (a burst of /coach start would scan for old rows fifty times a second).
SWEEP_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class AlreadyDone:
    """The earlier action a repeat found; `channel_id`/`message_ts` say where it left a message
    (None while the first is still at work, or when it left none)."""

    channel_id: str | None
    message_ts: str | None


class Guards:
    def __init__(self, *, engine: Engine, clock: Clock, window: timedelta = REPEAT_WINDOW) -> None:
        self._engine = engine
        self._clock = clock
        self._window = window
        self._swept_at: datetime | None = None

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    # Views

    def opened(self, coach: Actor, view_id: str) -> None:
        now = self._clock()
        with self._session() as session:
            if self._swept_at is None or now - self._swept_at >= SWEEP_EVERY:
                self._swept_at = now
                views_repo.drop_opened_before(session, cutoff=now - VIEW_LIFETIME)
            views_repo.record_opened(
                session, view_id=view_id, team_id=coach.team_id, user_id=coach.user_id, now=now
            )
            session.commit()

    def owns(self, coach: Actor, view_id: str) -> bool:
        with self._session() as session:
            row = session.get(OpenedView, view_id)
        return row is not None and (row.team_id, row.user_id) == (coach.team_id, coach.user_id)

    def someone_elses(self, coach: Actor, view_id: str) -> bool:
        """Whether the bot opened this view for another person. A submission from a view the
        bot has no record of (opened before it kept them) is let through; one naming another
        person's view is not: its first answer would start a run on their window's id and
        lock them out of their own page."""
        with self._session() as session:
            row = session.get(OpenedView, view_id)
        return row is not None and (row.team_id, row.user_id) != (coach.team_id, coach.user_id)

    # Actions

    def claim(self, coach: Actor, key: str) -> AlreadyDone | None:
        """None: the caller may act now (and records `done` or `release`s). Otherwise the same
        key was claimed within the window, and this is what it did."""
        now = self._clock()
        with self._session() as session:
            # Every claim past its window goes, not only this key's: the table stays small.
            session.exec(delete(ActionDone).where(ActionDone.done_at < now - self._window))
            session.add(ActionDone(key=key, team_id=coach.team_id, user_id=coach.user_id, done_at=now))
            try:
                session.commit()
                return None
            except IntegrityError:
                session.rollback()
            earlier = session.exec(select(ActionDone).where(ActionDone.key == key)).first()
        if earlier is None:  # its window closed between the two statements: act again
            return self.claim(coach, key)
        return AlreadyDone(earlier.channel_id, earlier.message_ts)

    def done(self, key: str, *, channel_id: str | None, message_ts: str | None) -> None:
        with self._session() as session:
            row = session.get(ActionDone, key)
            if row is not None:
                row.channel_id, row.message_ts = channel_id, message_ts
                session.add(row)
                session.commit()

    def release(self, key: str) -> None:
        """The action failed: a second try may act."""
        with self._session() as session:
            session.exec(delete(ActionDone).where(ActionDone.key == key))
            session.commit()
