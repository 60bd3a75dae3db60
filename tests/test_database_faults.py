"""A database fault loses nothing: a page sent while the database is locked answers within
Slack's 3 seconds with the page kept open and "try again"; a window closed meanwhile keeps its
draft until the database is back, or gives it back to the coach in a DM."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot.assembly import tell_draft_lost
from bot.storage.models import Answer
from tests import slack_requests as sr
from tests.flow import current_page_id, open_modal, protocol, sample_answer

# Slack gives up on an answer after 3 seconds.
SLACK_WAITS = 3.0


@contextmanager
def locked(database_url: str) -> Iterator[None]:
    """Another process holds the write lock (SQLite) or the answers' tables (PostgreSQL)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as holder:
        holder.execute("LOCK TABLE answer, protocol_run IN ACCESS EXCLUSIVE MODE")
        yield
        holder.rollback()


def stored(bot) -> list[tuple[str, str]]:
    with Session(bot.engine) as session:
        return sorted((a.step_id, a.value) for a in session.exec(select(Answer)).all())


def first_page(slack_http, slack) -> tuple[dict, dict]:
    view = open_modal(slack_http, slack, "five-lenses")
    page = protocol("five-lenses").pages[0]
    return view, {s.id: sample_answer(s, "DRAFT") for s in page.steps}


@pytest.mark.timed
def test_a_page_sent_during_a_lock_answers_in_time_and_stays_open(slack_http, slack, bot, database_url):
    view, answers = first_page(slack_http, slack)
    with locked(database_url):
        started = time.monotonic()
        response = slack_http.send(sr.view_submission(view, answers), wait=False)
        took = time.monotonic() - started
    body = response.json()
    assert took < SLACK_WAITS
    assert body["response_action"] == "errors"
    assert "couldn't save this page just now" in json.dumps(body["errors"])
    assert stored(bot) == []
    again = slack_http.send(sr.view_submission(view, answers)).json()
    assert again["response_action"] == "update" and current_page_id(again["view"]) != current_page_id(view)
    assert stored(bot)


def test_a_window_closed_during_a_lock_keeps_its_draft_until_the_database_is_back(
    slack_http, slack, bot, database_url
):
    view, answers = first_page(slack_http, slack)
    with locked(database_url):
        assert slack_http.send(sr.view_closed(view, answers)).status_code == 200
        assert bot.drafts.pending() == 1
        assert bot.drafts.flush(partial(tell_draft_lost, bot.runs, bot.gateway)) == 0  # still locked
    assert stored(bot) == []
    assert bot.drafts.flush(partial(tell_draft_lost, bot.runs, bot.gateway)) == 1
    assert bot.drafts.pending() == 0
    assert any("DRAFT" in value for _, value in stored(bot))
    assert [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == sr.COACH] == []


def test_a_draft_the_database_never_takes_is_given_back_in_a_dm(slack_http, slack, bot, clock, database_url):
    view, answers = first_page(slack_http, slack)
    with locked(database_url):
        slack_http.send(sr.view_closed(view, answers))
        clock.advance(timedelta(minutes=11))
        bot.drafts.flush(partial(tell_draft_lost, bot.runs, bot.gateway))
    assert bot.drafts.pending() == 0 and stored(bot) == []
    told = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == sr.COACH]
    assert told and all(c.ok for c in told)
    said = json.dumps([c.args["blocks"] for c in told])
    assert "couldn't save the page" in said
    typed = [value for value in answers.values() if isinstance(value, str) and "DRAFT" in value]
    assert typed and all(
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in said for value in typed
    )
    assert all("DRAFT" not in c.args["text"] for c in told)  # the notification shows no answer
