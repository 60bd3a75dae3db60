"""Backups as README.md says to take them: a SQLite database copied while the bot writes to it,
restored by putting the copy in place, and read by the bot again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.actor import Actor
from bot.assembly import build_bot
from bot.cli import main
from bot.storage.models import Domain
from tests import slack_requests as sr
from tests.conftest import make_settings

COACH = Actor(team_id=sr.TEAM, user_id=sr.COACH)


def add_client(bot, leader: str) -> None:
    bot.clients.add(
        COACH, leader_id=leader, leader_name=leader.lower(), organization="Org", domain=Domain.SCHOOL
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sqlite_backup_taken_while_serving_restores_and_the_bot_reads_it(bot, slack, tmp_path: Path):
    add_client(bot, "ULEAD01")
    backup = tmp_path / "backups" / "coachbot.db"
    result = CliRunner().invoke(
        main, ["db", "backup", str(backup)], env={"DATABASE_URL": str(bot.engine.url)}
    )
    assert result.exit_code == 0, result.output
    add_client(bot, "ULEAD02")  # after the backup: not in it

    # Restore, as README.md says: the bot stopped, the copy put where DATABASE_URL points.
    restored = tmp_path / "restored" / "coachbot.db"
    restored.parent.mkdir()
    shutil.copy(backup, restored)
    again = build_bot(make_settings(f"sqlite:///{restored}", slack), pace_per_second=None)
    try:
        assert [c.client.leader_id for c in again.clients.roster(COACH)] == ["ULEAD01"]
    finally:
        again.engine.dispose()

    refused = CliRunner().invoke(
        main, ["db", "backup", str(backup)], env={"DATABASE_URL": str(bot.engine.url)}
    )
    assert refused.exit_code == 1 and "exists already" in refused.output


def test_backup_of_postgresql_points_to_pg_dump():
    result = CliRunner().invoke(
        main, ["db", "backup", "/tmp/never.db"], env={"DATABASE_URL": "postgresql://u@h/coachbot"}
    )
    assert result.exit_code == 1 and "back it up with pg_dump" in result.output
