"""protocol runs and answers

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "protocol_run",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("protocol_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("protocol_version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("in_progress", "completed", name="runstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("current_page", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("origin_view_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("completed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("summary_claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("summary_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol_run")),
        sa.UniqueConstraint("origin_view_id", name=op.f("uq_protocol_run_origin_view_id")),
    )
    with op.batch_alter_table("protocol_run", schema=None) as batch_op:
        batch_op.create_index("ix_protocol_run_coach", ["team_id", "user_id", "status"], unique=False)

    op.create_table(
        "protocol_snapshot",
        sa.Column("protocol_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("protocol_id", "version", name=op.f("pk_protocol_snapshot")),
    )
    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("step_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["protocol_run.id"], name=op.f("fk_answer_run_id_protocol_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer")),
        sa.UniqueConstraint("run_id", "step_id", name=op.f("uq_answer_run_id")),
    )
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answer_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_run_id"))

    op.drop_table("answer")
    op.drop_table("protocol_snapshot")
    with op.batch_alter_table("protocol_run", schema=None) as batch_op:
        batch_op.drop_index("ix_protocol_run_coach")

    op.drop_table("protocol_run")
