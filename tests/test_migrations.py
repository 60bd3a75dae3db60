"""The migrations are the schema: applied from empty they match the models exactly, and they
can be walked down and up again."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from bot.blocks.checkins import checkin_message
from bot.scheduling.sender import CLAIM_TIMEOUT
from bot.services.checkins import CheckinContext
from bot.storage.db import alembic_config, make_engine, upgrade
from bot.storage.models import DeliveryStatus, Goal, OwedMessage, OwedStatus, metadata
from tests.checkin_setup import COACH, schedule_for, statuses


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


OLD_DELIVERY = (
    "INSERT INTO delivery (id, key, schedule_id, team_id, recipient, occurrence, due_at, answer_by, "
    "status, attempts, claimed_at, sent_at, channel, message_ts) VALUES (:id, :key, :schedule, 'T1', "
    ":recipient, :day, :due, :answer_by, :status, :attempts, :claimed, :sent, :channel, :ts)"
)


def test_check_ins_owed_at_upgrade_are_sent_once_and_one_being_sent_is_found_by_its_old_metadata(
    bot, slack, clock
):
    """The version before 0009 left check-ins in each state; after the upgrade each is sent once:
    the one it had sent but not recorded is found in the DM by the metadata it gave it."""
    schedule = schedule_for(bot, "ULEAD01", first_date=date(2020, 1, 6), end_date=date(2020, 1, 6))
    command.downgrade(alembic_config(bot.engine), "0008")
    due, window = clock.now - timedelta(minutes=1), clock.now + timedelta(days=7)
    states = {
        "pending": ("UPENDING", "pending", None),
        "claimed": ("UCLAIMED", "claimed", None),
        "in_slack": ("UINSLACK", "sending", None),  # sent; the process died before recording it
        "not_in_slack": ("UNOTSENT", "sending", None),  # died before Slack took it
        "sent": ("USENT", "sent", "1700000000.000100"),
        "snoozed": ("USNOOZED", "pending", "1700000000.000200"),  # sent, then snoozed
    }
    with bot.engine.begin() as connection:
        for delivery_id, (recipient, status, ts) in states.items():
            connection.execute(
                text(OLD_DELIVERY),
                {
                    "id": delivery_id,
                    "key": f"checkin:{schedule.id}:{delivery_id}",
                    "schedule": schedule.id,
                    "recipient": recipient,
                    "day": due.date(),
                    "due": due,
                    "answer_by": window,
                    "status": status,
                    "attempts": 1 if status in ("claimed", "sending") else 0,
                    "claimed": clock.now if status in ("claimed", "sending") else None,
                    "sent": due if ts else None,
                    "channel": f"D{recipient}" if ts else None,
                    "ts": ts,
                },
            )
    old = checkin_message(_old_context(bot, "in_slack"))
    bot.gateway.post(
        channel="UINSLACK",
        messages=[old],
        metadata={"event_type": "coachbot_checkin", "event_payload": {"delivery_id": "in_slack"}},
    )
    upgrade(bot.engine)
    with Session(bot.engine) as session:
        rows = session.exec(select(OwedMessage).where(OwedMessage.kind == "checkin")).all()
    carried = {(row.ref, row.status, row.ts) for row in rows}
    assert carried == {
        ("pending", OwedStatus.PENDING, None),
        ("claimed", OwedStatus.PENDING, None),
        ("in_slack", OwedStatus.SENDING, None),
        ("not_in_slack", OwedStatus.SENDING, None),
        ("sent", OwedStatus.SENT, "1700000000.000100"),
        ("snoozed", OwedStatus.SENT, "1700000000.000200"),
        ("snoozed", OwedStatus.PENDING, None),
    }
    assert statuses(bot, list(states)) == dict(
        zip(states, ["pending"] * 4 + ["sent", "pending"], strict=True)
    )

    clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))  # the earlier version's claims go stale
    bot.dispatcher.run_once()
    bot.dispatcher.run_once()
    posts = Counter(c.args["channel"] for c in slack.calls_to("chat.postMessage") if c.ok)
    # Once each: the one already in the DM not again; the snoozed one asked again, once.
    assert posts == dict.fromkeys(["UPENDING", "UCLAIMED", "UINSLACK", "UNOTSENT", "USNOOZED"], 1)
    assert set(statuses(bot, list(states)).values()) == {DeliveryStatus.SENT}
    # The one found keeps where it landed, for an answer to update it in place.
    assert (
        bot.checkins.message_for("UINSLACK", "in_slack").ts
        == slack.calls_to("chat.postMessage")[0].response["ts"]
    )


def _old_context(bot, delivery_id: str):
    """What the earlier version's check-in said (its row read the way the bot reads one)."""
    with Session(bot.engine) as session:
        goal = session.exec(select(Goal)).first()
    return CheckinContext(
        delivery_id=delivery_id,
        recipient="UINSLACK",
        coach_id=COACH.user_id,
        goal=goal.statement if goal else "",
        occurrence=date(2026, 11, 30),
        status=DeliveryStatus.PENDING,
        leader_name="ulead01",
    )
