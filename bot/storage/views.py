"""Repository functions for the modals the bot opened (bot.services.guards decides with them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.storage.models import OpenedView


def record_opened(session: Session, *, view_id: str, team_id: str, user_id: str, now: datetime) -> None:
    """The view is this person's from now on: one upsert (a view pushed again keeps its id)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(OpenedView).values(view_id=view_id, team_id=team_id, user_id=user_id, opened_at=now)
    session.exec(
        statement.on_conflict_do_update(
            index_elements=["view_id"],
            set_={"team_id": team_id, "user_id": user_id, "opened_at": now},
        )
    )


def drop_opened_before(session: Session, *, cutoff: datetime) -> None:
    session.exec(delete(OpenedView).where(OpenedView.opened_at < cutoff))
