"""Engine creation, the first connection, and schema upgrades.

SQLite is tuned for a single bot process that also runs the scheduler: WAL lets readers go on
while a writer commits, and the busy timeout makes a second writer wait instead of failing;
writers in this process take turns first (bot.storage.write_turns).

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
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.config import SetupError
from bot.storage import write_turns
from bot.storage.crypto import Keyring, seal_with

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
# An unreachable PostgreSQL host fails the start in this many seconds instead of hanging it.
CONNECT_TIMEOUT_SECONDS = 10
# SQLite connections are file handles: one for every thread that may want one (the request and
# listener threads, the jobs), so that no request waits for another's connection to come back.
# Writers still take turns, at SQLite's lock, within the busy timeout.
SQLITE_POOL_SIZE = 20
SQLITE_MAX_OVERFLOW = 200
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
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
        )

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
    engine = create_engine(
        url,
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_MAX_OVERFLOW,
        connect_args={"check_same_thread": False},
    )

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

    write_turns.install(engine, lambda: _wanted_wait(SQLITE_BUSY_TIMEOUT_MS))
    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def open_database(url: str, keys: Keyring | None = None) -> Engine:
    """An engine whose database has answered, or a SetupError saying what DATABASE_URL got wrong.
    With `keys`, free text is encrypted as it is written and decrypted as it is read."""
    parsed = make_url(url)
    try:
        engine = make_engine(url)
        ping(engine)
    except OSError as error:  # the SQLite file's folder cannot be made
        raise SetupError(_sqlite_unopenable(parsed, error.strerror or str(error))) from None
    except (OperationalError, DBAPIError) as error:
        raise SetupError(_explain(parsed, str(error.orig).strip())) from None
    seal_with(engine, keys)
    return engine


def _explain(url: URL, reason: str) -> str:
    if url.get_backend_name() == "sqlite":
        return _sqlite_unopenable(url, reason)
    first = reason.splitlines()[0] if reason else "no reason given"
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    if "password authentication failed" in reason or "no password supplied" in reason:
        return (
            f"PostgreSQL at {where} refused the user or password in DATABASE_URL ({_gist(first)}): "
            "correct them in DATABASE_URL, or create that role with that password."
        )
    if "does not exist" in reason:
        return (
            f"PostgreSQL at {where} has no database {url.database!r} as DATABASE_URL names "
            f"({_gist(first)}): create it (createdb {url.database}) or correct DATABASE_URL."
        )
    return (
        f"cannot reach PostgreSQL at {where} named in DATABASE_URL ({_gist(first)}): check that it is "
        "running and that this machine can connect to it."
    )


def _gist(reason: str) -> str:
    """psycopg's `connection to server at ... failed: FATAL:  what` without where and severity."""
    return reason.rsplit(":", 1)[-1].strip()


def _sqlite_unopenable(url: URL, reason: str) -> str:
    return (
        f"cannot open the SQLite database {url.database} named in DATABASE_URL ({reason}): make sure its "
        "folder can be created and written by this user, or choose another path."
    )


def upgrade(engine: Engine) -> list[str]:
    """Bring the schema to the newest migration; safe to run on every start, and in several
    processes at once. Returns the migrations it applied ("0006 coach answer notices")."""
    config = alembic_config(engine)
    command.upgrade(config, "head")
    return config.attributes["applied"]


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def check_writable(engine: Engine) -> None:
    """Commit a write that changes nothing: a database that answers reads but refuses writes
    (read-only, locked past the busy timeout, full) fails here as it would for the next answer."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
