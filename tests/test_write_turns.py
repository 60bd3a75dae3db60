"""Writers in one process take turns on SQLite (bot.storage.write_turns): a waiting writer goes
on once the one before it is done, however that one ended, and a request that may not wait
long still fails in time, as it does on SQLite's own lock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from bot.storage.db import open_database, short_waits
from bot.storage.models import OpenedView

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def view(view_id: str) -> OpenedView:
    return OpenedView(view_id=view_id, team_id="T1", user_id="U1", opened_at=NOW)


def stored(engine) -> set[str]:
    with Session(engine) as session:
        return set(session.exec(select(OpenedView.view_id)).all())


def write(engine, view_id: str) -> None:
    """One write, waiting 300 ms at most, as a request may."""
    with short_waits(300), Session(engine) as session:
        session.add(view(view_id))
        session.commit()


@pytest.fixture
def engine(database_url):
    engine = open_database(database_url)
    yield engine
    engine.dispose()


def test_a_writer_waits_its_turn_and_goes_on_when_the_first_commits(engine):
    holder = Session(engine)
    holder.add(view("V1"))
    holder.flush()  # the first INSERT: the turn is the holder's until it commits
    done = threading.Event()
    second = threading.Thread(target=lambda: (write(engine, "V2"), done.set()))
    second.start()
    assert not done.wait(0.1)  # waiting, not failed, not through
    holder.commit()  # the session still open: the commit itself gave the turn back
    second.join(5)
    assert done.is_set() and stored(engine) == {"V1", "V2"}
    holder.close()


def test_a_request_that_may_not_wait_long_is_told_the_database_is_locked(engine):
    with Session(engine) as holder:
        holder.add(view("V1"))
        holder.flush()
        failed: list[Exception] = []

        def impatient() -> None:
            try:
                write(engine, "V2")
            except OperationalError as error:
                failed.append(error)

        other = threading.Thread(target=impatient)
        other.start()
        other.join(5)
        assert not other.is_alive()
        (error,) = failed
        assert "database is locked" in str(error)
        holder.commit()
    write(engine, "V3")
    assert stored(engine) == {"V1", "V3"}


def test_a_failed_write_rolled_back_gives_the_turn_back(engine):
    write(engine, "V1")
    with Session(engine) as session:
        session.add(view("V1"))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        write(engine, "V2")  # would wait past its 300 ms, and fail, on a turn never given back
    assert stored(engine) == {"V1", "V2"}


def test_a_session_closed_without_committing_gives_the_turn_back(engine):
    session = Session(engine)
    session.add(view("V1"))
    session.flush()
    session.close()
    write(engine, "V2")
    assert stored(engine) == {"V2"}


def test_a_connection_thrown_away_mid_write_gives_the_turn_back(engine):
    session = Session(engine)
    session.add(view("V1"))
    session.flush()
    session.invalidate()  # its driver connection closed, its transaction with it
    write(engine, "V2")
    assert stored(engine) == {"V2"}
