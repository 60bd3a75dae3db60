"""Engine creation and schema upgrades.

SQLite is tuned for a single bot process that also runs the scheduler: WAL lets readers go on
while a writer commits, and the busy timeout makes a second writer wait instead of failing.

A request Slack waits on (3 seconds) cannot wait that long for a lock: inside `short_waits()`
a connection waits at most REQUEST_WAIT_MS for a lock (SQLite's busy timeout, PostgreSQL's
lock_timeout) and then fails, so the listener can answer "try again" in time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
# Leaves a listener time to answer within Slack's 3 seconds after a lock wait gives up.
REQUEST_WAIT_MS = 1200
_waits = threading.local()


@contextmanager
def short_waits(ms: int = REQUEST_WAIT_MS) -> Iterator[None]:
    """Database work in this thread waits at most `ms` for a lock, then raises OperationalError."""
    previous = getattr(_waits, "ms", None)
    _waits.ms = ms
    try:
        yield
    finally:
        _waits.ms = previous


def _wanted_wait(default: int) -> int:
    return getattr(_waits, "ms", None) or default


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)

        @event.listens_for(engine, "checkout")
        def _lock_timeout(dbapi_connection, record, _proxy) -> None:
            wanted = _wanted_wait(0)  # 0: no limit, PostgreSQL's default
            if record.info.get("lock_timeout", 0) != wanted:
                dbapi_connection.execute(f"SET lock_timeout = {int(wanted)}")
                dbapi_connection.commit()  # a SET in a transaction rolled back would not last
                record.info["lock_timeout"] = wanted

        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "checkout")
    def _busy_timeout(dbapi_connection, record, _proxy) -> None:
        wanted = _wanted_wait(SQLITE_BUSY_TIMEOUT_MS)
        if record.info.get("busy_timeout", SQLITE_BUSY_TIMEOUT_MS) != wanted:
            dbapi_connection.execute(f"PRAGMA busy_timeout={int(wanted)}")
            record.info["busy_timeout"] = wanted

    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration; safe to run on every start."""
    command.upgrade(alembic_config(engine), "head")


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
