"""A coach's clients: registering them, where each stands in the coaching cycle, their record."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot import i18n
from bot.actor import Actor, Clock
from bot.protocols.catalog import Catalog
from bot.protocols.schema import CyclePhase, Option, Step
from bot.services.runs import RunListing, RunService, owned_client
from bot.storage import clients as repo
from bot.storage import runs as run_repo
from bot.storage.models import Client, Domain, Goal


@dataclass(frozen=True)
class LeaderRef:
    """A leader as a coach typed them: a Slack id from an escaped mention, or just a name."""

    user_id: str | None
    name: str | None


@dataclass(frozen=True)
class ChecklistItem:
    prompt: str
    status: str | None  # the chosen option's label; None when not answered yet
    settled: bool


@dataclass(frozen=True)
class ClientSummary:
    client: Client
    runs: int
    goals: int
    checklist: list[ChecklistItem]

    @property
    def settled(self) -> int:
        return sum(item.settled for item in self.checklist)


@dataclass(frozen=True)
class GoalView:
    statement: str
    details: dict[str, str]
    created_at: datetime


@dataclass(frozen=True)
class ClientRecord:
    summary: ClientSummary
    runs: list[RunListing]
    goals: list[GoalView]


@dataclass(frozen=True)
class _Checklists:
    """The status steps of every per-client checklist in one language, and a fresh client's items."""

    steps: list[tuple[str, list[tuple[Step, dict[str, Option]]]]]
    not_begun: dict[str, tuple[ChecklistItem, ...]]


class ClientService:
    def __init__(
        self,
        *,
        engine: Engine,
        catalog: Catalog,
        runs: RunService,
        clock: Clock,
        reader_changed: Callable[[str, str], None] | None = None,
    ) -> None:
        self._engine = engine
        self._runs = runs
        self._clock = clock
        self._catalog = catalog
        # Told (team, leader) when a client record, whose language is the leader's, is written.
        self._reader_changed = reader_changed
        # The catalog never changes under a running process: which steps of which per-client
        # checklists are status items, each one's options by value, and the items of a checklist
        # not begun are worked out once per language rather than for every client of every roster.
        self._checklist_by_language: dict[str, _Checklists] = {}

    def _checklists_in(self, language: str) -> _Checklists:
        known = self._checklist_by_language.get(language)
        if known is None:
            steps = [
                (
                    protocol.id,
                    [
                        (step, {o.value: o for o in reversed(step.options)})
                        for step in protocol.in_language(language).steps
                        if step.item_status
                    ],
                )
                for protocol in self._catalog
                if protocol.one_per_client
            ]
            not_begun = {
                protocol_id: tuple(ChecklistItem(step.prompt, None, False) for step, _ in items)
                for protocol_id, items in steps
            }
            known = self._checklist_by_language[language] = _Checklists(steps, not_begun)
        return known

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def add(
        self,
        coach: Actor,
        *,
        leader_id: str,
        leader_name: str,
        organization: str,
        domain: Domain,
        language: str | None = None,
    ) -> Client:
        """`language`: the one the leader's check-ins arrive in; None follows the leader's own."""
        with self._session() as session:
            client = repo.upsert_client(
                session,
                team_id=coach.team_id,
                coach_id=coach.user_id,
                leader_id=leader_id,
                leader_name=leader_name,
                organization=organization,
                domain=domain,
                language=language,
                now=self._clock(),
            )
        if self._reader_changed is not None:
            self._reader_changed(coach.team_id, leader_id)
        return client

    def resolve(self, coach: Actor, leader: LeaderRef) -> Client | None:
        """The coach's client a mention points at: by Slack id, or by the name they were added with."""
        with self._session() as session:
            if leader.user_id:
                return repo.find_client(
                    session, team_id=coach.team_id, coach_id=coach.user_id, leader_id=leader.user_id
                )
            if leader.name:
                return repo.find_client_by_name(
                    session, team_id=coach.team_id, coach_id=coach.user_id, name=leader.name
                )
            return None

    def get(self, coach: Actor, client_id: str) -> Client:
        with self._session() as session:
            return owned_client(session, coach, client_id)

    def set_phase(self, coach: Actor, client_id: str, phase: CyclePhase) -> None:
        with self._session() as session:
            owned_client(session, coach, client_id)
            repo.set_phase(session, client_id=client_id, phase=phase, now=self._clock())

    def _checklists(
        self, session: Session, coach: Actor, clients: Sequence[Client]
    ) -> dict[str, list[ChecklistItem]]:
        """Each client's status items of their per-client checklist runs (enrollment), answered
        or not: the latest such run of every client and its answers, in two queries."""
        checklists = self._checklists_in(i18n.current())
        runs = run_repo.runs_of_protocols(
            session,
            team_id=coach.team_id,
            coach_id=coach.user_id,
            protocol_ids=[protocol_id for protocol_id, _ in checklists.steps],
        )
        latest = {(run.client_id, run.protocol_id): run for run in runs}  # oldest first: the last wins
        answers = run_repo.answers_of_runs(session, run_ids=[run.id for run in latest.values()])
        found: dict[str, list[ChecklistItem]] = {}
        for client in clients:
            items = found.setdefault(client.id, [])
            for protocol_id, steps in checklists.steps:
                run = latest.get((client.id, protocol_id))
                if run is None:
                    items.extend(checklists.not_begun[protocol_id])
                    continue
                given = answers.get(run.id, {})
                for step, options in steps:
                    answer = given.get(step.id)
                    option = options.get(answer) if isinstance(answer, str) else None
                    items.append(
                        ChecklistItem(
                            step.prompt, option.label if option else None, bool(option and option.settled)
                        )
                    )
        return found

    def roster(self, coach: Actor) -> list[ClientSummary]:
        with self._session() as session:
            rows = repo.roster(session, team_id=coach.team_id, coach_id=coach.user_id)
            checklists = self._checklists(session, coach, [client for client, _, _ in rows])
            return [
                ClientSummary(client=client, runs=runs, goals=goals, checklist=checklists[client.id])
                for client, runs, goals in rows
            ]

    def record(self, coach: Actor, client_id: str) -> ClientRecord:
        with self._session() as session:
            client = owned_client(session, coach, client_id)
            lines = run_repo.run_lines_about(session, client_id=client.id)
            goals = repo.goals_of_client(session, client_id=client.id)
            checklist = self._checklists(session, coach, [client])[client.id]
            return ClientRecord(
                summary=ClientSummary(client=client, runs=len(lines), goals=len(goals), checklist=checklist),
                runs=[self._runs.listing_of(session, line) for line in lines],
                goals=[_goal_view(goal) for goal in goals],
            )


def _goal_view(goal: Goal) -> GoalView:
    return GoalView(goal.statement, json.loads(goal.details), goal.created_at)
