"""check-ins into the one outbox: delivery loses its transport columns

Revision ID: 0009
Revises: 0008

A check-in's message becomes an outbox row (kind "checkin", ref the delivery, its key the
delivery's). Carried over at upgrade: a check-in's message already in Slack becomes a sent row
(where it landed, so an answer still updates it in place and a reminder threads under it); a
pending or claimed check-in becomes a pending row; one being sent (it may be in the leader's DM
already) becomes a row being sent, marked so that the recovery looks for it by the metadata the
earlier version gave it (event "coachbot_checkin", its delivery id) before sending it again.
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# bot.scheduling.sender.CARRIED_OVER: the recovery's cue to look by the earlier metadata.
CARRIED_OVER = "carried_over"
OPEN = ("pending", "claimed", "sending")
NAMES = (
    "id",
    "key",
    "kind",
    "team_id",
    "channel",
    "thread_ts",
    "ref",
    "due_at",
    "status",
    "attempts",
    "claimed_at",
    "sent_at",
    "posted_channel",
    "ts",
    "reason",
    "created_at",
)


def upgrade() -> None:
    connection = op.get_bind()
    deliveries = connection.execute(
        sa.text(
            "SELECT id, key, team_id, recipient, due_at, status, attempts, claimed_at, sent_at, "
            "channel, message_ts FROM delivery WHERE message_ts IS NOT NULL OR status IN "
            "('pending', 'claimed', 'sending')"
        )
    ).all()
    now = datetime.now(UTC)
    rows = []
    for d in deliveries:
        base = {
            "kind": "checkin",
            "team_id": d.team_id,
            "channel": d.recipient,
            "thread_ts": None,
            "ref": d.id,
            "due_at": d.due_at,
            "created_at": now,
        }
        if d.message_ts is not None:
            rows.append(
                base
                | _row(
                    d.key, "sent", sent_at=d.sent_at or d.due_at, posted_channel=d.channel, ts=d.message_ts
                )
            )
        if d.status in OPEN:
            # Snoozed after it was sent: asked again by a message of its own.
            key = d.key if d.message_ts is None else f"{d.key}:again1"
            if d.status == "sending":
                status = _row(
                    key, "sending", attempts=d.attempts, claimed_at=d.claimed_at, reason=CARRIED_OVER
                )
            else:
                status = _row(key, "pending")
            rows.append(base | status)
    if rows:
        op.bulk_insert(sa.table("owed_message", *(sa.column(name) for name in NAMES)), rows)
    connection.execute(
        sa.text("UPDATE delivery SET status = 'pending' WHERE status IN ('claimed', 'sending')")
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("channel")
        batch_op.drop_column("message_ts")


def _row(key: str, status: str, **fields: object) -> dict:
    row = dict.fromkeys(("claimed_at", "sent_at", "posted_channel", "ts", "reason"))
    return row | {"id": uuid.uuid4().hex, "key": key, "status": status, "attempts": 0} | fields


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.alter_column("attempts", server_default=None)
    latest = (
        "(SELECT {column} FROM owed_message o WHERE o.kind = 'checkin' AND o.ref = delivery.id "
        "AND o.status = 'sent' ORDER BY o.sent_at DESC LIMIT 1)"
    )
    op.execute(
        f"UPDATE delivery SET channel = {latest.format(column='posted_channel')}, "
        f"message_ts = {latest.format(column='ts')}"
    )
    # A message being sent is looked up by the earlier version before it sends it again.
    op.execute(
        "UPDATE delivery SET status = 'sending', claimed_at = (SELECT min(o.claimed_at) FROM owed_message o "
        "WHERE o.kind = 'checkin' AND o.ref = delivery.id AND o.status = 'sending') "
        "WHERE status = 'pending' AND id IN "
        "(SELECT ref FROM owed_message WHERE kind = 'checkin' AND status = 'sending')"
    )
    op.execute("DELETE FROM owed_message WHERE kind = 'checkin'")
