"""Writers in one process take turns at a lock of their own before SQLite's.

SQLite lets one transaction write at a time; a second writer waits in SQLite's busy handler,
which polls, sleeping longer the longer it has waited (up to 100 ms a sleep). With many
requests writing at once, a writer that has waited long sleeps through the moments the lock is
free, and a newer one takes it: some pages saved in a few milliseconds, others after more than a
second (bench/ack_latency.py, a page submitted at 50 clients: 43 of 400 over a second, the
slowest 1.8 s). Here a writer waits for the process's own lock instead, which wakes a waiter
the moment the last writer is done: none over a second, the slowest 0.95 s, for the same load
(the median rises, 189 -> 608 ms: the writers that used to slip past the sleepers now queue).

The turn is taken at a transaction's first INSERT, UPDATE or DELETE (where SQLite takes its
write lock, as Python's sqlite3 begins a transaction there) and given back when it commits or
rolls back, or when its connection goes back to the pool or is thrown away. It waits no longer
than the connection's busy timeout would (bot.storage.db.short_waits), then fails as SQLite
does, with "database is locked". Another process writing the same file still waits in SQLite's
busy handler, as before.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

from sqlalchemy import Connection, Engine, event

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_TAKEN = "write_turn"


def _is_write(statement: str) -> bool:
    return statement.lstrip()[:7].upper().startswith(WRITES)


def install(engine: Engine, wait_ms: Callable[[], int]) -> None:
    """`wait_ms` says how long this thread may wait now, in milliseconds."""
    turn = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _take(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if conn.info.get(_TAKEN) or not _is_write(statement):
            return
        if not turn.acquire(timeout=wait_ms() / 1000):
            raise sqlite3.OperationalError("database is locked")
        conn.info[_TAKEN] = True

    def _give_back(info: dict) -> None:
        if info.pop(_TAKEN, False):
            turn.release()

    # A transaction's end; then, should one end unseen (a commit made on the driver's own
    # connection), the connection's return to the pool or its end.
    def _ended(conn: Connection) -> None:
        if not conn.invalidated:  # else given back as it was invalidated, and its info is gone
            _give_back(conn.info)

    event.listen(engine, "commit", _ended)
    event.listen(engine, "rollback", _ended)
    for pool_event in ("checkin", "invalidate", "close"):
        event.listen(engine, pool_event, lambda _dbapi, record, *_: record and _give_back(record.info))
