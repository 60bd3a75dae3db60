"""Repository functions for the language each person reads (bot.services.languages decides)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.storage.models import Client, PersonLanguage


@dataclass(frozen=True)
class Stored:
    """What decides a person's language, as stored."""

    known: bool  # seen before (their locale is read, or being read)
    chosen: str | None
    slack_locale: str | None
    client_language: str | None


def stored(session: Session, *, team_id: str, user_id: str) -> Stored:
    """In one round trip (it is read for every request): their row and the language a coach
    chose for them as a client, the choice changed last with several coaches."""

    def own(column: object) -> object:
        return (
            select(column)
            .where(col(PersonLanguage.team_id) == team_id, col(PersonLanguage.user_id) == user_id)
            .scalar_subquery()
        )

    as_client = (
        select(Client.language)
        .where(Client.team_id == team_id, Client.leader_id == user_id, col(Client.language).is_not(None))
        .order_by(col(Client.updated_at).desc())
        .limit(1)
        .scalar_subquery()
    )
    seen_at, chosen, locale, client_language = session.exec(
        select(
            own(PersonLanguage.seen_at),
            own(PersonLanguage.chosen),
            own(PersonLanguage.slack_locale),
            as_client,
        )
    ).one()
    return Stored(seen_at is not None, chosen, locale, client_language)


def seen(session: Session, *, team_id: str, user_id: str, now: datetime) -> None:
    """A person the bot has met, whose locale is to be read if it is not yet: one insert that a
    second request, or another process, at the same moment leaves as it is."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(PersonLanguage).values(team_id=team_id, user_id=user_id, seen_at=now)
    session.exec(statement.on_conflict_do_nothing(index_elements=["team_id", "user_id"]))
    session.commit()


def _set(session: Session, *, team_id: str, user_id: str, now: datetime, **values: object) -> None:
    seen(session, team_id=team_id, user_id=user_id, now=now)
    session.exec(
        update(PersonLanguage)
        .where(col(PersonLanguage.team_id) == team_id, col(PersonLanguage.user_id) == user_id)
        .values(**values)
    )
    session.commit()


def choose(session: Session, *, team_id: str, user_id: str, language: str | None, now: datetime) -> None:
    """The person's own choice; None goes back to following Slack."""
    _set(session, team_id=team_id, user_id=user_id, now=now, chosen=language, chosen_at=now)


def record_locale(session: Session, *, team_id: str, user_id: str, locale: str | None, now: datetime) -> None:
    """Slack's locale for the person as just read (None: Slack gave none)."""
    _set(session, team_id=team_id, user_id=user_id, now=now, slack_locale=locale, locale_read_at=now)


def to_read(session: Session, *, read_before: datetime, limit: int) -> Sequence[PersonLanguage]:
    """People whose Slack locale was never read, then those read longest ago before `read_before`."""
    query = (
        select(PersonLanguage)
        .where(
            or_(
                col(PersonLanguage.locale_read_at).is_(None),
                col(PersonLanguage.locale_read_at) < read_before,
            )
        )
        .order_by(col(PersonLanguage.locale_read_at).is_not(None), col(PersonLanguage.locale_read_at))
        .limit(limit)
    )
    return session.exec(query).all()
