"""What a coach's Home tab says, computed from what is stored: who needs them this week and why,
what they left unfinished, where each client stands, and what this week holds.

Nothing here knows Slack; `bot.blocks.home` draws it. Every list comes out in a fixed order
(signal, then name, then id), so the same data always shows the same Home.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from sqlalchemy import Engine
from sqlmodel import Session

from bot import i18n
from bot.actor import Actor, Clock
from bot.protocols.catalog import Catalog
from bot.protocols.schema import InputType, Protocol
from bot.storage import home as repo
from bot.storage import runs as run_repo
from bot.storage.models import Client, DeliveryStatus, FeedbackRound, RunStatus

# How far back the Home looks at check-ins: enough for every signal below, and a bound, so a
# coach's third year costs what their first month did.
CHECKIN_WINDOW = timedelta(days=70)
OBSTACLE_OPEN_FOR = timedelta(days=21)
ENROLLMENT_SETTLED_WITHIN = timedelta(days=30)
NO_PROTOCOL_FOR = timedelta(days=42)
NEXT_STEP_WINDOW = timedelta(days=42)
WEEK = timedelta(days=7)
RATING_DROP = 2
UNFINISHED_SHOWN = 5
# The step of the leader's check-in naming kinds of obstacle, and the kind that asks for care.
OBSTACLES_STEP = "obstacle_kinds"
EMOTIONAL_SUPPORT = "emotional_support"
# What a coach usually reaches for first when a leader names emotional support as an obstacle
# (the five areas of the leadership-development check), and when nothing fits better.
SUPPORT_PROTOCOL = "leadership-development"
DEFAULT_PROTOCOL = "five-lenses"


class Signal(IntEnum):
    """Why a client needs the coach, most pressing first (the order the Home ranks them in)."""

    MISSED_TWICE = 1
    RATING_DOWN = 2
    EMOTIONAL_SUPPORT = 3
    OBSTACLE_OPEN = 4
    PAUSED = 5
    ENROLLMENT_UNSETTLED = 6
    NO_RECENT_PROTOCOL = 7
    NEXT_STEP_UNCHECKED = 8


class Step(IntEnum):
    """The one next step a Home entry offers."""

    CHECKINS = 1
    OPEN = 2
    START_ABOUT = 3
    SET_UP_CHECKINS = 4


@dataclass(frozen=True)
class Need:
    client: Client
    signals: tuple[Signal, ...]
    step: Step
    # For START_ABOUT: which protocol, and its title for the button.
    protocol_id: str | None = None
    protocol_title: str | None = None


@dataclass(frozen=True)
class Unfinished:
    run_id: str
    title: str
    # The coach's own short answer naming what the run is about (a situation, a case).
    name: str | None
    client_name: str | None
    answered: int
    steps: int
    updated_at: datetime


@dataclass(frozen=True)
class ClientLine:
    client: Client
    goal: str | None
    rating: int | None
    # The latest rating against the one before: +n, -n or 0; None with fewer than two.
    trend: int | None
    next_checkin: datetime | None


@dataclass(frozen=True)
class GoingOut:
    leader_name: str
    due_at: datetime


@dataclass(frozen=True)
class OpenRound:
    title: str
    channel_id: str
    phase: str | None


@dataclass(frozen=True)
class HomePage:
    needs: list[Need]
    unfinished: list[Unfinished]
    clients: list[ClientLine]
    going_out: list[GoingOut]
    rounds: list[OpenRound]
    next_steps: list[str]


def run_name(protocol: Protocol, answers: dict[str, object]) -> str | None:
    """The coach's own name for a run: their first short text answer, in the protocol's order
    (the situation's name, the case's title)."""
    for step in protocol.steps:
        value = answers.get(step.id)
        if step.input is InputType.SHORT_TEXT and isinstance(value, str) and value.strip():
            return value.strip()
    return None


class HomeService:
    def __init__(self, *, engine: Engine, catalog: Catalog, clock: Clock) -> None:
        self._engine = engine
        self._catalog = catalog
        self._coach_protocols = catalog.for_audience("coach")
        self._rounds = catalog.for_audience("collaborative")
        self._clock = clock

    def page(self, coach: Actor) -> HomePage:
        now = self._clock()
        with Session(self._engine, expire_on_commit=False) as session:
            rows = sorted(
                repo.clients_of_coach(session, team_id=coach.team_id, coach_id=coach.user_id),
                key=lambda row: (row.client.leader_name.lower(), row.client.id),
            )
            clients = [row.client for row in rows]
            last_run = {row.client.id: row.last_run_at for row in rows}
            schedules = {
                s.client_id: s
                for s in repo.schedules_of_coach(session, team_id=coach.team_id, coach_id=coach.user_id)
            }
            deliveries = repo.checkins_since(
                session,
                team_id=coach.team_id,
                coach_id=coach.user_id,
                since=now - CHECKIN_WINDOW,
                step_id=OBSTACLES_STEP,
            )
            by_schedule: dict[str, list[repo.CheckinRow]] = {}
            for delivery in deliveries:
                by_schedule.setdefault(delivery.schedule_id, []).append(delivery)
            all_goals = repo.goals_of_coach(session, team_id=coach.team_id, coach_id=coach.user_id)
            goals = {goal.client_id: goal.statement for goal in all_goals}
            unsettled = self._unsettled_enrollment(session, coach)
            steps = repo.next_steps_chosen(
                session, team_id=coach.team_id, presenter_id=coach.user_id, since=now - NEXT_STEP_WINDOW
            )
            scheduled_goals = {s.goal_id for s in schedules.values() if s.goal_id}
            goal_clients = {goal.id: goal.client_id for goal in all_goals}
            unchecked = {
                goal_clients.get(step.goal_id)
                for step in steps
                if step.goal_id and step.goal_id not in scheduled_goals
            }
            needs, lines, going_out = [], [], []
            for client in clients:
                schedule = schedules.get(client.id)
                history = by_schedule.get(schedule.id, []) if schedule else []
                happened = [d for d in history if d.status in repo.HAPPENED and d.due_at <= now]
                ratings = [d.rating for d in happened if d.rating is not None]
                named = [(d.due_at, d.answer) for d in happened if d.run_id]
                signals = _signals(
                    now,
                    client,
                    schedule,
                    happened,
                    ratings,
                    named,
                    enrollment_open=client.id in unsettled,
                    last_run=last_run.get(client.id),
                    next_step_unchecked=client.id in unchecked,
                )
                if signals:
                    needs.append(self._need(client, signals))
                pending = [d for d in history if d.status == DeliveryStatus.PENDING]
                lines.append(
                    ClientLine(
                        client=client,
                        goal=goals.get(client.id),
                        rating=ratings[-1] if ratings else None,
                        trend=ratings[-1] - ratings[-2] if len(ratings) > 1 else None,
                        next_checkin=pending[0].due_at if pending else None,
                    )
                )
                soon = [d for d in pending if d.due_at < now + WEEK]
                going_out += [GoingOut(client.leader_name, d.due_at) for d in soon]
            unfinished = self._unfinished(session, coach, {c.id: c.leader_name for c in clients})
            rounds = [
                self._open_round(r)
                for r in repo.open_rounds_of(session, team_id=coach.team_id, user_id=coach.user_id)
            ]
            chosen = [step.text for step in steps if step.created_at >= now - WEEK]
        needs.sort(key=lambda n: (n.signals[0], -len(n.signals), n.client.leader_name.lower(), n.client.id))
        going_out.sort(key=lambda g: (g.due_at, g.leader_name))
        return HomePage(needs, unfinished, lines, going_out, rounds, chosen)

    def _unsettled_enrollment(self, session: Session, coach: Actor) -> set[str]:
        """Clients whose per-client checklist (enrollment) has begun over a month ago and still
        has items not settled."""
        protocols = {p.id: p for p in self._coach_protocols if p.one_per_client}
        runs = run_repo.runs_of_protocols(
            session, team_id=coach.team_id, coach_id=coach.user_id, protocol_ids=list(protocols)
        )
        latest = {(run.client_id, run.protocol_id): run for run in runs}
        answers = run_repo.answers_of_runs(session, run_ids=[run.id for run in latest.values()])
        cutoff = self._clock() - ENROLLMENT_SETTLED_WITHIN
        open_ = set()
        for (client_id, protocol_id), run in latest.items():
            if run.started_at > cutoff:
                continue
            given = answers.get(run.id, {})
            for step in protocols[protocol_id].steps:
                if not step.item_status:
                    continue
                option = next((o for o in step.options if o.value == given.get(step.id)), None)
                if not (option and option.settled):
                    open_.add(client_id)
        return open_

    def _need(self, client: Client, signals: tuple[Signal, ...]) -> Need:
        match signals[0]:
            case Signal.MISSED_TWICE | Signal.PAUSED:
                return Need(client, signals, Step.CHECKINS)
            case Signal.NEXT_STEP_UNCHECKED:
                return Need(client, signals, Step.SET_UP_CHECKINS)
            case Signal.EMOTIONAL_SUPPORT:
                return self._start(client, signals, SUPPORT_PROTOCOL)
            case Signal.ENROLLMENT_UNSETTLED:
                checklist = next((p.id for p in self._coach_protocols if p.one_per_client), DEFAULT_PROTOCOL)
                return self._start(client, signals, checklist)
            case Signal.NO_RECENT_PROTOCOL:
                for_phase = next((p.id for p in self._coach_protocols if p.phase == client.phase), None)
                return self._start(client, signals, for_phase or DEFAULT_PROTOCOL)
        return Need(client, signals, Step.OPEN)

    def _start(self, client: Client, signals: tuple[Signal, ...], protocol_id: str) -> Need:
        protocol = self._coach_protocols.get(protocol_id)
        if protocol is None:
            return Need(client, signals, Step.OPEN)
        title = protocol.in_language(i18n.current()).title
        return Need(client, signals, Step.START_ABOUT, protocol.id, title)

    def _unfinished(self, session: Session, coach: Actor, names: dict[str, str]) -> list[Unfinished]:
        runs = repo.unfinished_runs(
            session, team_id=coach.team_id, coach_id=coach.user_id, limit=UNFINISHED_SHOWN
        )
        answers = run_repo.answers_of_runs(session, run_ids=[run.id for run in runs])
        found = []
        for run in runs:
            protocol = self._catalog.get(run.protocol_id)
            if protocol is None or run.status != RunStatus.IN_PROGRESS:
                continue
            protocol = protocol.in_language(i18n.current())
            given = answers.get(run.id, {})
            found.append(
                Unfinished(
                    run_id=run.id,
                    title=protocol.title,
                    name=run_name(protocol, given),
                    client_name=names.get(run.client_id or ""),
                    answered=len(given),
                    steps=len(protocol.steps),
                    updated_at=run.updated_at,
                )
            )
        return found

    def _open_round(self, round_: FeedbackRound) -> OpenRound:
        protocol = self._rounds.get(round_.protocol_id)
        protocol = protocol and protocol.in_language(i18n.current())
        phases = protocol.round.phases if protocol and protocol.round else ()
        phase = phases[round_.phase].title if 0 <= round_.phase < len(phases) else None
        return OpenRound(protocol.title if protocol else round_.protocol_id, round_.channel_id, phase)


def _signals(
    now: datetime,
    client: Client,
    schedule: repo.ScheduleRow | None,
    happened: Sequence[repo.CheckinRow],
    ratings: Sequence[int],
    named: Sequence[tuple[datetime, str | None]],
    *,
    enrollment_open: bool,
    last_run: datetime | None,
    next_step_unchecked: bool,
) -> tuple[Signal, ...]:
    found = []
    if len(happened) >= 2 and all(d.status == DeliveryStatus.MISSED for d in happened[-2:]):
        found.append(Signal.MISSED_TWICE)
    if len(ratings) >= 2 and ratings[-2] - ratings[-1] >= RATING_DROP:
        found.append(Signal.RATING_DOWN)
    if named and EMOTIONAL_SUPPORT in _kinds(named[-1][1]):
        found.append(Signal.EMOTIONAL_SUPPORT)
    open_since = _obstacle_open_since(named)
    if open_since is not None and now - open_since >= OBSTACLE_OPEN_FOR:
        found.append(Signal.OBSTACLE_OPEN)
    if schedule is not None and schedule.paused:
        found.append(Signal.PAUSED)
    if enrollment_open:
        found.append(Signal.ENROLLMENT_UNSETTLED)
    if now - (last_run or client.created_at) >= NO_PROTOCOL_FOR:
        found.append(Signal.NO_RECENT_PROTOCOL)
    if next_step_unchecked:
        found.append(Signal.NEXT_STEP_UNCHECKED)
    return tuple(found)


def _kinds(answer: str | None) -> list:
    """The kinds of obstacle a stored answer names, decoded when a signal reads them (a window's
    older answers are read only while the latest kinds go back through them)."""
    return (json.loads(answer) if answer else None) or []


def _obstacle_open_since(named: Sequence[tuple[datetime, str | None]]) -> datetime | None:
    """Since when a kind of obstacle named in the latest answer has been named in every answer:
    an obstacle still open."""
    latest = _kinds(named[-1][1]) if named else []
    if not latest:
        return None
    since = None
    for kind in latest:
        start = named[-1][0]
        for at, answer in reversed(named[:-1]):
            if kind not in _kinds(answer):
                break
            start = at
        since = start if since is None else min(since, start)
    return since
