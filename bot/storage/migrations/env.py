"""Alembic environment: runs against the engine the caller hands over (see bot.storage.db).

On PostgreSQL the whole upgrade holds a transaction-level advisory lock, so replicas starting at
once take turns: the first migrates, the others then find nothing left to do. Each applied
revision is reported back through `config.attributes["applied"]`.
"""

from alembic import context
from sqlalchemy import text

from bot.storage.models import metadata

# Any fixed number, the same in every process: "the coachbot schema is being migrated".
MIGRATION_LOCK = 7_013_042_901

engine = context.config.attributes["engine"]
applied: list[str] = context.config.attributes.setdefault("applied", [])


def _record(*, step, **_) -> None:
    if step.is_upgrade:
        applied.append(f"{step.up_revision_id} {step.up_revision.doc}")


with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        on_version_apply=_record,
    )
    context.run_migrations()
