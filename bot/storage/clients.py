"""Repository functions for clients and their goals."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.protocols.schema import CyclePhase
from bot.storage.models import Client, Domain, Goal, ProtocolRun


def upsert_client(
    session: Session,
    *,
    team_id: str,
    coach_id: str,
    leader_id: str,
    leader_name: str,
    organization: str,
    domain: Domain,
    language: str | None,
    now: datetime,
) -> Client:
    """Register a leader as the coach's client, or update the record if they already are."""
    client = find_client(session, team_id=team_id, coach_id=coach_id, leader_id=leader_id)
    if client is None:
        client = Client(
            team_id=team_id,
            coach_id=coach_id,
            leader_id=leader_id,
            leader_name=leader_name,
            organization=organization,
            domain=domain,
            language=language,
            created_at=now,
            updated_at=now,
        )
    else:
        client.leader_name, client.organization, client.domain, client.language, client.updated_at = (
            leader_name,
            organization,
            domain,
            language,
            now,
        )
    session.add(client)
    try:
        session.commit()
    except IntegrityError:  # registered at the same moment by a duplicate delivery
        session.rollback()
        return upsert_client(
            session,
            team_id=team_id,
            coach_id=coach_id,
            leader_id=leader_id,
            leader_name=leader_name,
            organization=organization,
            domain=domain,
            language=language,
            now=now,
        )
    return client


def find_client(session: Session, *, team_id: str, coach_id: str, leader_id: str) -> Client | None:
    query = select(Client).where(
        Client.team_id == team_id, Client.coach_id == coach_id, Client.leader_id == leader_id
    )
    return session.exec(query).first()


def find_client_by_name(session: Session, *, team_id: str, coach_id: str, name: str) -> Client | None:
    query = select(Client).where(
        Client.team_id == team_id,
        Client.coach_id == coach_id,
        func.lower(Client.leader_name) == name.lower(),
    )
    return session.exec(query).first()


def get_client(session: Session, *, client_id: str) -> Client | None:
    return session.get(Client, client_id)


def set_phase(session: Session, *, client_id: str, phase: CyclePhase, now: datetime) -> None:
    session.exec(update(Client).where(Client.id == client_id).values(phase=phase, updated_at=now))
    session.commit()


def record_goal(
    session: Session,
    *,
    team_id: str,
    coach_id: str,
    client_id: str | None,
    run_id: str,
    statement: str,
    details: dict[str, str],
    now: datetime,
) -> None:
    """Store the goal a run stated; once per run, however often its completion is delivered."""
    if session.exec(select(Goal).where(Goal.run_id == run_id)).first() is not None:
        return
    session.add(
        Goal(
            team_id=team_id,
            coach_id=coach_id,
            client_id=client_id,
            run_id=run_id,
            statement=statement,
            details=json.dumps(details, ensure_ascii=False),
            created_at=now,
        )
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()


def goals_of_client(session: Session, *, client_id: str) -> Sequence[Goal]:
    query = select(Goal).where(Goal.client_id == client_id).order_by(col(Goal.created_at).desc())
    return session.exec(query).all()


def roster(session: Session, *, team_id: str, coach_id: str) -> list[tuple[Client, int, int]]:
    """The coach's clients by name, each with how many runs and goals are about them: one query
    for the whole roster, the counts read from the indexes rather than from every run."""
    runs = (
        select(func.count())
        .where(col(ProtocolRun.client_id) == col(Client.id))
        .correlate(Client)
        .scalar_subquery()
    )
    goals = (
        select(func.count()).where(col(Goal.client_id) == col(Client.id)).correlate(Client).scalar_subquery()
    )
    query = (
        select(Client, runs, goals)
        .where(Client.team_id == team_id, Client.coach_id == coach_id)
        .order_by(func.lower(Client.leader_name))
    )
    return [(client, run_count, goal_count) for client, run_count, goal_count in session.exec(query).all()]
