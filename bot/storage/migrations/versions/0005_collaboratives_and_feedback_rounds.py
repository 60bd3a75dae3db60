"""collaboratives and feedback rounds

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collaborative",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("registered_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collaborative")),
        sa.UniqueConstraint("team_id", "channel_id", name="uq_collaborative_team_channel"),
    )
    op.create_table(
        "round_reminder_opt_out",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_round_reminder_opt_out")),
    )
    op.create_table(
        "round_schedule",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("collaborative_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("protocol_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "mode", sa.Enum("live", "async", name="roundmode", native_enum=False, length=8), nullable=False
        ),
        sa.Column("every_weeks", sa.Integer(), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("local_time", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("tz", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rotation", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ask_days_ahead", sa.Integer(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collaborative_id"],
            ["collaborative.id"],
            name=op.f("fk_round_schedule_collaborative_id_collaborative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_schedule")),
        sa.UniqueConstraint("collaborative_id", name=op.f("uq_round_schedule_collaborative_id")),
    )
    op.create_table(
        "feedback_round",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("collaborative_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("presenter_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("facilitator_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("protocol_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("protocol_version", sa.Integer(), nullable=False),
        sa.Column("framing_run_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column(
            "mode", sa.Enum("live", "async", name="roundmode", native_enum=False, length=8), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum("waiting", "open", "closed", name="roundstatus", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("opens_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("thread_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("phase_started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("announced_phase", sa.Integer(), nullable=False),
        sa.Column("announce_claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("reminded_phase", sa.Integer(), nullable=False),
        sa.Column("focus_restated", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("summary_claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("summary_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_feedback_round_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["collaborative_id"],
            ["collaborative.id"],
            name=op.f("fk_feedback_round_collaborative_id_collaborative"),
        ),
        sa.ForeignKeyConstraint(
            ["framing_run_id"],
            ["protocol_run.id"],
            name=op.f("fk_feedback_round_framing_run_id_protocol_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_round")),
        sa.UniqueConstraint("framing_run_id", name=op.f("uq_feedback_round_framing_run_id")),
    )
    with op.batch_alter_table("feedback_round", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_round_collaborative_id"), ["collaborative_id"], unique=False
        )
        batch_op.create_index("ix_feedback_round_status", ["status", "opens_at"], unique=False)

    op.create_table(
        "contribution",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("round_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("tag", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("posted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("edited_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("withdrawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["feedback_round.id"],
            name=op.f("fk_contribution_round_id_feedback_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution")),
        sa.UniqueConstraint("round_id", "ts", name="uq_contribution_round_ts"),
    )
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contribution_round_id"), ["round_id"], unique=False)

    op.create_table(
        "round_invitation",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("schedule_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("presenter_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("opens_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("asked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("round_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["feedback_round.id"], name=op.f("fk_round_invitation_round_id_feedback_round")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["round_schedule.id"],
            name=op.f("fk_round_invitation_schedule_id_round_schedule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_invitation")),
        sa.UniqueConstraint("key", name=op.f("uq_round_invitation_key")),
    )
    with op.batch_alter_table("round_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_invitation_schedule_id"), ["schedule_id"], unique=False)

    op.create_table(
        "round_phase",
        sa.Column("round_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["feedback_round.id"],
            name=op.f("fk_round_phase_round_id_feedback_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", "index", name=op.f("pk_round_phase")),
    )
    op.create_table(
        "round_reminder",
        sa.Column("round_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["feedback_round.id"],
            name=op.f("fk_round_reminder_round_id_feedback_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", "phase", "user_id", name=op.f("pk_round_reminder")),
    )
    op.create_table(
        "round_next_step",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("round_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("contribution_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("goal_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contribution.id"],
            name=op.f("fk_round_next_step_contribution_id_contribution"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], name=op.f("fk_round_next_step_goal_id_goal")),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["feedback_round.id"],
            name=op.f("fk_round_next_step_round_id_feedback_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_next_step")),
        sa.UniqueConstraint("round_id", "contribution_id", name="uq_round_next_step_pick"),
    )
    with op.batch_alter_table("round_next_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_next_step_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("round_next_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_next_step_round_id"))

    op.drop_table("round_next_step")
    op.drop_table("round_reminder")
    op.drop_table("round_phase")
    with op.batch_alter_table("round_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_invitation_schedule_id"))

    op.drop_table("round_invitation")
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_round_id"))

    op.drop_table("contribution")
    with op.batch_alter_table("feedback_round", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_round_status")
        batch_op.drop_index(batch_op.f("ix_feedback_round_collaborative_id"))

    op.drop_table("feedback_round")
    op.drop_table("round_schedule")
    op.drop_table("round_reminder_opt_out")
    op.drop_table("collaborative")
