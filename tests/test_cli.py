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


def typed(steps, text: str = "answer") -> list[str]:
    """What a coach types for each step: a number for a choice, a line (and the empty line
    that ends it) for a long answer."""
    lines = []
    for step in steps:
        match step.input.value:
            case "long_text":
                lines += [f"{text} for {step.id}", "second line", ""]
            case "single_choice" | "multi_choice" | "checklist":
                lines += ["1"]
            case _:
                lines += [f"{text} {step.id}"]
    return lines


def stored(url: str) -> tuple[list[ProtocolRun], set[str]]:
    engine = make_engine(url)
    with Session(engine) as session:
        runs = list(session.exec(select(ProtocolRun)).all())
        answered = {a.step_id for a in session.exec(select(Answer)).all()}
    engine.dispose()
    return runs, answered


def test_try_runs_a_protocol_in_the_terminal_and_stores_it(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/try.db"
    spec = protocol("five-lenses")
    result = run_cli(
        "try", "five-lenses", env={"DATABASE_URL": url}, input="\n".join(typed(spec.steps)) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "== Summary ==" in result.output
    runs, answered = stored(url)
    assert [(r.status, r.team_id) for r in runs] == [(RunStatus.COMPLETED, "terminal")]
    assert answered == {s.id for s in spec.steps}


def test_try_asks_a_required_answer_again_at_once_and_a_stop_says_what_is_saved(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/try.db"
    first = protocol("five-lenses").pages[0]
    name, situation = first.steps
    # The name left empty, then given; the situation ended at once, then written; then the
    # input ends on page two.
    lines = ["", "The budget meeting", "", "What happened", ""]
    result = run_cli("try", "five-lenses", env={"DATABASE_URL": url}, input="\n".join(lines) + "\n")
    out = result.output
    # Asked again before the next step, with the reason, each time.
    assert out.count("Please answer this one.") == 2
    assert out.index("Please answer this one.") < out.index(
        situation.prompt.split()[0], out.index(name.prompt)
    )
    pages = len(protocol("five-lenses").pages)
    runs, answered = stored(url)
    assert answered == {name.id, situation.id} and len(runs) == 1
    assert f"Saved through page 1 of {pages}. To go on: coachbot try --resume {runs[0].id[:8]}" in out
    assert result.exit_code == 130


def test_a_stop_before_the_first_page_is_saved_keeps_nothing(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/try.db"
    result = run_cli("try", "five-lenses", env={"DATABASE_URL": url}, input="The budget meeting\n")
    assert "nothing was kept" in result.output
    assert stored(url) == ([], set())


def test_try_resume_continues_the_latest_unfinished_run_or_a_named_one(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/try.db"
    env = {"DATABASE_URL": url}
    spec = protocol("five-lenses")
    page_one, page_two = spec.pages[0].steps, spec.pages[1].steps
    run_cli("try", "five-lenses", env=env, input="\n".join(typed(page_one, "older")) + "\n")
    run_cli("try", "five-lenses", env=env, input="\n".join(typed(page_one, "newer") + typed(page_two)) + "\n")
    (older, newer), _ = stored(url)
    older, newer = sorted((older, newer), key=lambda r: r.started_at)

    later = [s for page in spec.pages[2:] for s in page.steps]
    resumed = run_cli("try", "--resume", env=env, input="\n".join(typed(later)) + "\n")
    assert resumed.exit_code == 0, resumed.output
    assert f"== Page 3 of {len(spec.pages)}" in resumed.output and "== Page 1 " not in resumed.output
    assert "== Summary ==" in resumed.output and "newer situation_name" in resumed.output

    named = run_cli("try", "--resume", older.id[:8], env=env, input="\n")
    assert f"== Page 2 of {len(spec.pages)}" in named.output
    assert "Saved through page 1 of" in named.output  # Enter ends the input before page two is done
    runs, _ = stored(url)
    assert {r.id: r.status for r in runs} == {older.id: RunStatus.IN_PROGRESS, newer.id: RunStatus.COMPLETED}

    nothing = run_cli("try", "--resume", "ffffffff", env=env)
    assert nothing.exit_code == 1 and 'no unfinished run of yours starting with "ffffffff"' in nothing.output


def test_try_prints_plain_text_not_slack_markup(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/try.db"
    spec = protocol("five-lenses")
    lines = typed(spec.steps, "R&D <team>")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "try", "five-lenses"],
        input="\n".join(lines) + "\n",
        env=os.environ | {"DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    summary = result.stdout.split("== Summary ==", 1)[1]
    assert f"{spec.title}: R&D <team> situation_name\n" in summary
    assert "Through the lenses" in summary and "*Through the lenses*" not in summary
    for mark in ("&amp;", "&lt;", "&gt;", "<@", "<http", "<!date"):
        assert mark not in result.stdout


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
