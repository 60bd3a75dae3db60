"""free text may be encrypted: a client's organization is no longer bounded

Revision ID: 0011
Revises: 0010

Encrypted text is longer than what was typed, and every free-text column but `client.organization`
was already an unbounded VARCHAR. SQLite enforces no VARCHAR length, so only PostgreSQL's column
changes (an ALTER that rewrites no row); SQLite's keeps its declared length, which it ignores.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("client", "organization", type_=sa.String(), existing_nullable=False)


def downgrade() -> None:
    # Fails if an encrypted organization is longer than 200 characters.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("client", "organization", type_=sa.String(length=200), existing_nullable=False)
