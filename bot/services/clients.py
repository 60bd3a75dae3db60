"""A coach's clients: registering them, where each stands in the coaching cycle, their record."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot.actor import Actor, Clock
from bot.protocols.catalog import Catalog
from bot.protocols.schema import CyclePhase
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


class ClientService:
    def __init__(self, *, engine: Engine, catalog: Catalog, runs: RunService, clock: Clock) -> None:
        self._engine = engine
        self._catalog = catalog
        self._runs = runs
        self._clock = clock

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
            return repo.upsert_client(
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
        protocols = [p for p in self._catalog if p.one_per_client]
        runs = run_repo.runs_of_protocols(
            session, team_id=coach.team_id, coach_id=coach.user_id, protocol_ids=[p.id for p in protocols]
        )
        latest = {(run.client_id, run.protocol_id): run for run in runs}  # oldest first: the last wins
        answers = run_repo.answers_of_runs(session, run_ids=[run.id for run in latest.values()])
        found: dict[str, list[ChecklistItem]] = {}
        for client in clients:
            items = found.setdefault(client.id, [])
            for protocol in protocols:
                run = latest.get((client.id, protocol.id))
                given = answers.get(run.id, {}) if run else {}
                for step in protocol.steps:
                    if not step.item_status:
                        continue
                    option = next((o for o in step.options if o.value == given.get(step.id)), None)
                    items.append(
                        ChecklistItem(
                            step.prompt, option.label if option else None, bool(option and option.settled)
                        )
                    )
        return found

    def _summary(self, session: Session, client: Client) -> ClientSummary:
        return ClientSummary(
            client=client,
            runs=len(repo.runs_of_client(session, client_id=client.id)),
            goals=len(repo.goals_of_client(session, client_id=client.id)),
            checklist=self._checklists(session, Actor(client.team_id, client.coach_id), [client])[client.id],
        )

    def roster(self, coach: Actor) -> list[ClientSummary]:
        with self._session() as session:
            clients = repo.list_clients(session, team_id=coach.team_id, coach_id=coach.user_id)
            runs, goals = repo.counts_by_client(session, client_ids=[client.id for client in clients])
            checklists = self._checklists(session, coach, clients)
            return [
                ClientSummary(
                    client=client,
                    runs=runs.get(client.id, 0),
                    goals=goals.get(client.id, 0),
                    checklist=checklists[client.id],
                )
                for client in clients
            ]

    def record(self, coach: Actor, client_id: str) -> ClientRecord:
        with self._session() as session:
            client = owned_client(session, coach, client_id)
            runs = repo.runs_of_client(session, client_id=client.id)
            counts = run_repo.answer_counts(session, run_ids=[run.id for run in runs])
            return ClientRecord(
                summary=self._summary(session, client),
                runs=[self._runs.listing_of(session, run, counts.get(run.id, 0)) for run in runs],
                goals=[_goal_view(goal) for goal in repo.goals_of_client(session, client_id=client.id)],
            )


def _goal_view(goal: Goal) -> GoalView:
    return GoalView(goal.statement, json.loads(goal.details), goal.created_at)
