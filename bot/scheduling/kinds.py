"""Every kind of message the outbox sends, in one place: how to render a row, what to record once
Slack took it, and what follows when it failed for good.

A row names its kind and the id of what it is about (`ref`); the kind renders the message from
the database at the moment it is sent, so what goes out is what is true then. To add a kind:
write its three functions, register it in `kinds()`, and owe rows of it with an `Owe`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session

from bot import i18n, mrkdwn
from bot.actor import Actor
from bot.blocks.checkins import (
    checkin_message,
    coach_answer_messages,
    missed_message,
    notice_in_place,
    undeliverable_message,
)
from bot.blocks.checkins import reminder_message as checkin_reminder_message
from bot.blocks.messages import Message, notice_message, summary_messages
from bot.blocks.rounds import (
    invitation_message,
    listen_nudge,
    phase_announcement,
    presenter_summary,
    round_post,
    thread_summary,
)
from bot.blocks.rounds import reminder_message as round_reminder_message
from bot.mrkdwn import mention
from bot.services.checkins import ANSWER_NOTICE, CheckinContext, CheckinService
from bot.services.data_rights import LEADER_LEFT, DataRights
from bot.services.languages import LanguageService
from bot.services.round_schedules import InvitationDue, RoundScheduleService
from bot.services.rounds import (
    ROUND_LISTEN,
    ROUND_PHASE,
    ROUND_POST,
    ROUND_RECORD,
    ROUND_SUMMARY,
    RoundRecord,
    RoundService,
    RoundView,
)
from bot.services.runs import RunNotFound, RunService
from bot.slack_gateway import INSTALL_ERRORS, PERMANENT_ERRORS, Posted
from bot.storage import checkins as checkin_repo
from bot.storage.checkins import CHECKIN, CHECKIN_REMINDER
from bot.storage.models import Delivery, DeliveryStatus, OwedMessage, RoundStatus
from bot.storage.owed import Owe

SUMMARY = "summary"
SUMMARY_UNDELIVERED = "summary_undelivered"
PAUSE_NOTICE = "pause_notice"
MISSED_NOTICE = "missed_notice"
UNDELIVERABLE_NOTICE = "undeliverable_notice"
ROUND_REMINDER = "round_reminder"
ROUND_INVITATION = "round_invitation"
ROUND_NOT_POSTED = "round_not_posted"
# A round's own messages are named beside the round's state machine, which owes them
# (bot.services.rounds): ROUND_POST, ROUND_PHASE, ROUND_LISTEN, ROUND_SUMMARY, ROUND_RECORD.

# Slack's answers to a post in a channel the bot is not in (or no longer can be).
NOT_IN_CHANNEL = ("not_in_channel", "channel_not_found", "is_archived")
# Failures about the recipient or the install: telling the person by DM would fail the same way.
UNREACHABLE = INSTALL_ERRORS | {
    "channel_not_found",
    "user_not_found",
    "user_disabled",
    "is_archived",
    "not_in_channel",
}


@dataclass(frozen=True)
class Kind:
    name: str
    # The messages to post for a row, or None when nothing is owed any more (it was deleted).
    render: Callable[[OwedMessage], list[Message] | None]
    # What to do once Slack took it and the row is recorded sent.
    sent: Callable[[OwedMessage, Posted], None]
    # What is owed because it failed for good (Slack's error): whoever needs to know is told.
    failed: Callable[[OwedMessage, str], list[Owe]]
    # For a message only one person in the row's channel sees (chat.postEphemeral): who. Slack
    # keeps no trace of it to look up, so a send a dead sender began is sent again.
    whisper_to: Callable[[OwedMessage], str] | None = None
    # What to record, and owe, in the very transaction that records the row sent (where it
    # landed, and when): neither is ever recorded without the other, and what the send leads to
    # (a round opening, a presenter's reminder) is owed with it, never a moment after.
    record: Callable[[Session, OwedMessage, Posted, datetime], None] | None = None
    # Reads what a batch of its rows will say in one query, before they are rendered one by one.
    prefetch: Callable[[Sequence[OwedMessage]], None] | None = None
    # The language its reader reads (None: English); `kinds()` gives every kind one.
    language: Callable[[OwedMessage], str | None] | None = None


def _nothing_to_record(row: OwedMessage, posted: Posted) -> None:
    """Most kinds keep what was sent in the outbox row itself."""


def _nobody_to_tell(row: OwedMessage, error: str) -> list[Owe]:
    """A notice that could not be sent is itself the telling: the sender's line (by key, with
    Slack's error) is what there is, for the operator."""
    return []


def summary_owed(coach: Actor, run_id: str) -> Owe:
    """A completed run's summary, owed to its coach's DM."""
    return Owe(f"{SUMMARY}:{run_id}", SUMMARY, coach.team_id, coach.user_id, run_id)


def pause_notice_owed(team_id: str, checkin: CheckinContext) -> Owe:
    """The coach hears that the leader paused their check-ins from this one."""
    return Owe(
        f"{PAUSE_NOTICE}:{checkin.delivery_id}", PAUSE_NOTICE, team_id, checkin.coach_id, checkin.delivery_id
    )


def checkin_reminder_owed(delivery: Delivery, message: checkin_repo.Posted) -> Owe:
    """One nudge in the thread of a sent check-in's message."""
    key = f"{CHECKIN_REMINDER}:{delivery.id}"
    return Owe(key, CHECKIN_REMINDER, delivery.team_id, message.channel, delivery.id, thread_ts=message.ts)


def missed_notice_owed(delivery: Delivery, coach_id: str) -> Owe:
    """The coach hears that a check-in was missed (unanswered, or not sent in time)."""
    return Owe(f"{MISSED_NOTICE}:{delivery.id}", MISSED_NOTICE, delivery.team_id, coach_id, delivery.id)


def round_reminder_owed(view: RoundView, member: str) -> Owe:
    """A member who has not replied in the open phase is reminded once in it."""
    round_ = view.round
    ref = f"{round_.id}:{round_.phase}"
    return Owe(f"{ROUND_REMINDER}:{ref}:{member}", ROUND_REMINDER, round_.team_id, member, ref)


def round_invitation_owed(invitation: InvitationDue) -> Owe:
    """The next presenter is asked ahead to frame their dilemma."""
    key = f"{ROUND_INVITATION}:{invitation.id}"
    return Owe(key, ROUND_INVITATION, invitation.team_id, invitation.presenter_id, invitation.id)


def round_not_posted_owed(view: RoundView, error: str) -> Owe:
    """The presenter hears that Slack would not take their round in its channel (the bot is not
    in it, it is gone, or Slack kept failing): their framing is kept, to post again."""
    round_ = view.round
    key = f"{ROUND_NOT_POSTED}:{round_.id}"
    # The round row goes with the failed post: the notice keeps the channel it names, and what
    # Slack said (short codes; a ref holds 64 characters).
    ref = f"{round_.channel_id}:{error[:31]}"
    return Owe(key, ROUND_NOT_POSTED, round_.team_id, round_.presenter_id, ref)


def kinds(
    runs: RunService,
    checkins: CheckinService,
    rounds: RoundService,
    round_schedules: RoundScheduleService,
    data_rights: DataRights,
    refresh_home: Callable[[str, str], None],
    languages: LanguageService,
) -> dict[str, Kind]:
    """The registry the sender works from. `refresh_home(team_id, user_id)` republishes someone's
    Home tab: what a coach is told by DM (a check-in missed, an answer, a pause, a leader who
    left) and a round that opens or moves on change what their Home shows, so it is current
    before they look. Each message is rendered in its reader's language: a check-in and what
    follows it in the leader's (`CheckinContext.leader_language`), a DM in its person's."""

    def readers_language(row: OwedMessage) -> str | None:
        """A message to one person's DM (the row's channel is their user id) is in their
        language; any other in a channel, read by many, is in English."""
        if row.channel[:1] not in "UW":
            return None
        return languages.reading(row.team_id, row.channel).language

    def coach_told(row: OwedMessage, posted: Posted) -> None:
        refresh_home(row.team_id, row.channel)

    def round_moved(view: RoundView) -> None:
        """The presenter's and the facilitator's Homes list the round with its phase."""
        round_ = view.round
        for user in dict.fromkeys(filter(None, (round_.presenter_id, round_.facilitator_id))):
            refresh_home(round_.team_id, user)

    def render_summary(row: OwedMessage) -> list[Message] | None:
        try:
            return summary_messages(runs.completed(Actor(row.team_id, row.channel), row.ref))
        except RunNotFound:
            return None  # deleted before it went out

    def summary_failed(row: OwedMessage, error: str) -> list[Owe]:
        """The coach hears that their summary could not be sent, unless Slack cannot reach them
        either (then the gateway's or the sender's log line is all there is)."""
        if error in UNREACHABLE:
            return []
        key = f"{SUMMARY_UNDELIVERED}:{row.ref}"
        # The notice's ref: the run, and what Slack said (short codes; a ref holds 64 characters).
        return [Owe(key, SUMMARY_UNDELIVERED, row.team_id, row.channel, f"{row.ref}:{error[:31]}")]

    def render_undelivered(row: OwedMessage) -> list[Message] | None:
        run_id, _, error = row.ref.partition(":")
        try:
            completed = runs.completed(Actor(row.team_id, row.channel), run_id)
        except RunNotFound:
            return None
        return [notice_message(SUMMARY_UNDELIVERED, protocol=completed.protocol, error=error)]

    def render_pause_notice(row: OwedMessage) -> list[Message] | None:
        checkin = checkins.context(row.ref)
        return None if checkin is None else [notice_in_place("checkin_paused_coach", checkin=checkin)]

    def render_round_reminder(row: OwedMessage) -> list[Message] | None:
        round_id, _, phase = row.ref.partition(":")
        view = rounds.still_to_remind(round_id, int(phase), row.channel)
        return None if view is None else [round_reminder_message(view)]

    def render_invitation(row: OwedMessage) -> list[Message] | None:
        invitation = round_schedules.invitation(invitation_id=row.ref)
        if invitation is None:
            return None  # its round has begun: too late to frame it
        protocol = rounds.protocols.get(invitation.protocol_id)
        title = protocol.in_language(i18n.current()).title if protocol else invitation.protocol_id
        return [invitation_message(invitation.channel_id, invitation.opens_at, title, invitation.id)]

    # What the check-ins of the sender's current batch say, read for the batch in one query (a
    # pass sends thousands); a row not found here (sent on its own) is read by itself.
    prefetched: dict[str, CheckinContext] = {}

    def prefetch_checkins(rows: Sequence[OwedMessage]) -> None:
        prefetched.clear()
        prefetched.update(checkins.contexts([row.ref for row in rows]))

    def leaders_language(row: OwedMessage) -> str | None:
        """A check-in (and its reminder, in the DM's thread) is in its leader's language; read
        before it is rendered, it keeps what it read for the render."""
        checkin = prefetched.get(row.ref) or checkins.context(row.ref)
        if checkin is None:
            return None
        prefetched[row.ref] = checkin
        return checkin.leader_language

    def render_checkin(row: OwedMessage) -> list[Message] | None:
        checkin = prefetched.pop(row.ref, None) or checkins.context(row.ref)
        if checkin is None or checkin.status is not DeliveryStatus.PENDING:
            return None  # skipped, answered, missed or gone since it was owed
        return [checkin_message(checkin)]

    def checkin_sent(session: Session, row: OwedMessage, posted: Posted, sent_at: datetime) -> None:
        checkin_repo.record_sent(session, delivery_id=row.ref, sent_at=sent_at)

    def checkin_failed(row: OwedMessage, error: str) -> list[Owe]:
        """A check-in that can never reach its leader (they left, the app lost its install):
        the schedule pauses and the coach hears why. Retries that ran out end the occurrence
        alone; the next one is tried as usual."""
        checkins.record_undeliverable(row.ref, error)
        checkin = checkins.context(row.ref)
        if checkin is None or error not in PERMANENT_ERRORS:
            return []
        checkins.pause_for_occurrence(row.ref)
        key = f"{UNDELIVERABLE_NOTICE}:{row.ref}"
        return [Owe(key, UNDELIVERABLE_NOTICE, row.team_id, checkin.coach_id, row.ref)]

    def render_checkin_reminder(row: OwedMessage) -> list[Message] | None:
        checkin = prefetched.pop(row.ref, None) or checkins.context(row.ref)
        if checkin is None or checkin.status is not DeliveryStatus.SENT:
            return None  # answered (or closed) since it was owed
        return [checkin_reminder_message()]

    def render_answer_notice(row: OwedMessage) -> list[Message] | None:
        """The leader's rating, and the summary of their full check-in, as they are now."""
        checkin = checkins.context(row.ref)
        if checkin is None:
            return None
        summary = None
        if checkin.run_id:
            leader = Actor(checkin.team_id, checkin.recipient)  # the run is the leader's own
            summary = runs.completed(leader, checkin.run_id).summary
        return coach_answer_messages(checkin, checkin.rating, summary)

    def render_missed(row: OwedMessage) -> list[Message] | None:
        checkin = checkins.context(row.ref)
        return None if checkin is None else [missed_message(checkin, checkin.reason)]

    def render_undeliverable(row: OwedMessage) -> list[Message] | None:
        checkin = checkins.context(row.ref)
        return None if checkin is None else [undeliverable_message(checkin, checkin.reason or "")]

    def render_not_posted(row: OwedMessage) -> list[Message] | None:
        channel, _, error = row.ref.partition(":")
        if error in ("", *NOT_IN_CHANNEL):  # a bare channel: owed before the error was kept
            return [notice_message("round_not_in_channel", channel=mrkdwn.channel(channel))]
        return [notice_message("round_not_posted", channel=mrkdwn.channel(channel), error=error)]

    def _phase_of(row: OwedMessage) -> RoundView | None:
        round_id, _, phase = row.ref.rpartition(":")
        return rounds.posted_view(round_id, int(phase))

    def render_round_post(row: OwedMessage) -> list[Message] | None:
        view = rounds.unposted_view(row.ref)
        return None if view is None else round_post(view, rounds.opening(view))

    def round_posted(session: Session, row: OwedMessage, posted: Posted, sent_at: datetime) -> None:
        """The post's ts is the round's thread: phase 0 opens, and its announcement is owed."""
        rounds.start_in(session, row.ref, posted.ts[0], now=sent_at)

    def round_post_failed(row: OwedMessage, error: str) -> list[Owe]:
        """The round goes back to being a draft framing, and its presenter hears why."""
        view = rounds.unposted_view(row.ref)
        if view is None:
            return []
        rounds.unpost(row.ref)
        return [round_not_posted_owed(view, error)]

    def render_phase(row: OwedMessage) -> list[Message] | None:
        view = _phase_of(row)  # None once the round moved on: the next announcement says it
        return None if view is None else [phase_announcement(view)]

    def phase_recorded(session: Session, row: OwedMessage, posted: Posted, sent_at: datetime) -> None:
        view = _phase_of(row)
        if view is not None:
            rounds.owe_after_announcement(session, view, now=sent_at)

    def phase_announced(row: OwedMessage, posted: Posted) -> None:
        view = _phase_of(row)
        if view is not None:
            round_moved(view)

    def render_listen(row: OwedMessage) -> list[Message] | None:
        view = _phase_of(row)
        if view is None or rounds.presenter_nudged(view):
            return None  # moved on, or the presenter was told when they spoke
        return [listen_nudge(view)]

    def presenter_told(row: OwedMessage, posted: Posted) -> None:
        view = _phase_of(row)
        if view is not None:
            rounds.nudged_presenter(view)

    def presenter_of(row: OwedMessage) -> str:
        return rounds.get(row.ref.rpartition(":")[0]).round.presenter_id

    def rounds_language(row: OwedMessage) -> str | None:
        """A round's post, announcements and thread summary, read by the whole channel, are in
        the language the round was framed in (its ref starts with the round's id)."""
        return rounds.language(row.ref.partition(":")[0])

    def presenters_language(row: OwedMessage) -> str | None:
        return languages.reading(row.team_id, presenter_of(row)).language

    def _closed(row: OwedMessage) -> RoundRecord | None:
        view = rounds.posted_view(row.ref)
        if view is None or view.round.status is not RoundStatus.CLOSED:
            return None
        return rounds.record(row.ref)

    def render_round_summary(row: OwedMessage) -> list[Message] | None:
        record = _closed(row)
        return None if record is None else thread_summary(record)

    def render_round_record(row: OwedMessage) -> list[Message] | None:
        record = _closed(row)
        return None if record is None else presenter_summary(record)

    def render_leader_left(row: OwedMessage) -> list[Message] | None:
        client = data_rights.client_who_left(row.ref)
        return None if client is None else [notice_message("leader_left", leader=mention(client.leader_id))]

    registered = [
        Kind(SUMMARY, render_summary, _nothing_to_record, summary_failed),
        Kind(SUMMARY_UNDELIVERED, render_undelivered, _nothing_to_record, _nobody_to_tell),
        Kind(PAUSE_NOTICE, render_pause_notice, coach_told, _nobody_to_tell),
        Kind(
            CHECKIN,
            render_checkin,
            _nothing_to_record,
            checkin_failed,
            record=checkin_sent,
            prefetch=prefetch_checkins,
            language=leaders_language,
        ),
        Kind(
            CHECKIN_REMINDER,
            render_checkin_reminder,
            _nothing_to_record,
            _nobody_to_tell,
            language=leaders_language,
        ),
        Kind(ANSWER_NOTICE, render_answer_notice, coach_told, _nobody_to_tell),
        Kind(MISSED_NOTICE, render_missed, coach_told, _nobody_to_tell),
        Kind(UNDELIVERABLE_NOTICE, render_undeliverable, coach_told, _nobody_to_tell),
        Kind(ROUND_REMINDER, render_round_reminder, _nothing_to_record, _nobody_to_tell),
        Kind(ROUND_INVITATION, render_invitation, _nothing_to_record, _nobody_to_tell),
        Kind(ROUND_NOT_POSTED, render_not_posted, _nothing_to_record, _nobody_to_tell),
        Kind(LEADER_LEFT, render_leader_left, coach_told, _nobody_to_tell),
        Kind(
            ROUND_POST,
            render_round_post,
            _nothing_to_record,
            round_post_failed,
            record=round_posted,
            language=rounds_language,
        ),
        Kind(
            ROUND_PHASE,
            render_phase,
            phase_announced,
            _nobody_to_tell,
            record=phase_recorded,
            language=rounds_language,
        ),
        Kind(
            ROUND_LISTEN,
            render_listen,
            presenter_told,
            _nobody_to_tell,
            whisper_to=presenter_of,
            language=presenters_language,
        ),
        Kind(
            ROUND_SUMMARY, render_round_summary, _nothing_to_record, _nobody_to_tell, language=rounds_language
        ),
        Kind(ROUND_RECORD, render_round_record, _nothing_to_record, _nobody_to_tell),
    ]
    registered = [kind if kind.language else replace(kind, language=readers_language) for kind in registered]
    return {kind.name: kind for kind in registered}
