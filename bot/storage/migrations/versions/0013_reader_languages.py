"""the language each person reads: their own choice, their Slack locale, a client's language

A leader's client records are indexed by leader: the language a coach chose for them is read on
their requests.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_language",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("chosen", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("chosen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("slack_locale", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("locale_read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_person_language")),
    )
    with op.batch_alter_table("person_language", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_language_locale_read_at"), ["locale_read_at"], unique=False
        )
    op.add_column("client", sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    op.create_index("ix_client_team_leader", "client", ["team_id", "leader_id"], unique=False)


def downgrade() -> None:
    # Not in batch mode: SQLite would copy the client table, which check-in schedules refer to;
    # it drops a plain column in place (3.35 and later), as PostgreSQL does.
    op.drop_index("ix_client_team_leader", table_name="client")
    op.drop_column("client", "language")
    with op.batch_alter_table("person_language", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_language_locale_read_at"))
    op.drop_table("person_language")
