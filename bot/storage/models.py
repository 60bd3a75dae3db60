"""Tables. Every row that holds coaching text is keyed by Slack team so tenants never mix.

Timestamps are aware UTC datetimes (sqlmodel refuses naive ones); `utcnow()` is the one place
they are made.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import Index, MetaData, UniqueConstraint
from sqlmodel import Field, SQLModel

# A naming convention makes constraint names deterministic, which alembic's batch mode on
# SQLite needs to alter them later.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class RunStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


# Stored as the enum's value in a plain VARCHAR, so adding a status needs no type migration.
STATUS_TYPE = sa.Enum(
    RunStatus, native_enum=False, length=16, values_callable=lambda members: [m.value for m in members]
)


class ProtocolRun(SQLModel, table=True):
    """One coach working through one protocol, possibly over several sittings."""

    __tablename__ = "protocol_run"
    __table_args__ = (Index("ix_protocol_run_coach", "team_id", "user_id", "status"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    protocol_id: str = Field(max_length=64)
    # The version the run was started with: answers are read against the steps it had then.
    protocol_version: int
    status: RunStatus = Field(default=RunStatus.IN_PROGRESS, sa_type=STATUS_TYPE)
    # The page to show when the coach resumes.
    current_page: str = Field(max_length=64)
    # The modal the run was started in: a submission that arrives before the run row is
    # written finds (or creates) the same run through it.
    origin_view_id: str | None = Field(default=None, unique=True, max_length=32)
    started_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
    # The summary DM is sent once: a sender claims the run by setting `summary_claimed_at`
    # (see bot.storage.runs.claim_summary) and records `summary_sent_at` when Slack took it.
    summary_claimed_at: datetime | None = None
    summary_sent_at: datetime | None = None


class Answer(SQLModel, table=True):
    """One step's answer, written the moment it is given; one row per (run, step)."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("run_id", "step_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="protocol_run.id", index=True, max_length=32, ondelete="CASCADE")
    step_id: str = Field(max_length=64)
    # JSON: a string for text, date, time, user and single choice; a list for multi choice.
    value: str
    answered_at: datetime = Field(default_factory=utcnow)


class ProtocolSnapshot(SQLModel, table=True):
    """The definition of a protocol version as runs saw it: an author may edit the file while
    runs are in progress, and those runs go on with the steps they started with."""

    __tablename__ = "protocol_snapshot"

    protocol_id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    definition: str
    recorded_at: datetime = Field(default_factory=utcnow)
