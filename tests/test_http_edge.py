"""The HTTP edge refuses what did not come from Slack and never answers a bad request with 500."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import psycopg
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot.ids import ActionId
from bot.storage.models import Answer, ProtocolRun
from tests import slack_requests as sr
from tests.flow import open_modal, protocol, sample_answer


def nothing_stored(bot) -> bool:
    with Session(bot.engine) as session:
        return not session.exec(select(ProtocolRun)).all() and not session.exec(select(Answer)).all()


def test_forged_signature_is_refused_and_nothing_is_stored(slack_http, slack, bot):
    request = sr.command("start five-lenses", trigger_id=slack.issue_trigger_id())
    response = slack_http.send(request, secret="not-the-secret")
    assert response.status_code == 401
    assert slack.calls_to("views.open") == []
    assert nothing_stored(bot)


def test_request_older_than_five_minutes_is_refused(slack_http, slack, bot):
    request = sr.command("start five-lenses", trigger_id=slack.issue_trigger_id())
    response = slack_http.send(request, timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    assert slack.calls_to("views.open") == []
    assert nothing_stored(bot)


def test_stale_replay_of_a_real_submission_stores_nothing(slack_http, slack, bot):
    view = open_modal(slack_http, slack, "five-lenses")
    page = protocol("five-lenses").pages[0]
    replay = sr.view_submission(view, {s.id: sample_answer(s) for s in page.steps})
    response = slack_http.send(replay, timestamp=int(time.time()) - 3600)
    assert response.status_code == 401
    with Session(bot.engine) as session:
        assert session.exec(select(Answer)).all() == []


def test_missing_signature_headers_are_refused(slack_http, slack):
    request = sr.command("help", trigger_id=slack.issue_trigger_id())
    response = slack_http.http.post(
        "/slack/events", content=request.body, headers={"Content-Type": request.content_type}
    )
    assert response.status_code == 401


def test_non_numeric_timestamp_is_a_401(slack_http, slack):
    request = sr.command("help", trigger_id=slack.issue_trigger_id())
    headers = request.headers()
    headers["X-Slack-Request-Timestamp"] = "yesterday"
    response = slack_http.http.post("/slack/events", content=request.body, headers=headers)
    assert response.status_code == 401  # a request that cannot be verified is not from Slack


def test_payload_that_is_not_json_is_a_400(slack_http):
    request = sr.SlackRequest("payload=%7Bnot-json", "application/x-www-form-urlencoded")
    assert slack_http.send(request).status_code == 400


def test_submission_without_view_state_is_a_400(slack_http, slack, bot):
    view = open_modal(slack_http, slack, "five-lenses")
    request = sr.view_submission(view, {})
    broken = request.body.replace("%22state%22", "%22nostate%22")
    response = slack_http.send(sr.SlackRequest(broken, request.content_type))
    assert response.status_code == 400


def test_submission_with_garbage_metadata_is_a_400(slack_http, slack, bot):
    view = open_modal(slack_http, slack, "five-lenses")
    response = slack_http.send(sr.view_submission({**view, "private_metadata": "{oops"}, {}))
    assert response.status_code == 400
    with Session(bot.engine) as session:
        assert session.exec(select(Answer)).all() == []


def test_submission_with_a_number_where_text_belongs_is_a_400(slack_http, slack, bot):
    view = open_modal(slack_http, slack, "five-lenses")
    request = sr.view_submission(view, {"situation_name": "ok"})
    broken = request.body.replace("%22value%22%3A+%22ok%22", "%22value%22%3A+42")
    assert broken != request.body
    assert slack_http.send(sr.SlackRequest(broken, request.content_type)).status_code == 400


def test_a_response_url_that_is_not_a_web_address_is_a_400_and_runs_nothing(slack_http, slack, caplog):
    """The bot answers there after the ack: an address it cannot use must not get that far
    (found by tests/test_hostile_edge.py: the program CSV's refusal failed after its ack)."""
    click = sr.block_action(ActionId.PROGRAM_CSV, "", trigger_id=slack.issue_trigger_id())
    for url in ("x", "ftp://hooks.slack.com/x", "https://[oops/x"):
        broken = click.body.replace(
            "%22response_url%22%3A+%22%22", f"%22response_url%22%3A+%22{quote(url)}%22"
        )
        assert broken != click.body
        assert slack_http.send(sr.SlackRequest(broken, click.content_type)).status_code == 400
    command = sr.with_response_url(sr.command("collaborative", trigger_id=slack.issue_trigger_id()), "x")
    assert slack_http.send(command).status_code == 400
    assert {c.method for c in slack.calls} <= {"auth.test"} and not [
        r for r in caplog.records if r.name == "bot.handlers.errors"
    ]


def test_healthz_answers_when_the_database_is_reachable(slack_http):
    response = slack_http.http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


def make_database_unreachable(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        path.rename(path.with_suffix(".gone"))
        path.mkdir()  # a folder where the database file was: SQLite cannot open it
        return
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE {url.database} WITH (FORCE)")


def test_healthz_is_503_when_the_database_is_not(slack_http, bot, database_url):
    bot.engine.dispose()
    make_database_unreachable(database_url)
    response = slack_http.http.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"ok": False, "database": "not writable"}


def refuse_writes(database_url: str) -> Callable[[], None]:
    """The database still answers reads but takes no writes: on PostgreSQL it is read-only, on
    SQLite another process holds the write lock past the busy timeout. Returns the undo."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database)
        holder.execute("BEGIN EXCLUSIVE")
        return holder.close
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"ALTER DATABASE {url.database} SET default_transaction_read_only = on")
    return lambda: None


def test_healthz_is_503_when_the_database_answers_but_cannot_be_written(slack_http, bot, database_url):
    undo = refuse_writes(database_url)
    bot.engine.dispose()  # new connections see the change
    try:
        with bot.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1  # reads still work
        response = slack_http.http.get("/healthz")
    finally:
        undo()
    assert response.status_code == 503 and response.json() == {"ok": False, "database": "not writable"}


def test_a_listener_failing_after_its_ack_answers_slack_with_the_ack():
    """bolt's thread runner, for a listener that acknowledged and then raised, sets 500 on the
    response it holds (which can be the ack itself), then drops it (bolt answers 404 when the
    request thread sees none). Slack must still get the acknowledgement, body and all; a failure
    before any ack stays a 500."""
    from slack_bolt import BoltRequest, BoltResponse

    from bot.request_log import KeptAck, _as_acknowledged

    acked = BoltRequest(body="command=/coach&text=help", headers={})
    acked.context["ack"] = KeptAck()
    given = acked.context.ack(response_action="update", view={"type": "modal"})
    given.status = 500  # what the runner does to the response it holds
    acked.context.ack.response = None  # and then to the ack
    for returned in (given, BoltResponse(status=404, body="unhandled request")):  # or none at all
        answer = _as_acknowledged(acked, returned)
        assert answer.status == 200 and '"response_action": "update"' in answer.body
    unacked = BoltRequest(body="command=/coach&text=help", headers={})
    unacked.context["ack"] = KeptAck()
    assert _as_acknowledged(unacked, BoltResponse(status=500)).status == 500
