"""The program view: counts only, for PROGRAM_LEADS only, with small counts hidden, through the
Slack surface (`/coach program` and its CSV button) and the operator's `coachbot report`."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from bot.cli import main
from bot.ids import ActionId
from bot.services.program import ProgramService
from bot.storage.crypto import new_key
from bot.storage.models import ProtocolRun, RunStatus
from tests import slack_requests as sr
from tests.canaries import bot_with, found_in, type_every_canary

KEY = new_key()
LEAD = sr.COACH
USER_ID = re.compile(r"\b[UW][A-Z0-9]{5,}\b")


@pytest.fixture
def bot(database_url, slack, clock):
    """A bot whose one program lead is the coach, encrypting (the counts read through the keys)."""
    with bot_with(database_url, slack, clock, program_leads=LEAD, encryption_key=KEY) as bot:
        yield bot


def _completed(bot, protocol_id: str, count: int, when) -> None:
    """`count` coaches each completed a run of `protocol_id` at `when`."""
    with Session(bot.engine) as session:
        for n in range(count):
            session.add(
                ProtocolRun(
                    team_id=sr.TEAM,
                    user_id=f"UCOUNT{protocol_id[:3].upper()}{n}",
                    protocol_id=protocol_id,
                    protocol_version=1,
                    status=RunStatus.COMPLETED,
                    current_page="done",
                    started_at=when,
                    updated_at=when,
                    completed_at=when,
                )
            )
        session.commit()


def _view(slack_http, slack, user: str = LEAD) -> dict:
    return slack_http.send(sr.command("program", trigger_id=slack.issue_trigger_id(), user=user)).json()


def _line(view: dict, label: str) -> str:
    text = "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")
    (line,) = [row for row in text.splitlines() if row.startswith(f"• {label}:")]
    return line


def _click_csv(slack_http, slack, value: str, user: str = LEAD) -> None:
    slack_http.send(
        sr.block_action(ActionId.PROGRAM_CSV, value, trigger_id=slack.issue_trigger_id(), user=user)
    )


def test_a_lead_sees_counts_with_small_ones_hidden_and_nothing_private(bot, slack, slack_http, clock):
    type_every_canary(slack_http, slack, bot, clock)
    month, last_month = f"{clock.now:%Y-%m}", f"{clock.now - timedelta(days=31):%Y-%m}"
    _completed(bot, "five-lenses", 5, clock.now)
    _completed(bot, "issaquah", 4, clock.now)
    _completed(bot, "left-hand-column", 5, clock.now)
    _completed(bot, "left-hand-column", 4, clock.now - timedelta(days=31))

    view = _view(slack_http, slack)
    shown = json.dumps(view)
    assert found_in(shown) == [] and USER_ID.findall(shown) == []
    assert _line(view, "Five lenses").endswith(f"{month} 5; all 6 months: fewer than 5")
    assert _line(view, "Issaquah").endswith(f"{month} fewer than 5; all 6 months: fewer than 5")
    # 9 in all, but the total would give away last month's 4 by subtracting this month's 5.
    assert f"{last_month} fewer than 5 · {month} 5; all 6 months: fewer than 5" in _line(
        view, "Left-hand column"
    )
    assert _line(view, "Check-ins sent").endswith(f"{month} fewer than 5; all 6 months: fewer than 5")

    _click_csv(slack_http, slack, "6")
    (csv_file,) = slack.files.values()
    content = csv_file["content"].decode()
    assert found_in(content) == [] and USER_ID.findall(content) == []
    assert f"protocols,Five lenses,{month},5" in content
    assert f"protocols,Issaquah,{month},fewer than 5" in content
    _click_csv(slack_http, slack, "6")  # a second click sends no second file
    assert len(slack.files) == 1


def test_one_month_totals_show_and_obstacle_kinds_are_counted_through_encryption(
    bot, slack, slack_http, clock
):
    type_every_canary(slack_http, slack, bot, clock)
    _completed(bot, "five-lenses", 5, clock.now)
    service = ProgramService(engine=bot.engine, catalog=bot.runs.catalog, clock=clock, leads=())
    report = service.report(team_id=sr.TEAM, months=1)
    rows = {row.label or row.measure: row for group in report.groups for row in group.rows}
    assert rows["Five lenses"].total.value == 5
    # The leader named "capacity" in a check-in (an encrypted answer): one, so not shown.
    assert rows["Capacity (time, people, resources)"].cells[0].value is None


def test_anyone_else_is_refused_by_command_and_by_crafted_clicks(bot, slack, slack_http, clock):
    type_every_canary(slack_http, slack, bot, clock)
    _completed(bot, "five-lenses", 5, clock.now)
    refused = json.dumps(_view(slack_http, slack, user=sr.OTHER_COACH))
    assert "for the program's leads" in refused and "Five lenses" not in refused

    for value in ("6", "24", "1", "x", LEAD):
        _click_csv(slack_http, slack, value, user=sr.OTHER_COACH)
    assert slack.files == {}
    told = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == sr.OTHER_COACH]
    assert len(told) == 5 and all("for the program's leads" in json.dumps(c.args) for c in told)

    # The lead's own crafted value: a number of months out of range is the default, nothing more.
    _click_csv(slack_http, slack, "99999")
    (csv_file,) = slack.files.values()
    rows = list(csv.reader(io.StringIO(csv_file["content"].decode())))[1:]
    months = {row[2] for row in rows}
    assert len(months - {"total", "today"}) == 6


def test_the_operators_report_prints_counts_only(bot, slack, slack_http, clock, database_url, monkeypatch):
    type_every_canary(slack_http, slack, bot, clock)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENCRYPTION_KEY", KEY)
    for args in (["report"], ["report", "--csv"], ["report", "--months", "12", "--team", sr.TEAM]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert found_in(result.output) == [] and USER_ID.findall(result.output) == []
        assert "fewer than 5" in result.output and "Coaches active" in result.output
