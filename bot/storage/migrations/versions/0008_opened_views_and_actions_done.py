"""views the bot opened for whom, and actions done (idempotency keys)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opened_view",
        sa.Column("view_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("view_id", name=op.f("pk_opened_view")),
    )
    with op.batch_alter_table("opened_view", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opened_view_opened_at"), ["opened_at"], unique=False)
    op.create_table(
        "action_done",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_action_done")),
    )
    with op.batch_alter_table("action_done", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_done_done_at"), ["done_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action_done", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_done_done_at"))
    op.drop_table("action_done")
    with op.batch_alter_table("opened_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opened_view_opened_at"))
    op.drop_table("opened_view")
