"""The migrations are the schema: applied from empty they match the models exactly, and they
can be walked down and up again."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.storage.db import alembic_config, make_engine, upgrade
from bot.storage.models import metadata


def test_migrated_schema_matches_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert differences == []


def test_downgrade_to_empty_and_upgrade_again(database_url):
    engine = make_engine(database_url)
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    upgrade(engine)  # a second start changes nothing
    assert {"protocol_run", "answer", "protocol_snapshot"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/x/bot.db")  # the folder is created on demand
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    engine.dispose()


def test_summaries_owed_at_upgrade_are_carried_into_the_outbox(database_url):
    engine = make_engine(database_url)
    command.downgrade(alembic_config(engine), "0006")
    run = (
        "INSERT INTO protocol_run (id, team_id, user_id, protocol_id, protocol_version, status, "
        "current_page, started_at, updated_at, completed_at, summary_sent_at) VALUES "
        "(:id, 'T1', 'UCOACH', 'five-lenses', 1, :status, 'p1', :at, :at, :done, :sent)"
    )
    at = datetime(2026, 11, 30, 12, tzinfo=UTC)
    with engine.begin() as connection:
        for run_id, status, sent in [
            ("owed", "completed", None),
            ("sent", "completed", at),
            ("open", "in_progress", None),
        ]:
            done = at if status == "completed" else None
            connection.execute(
                text(run), {"id": run_id, "status": status, "at": at, "done": done, "sent": sent}
            )
    upgrade(engine)
    with engine.connect() as connection:
        owed = connection.execute(text("SELECT key, kind, channel, ref, status FROM owed_message")).all()
    assert [tuple(row) for row in owed] == [("summary:owed", "summary", "UCOACH", "owed", "pending")]
    command.downgrade(alembic_config(engine), "0006")  # and back: only what was still owed stays unsent
    with engine.connect() as connection:
        unsent = connection.execute(
            text("SELECT id FROM protocol_run WHERE status = 'completed' AND summary_sent_at IS NULL")
        ).all()
    assert [row.id for row in unsent] == ["owed"]
    upgrade(engine)
    engine.dispose()
