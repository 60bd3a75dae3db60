"""a round's posts, announcements and summaries move into the outbox

Revision ID: 0010
Revises: 0009

What a round owed at upgrade time becomes a pending row of the outbox: a round due to be posted
(its post, due when the round opens), a phase moved on but not announced (its announcement, in
the round's thread), a closed round whose summaries were not recorded as sent (the thread's
summary and the presenter's record). The round's own bookkeeping of what it posted goes
(`announce_claimed_at`, `announced_phase`, `summary_sent_at`, and `summary_claimed_at`, never
used on rounds).
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ROUND_KINDS = ("round_post", "round_phase", "round_listen", "round_summary", "round_record")
OPEN = "('pending', 'claimed', 'sending')"


def upgrade() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    rows = [
        _owed_row(f"round_post:{round_id}", "round_post", team, channel, round_id, due, now)
        for round_id, team, channel, due in connection.execute(
            sa.text(
                "SELECT id, team_id, channel_id, opens_at FROM feedback_round "
                "WHERE thread_ts IS NULL AND status IN ('waiting', 'open')"
            )
        ).all()
    ]
    rows += [
        _owed_row(
            f"round_phase:{round_id}:{phase}",
            "round_phase",
            team,
            channel,
            f"{round_id}:{phase}",
            now,
            now,
            thread_ts=thread_ts,
        )
        for round_id, team, channel, phase, thread_ts in connection.execute(
            sa.text(
                "SELECT id, team_id, channel_id, phase, thread_ts FROM feedback_round "
                "WHERE status = 'open' AND thread_ts IS NOT NULL AND announced_phase < phase"
            )
        ).all()
    ]
    for round_id, team, channel, presenter, thread_ts in connection.execute(
        sa.text(
            "SELECT id, team_id, channel_id, presenter_id, thread_ts FROM feedback_round "
            "WHERE status = 'closed' AND thread_ts IS NOT NULL AND summary_sent_at IS NULL"
        )
    ).all():
        rows.append(
            _owed_row(
                f"round_summary:{round_id}",
                "round_summary",
                team,
                channel,
                round_id,
                now,
                now,
                thread_ts=thread_ts,
            )
        )
        rows.append(
            _owed_row(f"round_record:{round_id}", "round_record", team, presenter, round_id, now, now)
        )
    if rows:
        op.bulk_insert(_owed_table(), rows)
    with op.batch_alter_table("feedback_round", schema=None) as batch_op:
        batch_op.drop_column("announce_claimed_at")
        batch_op.drop_column("announced_phase")
        batch_op.drop_column("summary_claimed_at")
        batch_op.drop_column("summary_sent_at")


def _owed_table() -> sa.TableClause:
    names = ("id", "key", "kind", "team_id", "channel", "thread_ts", "ref", "due_at", "status", "attempts")
    return sa.table("owed_message", *(sa.column(name) for name in (*names, "created_at")))


def _owed_row(
    key: str,
    kind: str,
    team_id: str,
    channel: str,
    ref: str,
    due_at: datetime,
    now: datetime,
    *,
    thread_ts: str | None = None,
) -> dict:
    return {
        "id": uuid.uuid4().hex,
        "key": key,
        "kind": kind,
        "team_id": team_id,
        "channel": channel,
        "thread_ts": thread_ts,
        "ref": ref,
        "due_at": due_at,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
    }


def downgrade() -> None:
    with op.batch_alter_table("feedback_round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("announced_phase", sa.Integer(), nullable=False, server_default=sa.text("-1"))
        )
        batch_op.add_column(
            sa.Column("announce_claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("summary_claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("summary_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # The earlier version posts again what the outbox still owed, and nothing it had sent.
    op.execute("UPDATE feedback_round SET announced_phase = phase")
    op.execute(
        "UPDATE feedback_round SET announced_phase = phase - 1 WHERE EXISTS (SELECT 1 FROM owed_message o "
        "WHERE o.kind = 'round_phase' AND o.key = 'round_phase:' || feedback_round.id || ':' || "
        f"CAST(feedback_round.phase AS VARCHAR) AND o.status IN {OPEN})"
    )
    op.execute(
        "UPDATE feedback_round SET summary_sent_at = coalesce(closed_at, created_at) "
        "WHERE status = 'closed' AND id NOT IN "
        f"(SELECT ref FROM owed_message WHERE kind IN ('round_summary', 'round_record') AND status IN {OPEN})"
    )
    kinds = ", ".join(f"'{kind}'" for kind in ROUND_KINDS)
    op.execute(f"DELETE FROM owed_message WHERE kind IN ({kinds})")
