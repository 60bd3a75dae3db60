"""coach answer notices owed by the outbox

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coach_owed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(
            "ix_delivery_coach_owed",
            ["coach_owed_at"],
            unique=False,
            postgresql_where=sa.text("coach_owed_at IS NOT NULL"),
            sqlite_where=sa.text("coach_owed_at IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_delivery_coach_owed",
            postgresql_where=sa.text("coach_owed_at IS NOT NULL"),
            sqlite_where=sa.text("coach_owed_at IS NOT NULL"),
        )
        batch_op.drop_column("coach_owed_at")
