"""Every setup mistake an administrator can make ends `coachbot serve` in one line that names the
variable and what to do, with exit code 1 and no traceback, before anything has started."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from bot.cli import main
from tests import slack_requests as sr
from tests.conftest import BOT_TOKEN
from tests.fake_slack import FakeSlack
from tests.postgres import PostgresServer
from tests.test_serve import free_port


def serve(tmp_path: Path, slack: FakeSlack | None, **variables: str) -> list[str]:
    """`coachbot serve` from an empty folder with a valid HTTP-mode setup changed by `variables`
    (an empty value unsets one); returns its stderr lines, having checked it failed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "LOG_"))}
    env |= {
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET,
        "SLACK_API_URL": slack.url if slack else "http://127.0.0.1:9/api/",
        "PORT": str(free_port()),
    }
    env |= variables
    env = {k: v for k, v in env.items() if v}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    return result.stderr.strip().splitlines()


def serve_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **variables: str) -> list[str]:
    """The same, in this process: for mistakes found in the settings, before anything is opened."""
    monkeypatch.chdir(tmp_path)  # no .env from elsewhere
    for name in [n for n in os.environ if n.startswith(("SLACK_", "DATABASE_", "LOG_", "PROTOCOLS_"))]:
        monkeypatch.delenv(name)
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET} | variables
    result = CliRunner().invoke(main, ["serve"], env={k: v or None for k, v in env.items()})
    assert (result.exit_code == 1 and result.exception is None) or isinstance(result.exception, SystemExit)
    return result.output.strip().splitlines()


def one_line(lines: list[str]) -> str:
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    return lines[0].removeprefix("Error: ")


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SLACK_BOT_TOKEN", "", "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...)"),
        ("SLACK_BOT_TOKEN", "xapp-1-A1-2", "SLACK_BOT_TOKEN is not a bot token (those start with xoxb-)"),
        ("SLACK_SIGNING_SECRET", "", "SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is not set"),
        ("SLACK_APP_TOKEN", "xoxb-1", "SLACK_APP_TOKEN is not an app-level token (those start with xapp-)"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL is 'slack.com/api': must be an http(s) URL"),
        ("DATABASE_URL", "nonsense", "DATABASE_URL is not a database URL: write one like sqlite:////"),
        ("DATABASE_URL", "mysql://u@h/db", "DATABASE_URL uses mysql, which this bot does not run on"),
        ("PORT", "http", "PORT is 'http': must be a whole number"),
        ("PORT", "70000", "PORT is '70000': must be a port number from 1 to 65535"),
        ("HEALTH_PORT", "x", "HEALTH_PORT is 'x': must be a whole number"),
        ("LOG_LEVEL", "chatty", "LOG_LEVEL is 'CHATTY': must be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT is 'xml': must be 'text' or 'json'"),
        (
            "PROTOCOLS_DIR",
            "/nonexistent/protocols",
            "PROTOCOLS_DIR is /nonexistent/protocols, which is not a",
        ),
    ],
)
def test_a_missing_or_malformed_variable_is_named(tmp_path, monkeypatch, variable, value, says):
    line = one_line(serve_here(tmp_path, monkeypatch, **{variable: value}))
    assert line.startswith(says)
    assert "README.md" in line or "PROTOCOLS_DIR" in line


def test_a_secret_is_never_repeated_in_the_line(tmp_path, monkeypatch):
    line = one_line(serve_here(tmp_path, monkeypatch, SLACK_BOT_TOKEN="xoxp-personal-secret-123"))
    assert "secret-123" not in line
    line = one_line(serve_here(tmp_path, monkeypatch, DATABASE_URL="mysql://u:hunter2@h/db"))
    assert "hunter2" not in line


def test_a_nonsense_database_url_ends_the_process_in_one_line(tmp_path):
    line = one_line(serve(tmp_path, None, DATABASE_URL="nonsense"))
    assert line.startswith("DATABASE_URL is not a database URL")


def test_an_unwritable_sqlite_path_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    line = one_line(serve(tmp_path, None, DATABASE_URL=f"sqlite:///{blocker}/sub/coachbot.db"))
    assert line.startswith(f"cannot open the SQLite database {blocker}/sub/coachbot.db named in DATABASE_URL")


def test_an_unreachable_postgresql_is_named(tmp_path):
    port = free_port()  # nothing listens there
    line = one_line(serve(tmp_path, None, DATABASE_URL=f"postgresql://coachbot:pw@127.0.0.1:{port}/coachbot"))
    assert line == (
        f"cannot reach PostgreSQL at 127.0.0.1:{port} named in DATABASE_URL (Connection refused): check "
        "that it is running and that this machine can connect to it."
    )


def test_postgresql_refusing_the_password_or_missing_the_database_is_named(
    tmp_path, postgres_server: PostgresServer
):
    admin = make_url(postgres_server.admin_url)
    with psycopg.connect(admin.set(drivername="postgresql").render_as_string(hide_password=False)) as db:
        db.execute("CREATE ROLE guarded LOGIN PASSWORD 'right'")
        db.commit()
    postgres_server.require_password("guarded")
    wrong = admin.set(username="guarded", password="wrong").render_as_string(hide_password=False)
    line = one_line(serve(tmp_path, None, DATABASE_URL=wrong))
    assert line.startswith(
        f"PostgreSQL at 127.0.0.1:{admin.port} refused the user or password in DATABASE_URL "
        '(password authentication failed for user "guarded"): correct them'
    )
    assert "wrong" not in line
    absent = admin.set(database="nowhere").render_as_string(hide_password=False)
    line = one_line(serve(tmp_path, None, DATABASE_URL=absent))
    assert line.startswith(f"PostgreSQL at 127.0.0.1:{admin.port} has no database 'nowhere'")


def test_slack_unreachable_is_named(tmp_path):
    line = one_line(serve(tmp_path, None))
    assert line.startswith("cannot reach Slack at http://127.0.0.1:9/api/ (")
    assert "SLACK_API_URL" in line


def test_a_wrong_or_revoked_bot_token_is_named(tmp_path, slack: FakeSlack):
    line = one_line(serve(tmp_path, slack, SLACK_BOT_TOKEN="xoxb-wrong"))
    assert line.startswith("Slack refused SLACK_BOT_TOKEN (invalid_auth); copy it again")
    slack.revoked = True
    line = one_line(serve(tmp_path, slack))
    assert line.startswith(
        "Slack refused SLACK_BOT_TOKEN (token_revoked); it was revoked or the app was removed"
    )


def test_a_wrong_app_token_is_named_before_anything_starts(tmp_path, slack: FakeSlack):
    line = one_line(serve(tmp_path, slack, SLACK_APP_TOKEN="xapp-wrong", SLACK_SIGNING_SECRET=""))
    assert line.startswith("Slack refused SLACK_APP_TOKEN (invalid_auth)")
    # Checked before the database was migrated or the scheduler started.
    database = tmp_path / "data" / "coachbot" / "coachbot.db"
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == []
    assert [c.method for c in slack.calls] == ["auth.test", "apps.connections.open"]


def test_a_port_in_use_is_named(tmp_path, slack: FakeSlack):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line(serve(tmp_path, slack, HOST="127.0.0.1", PORT=str(port)))
    assert line.startswith(f"PORT {port} on HOST 127.0.0.1 cannot be used (Address already in use)")
