"""Who reads which language: a person's own choice, the coach's choice for a leader, Slack's
locale for them, English.

The order goes from the most deliberate statement about this reader to the least. A person who
typed `/coach language` said what they read, for themselves, and nobody overrides that. A coach
who set a client's language said it about this one leader (whose Slack may be in English only
because the district installed it so). Slack's locale is the person's own setting, but often a
workspace default nobody chose. English is what every word is written in first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


def _reading(
    session: Session, team_id: str, user_id: str, client_language: str | None
) -> tuple[bool, Reading]:
    """Whether the person is known, and what they read; `client_language`, when given, is the
    client record a message is about (else the one set on any of theirs counts)."""
    found = repo.stored(session, team_id=team_id, user_id=user_id)
    reading = resolve(
        chosen=found.chosen,
        client_language=client_language or found.client_language,
        slack_locale=found.slack_locale,
    )
    return found.known, reading


class LanguageService:
    def __init__(self, *, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def reading(self, team_id: str, user_id: str, *, client_language: str | None = None) -> Reading:
        """What `user_id` reads, from what is stored alone (no Slack call: this runs for every
        request and every message). `client_language` is the coach's choice on the client record
        a message is about; without it, the one set on any record of this leader counts."""
        with self._session() as session:
            return _reading(session, team_id, user_id, client_language)[1]

    def for_request(self, actor: Actor) -> str:
        """The language a request is answered in. Someone never seen is noted, for their Slack
        locale to be read off the request path (bot.scheduling.locales)."""
        with self._session() as session:
            known, reading = _reading(session, actor.team_id, actor.user_id, None)
            if not known:
                repo.seen(session, team_id=actor.team_id, user_id=actor.user_id, now=self._clock())
        return reading.language

    def choose(self, actor: Actor, language: str | None) -> Reading:
        """`/coach language es|en` (None: follow Slack again); returns what they now read."""
        with self._session() as session:
            repo.choose(
                session, team_id=actor.team_id, user_id=actor.user_id, language=language, now=self._clock()
            )
        return self.reading(actor.team_id, actor.user_id)

    def record_locale(self, team_id: str, user_id: str, locale: str | None) -> None:
        with self._session() as session:
            repo.record_locale(session, team_id=team_id, user_id=user_id, locale=locale, now=self._clock())

    def to_read(self, limit: int) -> Sequence[PersonLanguage]:
        """People whose Slack locale is still to be read, or is old."""
        with self._session() as session:
            return repo.to_read(session, read_before=self._clock() - LOCALE_MAX_AGE, limit=limit)
