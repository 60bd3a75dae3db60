"""indexes for years of history: check-ins by schedule and time, a coach's runs newest first

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_schedule_due", ["schedule_id", "due_at"], unique=False)
    with op.batch_alter_table("protocol_run", schema=None) as batch_op:
        batch_op.create_index("ix_protocol_run_coach_recent", ["team_id", "user_id", "updated_at"])


def downgrade() -> None:
    with op.batch_alter_table("protocol_run", schema=None) as batch_op:
        batch_op.drop_index("ix_protocol_run_coach_recent")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_schedule_due")
