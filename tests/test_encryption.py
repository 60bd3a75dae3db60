"""Encryption at rest: with ENCRYPTION_KEY, no free text typed through Slack is stored readable,
everything still reads, exports and renders, keys rotate, and a database written without a key
is encrypted by the rewrite."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from bot.assembly import build_bot
from bot.cli import main
from bot.config import SetupError
from bot.storage.crypto import Keyring, is_sealed, new_key
from bot.storage.db import open_database
from bot.storage.models import Answer, Contribution
from bot.storage.sealing import check_keys, rewrite
from tests import slack_requests as sr
from tests.canaries import CANARIES, bot_with, dump, found_in, type_every_canary
from tests.conftest import make_settings
from tests.flow import LEADER

OLD_KEY = new_key()
NEW_KEY = new_key()


@pytest.fixture
def encryption_key() -> str | None:
    return OLD_KEY


@pytest.fixture
def bot(database_url, slack, clock, encryption_key):
    """The bot of tests/conftest.py, with ENCRYPTION_KEY as the test asks."""
    with bot_with(database_url, slack, clock, encryption_key=encryption_key) as bot:
        yield bot


def _export(slack_http, slack) -> str:
    slack.files.clear()
    slack_http.send(sr.command(f"export <@{LEADER}>", trigger_id=slack.issue_trigger_id()))
    (export,) = slack.files.values()
    return export["content"].decode()


# What a client's export holds: their record, their runs' answers and goals, the round's next step.
IN_EXPORT = {"organization", "run answers"}


def _reads_everything(bot, slack_http, slack) -> None:
    assert set(found_in(_export(slack_http, slack))) >= IN_EXPORT
    _read_back(bot.engine)


def _read_back(engine) -> None:
    with Session(engine) as session:
        texts = {c.text for c in session.exec(select(Contribution)).all()}
        values = " ".join(a.value for a in session.exec(select(Answer)).all())
    assert CANARIES["reply"] in texts and CANARIES["next step"] in texts
    assert CANARIES["revised answer"] in values and "CANARYTOA" in values


def test_with_a_key_no_typed_text_is_stored_readable_and_all_of_it_reads(bot, slack, slack_http, clock):
    type_every_canary(slack_http, slack, bot, clock)
    stored = dump(bot.engine)
    assert found_in(stored) == []
    assert "enc1:" in stored
    # What the bot showed and sent was rendered from the encrypted rows.
    sent = " ".join(str(call.args) for call in slack.calls)
    assert {"reply", "restated focus", "next step", "framing"} <= set(found_in(sent))
    _reads_everything(bot, slack_http, slack)


def test_a_rotated_key_rewrites_everything_and_the_old_key_is_then_not_needed(
    bot, slack, slack_http, clock, database_url
):
    type_every_canary(slack_http, slack, bot, clock)
    both = open_database(database_url, Keyring.parse(f"{NEW_KEY},{OLD_KEY}"))
    check_keys(both)  # the old key still opens what it wrote
    report = rewrite(both)
    assert sum(r.rotated for r in report) > 10 and sum(r.sealed for r in report) == 0
    assert sum(r.rotated for r in rewrite(both)) == 0  # nothing left for a second run
    both.dispose()

    bot.engine.dispose()
    new_only = build_bot(
        make_settings(database_url, slack, encryption_key=NEW_KEY), clock=clock, migrate=False
    )
    assert found_in(dump(new_only.engine)) == []
    _read_back(new_only.engine)
    new_only.engine.dispose()

    with pytest.raises(SetupError, match="ENCRYPTION_KEY does not open"):
        build_bot(make_settings(database_url, slack, encryption_key=OLD_KEY), clock=clock, migrate=False)
    with pytest.raises(SetupError, match="ENCRYPTION_KEY is not set"):
        build_bot(make_settings(database_url, slack), clock=clock, migrate=False)


@pytest.mark.parametrize("encryption_key", [None])
def test_text_written_without_a_key_is_encrypted_by_the_rewrite_and_reads_back(
    bot, slack, slack_http, clock, database_url, monkeypatch
):
    type_every_canary(slack_http, slack, bot, clock)
    assert set(found_in(dump(bot.engine))) == set(CANARIES)  # the dump would show a leak
    bot.engine.dispose()

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENCRYPTION_KEY", NEW_KEY)
    result = CliRunner().invoke(main, ["keys", "rewrite"])
    assert result.exit_code == 0, result.output
    assert "answer.value" in result.output

    keyed = build_bot(make_settings(database_url, slack, encryption_key=NEW_KEY), clock=clock, migrate=False)
    assert found_in(dump(keyed.engine)) == []
    _read_back(keyed.engine)
    keyed.engine.dispose()


def test_a_key_that_is_not_one_is_a_one_line_setup_error(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/bot.db")
    monkeypatch.setenv("ENCRYPTION_KEY", "not-a-key")
    result = CliRunner().invoke(main, ["keys", "rewrite"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: ENCRYPTION_KEY is not a comma-separated list of keys (newest first) as `coachbot keys new` "
        "makes them; see README.md, section 'Encryption at rest'."
    ]
    assert "not-a-key" not in result.output


def test_keys_new_prints_a_key_that_encrypts():
    result = CliRunner().invoke(main, ["keys", "new"])
    keyring = Keyring.parse(result.output.strip())
    assert is_sealed(keyring.seal("x")) and keyring.open(keyring.seal("x")) == "x"
