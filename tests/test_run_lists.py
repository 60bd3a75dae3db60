"""The lists a coach reads their work from (history, resume, the roster, a client's record), each
read in one query however many runs there are: the order, the client named on each line, the
answers counted per run and the runs and goals counted per client must still be right."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session

from bot.actor import Actor
from bot.storage.models import Answer, Client, Domain, Goal, ProtocolRun, RunStatus
from tests import slack_requests as sr
from tests.clock import START

OTHER_COACH = sr.OTHER_COACH


def _client(session: Session, leader_id: str, name: str, *, coach: str = sr.COACH) -> Client:
    client = Client(
        team_id=sr.TEAM,
        coach_id=coach,
        leader_id=leader_id,
        leader_name=name,
        organization="Lincoln Middle School",
        domain=Domain.SCHOOL,
        created_at=START,
        updated_at=START,
    )
    session.add(client)
    session.flush()
    return client


def _run(
    session: Session,
    protocol_id: str,
    *,
    days_ago: int,
    answers: int,
    client: Client | None = None,
    status: RunStatus = RunStatus.COMPLETED,
    coach: str = sr.COACH,
) -> ProtocolRun:
    at = START - timedelta(days=days_ago)
    run = ProtocolRun(
        team_id=sr.TEAM,
        user_id=coach,
        protocol_id=protocol_id,
        protocol_version=1,
        status=status,
        current_page="situation",
        client_id=client.id if client else None,
        started_at=at - timedelta(days=1),
        updated_at=at,
        completed_at=at if status is RunStatus.COMPLETED else None,
    )
    session.add(run)
    session.flush()
    for n in range(answers):
        session.add(Answer(run_id=run.id, step_id=f"step{n}", value=json.dumps("an answer"), answered_at=at))
    return run


def _lines(body: dict) -> list[tuple[str, str]]:
    """Each listed line's text and the id its button carries."""
    return [(b["text"]["text"], b["accessory"]["value"]) for b in body["blocks"] if b.get("accessory")]


def test_history_lists_runs_newest_change_first_with_their_client_and_answers(slack_http, slack, bot):
    with Session(bot.engine, expire_on_commit=False) as session:
        ana, ben = _client(session, "ULEADA", "Ana"), _client(session, "ULEADB", "Ben")
        old = _run(session, "five-lenses", days_ago=30, answers=3, client=ana)
        newest = _run(session, "left-hand-column", days_ago=1, answers=2, status=RunStatus.IN_PROGRESS)
        middle = _run(session, "theory-of-action", days_ago=10, answers=5, client=ben)
        _run(session, "five-lenses", days_ago=0, answers=4, coach=OTHER_COACH)  # not mine
        session.commit()
    body = slack_http.send(sr.command("history", trigger_id=slack.issue_trigger_id())).json()
    lines = _lines(body)
    assert [run_id for _, run_id in lines] == [newest.id, middle.id, old.id]
    assert "about" not in lines[0][0] and "2 of" in lines[0][0]  # in progress: answers so far
    assert "about Ben" in lines[1][0] and "completed" in lines[1][0]
    assert "about Ana" in lines[2][0]

    resume = slack_http.send(sr.command("resume", trigger_id=slack.issue_trigger_id())).json()
    assert [run_id for _, run_id in _lines(resume)] == [newest.id]


def test_history_shows_the_twenty_most_recently_changed(slack_http, slack, bot):
    with Session(bot.engine, expire_on_commit=False) as session:
        ana = _client(session, "ULEADA", "Ana")
        runs = [_run(session, "five-lenses", days_ago=d, answers=1, client=ana) for d in range(25)]
        session.commit()
    body = slack_http.send(sr.command("history", trigger_id=slack.issue_trigger_id())).json()
    assert [run_id for _, run_id in _lines(body)] == [run.id for run in runs[:20]]


def test_roster_counts_each_clients_runs_and_goals(slack_http, slack, bot):
    with Session(bot.engine, expire_on_commit=False) as session:
        ana, ben = _client(session, "ULEADA", "ana"), _client(session, "ULEADB", "Ben")
        _client(session, "ULEADC", "Cleo", coach=OTHER_COACH)
        for days in (3, 2, 1):
            _run(session, "five-lenses", days_ago=days, answers=1, client=ben)
        goal_run = _run(session, "theory-of-action", days_ago=5, answers=1, client=ben)
        for n in range(2):
            session.add(
                Goal(
                    team_id=sr.TEAM,
                    coach_id=sr.COACH,
                    client_id=ben.id,
                    run_id=goal_run.id if n == 0 else None,
                    statement=f"goal {n}",
                    details="{}",
                    created_at=START,
                )
            )
        session.commit()
    body = slack_http.send(sr.command("clients", trigger_id=slack.issue_trigger_id())).json()
    lines = _lines(body)
    assert [client_id for _, client_id in lines] == [ana.id, ben.id]  # by name, whatever the case
    assert "0 protocol runs" in lines[0][0] and "0 goals" in lines[0][0]
    assert "4 protocol runs" in lines[1][0] and "2 goals" in lines[1][0]


def test_a_clients_record_lists_the_runs_about_them_newest_first(slack_http, slack, bot):
    with Session(bot.engine, expire_on_commit=False) as session:
        ana, ben = _client(session, "ULEADA", "Ana"), _client(session, "ULEADB", "Ben")
        first = _run(session, "five-lenses", days_ago=20, answers=2, client=ana)
        second = _run(session, "theory-of-action", days_ago=2, answers=6, client=ana)
        _run(session, "five-lenses", days_ago=1, answers=1, client=ben)
        session.commit()
    record = bot.clients.record(Actor(sr.TEAM, sr.COACH), ana.id)
    assert [run.run_id for run in record.runs] == [second.id, first.id]
    assert [run.answered for run in record.runs] == [6, 2]
    assert {run.client_name for run in record.runs} == {"Ana"}
    assert record.summary.runs == 2 and record.summary.goals == 0
