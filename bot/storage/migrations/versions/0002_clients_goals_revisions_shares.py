"""clients, goals, answer revisions and shares

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("coach_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("leader_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("leader_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("organization", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "domain",
            sa.Enum("school", "district", "community", name="domain", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "phase",
            sa.Enum(
                "observe_assess",
                "theory_of_action",
                "relationships",
                "enrollment",
                "interventions",
                "reflection",
                name="cyclephase",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client")),
        sa.UniqueConstraint("team_id", "coach_id", "leader_id", name=op.f("uq_client_team_id")),
    )
    op.create_table(
        "answer_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("step_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("replaced_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["protocol_run.id"],
            name=op.f("fk_answer_revision_run_id_protocol_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_revision")),
    )
    with op.batch_alter_table("answer_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answer_revision_run_id"), ["run_id"], unique=False)

    op.create_table(
        "goal",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("coach_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("statement", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("details", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_goal_client_id_client")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["protocol_run.id"], name=op.f("fk_goal_run_id_protocol_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal")),
        sa.UniqueConstraint("run_id", name=op.f("uq_goal_run_id")),
    )
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_client_id"), ["client_id"], unique=False)

    op.create_table(
        "share",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "audience",
            sa.Enum("channel", "client", name="shareaudience", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("shared_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["protocol_run.id"], name=op.f("fk_share_run_id_protocol_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share")),
    )
    with op.batch_alter_table("share", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_run_id"), ["run_id"], unique=False)

    with op.batch_alter_table("protocol_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_protocol_run_client_id"), ["client_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_protocol_run_client_id_client"), "client", ["client_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("protocol_run", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_protocol_run_client_id_client"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_protocol_run_client_id"))
        batch_op.drop_column("client_id")

    with op.batch_alter_table("share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_run_id"))

    op.drop_table("share")
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_client_id"))

    op.drop_table("goal")
    with op.batch_alter_table("answer_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_revision_run_id"))

    op.drop_table("answer_revision")
    op.drop_table("client")
