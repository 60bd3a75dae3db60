"""Persistence: sqlmodel models, repository functions and alembic migrations."""
