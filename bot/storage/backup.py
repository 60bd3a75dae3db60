"""A consistent copy of a SQLite database taken while the bot keeps writing to it.

SQLite's online backup API copies page by page and starts over if a writer changes a page it has
copied, so the copy is the database at one moment, WAL included. Copying the file itself while
the bot runs can catch it halfway through a transaction. PostgreSQL has pg_dump for this.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import SetupError


def backup_sqlite(database_url: str, destination: Path) -> None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise SetupError(
            "DATABASE_URL is a PostgreSQL database: back it up with pg_dump (README.md, section "
            "'Backups'); coachbot db backup copies SQLite databases."
        )
    source_path = Path(url.database)
    if not source_path.is_file():
        raise SetupError(
            f"DATABASE_URL names {source_path}, which does not exist: there is nothing to back up."
        )
    if destination.exists():
        raise SetupError(f"{destination} exists already: choose a new file, so no backup is overwritten.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source_path) as source, sqlite3.connect(destination) as copy:
        source.backup(copy)
    source.close()
    copy.close()
