"""LOG_LEVEL and LOG_FORMAT as an operator sets them, and the default database's one place."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.config import load_settings


@pytest.fixture
def stderr(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], str]]:
    """What `logs.configure`'s handler writes so far; the root logger put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    written: list[str] = []

    def read() -> str:
        written.append(capsys.readouterr().err)
        return "".join(written)

    yield read
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in logs.ROUTINE_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_json_lines_carry_the_fields_and_the_level_filters(stderr):
    logs.configure("WARNING", "json")
    logging.getLogger("coachbot.requests").info("request", extra={"fields": {"kind": "command"}})
    logging.getLogger("bot.x").warning("claim of %s retaken", "D1", extra={"fields": {"delivery": "D1"}})
    logging.getLogger("apscheduler.executors.default").warning("job missed")
    lines = [json.loads(line) for line in stderr().splitlines()]
    assert [line["message"] for line in lines] == ["claim of D1 retaken", "job missed"]
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "bot.x" and lines[0]["delivery"] == "D1"


def test_text_lines_end_with_the_fields_and_routine_lines_wait_for_debug(stderr):
    logs.configure("INFO", "text")
    logging.getLogger("apscheduler.executors.default").info('Job "dispatch" executed successfully')
    logging.getLogger("coachbot.requests").info(
        "request", extra={"fields": {"kind": "command", "outcome": "ok"}}
    )
    (line,) = stderr().splitlines()
    assert line.endswith("INFO coachbot.requests: request kind=command outcome=ok")
    logs.configure("DEBUG", "text")
    logging.getLogger("apscheduler.executors.default").info('Job "dispatch" executed successfully')
    assert "executed successfully" in stderr()


def test_the_default_database_is_one_absolute_file_whichever_folder_starts_the_bot(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    urls = set()
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        urls.add(load_settings().database_url)
    assert urls == {f"sqlite:///{tmp_path / 'share' / 'coachbot' / 'coachbot.db'}"}
    assert Path(next(iter(urls)).removeprefix("sqlite:///")).is_absolute()
