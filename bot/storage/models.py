"""Tables. Every row that holds coaching text is keyed by Slack team so tenants never mix.

Timestamps are aware UTC datetimes (sqlmodel refuses naive ones). No column defaults to the wall
clock: whoever writes a row gives its times from the clock the bot was built with, so a test's
clock (or a replayed day) is the only now the rows see. `utcnow()` is that clock in production.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import Index, MetaData, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.protocols.schema import CyclePhase
from bot.recurrence import Cadence
from bot.storage.crypto import SealedText

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


def enum_column(enum: type[StrEnum], length: int = 24) -> sa.Enum:
    """An enum stored as its value in a plain VARCHAR, so adding a member needs no type migration."""
    return sa.Enum(
        enum, native_enum=False, length=length, values_callable=lambda members: [m.value for m in members]
    )


class Domain(StrEnum):
    SCHOOL = "school"
    DISTRICT = "district"
    COMMUNITY = "community"


class Client(SQLModel, table=True):
    """A leader a coach works with. The same leader can be the client of several coaches; each
    coach's record of them is their own."""

    __tablename__ = "client"
    __table_args__ = (
        UniqueConstraint("team_id", "coach_id", "leader_id"),
        # A leader's records across coaches: the language chosen for them, read on their requests.
        Index("ix_client_team_leader", "team_id", "leader_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    coach_id: str = Field(max_length=32)
    leader_id: str = Field(max_length=32)
    leader_name: str = Field(max_length=120)
    organization: str = Field(sa_type=SealedText)
    domain: Domain = Field(sa_type=enum_column(Domain))
    phase: CyclePhase = Field(default=CyclePhase.OBSERVE_ASSESS, sa_type=enum_column(CyclePhase))
    # The language the coach chose for this leader's check-ins; None follows the leader's own.
    language: str | None = Field(default=None, max_length=16)
    created_at: datetime
    updated_at: datetime


class PersonLanguage(SQLModel, table=True):
    """What decides the language a person reads: the one they chose (`/coach language`), and
    their Slack locale as last read, with when (it is read again once old). A row with neither
    is someone seen on a request whose locale is still to be read (bot.services.languages)."""

    __tablename__ = "person_language"

    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    chosen: str | None = Field(default=None, max_length=16)
    chosen_at: datetime | None = None
    slack_locale: str | None = Field(default=None, max_length=16)
    locale_read_at: datetime | None = Field(default=None, index=True)
    seen_at: datetime


class ProtocolRun(SQLModel, table=True):
    """One coach working through one protocol, possibly over several sittings."""

    __tablename__ = "protocol_run"
    __table_args__ = (
        # A coach's runs of one status, most recently changed first (the Home's unfinished ones).
        Index("ix_protocol_run_coach_status", "team_id", "user_id", "status", "updated_at"),
        # A coach's runs newest first (history, the Home), read without sorting them all.
        Index("ix_protocol_run_coach_recent", "team_id", "user_id", "updated_at"),
        # When the coach last ran a protocol about each client, read from the index alone.
        Index("ix_protocol_run_coach_client", "team_id", "user_id", "client_id", "started_at"),
        # A coach's runs of a few protocols (the per-client checklists) among years of others.
        Index("ix_protocol_run_coach_protocol", "team_id", "user_id", "protocol_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    protocol_id: str = Field(max_length=64)
    # The version the run was started with: answers are read against the steps it had then.
    protocol_version: int
    # The language its pages were first shown in, and stay in (None: started before runs
    # recorded one; shown in the reader's language).
    language: str | None = Field(default=None, max_length=16)
    status: RunStatus = Field(default=RunStatus.IN_PROGRESS, sa_type=enum_column(RunStatus, length=16))
    # The page to show when the coach resumes.
    current_page: str = Field(max_length=64)
    # The modal the run was started in: a submission that arrives before the run row is
    # written finds (or creates) the same run through it.
    origin_view_id: str | None = Field(default=None, unique=True, max_length=32)
    # The leader the run is about, if any.
    client_id: str | None = Field(default=None, foreign_key="client.id", index=True, max_length=32)
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None


class Answer(SQLModel, table=True):
    """One step's answer, written the moment it is given; one row per (run, step)."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("run_id", "step_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="protocol_run.id", index=True, max_length=32, ondelete="CASCADE")
    step_id: str = Field(max_length=64)
    # JSON: a string for text, date, time, user and single choice; a list for multi choice.
    value: str = Field(sa_type=SealedText)
    answered_at: datetime


class ProtocolSnapshot(SQLModel, table=True):
    """The definition of a protocol version as runs saw it: an author may edit the file while
    runs are in progress, and those runs go on with the steps they started with."""

    __tablename__ = "protocol_snapshot"

    protocol_id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    definition: str
    recorded_at: datetime


class AnswerRevision(SQLModel, table=True):
    """An answer as it was before the coach changed it after completing the run."""

    __tablename__ = "answer_revision"

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="protocol_run.id", index=True, max_length=32, ondelete="CASCADE")
    step_id: str = Field(max_length=64)
    value: str = Field(sa_type=SealedText)
    answered_at: datetime
    replaced_at: datetime


class Goal(SQLModel, table=True):
    """A measurable goal set in a protocol run (a theory of action), the subject of check-ins."""

    __tablename__ = "goal"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    coach_id: str = Field(max_length=32)
    client_id: str | None = Field(default=None, foreign_key="client.id", index=True, max_length=32)
    # One goal per run: completing the run again (a retry) finds it instead of adding another.
    # None for a goal a coach set directly when scheduling check-ins.
    run_id: str | None = Field(
        default=None, foreign_key="protocol_run.id", unique=True, max_length=32, ondelete="CASCADE"
    )
    statement: str = Field(sa_type=SealedText)
    # JSON: students, measure, baseline, target, due, gap as the coach gave them
    details: str = Field(sa_type=SealedText)
    created_at: datetime


class ShareAudience(StrEnum):
    CHANNEL = "channel"
    CLIENT = "client"


class Share(SQLModel, table=True):
    """A run's summary posted somewhere by the coach's explicit choice; withdrawing deletes the
    messages and keeps this record of what was shared when."""

    __tablename__ = "share"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    run_id: str = Field(foreign_key="protocol_run.id", index=True, max_length=32, ondelete="CASCADE")
    audience: ShareAudience = Field(sa_type=enum_column(ShareAudience))
    channel_id: str = Field(max_length=32)
    message_ts: str  # JSON list: a long summary takes several messages
    shared_at: datetime
    withdrawn_at: datetime | None = None


class CheckinSchedule(SQLModel, table=True):
    """When a leader is asked about a goal: a recurrence in the leader's own time zone."""

    __tablename__ = "checkin_schedule"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    coach_id: str = Field(max_length=32)
    client_id: str = Field(foreign_key="client.id", index=True, max_length=32)
    goal_id: str | None = Field(default=None, foreign_key="goal.id", max_length=32)
    leader_id: str = Field(max_length=32)
    cadence: Cadence = Field(sa_type=enum_column(Cadence, length=16))
    weekdays: str = Field(default="", max_length=16)  # "0,3" for Monday and Thursday
    local_time: str = Field(max_length=5)  # "HH:MM" in `tz`
    first_date: date
    end_date: date | None = None
    # IANA zone from users.info; refreshed when the leader's profile changes.
    tz: str = Field(max_length=64)
    reminder_after_hours: int | None = None
    paused: bool = False
    created_at: datetime
    updated_at: datetime


class DeliveryStatus(StrEnum):
    # Its message is owed in the outbox (bot.storage.owed), which alone knows how its send goes.
    PENDING = "pending"
    SENT = "sent"
    ANSWERED = "answered"
    MISSED = "missed"
    SKIPPED = "skipped"
    FAILED = "failed"


class Delivery(SQLModel, table=True):
    """One occurrence of a check-in for one leader: when it is due, until when an answer is taken,
    and what became of it. Its key makes a second materialization or a second process find the
    same row. Its message is an outbox row (kind "checkin", ref this id), which keeps how the
    send went and where the message landed."""

    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_due", "status", "due_at"),
        # A coach's recent check-ins (the Home, the charts): by schedule, then by time.
        Index("ix_delivery_schedule_due", "schedule_id", "due_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    key: str = Field(unique=True, max_length=120)
    schedule_id: str = Field(foreign_key="checkin_schedule.id", index=True, max_length=32)
    team_id: str = Field(max_length=32)
    recipient: str = Field(max_length=32)
    occurrence: date
    due_at: datetime
    # Late answers are taken until the next occurrence is due.
    answer_by: datetime
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=enum_column(DeliveryStatus, length=16)
    )
    # When the leader was last asked (a reminder follows from it).
    sent_at: datetime | None = None
    reason: str | None = Field(default=None, max_length=64)
    # The answer: a quick rating from the message, and/or the full check-in run.
    rating: int | None = None
    run_id: str | None = Field(default=None, foreign_key="protocol_run.id", max_length=32)
    answered_at: datetime | None = None


class Collaborative(SQLModel, table=True):
    """A channel registered as a Coach Collaborative: its members are the channel's members, read
    from Slack when needed rather than copied here, so joining or leaving needs no bookkeeping."""

    __tablename__ = "collaborative"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", name="uq_collaborative_team_channel"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    registered_by: str = Field(max_length=32)
    created_at: datetime


class RoundMode(StrEnum):
    # Minutes a phase; the presenter or facilitator moves the round on.
    LIVE = "live"
    # Hours or days a phase; the scheduler moves the round on.
    ASYNC = "async"


class RoundStatus(StrEnum):
    # Framed for a later time (a scheduled round): posted when `opens_at` comes.
    WAITING = "waiting"
    OPEN = "open"
    CLOSED = "closed"


class FeedbackRound(SQLModel, table=True):
    """One feedback round on one presenter's dilemma, run in the thread of its channel post.

    Phase changes are compare-and-set on `phase`, so a double click or a second process moves
    the round once; what a change owes (the announcement, the summaries) is owed in the outbox
    (`owed_message`) in the same transaction, and the outbox's sender posts it.
    """

    __tablename__ = "feedback_round"
    __table_args__ = (Index("ix_feedback_round_status", "status", "opens_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    collaborative_id: str = Field(foreign_key="collaborative.id", index=True, max_length=32)
    channel_id: str = Field(max_length=32)
    presenter_id: str = Field(max_length=32)
    facilitator_id: str | None = Field(default=None, max_length=32)
    protocol_id: str = Field(max_length=64)
    protocol_version: int
    # The presenter's framing answers live in this run; one round per framing.
    framing_run_id: str = Field(foreign_key="protocol_run.id", unique=True, max_length=32)
    client_id: str | None = Field(default=None, foreign_key="client.id", max_length=32)
    mode: RoundMode = Field(sa_type=enum_column(RoundMode, length=8))
    status: RoundStatus = Field(default=RoundStatus.OPEN, sa_type=enum_column(RoundStatus, length=8))
    opens_at: datetime
    thread_ts: str | None = Field(default=None, max_length=32)
    # Index into the protocol's phases; -1 until the round is posted.
    phase: int = -1
    phase_started_at: datetime | None = None
    reminded_phase: int = -1
    focus_restated: str | None = Field(default=None, sa_type=SealedText)
    closed_at: datetime | None = None
    created_at: datetime


class RoundPhase(SQLModel, table=True):
    """When each phase of a round opened: a reply is filed under the phase open when it was
    written (its Slack ts), even if the event reaches us late."""

    __tablename__ = "round_phase"

    round_id: str = Field(
        foreign_key="feedback_round.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    index: int = Field(primary_key=True)
    opened_at: datetime


class Contribution(SQLModel, table=True):
    """A member's reply in a round's thread. Keyed by the message ts, so a Slack retry or a
    catch-up read of the thread finds the row it already has."""

    __tablename__ = "contribution"
    __table_args__ = (UniqueConstraint("round_id", "ts", name="uq_contribution_round_ts"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    round_id: str = Field(foreign_key="feedback_round.id", index=True, max_length=32, ondelete="CASCADE")
    user_id: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    phase: int
    tag: str | None = Field(default=None, max_length=24)
    text: str = Field(sa_type=SealedText)
    posted_at: datetime
    edited_at: datetime | None = None
    withdrawn_at: datetime | None = None


class RoundReminder(SQLModel, table=True):
    """The presenter's private nudge to listen, once per phase: the row says they were told (by
    the outbox after the phase's announcement, or at once when they speak in it), so the other
    way says nothing more (members' DM reminders are outbox rows, bot.scheduling.kinds)."""

    __tablename__ = "round_reminder"

    round_id: str = Field(
        foreign_key="feedback_round.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    phase: int = Field(primary_key=True)
    user_id: str = Field(primary_key=True, max_length=32)
    sent_at: datetime


class ReminderOptOut(SQLModel, table=True):
    """A member who asked for no round reminders in this workspace."""

    __tablename__ = "round_reminder_opt_out"

    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    created_at: datetime


class NextStep(SQLModel, table=True):
    """Feedback the presenter chose to act on; with a client named, it is also that client's goal,
    ready for check-ins."""

    __tablename__ = "round_next_step"
    __table_args__ = (UniqueConstraint("round_id", "contribution_id", name="uq_round_next_step_pick"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    round_id: str = Field(foreign_key="feedback_round.id", index=True, max_length=32, ondelete="CASCADE")
    contribution_id: str = Field(foreign_key="contribution.id", max_length=32, ondelete="CASCADE")
    text: str = Field(sa_type=SealedText)
    goal_id: str | None = Field(default=None, foreign_key="goal.id", max_length=32)
    created_at: datetime


class RoundSchedule(SQLModel, table=True):
    """A collaborative's recurring round: every N weeks at a local time, presenters in turn."""

    __tablename__ = "round_schedule"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    collaborative_id: str = Field(foreign_key="collaborative.id", unique=True, max_length=32)
    protocol_id: str = Field(max_length=64)
    mode: RoundMode = Field(sa_type=enum_column(RoundMode, length=8))
    every_weeks: int
    first_date: date
    local_time: str = Field(max_length=5)
    tz: str = Field(max_length=64)
    rotation: str  # JSON list of user ids, in turn
    ask_days_ahead: int
    created_by: str = Field(max_length=32)
    created_at: datetime


class RoundInvitation(SQLModel, table=True):
    """The ask to the next presenter to frame their dilemma, once per occurrence (its key)."""

    __tablename__ = "round_invitation"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    key: str = Field(unique=True, max_length=120)
    schedule_id: str = Field(foreign_key="round_schedule.id", index=True, max_length=32, ondelete="CASCADE")
    presenter_id: str = Field(max_length=32)
    opens_at: datetime
    round_id: str | None = Field(default=None, foreign_key="feedback_round.id", max_length=32)


class DispatchPace(SQLModel, table=True):
    """When a workspace may next be sent a message. Slack paces chat.postMessage per workspace,
    not per process, so every dispatcher on the database takes its send slots from this one row
    (see bot.storage.pace)."""

    __tablename__ = "dispatch_pace"

    team_id: str = Field(primary_key=True, max_length=32)
    # Seconds since the Unix epoch by the database's clock, the one clock all processes share
    # (timestamps would need date arithmetic that SQLite does not have). A 429's Retry-After
    # moves it too.
    next_slot: float


class OpenedView(SQLModel, table=True):
    """A modal the bot opened or pushed, and for whom. A request may have a view updated only if
    the bot opened it for that same person: a view id in a payload is the sender's say-so."""

    __tablename__ = "opened_view"

    view_id: str = Field(primary_key=True, max_length=64)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    opened_at: datetime = Field(index=True)


class ActionDone(SQLModel, table=True):
    """A click or a form that acted (a share, an export, a schedule saved), keyed by what it did
    or by the submitted view, so a repeat within the window finds it and acts no more. Where it
    left a message, its channel and ts make the link the repeat is answered with."""

    __tablename__ = "action_done"

    key: str = Field(primary_key=True, max_length=255)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    done_at: datetime = Field(index=True)
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)


class OwedStatus(StrEnum):
    PENDING = "pending"
    # Taken by a sender, not begun: a sender that dies leaves it to go back as it is.
    CLAIMED = "claimed"
    # Its post is on its way (or was, when the sender died): looked up before it is sent again.
    SENDING = "sending"
    SENT = "sent"
    # For good: Slack refused it in a way no retry cures, or the retries ran out.
    FAILED = "failed"
    # Nothing to send any more (what it was about is gone).
    DROPPED = "dropped"


class OwedMessage(SQLModel, table=True):
    """A message the bot owes someone: the outbox. Its `key` says what it is about, so owing it
    twice (a Slack retry, a second process) finds the same row; the kind (bot.scheduling.kinds)
    renders it from `ref` when it is sent and says what follows a send or a failure."""

    __tablename__ = "owed_message"
    __table_args__ = (
        Index("ix_owed_message_due", "status", "due_at"),
        # What is owed about a thing (a check-in's reminder, an answer's notice).
        Index("ix_owed_message_ref", "kind", "ref"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    key: str = Field(unique=True, max_length=160)
    kind: str = Field(max_length=32)
    team_id: str = Field(max_length=32)
    # A user id (their DM with the bot) or a channel id; `thread_ts` for a reply in a thread.
    channel: str = Field(max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    # The id of what the message is about (a run, a round); the kind knows which.
    ref: str = Field(max_length=64)
    due_at: datetime
    status: OwedStatus = Field(default=OwedStatus.PENDING, sa_type=enum_column(OwedStatus, length=16))
    attempts: int = 0
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    # Where Slack put it (a DM's own channel id) and the first message's ts.
    posted_channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=64)
    created_at: datetime
