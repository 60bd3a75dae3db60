"""The migrations are the schema: applied from empty they match the models exactly, and they
can be walked down and up again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from bot.storage.db import alembic_config, make_engine, upgrade
from bot.storage.models import OwedMessage, metadata


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


def test_what_rounds_owed_at_upgrade_is_carried_into_the_outbox(database_url):
    engine = make_engine(database_url)
    command.downgrade(alembic_config(engine), "0008")
    at = datetime(2026, 11, 30, 12, tzinfo=UTC)
    rounds = [
        # id, status, thread_ts, phase, announced_phase, summary_sent_at
        ("due", "waiting", None, -1, -1, None),  # to be posted when it opens
        ("moved", "open", "1.1", 2, 1, None),  # moved on, not announced
        ("said", "open", "1.2", 1, 1, None),  # announced
        ("closing", "closed", "1.3", 3, 3, None),  # closed, summaries not sent
        ("done", "closed", "1.4", 3, 3, at),  # closed and summed up
    ]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO collaborative (id, team_id, channel_id, registered_by, created_at) "
                "VALUES ('col', 'T1', 'CCOLLAB', 'UCOACH', :at)"
            ),
            {"at": at},
        )
        for round_id, status, thread_ts, phase, announced, summed in rounds:
            connection.execute(
                text(
                    "INSERT INTO protocol_run (id, team_id, user_id, protocol_id, protocol_version, "
                    "status, current_page, started_at, updated_at, completed_at) VALUES "
                    "(:id, 'T1', 'UCOACH', 'consultancy', 1, 'completed', 'p1', :at, :at, :at)"
                ),
                {"id": f"run-{round_id}", "at": at},
            )
            connection.execute(
                text(
                    "INSERT INTO feedback_round (id, team_id, collaborative_id, channel_id, presenter_id, "
                    "protocol_id, protocol_version, framing_run_id, mode, status, opens_at, thread_ts, "
                    "phase, announced_phase, reminded_phase, summary_sent_at, created_at) VALUES "
                    "(:id, 'T1', 'col', 'CCOLLAB', 'UCOACH', 'consultancy', 1, :run, 'live', :status, "
                    ":opens, :thread_ts, :phase, :announced, -1, :summed, :at)"
                ),
                {
                    "id": round_id,
                    "run": f"run-{round_id}",
                    "status": status,
                    "opens": at + timedelta(hours=1),
                    "thread_ts": thread_ts,
                    "phase": phase,
                    "announced": announced,
                    "summed": summed,
                    "at": at,
                },
            )
    upgrade(engine)
    with engine.connect() as connection:
        owed = connection.execute(
            text("SELECT key, channel, thread_ts, ref, due_at, status FROM owed_message ORDER BY key")
        ).all()
    by_key = {row.key: row for row in owed}
    assert set(by_key) == {
        "round_post:due",
        "round_phase:moved:2",
        "round_summary:closing",
        "round_record:closing",
    }
    assert {row.status for row in owed} == {"pending"}
    post = by_key["round_post:due"]
    assert (post.channel, post.thread_ts, post.ref) == ("CCOLLAB", None, "due")
    with Session(engine) as session:  # as the sender reads it: due when the round opens
        due = session.exec(select(OwedMessage.due_at).where(OwedMessage.key == post.key)).one()
    assert due == at + timedelta(hours=1)
    phase = by_key["round_phase:moved:2"]
    assert (phase.channel, phase.thread_ts, phase.ref) == ("CCOLLAB", "1.1", "moved:2")
    assert by_key["round_summary:closing"].thread_ts == "1.3"
    record = by_key["round_record:closing"]
    assert (record.channel, record.thread_ts) == ("UCOACH", None)

    # And back: what the outbox still owed is owed again the earlier version's way.
    command.downgrade(alembic_config(engine), "0008")
    with engine.connect() as connection:
        announced = dict(connection.execute(text("SELECT id, announced_phase FROM feedback_round")).all())
        unsummed = connection.execute(
            text("SELECT id FROM feedback_round WHERE status = 'closed' AND summary_sent_at IS NULL")
        ).all()
        left = connection.execute(text("SELECT count(*) FROM owed_message")).scalar()
    assert announced == {"due": -1, "moved": 1, "said": 1, "closing": 3, "done": 3}
    assert [row.id for row in unsummed] == ["closing"]
    assert left == 0
    upgrade(engine)
    engine.dispose()
