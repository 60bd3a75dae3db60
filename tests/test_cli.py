"""The command line: protocol authoring, the terminal runner, and a clear word when setup is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlmodel import Session, select

from bot.cli import main
from bot.config import REPO_ROOT
from bot.storage.db import make_engine
from bot.storage.models import Answer, ProtocolRun, RunStatus
from tests.flow import protocol

GOOD = (REPO_ROOT / "protocols" / "five-lenses.yaml").read_text()


def run_cli(*args: str, env: dict | None = None, input: str | None = None):
    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)


def test_validate_says_ok_for_every_shipped_protocol():
    result = run_cli("protocols", "validate")
    assert result.exit_code == 0
    assert "five-lenses.yaml: OK" in result.output


def test_validate_names_file_field_and_problem(tmp_path: Path):
    bad = tmp_path / "five-lenses.yaml"
    bad.write_text(GOOD.replace("input: long_text", "input: essay", 1).replace("version: 1", "version: 0"))
    result = run_cli("protocols", "validate", str(bad))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert any(
        line.startswith(f"{bad}: version: ") and "greater than or equal to 1" in line for line in lines
    )
    first_long = next(
        i for i, s in enumerate(protocol("five-lenses").pages[0].steps) if s.input == "long_text"
    )
    assert any(line.startswith(f"{bad}: pages.0.steps.{first_long}.input: Input should be") for line in lines)


def test_validate_catches_a_summary_template_that_uses_an_optional_answer_unguarded(tmp_path: Path):
    bad = tmp_path / "mine.yaml"
    text = GOOD.replace("id: five-lenses", "id: mine", 1)
    optional = next(s for s in protocol("five-lenses").steps if not s.required)
    text = text.replace("summary: |\n", f"summary: |\n  {{{{ answers.{optional.id} }}}}\n", 1)
    bad.write_text(text)
    result = run_cli("protocols", "validate", str(bad))
    assert result.exit_code == 1
    assert f"{bad}: summary: " in result.output and optional.id in result.output


def test_validate_reports_broken_yaml_with_its_line(tmp_path: Path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: broken\ntitle: [unclosed\n")
    result = run_cli("protocols", "validate", str(bad))
    assert result.exit_code == 1
    assert f"{bad}: line " in result.output and "not valid YAML" in result.output


def test_list_and_show():
    listed = run_cli("protocols", "list")
    assert listed.exit_code == 0 and "five-lenses" in listed.output
    shown = run_cli("protocols", "show", "five-lenses")
    assert shown.exit_code == 0
    assert "Page 1:" in shown.output and "source:" in shown.output
    tuning = run_cli("protocols", "show", "tuning").output
    assert "Warm and cool feedback (15 min / 24 h, presenter listens, tags: warm, cool, hard)" in tuning


def test_try_runs_a_protocol_in_the_terminal_and_stores_it(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/try.db"
    spec = protocol("five-lenses")
    lines = []
    for step in spec.steps:
        match step.input.value:
            case "long_text":
                lines += [f"Long answer for {step.id}", "second line", ""]
            case "single_choice":
                lines += ["1"]
            case _:
                lines += [f"short {step.id}"]
    result = run_cli("try", "five-lenses", env={"DATABASE_URL": url}, input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    assert "== Summary ==" in result.output
    engine = make_engine(url)
    with Session(engine) as session:
        run = session.exec(select(ProtocolRun)).one()
        assert run.status == RunStatus.COMPLETED and run.team_id == "terminal"
        assert len(session.exec(select(Answer)).all()) == len(spec.steps)
    engine.dispose()


def test_try_asks_again_when_a_required_answer_is_missing(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/try.db"
    first = protocol("five-lenses").pages[0]
    # Page one: leave the first step empty, then answer it when asked again; stop after that.
    lines = ["", "two\n", "", "now answered"]
    result = CliRunner().invoke(
        main, ["try", "five-lenses"], env={"DATABASE_URL": url}, input="\n".join(lines)
    )
    assert "Please answer this one." in result.output
    engine = make_engine(url)
    with Session(engine) as session:
        stored = {a.step_id for a in session.exec(select(Answer)).all()}
    engine.dispose()
    assert {s.id for s in first.steps} <= stored


def serve_with(tmp_path: Path, **slack: str) -> subprocess.CompletedProcess:
    """`coachbot serve` with only the given SLACK_ variables set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")} | slack
    env["XDG_DATA_HOME"] = str(tmp_path)  # the default database, never the user's own
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_without_tokens_exits_with_one_line_naming_the_variable(tmp_path: Path):
    result = serve_with(tmp_path)
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()
    assert len(message) == 1
    assert "SLACK_BOT_TOKEN" in message[0] and "README.md" in message[0]


def test_serve_with_bot_token_only_asks_for_app_token_or_signing_secret(tmp_path: Path):
    result = serve_with(tmp_path, SLACK_BOT_TOKEN="xoxb-test")
    assert result.returncode == 1
    assert "SLACK_APP_TOKEN or SLACK_SIGNING_SECRET" in result.stderr
    assert "xoxb-test" not in result.stderr + result.stdout


def test_serve_with_slack_unreachable_or_a_bad_token_says_so_in_a_line(tmp_path: Path, fake_slack_server):
    unreachable = serve_with(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL="http://127.0.0.1:9/api/",
    )
    assert unreachable.returncode == 1
    assert (
        unreachable.stderr.strip()
        .splitlines()[-1]
        .startswith("Error: cannot reach Slack at http://127.0.0.1:9/api/")
    )
    refused = serve_with(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-wrong",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=fake_slack_server.url,
    )
    assert refused.returncode == 1
    assert (
        "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in refused.stderr and "Traceback" not in refused.stderr
    )


def test_validate_checks_a_rounds_phases(tmp_path: Path):
    text = (REPO_ROOT / "protocols" / "tuning.yaml").read_text()
    bad = tmp_path / "tuning.yaml"
    bad.write_text(
        text.replace("focus_step: focus", "focus_step: nowhere").replace("word: cool", "word: warm")
    )
    result = run_cli("protocols", "validate", str(bad))
    assert result.exit_code == 1
    assert "tag words must be unique" in result.output
    bad.write_text(text.replace("focus_step: focus", "focus_step: nowhere"))
    result = run_cli("protocols", "validate", str(bad))
    assert "round focus_step 'nowhere' must be a text step" in result.output
    # A round without its audience is refused, and so is a collaborative protocol without a round.
    bad.write_text(text.replace("audience: [collaborative]", "audience: [coach]"))
    assert "a collaborative protocol needs a round" in run_cli("protocols", "validate", str(bad)).output


def test_protocols_dir_adds_protocols_and_overrides_shipped_ones_of_the_same_id(tmp_path: Path):
    (tmp_path / "five-lenses.yaml").write_text(
        GOOD.replace("title: Five lenses", "title: Our five lenses", 1)
    )
    (tmp_path / "mine.yaml").write_text(GOOD.replace("id: five-lenses", "id: mine", 1))
    listed = run_cli("protocols", "list", env={"PROTOCOLS_DIR": str(tmp_path)})
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line for line in listed.output.splitlines()}
    assert rows["five-lenses"].endswith("Our five lenses") and "mine" in rows and "tuning" in rows
    shown = run_cli("protocols", "show", "mine", env={"PROTOCOLS_DIR": str(tmp_path)})
    assert shown.exit_code == 0 and "(mine v1" in shown.output


def test_a_missing_protocols_dir_fails_in_one_line_naming_it(tmp_path: Path):
    missing = tmp_path / "nowhere"
    for command in (["protocols", "list"], ["protocols", "validate"], ["try", "five-lenses"]):
        env = {"PROTOCOLS_DIR": str(missing), "DATABASE_URL": f"sqlite:///{tmp_path}/unused.db"}
        result = CliRunner().invoke(main, command, env=env)
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            f"Error: PROTOCOLS_DIR is {missing}, which is not a folder: create it and put your protocol "
            "files in it, or unset PROTOCOLS_DIR to offer only the shipped protocols."
        ]


def test_an_installation_without_protocols_refuses_to_load_an_empty_catalog(monkeypatch, tmp_path: Path):
    from bot.protocols import catalog

    monkeypatch.setattr(catalog, "SHIPPED_PACKAGE", "bot.prompts")  # a package with no protocol files
    result = CliRunner().invoke(main, ["protocols", "list"], env={"PROTOCOLS_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: no protocols: PROTOCOLS_DIR ({tmp_path}) has no .yaml files")
    assert len(result.output.strip().splitlines()) == 1


def test_serve_with_a_missing_protocols_dir_refuses_to_start(tmp_path: Path, fake_slack_server):
    result = serve_with(
        tmp_path,
        SLACK_BOT_TOKEN=fake_slack_server.token,
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=fake_slack_server.url,
        PROTOCOLS_DIR=str(tmp_path / "nowhere"),
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: PROTOCOLS_DIR is {tmp_path / 'nowhere'}, which is not a folder: create it and put your "
        "protocol files in it, or unset PROTOCOLS_DIR to offer only the shipped protocols."
    ]


def test_db_upgrade_names_the_migrations_it_applied(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"}
    first = run_cli("db", "upgrade", env=env)
    assert first.exit_code == 0
    lines = first.output.splitlines()
    assert lines[0] == "applied 0001 protocol runs and answers"
    assert lines[-1] == f"database is up to date ({len(lines) - 1} migrations applied)"
    again = run_cli("db", "upgrade", env=env)
    assert again.output == "database is up to date (no migrations applied)\n"


def test_version():
    from importlib.metadata import version

    result = run_cli("--version")
    assert result.exit_code == 0 and result.output == f"coachbot {version('coachbot')}\n"
