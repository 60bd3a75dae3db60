"""Collaborative feedback rounds: framing, phases, captured replies, reminders, next steps.

Nothing here knows Slack payloads: callers pass ids, text and Slack timestamps. A reply is
filed under the phase that was open when it was written (its ts), so a reply whose event
arrives late, or is read from the thread after a restart, lands where it belongs.

The round's state machine decides what the round owes and owes it in the outbox
(bot.storage.owed) in the same transaction as the change that owes it: a round framed owes its
post, the post once Slack took it owes phase 0's announcement, a phase moved on owes its
announcement, a round closed owes its summaries. What is owed in the thread is owed only once
the thread exists (a phase moves only in a posted round), so every such row names its thread
from the start and a dead sender's post is looked up there. The outbox's kinds
(bot.scheduling.kinds) render each from the database when it is sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.actor import Actor, Clock
from bot.protocols import engine as rules
from bot.protocols.catalog import Catalog
from bot.protocols.schema import PhaseSpec, PresenterRole, Protocol
from bot.services.runs import PageToShow, RunNotFound, RunService
from bot.storage import clients as client_repo
from bot.storage import erasure, owed
from bot.storage import rounds as repo
from bot.storage import runs as run_repo
from bot.storage.models import (
    Contribution,
    FeedbackRound,
    Goal,
    NextStep,
    OwedStatus,
    RoundMode,
    RoundStatus,
)
from bot.storage.owed import Owe

AUDIENCE = "collaborative"
# The outbox's kinds a round owes (registered in bot.scheduling.kinds).
ROUND_POST = "round_post"
ROUND_PHASE = "round_phase"
ROUND_LISTEN = "round_listen"
ROUND_SUMMARY = "round_summary"
ROUND_RECORD = "round_record"
# Members who have not replied are reminded once this share of a phase's planned length has passed.
REMINDER_AT = 0.75


class NotAllowed(PermissionError):
    """Only the presenter or the facilitator moves a round on or ends it."""


class NotACollaborative(LookupError):
    """The channel was never registered as a Coach Collaborative."""


class RoundNotFound(LookupError):
    pass


@dataclass(frozen=True)
class RoundSetup:
    """How a presenter wants their round run, chosen beside the framing."""

    channel_id: str
    mode: RoundMode = RoundMode.LIVE
    facilitator_id: str | None = None
    opens_at: datetime | None = None
    invitation_id: str | None = None


@dataclass(frozen=True)
class RoundView:
    """A round with its protocol, as views and the keeper need it."""

    round: FeedbackRound
    protocol: Protocol

    @property
    def phases(self) -> tuple[PhaseSpec, ...]:
        assert self.protocol.round is not None
        return self.protocol.round.phases

    @property
    def phase(self) -> PhaseSpec | None:
        index = self.round.phase
        return self.phases[index] if 0 <= index < len(self.phases) else None

    @property
    def is_last_phase(self) -> bool:
        return self.round.phase == len(self.phases) - 1

    def phase_length(self) -> timedelta:
        phase = self.phase
        assert phase is not None
        if self.round.mode is RoundMode.LIVE:
            return timedelta(minutes=phase.minutes)
        return timedelta(hours=phase.hours)

    def phase_ends_at(self) -> datetime | None:
        started = self.round.phase_started_at
        return started + self.phase_length() if started and self.phase else None

    def may_steer(self, user_id: str) -> bool:
        return user_id in (self.round.presenter_id, self.round.facilitator_id)


@dataclass(frozen=True)
class Captured:
    """A reply newly stored, with what the bot may owe its author (a tag question, a nudge)."""

    contribution: Contribution
    view: RoundView
    phase: PhaseSpec
    # The phase sorts replies (warm / cool) and this one named no kind.
    needs_tag: bool
    # The presenter spoke during a phase where they listen.
    presenter_interrupting: bool


@dataclass(frozen=True)
class PhaseReplies:
    phase: PhaseSpec
    replies: list[Contribution]


@dataclass(frozen=True)
class RoundRecord:
    """Everything a round's summaries show."""

    view: RoundView
    focus: str
    restated: str | None
    by_phase: list[PhaseReplies]
    reflection: list[Contribution]
    next_steps: list[NextStep]


def _tag_pattern(phase: PhaseSpec) -> re.Pattern[str] | None:
    if not phase.tags:
        return None
    words = "|".join(re.escape(tag.word) for tag in phase.tags)
    return re.compile(rf"^\s*\*?({words})\*?\s*[:\-\u2013\u2014,.]", re.IGNORECASE)


def leading_tag(phase: PhaseSpec, text: str) -> str | None:
    """The kind of feedback a reply names with its first word ("warm: …", "Cool - …")."""
    pattern = _tag_pattern(phase)
    match = pattern.match(text) if pattern else None
    return match.group(1).lower() if match else None


def ts_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


def post_owed(round_: FeedbackRound) -> Owe:
    """The round's post in its channel, due when the round opens."""
    return Owe(
        f"{ROUND_POST}:{round_.id}", ROUND_POST, round_.team_id, round_.channel_id, round_.id, round_.opens_at
    )


def phase_owed(round_: FeedbackRound) -> Owe:
    """The open phase's announcement, in the round's thread."""
    ref = f"{round_.id}:{round_.phase}"
    return Owe(
        f"{ROUND_PHASE}:{ref}",
        ROUND_PHASE,
        round_.team_id,
        round_.channel_id,
        ref,
        thread_ts=round_.thread_ts,
    )


def listen_owed(round_: FeedbackRound) -> Owe:
    """The presenter's private reminder that they listen in this phase, in the thread."""
    ref = f"{round_.id}:{round_.phase}"
    return Owe(
        f"{ROUND_LISTEN}:{ref}",
        ROUND_LISTEN,
        round_.team_id,
        round_.channel_id,
        ref,
        thread_ts=round_.thread_ts,
    )


def closing_owed(round_: FeedbackRound) -> list[Owe]:
    """A closed round's short summary in its thread, and the presenter's whole record by DM."""
    in_thread = Owe(
        f"{ROUND_SUMMARY}:{round_.id}",
        ROUND_SUMMARY,
        round_.team_id,
        round_.channel_id,
        round_.id,
        thread_ts=round_.thread_ts,
    )
    record = Owe(f"{ROUND_RECORD}:{round_.id}", ROUND_RECORD, round_.team_id, round_.presenter_id, round_.id)
    return [in_thread, record]


class RoundService:
    def __init__(self, *, engine: Engine, runs: RunService, clock: Clock) -> None:
        self._engine = engine
        self._runs = runs
        self._clock = clock
        self.protocols: Catalog = runs.catalog.for_audience(AUDIENCE)

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    # Collaboratives

    def register(self, team_id: str, channel_id: str, by: str) -> bool:
        """True the first time a channel is registered; registering again changes nothing."""
        with self._session() as session:
            return repo.register_collaborative(
                session, team_id=team_id, channel_id=channel_id, by=by, now=self._clock()
            )

    def unregister(self, team_id: str, channel_id: str) -> None:
        """Undo a registration the bot could not announce (it was not in the channel)."""
        with self._session() as session:
            repo.unregister_collaborative(session, team_id=team_id, channel_id=channel_id)

    def is_collaborative(self, team_id: str, channel_id: str) -> bool:
        with self._session() as session:
            return repo.collaborative_for(session, team_id=team_id, channel_id=channel_id) is not None

    # Framing

    def framing_page(self, coach: Actor, protocol_id: str) -> PageToShow:
        """The framing modal's page: the presenter's unfinished framing of this kind of round if
        they closed one midway (nothing typed is lost), else a fresh page."""
        with self._session() as session:
            draft = repo.framing_draft(
                session, team_id=coach.team_id, user_id=coach.user_id, protocol_id=protocol_id
            )
        if draft is None:
            return self._runs.first_page(protocol_id)
        return self._runs.resume(coach, draft.id)

    def open_round(self, coach: Actor, run_id: str, setup: RoundSetup) -> FeedbackRound:
        """The round for a completed framing, created once however often the submission comes."""
        completed = self._runs.completed(coach, run_id)
        protocol = completed.protocol
        if protocol.round is None:
            raise RunNotFound(run_id)
        now = self._clock()
        with self._session() as session:
            collaborative = repo.collaborative_for(
                session, team_id=coach.team_id, channel_id=setup.channel_id
            )
            if collaborative is None:
                raise NotACollaborative(setup.channel_id)
            answers = self._runs.step_answers(coach, run_id)
            client_id = self._client_of(session, coach, protocol, answers)
            opens_at = setup.opens_at if setup.opens_at and setup.opens_at > now else now
            round_ = repo.add_round(
                session,
                round_=FeedbackRound(
                    team_id=coach.team_id,
                    collaborative_id=collaborative.id,
                    channel_id=setup.channel_id,
                    presenter_id=coach.user_id,
                    facilitator_id=setup.facilitator_id if setup.facilitator_id != coach.user_id else None,
                    protocol_id=protocol.id,
                    protocol_version=protocol.version,
                    framing_run_id=run_id,
                    client_id=client_id,
                    mode=setup.mode,
                    status=RoundStatus.WAITING if opens_at > now else RoundStatus.OPEN,
                    opens_at=opens_at,
                    created_at=now,
                ),
            )
            if setup.invitation_id:
                repo.link_invitation(session, invitation_id=setup.invitation_id, round_id=round_.id)
            # A retried submission finds the round and its post owed already; a crash before
            # this line is made good by the keeper's next pass (`owe_due_posts`).
            owed.owe(session, [post_owed(round_)], now=now)
            return round_

    def _client_of(
        self, session: Session, coach: Actor, protocol: Protocol, answers: dict[str, rules.Value]
    ) -> str | None:
        step = protocol.round.client_step if protocol.round else None
        leader_id = answers.get(step) if step else None
        if not isinstance(leader_id, str):
            return None
        client = client_repo.find_client(
            session, team_id=coach.team_id, coach_id=coach.user_id, leader_id=leader_id
        )
        return client.id if client else None

    def _view(self, round_: FeedbackRound) -> RoundView:
        return RoundView(round_, self._runs.protocol_at(round_.protocol_id, round_.protocol_version))

    def language(self, round_id: str) -> str | None:
        """The language a round speaks in its channel: the one its presenter framed it in (the
        framing quoted in the post is in it too), whoever's request or job sends the message."""
        with self._session() as session:
            round_ = repo.get_round(session, round_id=round_id)
            framing = run_repo.get_run(session, run_id=round_.framing_run_id) if round_ else None
            return framing.language if framing else None

    def get(self, round_id: str) -> RoundView:
        with self._session() as session:
            round_ = repo.get_round(session, round_id=round_id)
        if round_ is None:
            raise RoundNotFound(round_id)
        return self._view(round_)

    def opening(self, view: RoundView) -> str:
        """The round's post in the channel: the framing summary, from the protocol's template."""
        coach = Actor(view.round.team_id, view.round.presenter_id)
        return self._runs.completed(coach, view.round.framing_run_id).summary

    def focus(self, view: RoundView) -> str:
        assert view.protocol.round is not None
        coach = Actor(view.round.team_id, view.round.presenter_id)
        answers = self._runs.step_answers(coach, view.round.framing_run_id)
        return str(answers.get(view.protocol.round.focus_step) or "")

    def now(self) -> datetime:
        return self._clock()

    def unpost(self, round_id: str) -> None:
        view = self.get(round_id)
        with self._session() as session:
            repo.unpost(session, round_id=round_id, run_id=view.round.framing_run_id)

    def open_views(self) -> list[RoundView]:
        with self._session() as session:
            return [self._view(r) for r in repo.open_rounds(session)]

    # What the rounds owe: the outbox sends it, and tells the round what Slack took.

    def owe_due_posts(self) -> list[tuple[RoundView, str]]:
        """Rounds due to be posted and not posted yet: each has its post owed (again, if a crash
        came between framing and owing: the key makes it once). A post recorded sent whose round
        never opened (an earlier version recorded the two apart, and died between them) opens
        its round now. One that failed
        for good, its failure not yet acted on, goes back to being a draft: returned with
        Slack's error, for the presenter to be told."""
        now = self._clock()
        with self._session() as session:
            due = list(repo.rounds_to_post(session, now=now, limit=50))
            rows = owed.by_keys(session, keys=[post_owed(r).key for r in due])
            owed.owe(session, [post_owed(r) for r in due if post_owed(r).key not in rows], now=now)
        withdrawn = []
        for round_ in due:
            row = rows.get(post_owed(round_).key)
            if row is not None and row.status is OwedStatus.SENT and row.ts:
                self.started(round_.id, row.ts)
            elif row is not None and row.status is OwedStatus.FAILED:
                withdrawn.append((self._view(round_), row.reason or ""))
                self.unpost(round_.id)
        return withdrawn

    def started(self, round_id: str, thread_ts: str) -> None:
        """A post recorded sent whose round never opened: the round opens now."""
        with self._session() as session:
            self.start_in(session, round_id, thread_ts, now=self._clock())
            session.commit()

    def start_in(self, session: Session, round_id: str, thread_ts: str, *, now: datetime) -> None:
        """Slack took the round's post: it opens at phase 0, whose announcement is owed, in
        `session` (the transaction that records the post sent, so that there is no moment when
        the post is recorded and the round not yet open)."""
        repo.start_round(session, round_id=round_id, thread_ts=thread_ts, now=now, owing=phase_owed)

    def owed_after(self, view: RoundView) -> list[Owe]:
        """What the round owes for where it is now, in the order a waiting person sees it: the
        open phase's announcement (and, in a phase where the presenter listens, their private
        reminder), or the closing summaries."""
        round_ = view.round
        if round_.thread_ts is None:
            return []
        if round_.status is RoundStatus.CLOSED:
            return closing_owed(round_)
        phase = view.phase
        listens = phase is not None and phase.presenter is PresenterRole.LISTENS
        return [phase_owed(round_), *([listen_owed(round_)] if listens else [])]

    def owe_after_announcement(self, session: Session, view: RoundView, *, now: datetime) -> None:
        """In a phase where the presenter listens, their private reminder is owed after its
        announcement (unless they were reminded already), in `session`: the transaction that
        records the announcement sent. Owed in a transaction of its own, as it was, a process
        dying in between lost the reminder, and for a moment the round owed nothing while its
        reminder was still to come."""
        reminder = self.owed_after(view)[1:]
        round_ = view.round
        if reminder and not repo.was_reminded(
            session, round_id=round_.id, phase=round_.phase, user_id=round_.presenter_id
        ):
            owed.owe(session, reminder, now=now, commit=False)

    def presenter_nudged(self, view: RoundView) -> bool:
        """Whether the presenter was reminded to listen in the round's open phase already."""
        with self._session() as session:
            return repo.was_reminded(
                session, round_id=view.round.id, phase=view.round.phase, user_id=view.round.presenter_id
            )

    def posted_view(self, round_id: str, phase: int | None = None) -> RoundView | None:
        """The round an owed message is about, if it is still as it was owed: posted, and (for
        a phase's message) still open in that phase. None when there is nothing to send."""
        try:
            view = self.get(round_id)
        except RoundNotFound:
            return None
        if view.round.thread_ts is None:
            return None
        if phase is not None and (view.round.status is not RoundStatus.OPEN or view.round.phase != phase):
            return None
        return view

    def unposted_view(self, round_id: str) -> RoundView | None:
        """The round, while its post is still owed (not posted, not withdrawn)."""
        try:
            view = self.get(round_id)
        except RoundNotFound:
            return None
        return view if view.round.thread_ts is None else None

    # Moving on

    def advance(
        self, round_id: str, *, seen_phase: int, by: str | None, end: bool = False
    ) -> RoundView | None:
        """Move the round from `seen_phase` to the next (or close it after the last, or at once
        with `end`), owing what the move owes in the same transaction. None if someone else
        already moved it. `by` None is the scheduler."""
        view = self.get(round_id)
        if by is not None and not view.may_steer(by):
            raise NotAllowed(by)
        now = self._clock()
        with self._session() as session:
            if end or view.is_last_phase:
                moved = repo.close_round(
                    session, round_id=round_id, from_phase=seen_phase, now=now, owing=closing_owed(view.round)
                )
            else:
                next_ = view.round.model_copy(update={"phase": seen_phase + 1})
                moved = repo.move_phase(
                    session,
                    round_id=round_id,
                    from_phase=seen_phase,
                    to_phase=seen_phase + 1,
                    now=now,
                    owing=[phase_owed(next_)],
                )
        return self.get(round_id) if moved else None

    def overdue(self) -> list[RoundView]:
        """Asynchronous rounds whose phase has run its time: the scheduler moves them on."""
        now = self._clock()
        with self._session() as session:
            rounds = repo.open_rounds(session)
        views = [self._view(r) for r in rounds if r.mode is RoundMode.ASYNC]
        return [v for v in views if (ends := v.phase_ends_at()) is not None and ends <= now]

    # Replies in the thread

    def _phase_at(self, session: Session, view: RoundView, ts: str) -> int | None:
        written = ts_time(ts)
        if view.round.closed_at is not None and written > view.round.closed_at:
            return None
        index = None
        for phase in repo.phases_of(session, round_id=view.round.id):
            if phase.opened_at <= written:
                index = phase.index
        return index

    def capture(
        self, *, team_id: str, channel_id: str, thread_ts: str, user_id: str, ts: str, text: str
    ) -> Captured | None:
        """Store a reply in a round's thread once; None for a thread that is no round, a reply
        outside the round's time, or one already stored (a Slack retry)."""
        with self._session() as session:
            round_ = repo.round_in_thread(
                session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts
            )
            if round_ is None:
                return None
            view = self._view(round_)
            index = self._phase_at(session, view, ts)
            if index is None:
                return None
            phase = view.phases[index]
            tag = leading_tag(phase, text)
            stored = repo.add_contribution(
                session,
                contribution=Contribution(
                    round_id=round_.id,
                    user_id=user_id,
                    ts=ts,
                    phase=index,
                    tag=tag,
                    text=text,
                    posted_at=ts_time(ts),
                ),
            )
        if stored is None:
            return None
        is_presenter = user_id == round_.presenter_id
        return Captured(
            stored,
            view,
            phase,
            needs_tag=bool(phase.tags) and tag is None and not is_presenter,
            presenter_interrupting=is_presenter and phase.presenter is PresenterRole.LISTENS,
        )

    def catch_up(self, view: RoundView, replies: Sequence[tuple[str, str, str]]) -> int:
        """Replies read from the thread after a restart, as (user, ts, text): the ones no event
        brought are stored; the ones already stored are left as they are."""
        added = 0
        for user_id, ts, text in replies:
            captured = self.capture(
                team_id=view.round.team_id,
                channel_id=view.round.channel_id,
                thread_ts=view.round.thread_ts or "",
                user_id=user_id,
                ts=ts,
                text=text,
            )
            added += captured is not None
        return added

    def _contribution_in_thread(
        self, session: Session, *, team_id: str, channel_id: str, thread_ts: str, ts: str
    ) -> Contribution | None:
        round_ = repo.round_in_thread(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
        return repo.contribution_at(session, round_id=round_.id, ts=ts) if round_ else None

    def edited(self, *, team_id: str, channel_id: str, thread_ts: str, ts: str, text: str) -> bool:
        """A reply changed in Slack changes what is stored (and its kind, if it now names one)."""
        with self._session() as session:
            found = self._contribution_in_thread(
                session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts, ts=ts
            )
            if found is None:
                return False
            view = self._view(repo.get_round(session, round_id=found.round_id))
            tag = leading_tag(view.phases[found.phase], text) or found.tag
            repo.update_contribution(
                session, contribution_id=found.id, text=text, tag=tag, edited_at=self._clock()
            )
            return True

    def withdrawn(self, *, team_id: str, channel_id: str, thread_ts: str, ts: str) -> bool:
        """A reply deleted in Slack is deleted here too, its text with it (and any next step the
        presenter picked from it): the member took it back, so no copy of it stays."""
        with self._session() as session:
            found = self._contribution_in_thread(
                session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts, ts=ts
            )
            if found is None:
                return False
            erasure.delete_contributions(session, contribution_ids=[found.id])
            erasure.drop_owed(session, refs=[found.id])
            session.commit()
            return True

    def withdraw(self, *, team_id: str, channel_id: str, thread_ts: str, ts: str, user_id: str) -> bool:
        """A member takes back their own reply without deleting the message; nobody else can."""
        with self._session() as session:
            found = self._contribution_in_thread(
                session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts, ts=ts
            )
            if found is None or found.user_id != user_id:
                return False
            repo.update_contribution(session, contribution_id=found.id, withdrawn_at=self._clock())
            return True

    def tag(self, user_id: str, contribution_id: str, word: str) -> bool:
        """The author sorts their reply (warm / cool); nobody else can."""
        with self._session() as session:
            found = repo.get_contribution(session, contribution_id=contribution_id)
            if found is None or found.user_id != user_id:
                return False
            view = self._view(repo.get_round(session, round_id=found.round_id))
            if word not in {tag.word for tag in view.phases[found.phase].tags}:
                return False
            repo.update_contribution(session, contribution_id=found.id, tag=word)
            return True

    def restate(self, round_id: str, user_id: str, text: str) -> None:
        view = self.get(round_id)
        if user_id != view.round.presenter_id:
            raise NotAllowed(user_id)
        with self._session() as session:
            repo.set_focus_restated(session, round_id=round_id, text=text)

    def nudged_presenter(self, view: RoundView) -> bool:
        """True once per phase: the presenter is reminded to listen at most once a phase."""
        with self._session() as session:
            return repo.record_reminder(
                session,
                round_id=view.round.id,
                phase=view.round.phase,
                user_id=view.round.presenter_id,
                now=self._clock(),
            )

    # Reminders

    def awaiting_reminders(self) -> list[RoundView]:
        """Rounds in a phase where members reply, past the reminder point (minutes into a live
        phase, hours into an asynchronous one), whose reminders nobody has claimed yet."""
        now = self._clock()
        with self._session() as session:
            rounds = repo.open_rounds(session)
        awaiting = []
        for round_ in rounds:
            if round_.reminded_phase >= round_.phase:
                continue
            view = self._view(round_)
            phase = view.phase
            if phase is None or phase.presenter is PresenterRole.SPEAKS or not phase.remind:
                continue
            if round_.phase_started_at + view.phase_length() * REMINDER_AT <= now:
                awaiting.append(view)
        return awaiting

    def reminders_due(self) -> list[RoundView]:
        """The rounds awaiting reminders whose reminders this process has now claimed (another
        process gets none of them)."""
        due = []
        for view in self.awaiting_reminders():
            with self._session() as session:
                if repo.claim_reminders(session, round_id=view.round.id, phase=view.round.phase):
                    due.append(view)
        return due

    def to_remind(self, view: RoundView, members: Sequence[str]) -> list[str]:
        """Members who have not replied in the open phase and have not opted out: each is owed a
        reminder (the outbox's key makes it one per member and phase)."""
        round_ = view.round
        with self._session() as session:
            replied = repo.contributors(session, round_id=round_.id, phase=round_.phase)
            out = repo.opted_out(session, team_id=round_.team_id)
        skip = replied | out | {round_.presenter_id}
        return [member for member in members if member not in skip]

    def still_to_remind(self, round_id: str, phase: int, member: str) -> RoundView | None:
        """The round, if a reminder owed to `member` for `phase` is still worth sending: the phase
        is still open and they have neither replied in it nor opted out since it was owed."""
        try:
            view = self.get(round_id)
        except RoundNotFound:
            return None
        if view.round.status is not RoundStatus.OPEN or view.round.phase != phase:
            return None
        return view if self.to_remind(view, [member]) else None

    def set_reminders(self, team_id: str, user_id: str, *, on: bool) -> None:
        with self._session() as session:
            repo.set_opt_out(session, team_id=team_id, user_id=user_id, out=not on, now=self._clock())

    # After the round

    def record(self, round_id: str) -> RoundRecord:
        view = self.get(round_id)
        with self._session() as session:
            replies = list(repo.contributions_of(session, round_id=round_id))
            steps = list(repo.next_steps_of(session, round_id=round_id))
        by_phase = [
            PhaseReplies(phase, [r for r in replies if r.phase == index])
            for index, phase in enumerate(view.phases)
            if index <= max(view.round.phase, 0)
        ]
        reflection = [
            r
            for r in replies
            if r.user_id == view.round.presenter_id and view.phases[r.phase].presenter is PresenterRole.SPEAKS
        ]
        return RoundRecord(view, self.focus(view), view.round.focus_restated, by_phase, reflection, steps)

    def _presented(self, coach: Actor, round_id: str) -> RoundView:
        view = self.get(round_id)
        if (view.round.team_id, view.round.presenter_id) != (coach.team_id, coach.user_id):
            raise RoundNotFound(round_id)
        return view

    def pickable(self, coach: Actor, round_id: str) -> tuple[RoundView, list[Contribution]]:
        """Feedback the presenter may choose to act on: others' replies in feedback phases."""
        view = self._presented(coach, round_id)
        with self._session() as session:
            replies = repo.contributions_of(session, round_id=round_id)
        feedback = [
            r for r in replies if view.phases[r.phase].feedback and r.user_id != view.round.presenter_id
        ]
        return view, feedback

    def choose(self, coach: Actor, round_id: str, contribution_ids: Sequence[str]) -> list[NextStep]:
        """Each pick becomes a next step; with the round about a client, also a goal of that
        client, so check-ins can follow it. Choosing again adds only what is new."""
        view, feedback = self.pickable(coach, round_id)
        chosen = [r for r in feedback if r.id in set(contribution_ids)]
        now = self._clock()
        with self._session() as session:
            for reply in chosen:
                step = NextStep(round_id=round_id, contribution_id=reply.id, text=reply.text, created_at=now)
                if not repo.add_next_step(session, step=step):
                    continue
                if view.round.client_id is not None:
                    goal = Goal(
                        team_id=coach.team_id,
                        coach_id=coach.user_id,
                        client_id=view.round.client_id,
                        statement=reply.text,
                        details=json.dumps({"source": f"{view.protocol.title} round"}),
                        created_at=now,
                    )
                    session.add(goal)
                    session.commit()
                    repo.set_next_step_goal(session, step_id=step.id, goal_id=goal.id)
            return list(repo.next_steps_of(session, round_id=round_id))
