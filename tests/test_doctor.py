"""`coachbot doctor` against the fake Slack: all good, a token without a scope, an old database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from bot.cli import main
from bot.doctor import REQUIRED_SCOPES
from bot.storage.db import MIGRATIONS
from tests import slack_requests as sr
from tests.conftest import BOT_TOKEN

HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


def doctor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slack, database_url: str, **extra: str):
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith(("SLACK_", "DATABASE_", "PROTOCOLS_"))]:
        monkeypatch.delenv(name)
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": database_url,
    } | extra
    result = CliRunner().invoke(main, ["doctor"], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, {
        line[6:18].strip(): line for line in result.output.splitlines() if line[:4] in ("ok  ", "FAIL")
    }


def test_a_sound_setup_passes_every_check(tmp_path, monkeypatch, slack, database_url):
    code, lines = doctor(tmp_path, monkeypatch, slack, database_url)
    assert code == 0
    assert list(lines) == ["slack token", "slack mode", "database", "encryption", "protocols", "time zones"]
    assert all(line.startswith("ok") for line in lines.values())
    assert f"migrated to {HEAD}" in lines["database"]


def test_a_token_missing_a_scope_fails_naming_the_scope(tmp_path, monkeypatch, slack, database_url):
    slack.scopes = tuple(s for s in REQUIRED_SCOPES if s not in ("files:write", "users:read"))
    code, lines = doctor(tmp_path, monkeypatch, slack, database_url)
    assert code == 1
    assert lines["slack token"].startswith(
        "FAIL  slack token  the token lacks files:write, users:read: add them"
    )
    assert all(lines[name].startswith("ok") for name in ("slack mode", "database", "protocols", "time zones"))


def test_a_wrong_app_token_and_an_unmigrated_database_fail(tmp_path, monkeypatch, slack, database_url):
    fresh = f"sqlite:///{tmp_path}/fresh.db"
    code, lines = doctor(tmp_path, monkeypatch, slack, fresh, SLACK_APP_TOKEN="xapp-wrong")
    assert code == 1
    assert lines["slack mode"].startswith("FAIL  slack mode   Slack refused SLACK_APP_TOKEN (invalid_auth)")
    assert f"at migration none of {HEAD}: run `coachbot db upgrade`" in lines["database"]
    assert lines["slack token"].startswith("ok")
