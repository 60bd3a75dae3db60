"""a run records the language it was started in, with its version

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Runs started before languages existed have none: they are shown in the reader's language.
    # In place, not a batch copy (see downgrade).
    op.add_column("protocol_run", sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16)))


def downgrade() -> None:
    # In place: on SQLite a batch copy drops and recreates protocol_run, and with foreign keys on
    # that drop would reach the answers and rounds that point at it. SQLite 3.35+ drops columns.
    op.execute("ALTER TABLE protocol_run DROP COLUMN language")
