"""Whose data it is: what the bot holds about a person, their export, their erasure, a client's
removal, and retention's end of what is long finished.

A person is whoever asks (a coach, a leader, a member of a collaborative, or all three), and
only ever themselves: every read and every deletion here is keyed by the asker's own team and
user id, never by an id a request carries. What a person sees is what they wrote or what was
said to them; a coach's notes about a leader are the coach's, not the leader's.

Slack is no concern here: the shares to withdraw in Slack are handed back for the caller to
retract before the erasure is done.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from bot.actor import Actor, Clock
from bot.services.checkins import CHECKIN_PROTOCOL
from bot.services.export import Wording, my_data_markdown
from bot.services.runs import decode_ts, owned_client
from bot.storage import erasure, owed
from bot.storage import runs as run_repo
from bot.storage.models import (
    CheckinSchedule,
    Client,
    Collaborative,
    Contribution,
    Delivery,
    DeliveryStatus,
    FeedbackRound,
    Goal,
    NextStep,
    PersonLanguage,
    ProtocolRun,
    RoundReminder,
    RoundSchedule,
    Share,
)

log = logging.getLogger(__name__)

# The outbox kind (bot.scheduling.kinds) telling a coach that their client erased what they wrote.
LEADER_LEFT = "leader_left"


@dataclass(frozen=True)
class ShareToWithdraw:
    channel_id: str
    ts: list[str]


@dataclass
class Holding:
    """Everything held about one person, as plain data (what the export writes out)."""

    team_id: str
    user_id: str
    # As a coach.
    clients: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    goals: list[dict[str, Any]] = field(default_factory=list)
    checkin_schedules: list[dict[str, Any]] = field(default_factory=list)
    shares: list[dict[str, Any]] = field(default_factory=list)
    rounds_presented: list[dict[str, Any]] = field(default_factory=list)
    round_schedules: list[dict[str, Any]] = field(default_factory=list)
    # As a leader.
    checkins: list[dict[str, Any]] = field(default_factory=list)
    checkins_about_you: int = 0
    # As a member of a collaborative.
    replies: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many of each kind, for the overview and the erasure's confirmation."""
        return {
            "clients": len(self.clients),
            "runs": len(self.runs),
            "goals": len(self.goals),
            "checkin_schedules": len(self.checkin_schedules),
            "shares": sum(1 for share in self.shares if share["withdrawn_at"] is None),
            "rounds_presented": len(self.rounds_presented),
            "round_schedules": len(self.round_schedules),
            "checkins": len(self.checkins),
            "checkins_about_you": self.checkins_about_you,
            "replies": len(self.replies),
        }

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())


@dataclass(frozen=True)
class Erased:
    """What an erasure did, and the notices it owes: each coach who had the person as a client
    is told that they left (never what they had written)."""

    counts: dict[str, int]
    notices: list[owed.Owe]


@dataclass(frozen=True)
class ClientRemoval:
    """What removing a client takes, counted for the confirmation."""

    client_id: str
    leader_id: str
    leader_name: str
    runs: int
    goals: int
    checkins: int
    schedules: int


@dataclass(frozen=True)
class RetentionCounts:
    runs: int
    checkins: int
    rounds: int

    @property
    def total(self) -> int:
        return self.runs + self.checkins + self.rounds


def _json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class DataRights:
    def __init__(
        self,
        *,
        engine: Engine,
        clock: Clock,
        retention_days: int | None = None,
        reader_changed: Callable[[str, str], None] | None = None,
        wording: Wording | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        # What the export's Markdown writes in place of ids (retention alone needs none).
        self._wording = wording or Wording()
        self._retention_days = retention_days
        # Told (team, person) when what decides someone's language goes: their own row, or a
        # client record of theirs.
        self._reader_changed = reader_changed

    def _tell_reader_changed(self, team_id: str, user_id: str | None) -> None:
        if self._reader_changed is not None and user_id:
            self._reader_changed(team_id, user_id)

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    # What is held

    def holding(self, person: Actor) -> Holding:
        with self._session() as session:
            return self._holding(session, person)

    def _holding(self, session: Session, person: Actor) -> Holding:
        team, user = person.team_id, person.user_id
        held = Holding(team_id=team, user_id=user)
        clients = session.exec(select(Client).where(Client.team_id == team, Client.coach_id == user)).all()
        names = {c.id: c.leader_name for c in clients}
        held.clients = [
            {
                "leader_id": c.leader_id,
                "leader_name": c.leader_name,
                "organization": c.organization,
                "domain": c.domain.value,
                "phase": c.phase.value,
                "created_at": c.created_at,
            }
            for c in clients
        ]
        runs = erasure.runs_of_user(session, team_id=team, user_id=user)
        framings = erasure.framing_run_ids(session, run_ids=[r.id for r in runs])
        for run in runs:
            entry = {
                "protocol": run.protocol_id,
                "version": run.protocol_version,
                "language": run.language,
                "status": run.status.value,
                "client": names.get(run.client_id or ""),
                "started_at": run.started_at,
                "completed_at": run.completed_at,
                "answers": run_repo.load_answers(session, run_id=run.id),
                "earlier_answers": [
                    {"step": r.step_id, "value": _json(r.value), "replaced_at": r.replaced_at}
                    for r in run_repo.revisions(session, run_id=run.id)
                ],
            }
            if run.protocol_id == CHECKIN_PROTOCOL:
                continue  # a leader's check-in answer, listed with the check-in below
            if run.id in framings:
                entry["frames_a_round"] = True
            held.runs.append(entry)
            held.shares += [
                {
                    "protocol": run.protocol_id,
                    "version": run.protocol_version,
                    "audience": s.audience.value,
                    "channel": s.channel_id,
                    "shared_at": s.shared_at,
                    "withdrawn_at": s.withdrawn_at,
                }
                for s in run_repo.shares_of(session, run_id=run.id)
            ]
        goals = session.exec(select(Goal).where(Goal.team_id == team, Goal.coach_id == user)).all()
        held.goals = [
            {
                "statement": g.statement,
                "details": _json(g.details),
                "client": names.get(g.client_id or ""),
                "created_at": g.created_at,
            }
            for g in goals
        ]
        schedules = session.exec(
            select(CheckinSchedule).where(CheckinSchedule.team_id == team, CheckinSchedule.coach_id == user)
        ).all()
        held.checkin_schedules = [
            {
                "client": names.get(s.client_id),
                "cadence": s.cadence.value,
                "weekdays": s.weekdays,
                "local_time": s.local_time,
                "time_zone": s.tz,
                "first_date": s.first_date,
                "end_date": s.end_date,
                "paused": s.paused,
            }
            for s in schedules
        ]
        rounds = session.exec(
            select(FeedbackRound).where(FeedbackRound.team_id == team, FeedbackRound.presenter_id == user)
        ).all()
        for round_ in rounds:
            steps = session.exec(select(NextStep).where(NextStep.round_id == round_.id)).all()
            held.rounds_presented.append(
                {
                    "protocol": round_.protocol_id,
                    "version": round_.protocol_version,
                    "channel": round_.channel_id,
                    "status": round_.status.value,
                    "opens_at": round_.opens_at,
                    "closed_at": round_.closed_at,
                    "framing": run_repo.load_answers(session, run_id=round_.framing_run_id),
                    "focus_restated": round_.focus_restated,
                    "next_steps": [step.text for step in steps],
                }
            )
        round_schedules = session.exec(select(RoundSchedule).where(RoundSchedule.created_by == user)).all()
        held.round_schedules = [
            {
                "protocol": s.protocol_id,
                "every_weeks": s.every_weeks,
                "first_date": s.first_date,
                "local_time": s.local_time,
                "time_zone": s.tz,
            }
            for s in round_schedules
            if self._schedule_in_team(session, s, team)
        ]
        self._leader_part(session, held)
        replies = session.exec(
            select(Contribution, FeedbackRound.channel_id)
            .join(FeedbackRound, col(FeedbackRound.id) == Contribution.round_id)
            .where(FeedbackRound.team_id == team, Contribution.user_id == user)
            .order_by(col(Contribution.posted_at))
        ).all()
        held.replies = [
            {
                "channel": channel,
                "phase": reply.phase,
                "kind": reply.tag,
                "text": reply.text,
                "posted_at": reply.posted_at,
                "edited_at": reply.edited_at,
                "withdrawn_at": reply.withdrawn_at,
            }
            for reply, channel in replies
        ]
        return held

    @staticmethod
    def _schedule_in_team(session: Session, schedule: RoundSchedule, team: str) -> bool:
        collaborative = session.get(Collaborative, schedule.collaborative_id)
        return collaborative is not None and collaborative.team_id == team

    def _leader_part(self, session: Session, held: Holding) -> None:
        """A leader's check-ins: what they were asked (the goal they saw) and what they answered."""
        rows = session.exec(
            select(Delivery, Goal.statement, ProtocolRun.protocol_id, ProtocolRun.protocol_version)
            .join(CheckinSchedule, col(CheckinSchedule.id) == Delivery.schedule_id)
            .outerjoin(Goal, col(Goal.id) == CheckinSchedule.goal_id)
            .outerjoin(ProtocolRun, col(ProtocolRun.id) == Delivery.run_id)
            .where(Delivery.team_id == held.team_id, Delivery.recipient == held.user_id)
            .order_by(col(Delivery.due_at))
        ).all()
        held.checkins_about_you = len(rows)
        for delivery, goal, protocol_id, version in rows:
            if delivery.rating is None and delivery.run_id is None:
                continue
            held.checkins.append(
                {
                    "date": delivery.occurrence,
                    "goal": goal,
                    "rating": delivery.rating,
                    "protocol": protocol_id or CHECKIN_PROTOCOL,
                    "version": version,
                    "answers": run_repo.load_answers(session, run_id=delivery.run_id)
                    if delivery.run_id
                    else {},
                    "answered_at": delivery.answered_at,
                }
            )

    # The export

    def export(self, person: Actor) -> bytes:
        """A zip: Markdown to read, JSON for machines, both of the same records."""
        held = self.holding(person)
        record = {
            "person": {"team": held.team_id, "user": held.user_id},
            "exported_at": self._clock(),
            "as_coach": {
                "clients": held.clients,
                "runs": held.runs,
                "goals": held.goals,
                "checkin_schedules": held.checkin_schedules,
                "shares": held.shares,
                "rounds_presented": held.rounds_presented,
                "round_schedules": held.round_schedules,
            },
            "as_leader": {"checkins": held.checkins},
            "as_member": {"replies": held.replies},
        }
        markdown = my_data_markdown(held, exported_at=self._clock(), wording=self._wording)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("my-data.md", markdown)
            archive.writestr("my-data.json", json.dumps(record, default=_plain, ensure_ascii=False, indent=2))
        return buffer.getvalue()

    # Erasure

    def shares_to_withdraw(self, person: Actor) -> list[ShareToWithdraw]:
        """The person's shares still in Slack: withdrawn there before the erasure."""
        with self._session() as session:
            runs = erasure.runs_of_user(session, team_id=person.team_id, user_id=person.user_id)
            return _active_shares(session, [run.id for run in runs])

    def erase(self, person: Actor) -> Erased:
        """Everything the person wrote, in every role, in one transaction. Rounds they presented
        stay for the members' replies, without the framing; their coaches keep their own notes."""
        team, user = person.team_id, person.user_id
        with self._session() as session:
            held = self._holding(session, person)
            counts = held.counts()
            refs: set[str] = set()
            runs = erasure.runs_of_user(session, team_id=team, user_id=user)
            run_ids = {run.id for run in runs}
            framings = erasure.framing_run_ids(session, run_ids=run_ids)
            refs |= run_ids | set(erasure.clear_framings(session, run_ids=framings))
            erasure.delete_runs(session, run_ids=run_ids - framings)
            goals = session.exec(select(Goal.id).where(Goal.team_id == team, Goal.coach_id == user)).all()
            erasure.delete_goals(session, goal_ids=goals)
            schedules = session.exec(
                select(CheckinSchedule.id).where(
                    CheckinSchedule.team_id == team, CheckinSchedule.coach_id == user
                )
            ).all()
            refs |= set(schedules) | set(erasure.delete_schedules(session, schedule_ids=schedules))
            clients = session.exec(
                select(Client.id).where(Client.team_id == team, Client.coach_id == user)
            ).all()
            refs |= set(clients)
            erasure.delete_clients(session, client_ids=clients)
            round_schedules = [
                s.id
                for s in session.exec(select(RoundSchedule).where(RoundSchedule.created_by == user)).all()
                if self._schedule_in_team(session, s, team)
            ]
            erasure.delete_round_schedules(session, schedule_ids=round_schedules)
            in_turn = [
                s
                for s in session.exec(select(RoundSchedule)).all()
                if user in json.loads(s.rotation) and self._schedule_in_team(session, s, team)
            ]
            refs |= set(erasure.leave_rotations(session, schedules=in_turn, user_id=user))
            refs |= self._erase_leader_part(session, person)
            replies = session.exec(
                select(Contribution.id)
                .join(FeedbackRound, col(FeedbackRound.id) == Contribution.round_id)
                .where(FeedbackRound.team_id == team, Contribution.user_id == user)
            ).all()
            refs |= set(replies)
            erasure.delete_contributions(session, contribution_ids=replies)
            session.exec(delete(RoundReminder).where(col(RoundReminder.user_id) == user))
            # The language they read (their choice, their Slack locale) goes with them.
            session.exec(
                delete(PersonLanguage).where(
                    col(PersonLanguage.team_id) == team, col(PersonLanguage.user_id) == user
                )
            )
            erasure.drop_owed(session, refs=refs, channel=user)
            notices = self._leader_left(session, person)
            owed.owe(session, notices, now=self._clock(), commit=False)
            session.commit()
        self._tell_reader_changed(team, user)
        log.info("a person's data was erased")
        return Erased(counts=counts, notices=notices)

    def _leader_left(self, session: Session, person: Actor) -> list[owed.Owe]:
        """One notice per coach who keeps a client record of the person, owed with the erasure."""
        clients = session.exec(
            select(Client).where(
                Client.team_id == person.team_id,
                Client.leader_id == person.user_id,
                Client.coach_id != person.user_id,
            )
        ).all()
        at = int(self._clock().timestamp())
        return [
            owed.Owe(f"{LEADER_LEFT}:{c.id}:{at}", LEADER_LEFT, c.team_id, c.coach_id, c.id) for c in clients
        ]

    def client_who_left(self, client_id: str) -> Client | None:
        """The client record a leader-left notice is about; None once the coach removed it."""
        with self._session() as session:
            return session.get(Client, client_id)

    def _erase_leader_part(self, session: Session, person: Actor) -> set[str]:
        """A leader's answers and ratings go; their schedules stop (the coach's, paused)."""
        team, user = person.team_id, person.user_id
        deliveries = session.exec(
            select(Delivery).where(Delivery.team_id == team, Delivery.recipient == user)
        ).all()
        ids = {d.id for d in deliveries}
        if ids:
            session.exec(update(Delivery).where(col(Delivery.id).in_(ids)).values(rating=None, run_id=None))
        schedules = session.exec(
            select(CheckinSchedule.id).where(
                CheckinSchedule.team_id == team, CheckinSchedule.leader_id == user
            )
        ).all()
        if schedules:
            session.exec(
                update(CheckinSchedule).where(col(CheckinSchedule.id).in_(schedules)).values(paused=True)
            )
            session.exec(
                delete(Delivery).where(
                    col(Delivery.schedule_id).in_(schedules), Delivery.status == DeliveryStatus.PENDING
                )
            )
        return ids | set(schedules)

    # A client's removal

    def removal(self, coach: Actor, client_id: str) -> ClientRemoval:
        """What removing this client takes; ClientNotFound unless it is the asker's client."""
        with self._session() as session:
            client = owned_client(session, coach, client_id)
            runs, goals, schedules, deliveries = self._client_parts(session, client)
            return ClientRemoval(
                client_id=client.id,
                leader_id=client.leader_id,
                leader_name=client.leader_name,
                runs=len(runs),
                goals=len(goals),
                checkins=len(deliveries),
                schedules=len(schedules),
            )

    @staticmethod
    def _client_parts(session: Session, client: Client) -> tuple[list[str], list[str], list[str], list[str]]:
        runs = list(
            session.exec(
                select(ProtocolRun.id).where(
                    ProtocolRun.client_id == client.id, ProtocolRun.user_id == client.coach_id
                )
            )
        )
        goals = list(session.exec(select(Goal.id).where(Goal.client_id == client.id)))
        schedules = list(
            session.exec(select(CheckinSchedule.id).where(CheckinSchedule.client_id == client.id))
        )
        deliveries = (
            list(session.exec(select(Delivery.id).where(col(Delivery.schedule_id).in_(schedules))))
            if schedules
            else []
        )
        return runs, goals, schedules, deliveries

    def client_shares(self, coach: Actor, client_id: str) -> list[ShareToWithdraw]:
        with self._session() as session:
            client = owned_client(session, coach, client_id)
            runs, *_ = self._client_parts(session, client)
            return _active_shares(session, runs)

    def remove_client(self, coach: Actor, client_id: str) -> ClientRemoval:
        """The client, the runs about them, their goals and check-ins (the leader's answers to
        them included). Rounds that named them stay, unnamed."""
        counted = self.removal(coach, client_id)
        with self._session() as session:
            client = owned_client(session, coach, client_id)
            runs, goals, schedules, deliveries = self._client_parts(session, client)
            framings = erasure.framing_run_ids(session, run_ids=runs)
            answered = erasure.delete_checkins(session, delivery_ids=deliveries)
            erasure.delete_schedules(session, schedule_ids=schedules)
            erasure.delete_runs(session, run_ids=set(runs) - framings)
            erasure.delete_goals(session, goal_ids=goals)
            erasure.delete_clients(session, client_ids=[client.id])
            refs = {client.id, *runs, *goals, *schedules, *deliveries, *answered}
            erasure.drop_owed(session, refs=refs)
            session.commit()
        self._tell_reader_changed(coach.team_id, client.leader_id)
        log.info("a client was removed")
        return counted

    # Retention

    def retention_due(self) -> RetentionCounts | None:
        """What retention would delete now; None when no retention is set (keep everything)."""
        if self._retention_days is None:
            return None
        with self._session() as session:
            runs, checkins, rounds = erasure.finished_before(session, cutoff=self._cutoff())
        return RetentionCounts(len(runs), len(checkins), len(rounds))

    def _cutoff(self) -> datetime:
        return self._clock() - timedelta(days=self._retention_days or 0)

    def apply_retention(self) -> RetentionCounts | None:
        """Delete what was finished or closed longer ago than the retention; the daily job."""
        if self._retention_days is None:
            return None
        with self._session() as session:
            runs, checkins, rounds = erasure.finished_before(session, cutoff=self._cutoff())
            refs = {*runs, *checkins, *rounds}
            refs |= set(erasure.delete_checkins(session, delivery_ids=checkins))
            refs |= set(erasure.delete_rounds(session, round_ids=rounds))
            erasure.delete_runs(session, run_ids=set(runs))
            erasure.drop_owed(session, refs=refs)
            session.commit()
        counts = RetentionCounts(len(runs), len(checkins), len(rounds))
        if counts.total:
            log.info(
                "retention deleted %d runs, %d check-ins, %d rounds",
                counts.runs,
                counts.checkins,
                counts.rounds,
            )
        return counts


def _active_shares(session: Session, run_ids: list[str]) -> list[ShareToWithdraw]:
    if not run_ids:
        return []
    shares = session.exec(
        select(Share).where(col(Share.run_id).in_(run_ids), col(Share.withdrawn_at).is_(None))
    ).all()
    return [ShareToWithdraw(share.channel_id, decode_ts(share)) for share in shares]
