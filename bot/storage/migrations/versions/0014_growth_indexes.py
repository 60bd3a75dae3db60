"""indexes for a coach's years of runs: unfinished ones, the last about each client, checklists

The coach's runs of one status are now also ordered by when they changed, so the old
(team_id, user_id, status) index, a prefix of the new one, goes.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("protocol_run", schema=None) as batch_op:
        batch_op.drop_index("ix_protocol_run_coach")
        batch_op.create_index("ix_protocol_run_coach_status", ["team_id", "user_id", "status", "updated_at"])
        batch_op.create_index(
            "ix_protocol_run_coach_client", ["team_id", "user_id", "client_id", "started_at"]
        )
        batch_op.create_index("ix_protocol_run_coach_protocol", ["team_id", "user_id", "protocol_id"])


def downgrade() -> None:
    with op.batch_alter_table("protocol_run", schema=None) as batch_op:
        batch_op.drop_index("ix_protocol_run_coach_protocol")
        batch_op.drop_index("ix_protocol_run_coach_client")
        batch_op.drop_index("ix_protocol_run_coach_status")
        batch_op.create_index("ix_protocol_run_coach", ["team_id", "user_id", "status"])
