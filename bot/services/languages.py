"""Who reads which language: a person's own choice, the coach's choice for a leader, Slack's
locale for them, English.

The order goes from the most deliberate statement about this reader to the least. A person who
typed `/coach language` said what they read, for themselves, and nobody overrides that. A coach
who set a client's language said it about this one leader (whose Slack may be in English only
because the district installed it so). Slack's locale is the person's own setting, but often a
workspace default nobody chose. English is what every word is written in first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session

from bot import i18n
from bot.actor import Actor, Clock
from bot.storage import languages as repo
from bot.storage.models import PersonLanguage

# A locale read longer ago than this is read again (off the request path): people change it.
LOCALE_MAX_AGE = timedelta(days=7)
# What decides a person's language is read for every request they make and every message written
# to them. A coach working through a protocol sends a request every few seconds, and is told of
# each rating a leader gives, so this process keeps it this long: a change made here is seen at
# once (the writers call `forget`), one made by another process within this time.
REMEMBERED_S = 60.0
# People remembered at once, at most: the oldest are forgotten first.
REMEMBERED_PEOPLE = 10_000


class Source(StrEnum):
    CHOSEN = "chosen"
    CLIENT = "client"
    SLACK = "slack"
    DEFAULT = "default"


@dataclass(frozen=True)
class Reading:
    """The language someone reads, and what decided it (`/coach language` says which)."""

    language: str
    source: Source
    slack_locale: str | None = None


def resolve(*, chosen: str | None, client_language: str | None, slack_locale: str | None) -> Reading:
    """The order of the module's docstring; a value the bot has no catalog for is passed over."""
    from_slack = i18n.from_slack_locale(slack_locale)
    if chosen in i18n.available():
        return Reading(chosen, Source.CHOSEN, slack_locale)
    if client_language in i18n.available():
        return Reading(client_language, Source.CLIENT, slack_locale)
    if from_slack is not None:
        return Reading(from_slack, Source.SLACK, slack_locale)
    return Reading(i18n.SOURCE, Source.DEFAULT, slack_locale)


class _Remembered:
    """What decides each person's language as read lately, each kept `REMEMBERED_S` seconds (on
    `time.monotonic()`: how long ago, never what day it is). Shared by the listener threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[tuple[str, str], tuple[float, repo.Stored]] = {}
        # Counts every `forget`: a read that a change overtook is not kept (see `put`).
        self.changes = 0

    def get(self, key: tuple[str, str]) -> repo.Stored | None:
        with self._lock:
            kept = self._found.get(key)
        if kept is None or time.monotonic() - kept[0] > REMEMBERED_S:
            return None
        return kept[1]

    def put(self, key: tuple[str, str], found: repo.Stored, *, changes_before: int) -> None:
        """Keep what was read, unless something was forgotten since the read began: it may have
        been this person's change, written while the read saw the old value."""
        with self._lock:
            if self.changes != changes_before:
                return
            self._found.pop(key, None)
            self._found[key] = (time.monotonic(), found)
            while len(self._found) > REMEMBERED_PEOPLE:
                del self._found[next(iter(self._found))]

    def forget(self, key: tuple[str, str]) -> None:
        with self._lock:
            self.changes += 1
            self._found.pop(key, None)


class LanguageService:
    def __init__(self, *, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._remembered = _Remembered()

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def forget(self, team_id: str, user_id: str) -> None:
        """Something that decides the person's language changed (their choice, their Slack
        locale, a client record of theirs): their next request reads it again."""
        self._remembered.forget((team_id, user_id))

    def _stored(
        self, team_id: str, user_id: str, *, note_seen: bool = False, fresh: bool = False
    ) -> repo.Stored:
        """What decides the person's language, read once a minute or so (see REMEMBERED_S), or
        now when `fresh`. With `note_seen`, someone never seen is noted, for their Slack locale
        to be read off the request path (bot.scheduling.locales)."""
        key = (team_id, user_id)
        found = None if fresh else self._remembered.get(key)
        if found is None or (note_seen and not found.known):
            changes_before = self._remembered.changes
            with self._session() as session:
                found = repo.stored(session, team_id=team_id, user_id=user_id)
                if note_seen and not found.known:
                    repo.seen(session, team_id=team_id, user_id=user_id, now=self._clock())
                    found = replace(found, known=True)
            self._remembered.put(key, found, changes_before=changes_before)
        return found

    def reading(
        self, team_id: str, user_id: str, *, client_language: str | None = None, fresh: bool = False
    ) -> Reading:
        """What `user_id` reads, from what is stored alone (no Slack call: this runs for every
        request and every message: a coach told of each rating, their Home republished).
        `client_language` is the coach's choice on the client record a message is about;
        without it, the one set on any record of this leader counts. `fresh` reads it now, for
        a person who asks which language they read."""
        found = self._stored(team_id, user_id, fresh=fresh)
        return resolve(
            chosen=found.chosen,
            client_language=client_language or found.client_language,
            slack_locale=found.slack_locale,
        )

    def for_request(self, actor: Actor) -> str:
        """The language a request is answered in."""
        found = self._stored(actor.team_id, actor.user_id, note_seen=True)
        return resolve(
            chosen=found.chosen, client_language=found.client_language, slack_locale=found.slack_locale
        ).language

    def choose(self, actor: Actor, language: str | None) -> Reading:
        """`/coach language es|en` (None: follow Slack again); returns what they now read."""
        with self._session() as session:
            repo.choose(
                session, team_id=actor.team_id, user_id=actor.user_id, language=language, now=self._clock()
            )
        self.forget(actor.team_id, actor.user_id)
        return self.reading(actor.team_id, actor.user_id, fresh=True)

    def record_locale(self, team_id: str, user_id: str, locale: str | None) -> None:
        with self._session() as session:
            repo.record_locale(session, team_id=team_id, user_id=user_id, locale=locale, now=self._clock())
        self.forget(team_id, user_id)

    def to_read(self, limit: int) -> Sequence[PersonLanguage]:
        """People whose Slack locale is still to be read, or is old."""
        with self._session() as session:
            return repo.to_read(session, read_before=self._clock() - LOCALE_MAX_AGE, limit=limit)
