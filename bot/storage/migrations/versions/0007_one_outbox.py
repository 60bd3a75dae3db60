"""one outbox for what the bot sends: owed_message

Revision ID: 0007
Revises: 0006

The summary DM of a run moves into the outbox: a summary owed at upgrade time (a completed run
whose summary was never recorded as sent) becomes a pending row, except a leader's own check-in
run and a round's framing, whose summaries were never the bot's to send. So do the invitations
to rounds still ahead that were never sent (`round_invitation.asked_at` goes), the notices of
answers a coach was owed (`delivery.coach_owed_at` goes), and the reminders already sent, as sent
rows, so that none is sent twice (`delivery.reminded_at` goes). A check-in claimed by a
process of the earlier version may have been sent: it is marked as being sent, so it is looked up
in the leader's DM history before it goes out again.
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STATUSES = ("pending", "claimed", "sending", "sent", "failed", "dropped")


def upgrade() -> None:
    op.create_table(
        "owed_message",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("thread_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column(
            "status", sa.Enum(*STATUSES, name="owedstatus", native_enum=False, length=16), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("posted_channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owed_message")),
        sa.UniqueConstraint("key", name=op.f("uq_owed_message_key")),
    )
    op.create_index("ix_owed_message_due", "owed_message", ["status", "due_at"], unique=False)

    connection = op.get_bind()
    owed = connection.execute(
        sa.text(
            "SELECT id, team_id, user_id FROM protocol_run WHERE status = 'completed' "
            "AND summary_sent_at IS NULL "
            "AND id NOT IN (SELECT run_id FROM delivery WHERE run_id IS NOT NULL) "
            "AND id NOT IN (SELECT framing_run_id FROM feedback_round)"
        )
    ).all()
    now = datetime.now(UTC)
    if owed:
        op.bulk_insert(
            _owed_table(),
            [
                _owed_row(f"summary:{run_id}", "summary", team, user, run_id, now)
                for run_id, team, user in owed
            ],
        )
    invitations = connection.execute(
        sa.text(
            "SELECT i.id, c.team_id, i.presenter_id FROM round_invitation i "
            "JOIN round_schedule s ON s.id = i.schedule_id JOIN collaborative c ON c.id = s.collaborative_id "
            "WHERE i.asked_at IS NULL AND i.opens_at > :now"
        ),
        {"now": now},
    ).all()
    if invitations:
        op.bulk_insert(
            _owed_table(),
            [
                _owed_row(
                    f"round_invitation:{invitation_id}",
                    "round_invitation",
                    team_id,
                    presenter,
                    invitation_id,
                    now,
                )
                for invitation_id, team_id, presenter in invitations
            ],
        )
    with op.batch_alter_table("round_invitation", schema=None) as batch_op:
        batch_op.drop_column("asked_at")
    notices = connection.execute(
        sa.text(
            "SELECT d.id, d.team_id, s.coach_id FROM delivery d "
            "JOIN checkin_schedule s ON s.id = d.schedule_id WHERE d.coach_owed_at IS NOT NULL"
        )
    ).all()
    reminded = connection.execute(
        sa.text(
            "SELECT id, team_id, coalesce(channel, recipient), message_ts FROM delivery "
            "WHERE reminded_at IS NOT NULL"
        )
    ).all()
    rows = [
        _owed_row(f"answer_notice:{d}:1", "answer_notice", team, coach, d, now) for d, team, coach in notices
    ]
    rows += [
        _owed_row(
            f"checkin_reminder:{d}", "checkin_reminder", team, channel, d, now, status="sent", thread_ts=ts
        )
        for d, team, channel, ts in reminded
    ]
    if rows:
        op.bulk_insert(_owed_table(), rows)
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_delivery_coach_owed",
            postgresql_where=sa.text("coach_owed_at IS NOT NULL"),
            sqlite_where=sa.text("coach_owed_at IS NOT NULL"),
        )
        batch_op.drop_column("coach_owed_at")
        batch_op.drop_column("reminded_at")
    op.create_index("ix_owed_message_ref", "owed_message", ["kind", "ref"], unique=False)
    connection.execute(sa.text("UPDATE delivery SET status = 'sending' WHERE status = 'claimed'"))
    with op.batch_alter_table("protocol_run", schema=None) as batch_op:
        batch_op.drop_column("summary_claimed_at")
        batch_op.drop_column("summary_sent_at")


def _owed_table() -> sa.TableClause:
    names = ("id", "key", "kind", "team_id", "channel", "thread_ts", "ref", "due_at", "status", "attempts")
    return sa.table("owed_message", *(sa.column(name) for name in (*names, "created_at")))


def _owed_row(
    key: str,
    kind: str,
    team_id: str,
    channel: str,
    ref: str,
    now: datetime,
    *,
    status: str = "pending",
    thread_ts: str | None = None,
) -> dict:
    return {
        "id": uuid.uuid4().hex,
        "key": key,
        "kind": kind,
        "team_id": team_id,
        "channel": channel,
        "thread_ts": thread_ts,
        "ref": ref,
        "due_at": now,
        "status": status,
        "attempts": 0,
        "created_at": now,
    }


def downgrade() -> None:
    op.drop_index("ix_owed_message_ref", table_name="owed_message")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("coach_owed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(
            "ix_delivery_coach_owed",
            ["coach_owed_at"],
            unique=False,
            postgresql_where=sa.text("coach_owed_at IS NOT NULL"),
            sqlite_where=sa.text("coach_owed_at IS NOT NULL"),
        )
    op.execute(
        "UPDATE delivery SET reminded_at = answer_by WHERE id IN "
        "(SELECT ref FROM owed_message WHERE kind = 'checkin_reminder')"
    )
    op.execute(
        "UPDATE delivery SET coach_owed_at = answered_at WHERE id IN (SELECT ref FROM owed_message "
        "WHERE kind = 'answer_notice' AND status IN ('pending', 'claimed', 'sending'))"
    )
    with op.batch_alter_table("protocol_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("summary_claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    # What the outbox no longer owes counts as sent for the earlier version's retry job.
    op.execute(
        "UPDATE protocol_run SET summary_sent_at = completed_at WHERE status = 'completed' "
        "AND id NOT IN (SELECT ref FROM owed_message WHERE kind = 'summary' "
        "AND status IN ('pending', 'claimed', 'sending'))"
    )
    with op.batch_alter_table("round_invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("asked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE round_invitation SET asked_at = opens_at WHERE id NOT IN (SELECT ref FROM owed_message "
        "WHERE kind = 'round_invitation' AND status IN ('pending', 'claimed', 'sending'))"
    )
    op.execute("UPDATE delivery SET status = 'claimed' WHERE status = 'sending'")
    op.drop_index("ix_owed_message_due", table_name="owed_message")
    op.drop_table("owed_message")
