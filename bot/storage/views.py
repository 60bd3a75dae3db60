"""Repository functions for the modals the bot opened (bot.services.guards decides with them)."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import Insert, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.storage.models import OpenedView

_COLUMNS = ("view_id", "team_id", "user_id", "opened_at")


@cache
def _upsert(dialect: str) -> Insert:
    """One statement per dialect, its values bound at execution: SQLAlchemy compiles it once,
    where a statement built with literal values is keyed and looked up anew on every modal
    opened (two thirds of `/coach start`'s own CPU at 50 clients). It runs on the session's
    connection, in its transaction, without the ORM's bulk-insert path: nothing is loaded."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(OpenedView.__table__).values({name: bindparam(name) for name in _COLUMNS})
    return statement.on_conflict_do_update(
        index_elements=["view_id"],
        set_={name: statement.excluded[name] for name in _COLUMNS[1:]},
    )


def record_opened(session: Session, *, view_id: str, team_id: str, user_id: str, now: datetime) -> None:
    """The view is this person's from now on: one upsert (a view pushed again keeps its id)."""
    statement = _upsert(session.get_bind().dialect.name)
    values = {"view_id": view_id, "team_id": team_id, "user_id": user_id, "opened_at": now}
    session.connection().execute(statement, values)


def drop_opened_before(session: Session, *, cutoff: datetime) -> None:
    session.exec(delete(OpenedView).where(OpenedView.opened_at < cutoff))
