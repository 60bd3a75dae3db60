"""`coachbot`: serve the bot, try a protocol in the terminal, manage protocols and the database."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
from slack_bolt.error import BoltError

from bot import logs
from bot.config import MissingSetting, Settings
from bot.protocols.catalog import InvalidProtocol, load_file, protocol_files
from bot.storage.db import make_engine, upgrade


@click.group()
def main() -> None:
    """A Slack companion for equity coaches."""


@main.command()
def serve() -> None:
    """Run the bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT."""
    from bot.assembly import build_bot
    from bot.server import serve_http, serve_socket_mode

    logs.configure()
    settings = Settings()
    try:
        bot = build_bot(settings)
    except MissingSetting as missing:
        raise click.ClickException(str(missing)) from None
    except InvalidProtocol as invalid:
        raise click.ClickException(f"a protocol file is invalid:\n{invalid}") from None
    except BoltError as refused:  # bolt checks the token with auth.test as it starts
        found = re.search(r"'error': '(\w+)'", str(refused))
        reason = found.group(1) if found else "not accepted"
        raise click.ClickException(
            f"Slack refused SLACK_BOT_TOKEN ({reason}); see README.md, section 'Create the Slack app'."
        ) from None
    except OSError as unreachable:
        raise click.ClickException(f"cannot reach Slack at {settings.slack_api_url}: {unreachable}") from None
    if settings.socket_mode:
        serve_socket_mode(bot)
    else:
        serve_http(bot)


@main.group()
def protocols() -> None:
    """List, show and validate protocol files."""


def _directory() -> Path:
    return Settings().protocols_dir


@protocols.command("list")
def protocols_list() -> None:
    """Every protocol in the protocols directory."""
    from bot.protocols.catalog import Catalog

    try:
        catalog = Catalog.load(_directory())
    except InvalidProtocol as invalid:
        raise click.ClickException(f"a protocol file is invalid:\n{invalid}") from None
    for protocol in catalog:
        click.echo(f"{protocol.id:24} v{protocol.version:<3} {protocol.minutes:>3} min  {protocol.title}")


@protocols.command("show")
@click.argument("protocol_id")
def protocols_show(protocol_id: str) -> None:
    """One protocol's pages and steps."""
    path = _directory() / f"{protocol_id}.yaml"
    if not path.exists():
        raise click.ClickException(f"no protocol '{protocol_id}' in {_directory()}")
    try:
        protocol = load_file(path)
    except InvalidProtocol as invalid:
        raise click.ClickException(str(invalid)) from None
    click.echo(f"{protocol.title} ({protocol.id} v{protocol.version}, about {protocol.minutes} min)")
    click.echo(protocol.purpose)
    for source in protocol.sources:
        click.echo(f"  source: {source.credit}, {source.work}")
    for number, page in enumerate(protocol.pages, 1):
        click.echo(f"\nPage {number}: {page.title}")
        for step in page.steps:
            flag = "" if step.required else " (optional)"
            click.echo(f"  - {step.id} [{step.input.value}]{flag}: {step.prompt}")
    if protocol.round is not None:
        click.echo("\nRound phases (live minutes / asynchronous hours, what the presenter does):")
        for number, phase in enumerate(protocol.round.phases, 1):
            tags = f", tags: {', '.join(t.word for t in phase.tags)}" if phase.tags else ""
            timing = f"{phase.minutes} min / {phase.hours} h"
            click.echo(f"  {number}. {phase.title} ({timing}, presenter {phase.presenter.value}{tags})")


@protocols.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def protocols_validate(paths: tuple[Path, ...]) -> None:
    """Check protocol files (default: every file in the protocols directory)."""
    files: list[Path] = []
    for path in paths or (_directory(),):
        files.extend(protocol_files(path) if path.is_dir() else [path])
    if not files:
        raise click.ClickException("no protocol files found")
    failed = 0
    for path in files:
        try:
            load_file(path)
        except InvalidProtocol as invalid:
            failed += 1
            for problem in invalid.problems:
                click.echo(str(problem), err=True)
        else:
            click.echo(f"{path}: OK")
    if failed:
        sys.exit(1)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied (serve does this on start, too)."""
    settings = Settings()
    upgrade(make_engine(settings.database_url))
    click.echo("database is up to date")


@main.group()
def schedule() -> None:
    """Scheduled check-ins: what is due, and sending it."""


@schedule.command("list")
@click.option("--days", default=7, show_default=True, help="How far ahead to look.")
def schedule_list(days: int) -> None:
    """Every check-in due in the next DAYS, in UTC and in each recipient's own time."""
    from bot.scheduling.listing import upcoming
    from bot.storage.models import utcnow

    settings = Settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    rows = upcoming(engine, days=days, now=utcnow())
    if not rows:
        click.echo("nothing scheduled")
    for row in rows:
        click.echo(
            f"{row.due_utc:%Y-%m-%d %H:%M} UTC  {row.due_local:%Y-%m-%d %H:%M} {row.tz:<20} "
            f"{row.recipient:<12} {row.status}"
        )


@schedule.command("dispatch")
@click.option(
    "--stale-after",
    default=60,
    show_default=True,
    help="Seconds before a claim is presumed dead; a paced run waits at most half that for a send slot.",
)
@click.option(
    "--pace",
    default=4.0,
    show_default=True,
    help="Messages a second at most, with every other process on the database (0: unpaced).",
)
def schedule_dispatch(stale_after: int, pace: float) -> None:
    """Send what is due now, once, and exit (the bot does this by itself every few seconds)."""
    from datetime import timedelta

    from bot.assembly import build_bot

    logs.configure()
    try:
        bot = build_bot(
            Settings(), claim_timeout=timedelta(seconds=stale_after), pace_per_second=pace or None
        )
    except MissingSetting as missing:
        raise click.ClickException(str(missing)) from None
    bot.checkins.materialize()
    report = bot.dispatcher.run_once()
    line = (
        f"sent {report.sent}, recovered {report.recovered}, retried {report.retried}, failed {report.failed}"
    )
    owed = report.owed
    if owed is None:
        click.echo(f"{line}; owed: not yet")
    else:
        click.echo(
            f"{line}; owed: sent {owed.sent}, recovered {owed.recovered}, retried {owed.retried}, "
            f"failed {owed.failed}"
        )


@main.command("outbox")
def outbox_list() -> None:
    """What the bot owes and has not sent yet, by kind, oldest first."""
    from bot.scheduling.listing import owed_by_kind

    engine = make_engine(Settings().database_url)
    upgrade(engine)
    rows = owed_by_kind(engine)
    if not rows:
        click.echo("nothing owed")
    for row in rows:
        click.echo(f"{row.kind:<24} {row.count:>7}  oldest due {row.oldest_due:%Y-%m-%d %H:%M} UTC")


@main.command("try")
@click.argument("protocol_id")
def try_protocol(protocol_id: str) -> None:
    """Run a protocol in the terminal, with the same engine and database as Slack."""
    from bot.terminal import run_in_terminal

    run_in_terminal(Settings(), protocol_id)
