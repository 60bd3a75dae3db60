"""`coachbot`: serve the bot, try a protocol in the terminal, manage protocols and the database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot import i18n, logs
from bot.config import SetupError, load_settings
from bot.protocols.catalog import (
    Catalog,
    InvalidProtocol,
    installed_files,
    load_file,
    missing_text,
    protocol_files,
)
from bot.storage.db import open_database, upgrade


class SetupAwareGroup(click.Group):
    """Any command that meets a setup mistake ends with its one line and exit code 1, never a
    traceback: the operator reads what to fix, not where in the code it was noticed."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SetupError as mistake:
            raise click.ClickException(str(mistake)) from None


@click.group(cls=SetupAwareGroup)
@click.version_option(package_name="coachbot", message="coachbot %(version)s")
def main() -> None:
    """A Slack companion for equity coaches."""


@main.command()
def serve() -> None:
    """Run the bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT."""
    from bot.assembly import build_bot
    from bot.server import serve_http, serve_socket_mode

    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    bot = build_bot(settings)
    if settings.socket_mode:
        serve_socket_mode(bot)
    else:
        serve_http(bot)


@main.command()
def doctor() -> None:
    """Check the setup: Slack tokens and scopes, mode, database, protocols, time zones."""
    from bot.doctor import examine

    failed = 0
    for finding in examine(load_settings()):
        failed += not finding.ok
        click.echo(f"{'ok  ' if finding.ok else 'FAIL'}  {finding.check:12} {finding.detail}")
    if failed:
        raise click.ClickException(f"{failed} check{'s' if failed > 1 else ''} failed")


@main.group()
def protocols() -> None:
    """List, show and validate protocol files."""


def _catalog() -> Catalog:
    try:
        return Catalog.installed(load_settings().protocols_dir)
    except InvalidProtocol as invalid:
        raise click.ClickException(f"a protocol file is invalid:\n{invalid}") from None


@protocols.command("list")
def protocols_list() -> None:
    """Every protocol this installation offers: the shipped ones and PROTOCOLS_DIR's."""
    for protocol in _catalog():
        click.echo(f"{protocol.id:24} v{protocol.version:<3} {protocol.minutes:>3} min  {protocol.title}")


@protocols.command("show")
@click.argument("protocol_id")
@click.option("--language", default=None, help="Show the text in this language (e.g. es).")
def protocols_show(protocol_id: str, language: str | None) -> None:
    """One protocol's pages and steps, in English or another language it has text in."""
    catalog = _catalog()
    english = catalog.get(protocol_id)
    if english is None:
        known = ", ".join(p.id for p in catalog)
        raise click.ClickException(f"no protocol '{protocol_id}'; known: {known}")
    if language not in (None, "en", *english.translations):
        has = ", ".join(["en", *sorted(english.translations)])
        raise click.ClickException(f"{protocol_id} has no '{language}' text; it has: {has}")
    protocol = english.in_language(language)
    click.echo(f"{protocol.title} ({protocol.id} v{protocol.version}, about {protocol.minutes} min)")
    click.echo(protocol.purpose)
    for source in protocol.sources:
        click.echo(f"  source: {source.credit}, {source.work}")
    for number, page in enumerate(protocol.pages, 1):
        click.echo(f"\nPage {number}: {page.title}")
        for step in page.steps:
            flag = "" if step.required else " (optional)"
            click.echo(f"  - {step.id} [{step.input.value}]{flag}: {step.prompt}")
            for choice in step.options:
                click.echo(f"      {choice.value}: {choice.label}")
    if protocol.round is not None:
        click.echo("\nRound phases (live minutes / asynchronous hours, what the presenter does):")
        for number, phase in enumerate(protocol.round.phases, 1):
            tags = f", tags: {', '.join(t.word for t in phase.tags)}" if phase.tags else ""
            timing = f"{phase.minutes} min / {phase.hours} h"
            click.echo(f"  {number}. {phase.title} ({timing}, presenter {phase.presenter.value}{tags})")


@protocols.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--partial",
    is_flag=True,
    help="A language still missing some text is a warning, not an error (a translation underway).",
)
@click.option(
    "--require",
    "required",
    multiple=True,
    metavar="LANGUAGE",
    help="Every protocol must have text in this language (repeatable), e.g. --require es.",
)
def protocols_validate(paths: tuple[Path, ...], partial: bool, required: tuple[str, ...]) -> None:
    """Check protocol files (default: the shipped ones and PROTOCOLS_DIR's), and every
    language each has text in: a field missing from a language is listed by its path."""
    files: list = []
    for path in paths:
        files.extend(protocol_files(path) if path.is_dir() else [path])
    if not paths:
        files = installed_files(load_settings().protocols_dir)
    if not files:
        raise click.ClickException("no protocol files found")
    failed = 0
    for path in files:
        try:
            protocol = load_file(path)
        except InvalidProtocol as invalid:
            failed += 1
            for problem in invalid.problems:
                click.echo(str(problem), err=True)
            continue
        for language in sorted(set(protocol.translations) - set(i18n.available())):
            click.echo(
                f"{path}: {language}: a warning: the bot has no {language} catalog "
                f"(bot/locale/{language}), so no reader sees this text yet",
                err=True,
            )
        absent = [language for language in required if language not in protocol.translations]
        for language in absent:
            click.echo(f"{path}: {language}: has no text in this language", err=True)
        missing = missing_text(protocol)
        note = "missing, a warning (readers see the English)" if partial else "missing"
        for language, fields in missing.items():
            for field in fields:
                click.echo(f"{path}: {language}: {field}: {note}", err=True)
        if absent or (any(missing.values()) and not partial):
            failed += 1
        else:
            languages = "".join(f", {language}" for language in sorted(protocol.translations))
            click.echo(f"{path}: OK (en{languages})")
    if failed:
        sys.exit(1)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied (serve does this on start, too)."""
    engine = open_database(load_settings().database_url)
    applied = upgrade(engine)
    engine.dispose()
    for migration in applied:
        click.echo(f"applied {migration}")
    click.echo(
        f"database is up to date ({len(applied) or 'no'} migration{'' if len(applied) == 1 else 's'} applied)"
    )


@db.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(destination: Path) -> None:
    """Copy the SQLite database to DESTINATION while the bot runs (SQLite's online backup)."""
    from bot.storage.backup import backup_sqlite

    backup_sqlite(load_settings().database_url, destination)
    click.echo(f"backed up to {destination}")


@main.group()
def schedule() -> None:
    """Scheduled check-ins: what is due, and sending it."""


@schedule.command("list")
@click.option("--days", default=7, show_default=True, help="How far ahead to look.")
def schedule_list(days: int) -> None:
    """Every check-in due in the next DAYS, in UTC and in each recipient's own time."""
    from bot.scheduling.listing import upcoming
    from bot.storage.models import utcnow

    settings = load_settings()
    engine = open_database(settings.database_url)
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
    bot = build_bot(
        load_settings(), claim_timeout=timedelta(seconds=stale_after), pace_per_second=pace or None
    )
    bot.checkins.materialize()
    report = bot.dispatcher.run_once()
    owed = report.owed
    click.echo(
        f"check-ins sent {report.sent}, recovered {report.recovered}; all kinds: sent {owed.sent}, "
        f"recovered {owed.recovered}, retried {owed.retried}, failed {owed.failed}, dropped {owed.dropped}"
    )


@main.command("outbox")
def outbox_list() -> None:
    """What the bot owes and has not sent yet, by kind, oldest first."""
    from bot.scheduling.listing import owed_by_kind

    engine = open_database(load_settings().database_url)
    upgrade(engine)
    rows = owed_by_kind(engine)
    if not rows:
        click.echo("nothing owed")
    for row in rows:
        click.echo(f"{row.kind:<24} {row.count:>7}  oldest due {row.oldest_due:%Y-%m-%d %H:%M} UTC")


@main.command("retention")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted, and delete nothing.")
def retention(dry_run: bool) -> None:
    """Delete what has been finished or closed for longer than RETENTION_DAYS (the bot does this
    daily by itself); with --dry-run, count it."""
    from bot.services.data_rights import DataRights
    from bot.storage.models import utcnow

    settings = load_settings()
    if settings.retention_days is None:
        click.echo("RETENTION_DAYS is not set: everything is kept, nothing is deleted")
        return
    engine = open_database(settings.database_url)
    upgrade(engine)
    rights = DataRights(engine=engine, clock=utcnow, retention_days=settings.retention_days)
    counts = rights.retention_due() if dry_run else rights.apply_retention()
    engine.dispose()
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"{verb}: {counts.runs} completed runs, {counts.checkins} answered or missed check-ins, "
        f"{counts.rounds} closed rounds (finished more than {settings.retention_days} days ago)"
    )


@main.command("try")
@click.argument("protocol_id", required=False)
@click.option(
    "--resume",
    metavar="RUN",
    is_flag=False,
    flag_value="latest",
    default=None,
    help="Continue your latest unfinished run (of PROTOCOL_ID, if given), or the one whose id "
    "starts with RUN.",
)
def try_protocol(protocol_id: str | None, resume: str | None) -> None:
    """Run a protocol in the terminal, with the same engine and database as Slack."""
    from bot.terminal import run_in_terminal

    run_in_terminal(load_settings(), protocol_id, resume=resume)


@main.group()
def keys() -> None:
    """Encryption at rest: make a key, and re-encrypt what is stored with the newest one."""


@keys.command("new")
def keys_new() -> None:
    """Print a new key. Put it first in ENCRYPTION_KEY; keep it where you keep your backups."""
    from bot.storage.crypto import new_key

    click.echo(new_key())


def _rewrite() -> None:
    from bot.storage.sealing import check_keys, rewrite

    settings = load_settings()
    engine = open_database(settings.database_url, settings.keyring())
    upgrade(engine)
    check_keys(engine)
    report = rewrite(engine)
    engine.dispose()
    for line in report:
        click.echo(
            f"{line.table + '.' + line.column:<30} encrypted {line.sealed:>6}  "
            f"re-encrypted {line.rotated:>6}  already current {line.current:>6}"
        )
    click.echo("every free-text value is encrypted with the first key of ENCRYPTION_KEY")


@keys.command("rewrite")
def keys_rewrite() -> None:
    """Encrypt with the first key of ENCRYPTION_KEY everything stored: text written before
    encryption was turned on, and text encrypted with an older key."""
    _rewrite()


@keys.command("rotate")
def keys_rotate() -> None:
    """The same as rewrite, run after putting a new key first in ENCRYPTION_KEY: once it has run,
    the older keys can be removed."""
    _rewrite()


@main.command("report")
@click.option("--csv", "as_csv", is_flag=True, help="Comma-separated values instead of a table.")
@click.option(
    "--months", default=6, show_default=True, type=click.IntRange(1, 24), help="How many months back."
)
@click.option(
    "--team", default=None, help="One workspace's team id (default: every workspace's counts together)."
)
def report(as_csv: bool, months: int, team: str | None) -> None:
    """The program's activity by month, counts only (no name, no text); counts under 5 hidden."""
    from bot.blocks.program import program_csv, program_table
    from bot.protocols.catalog import Catalog
    from bot.services.program import ProgramService
    from bot.storage.models import utcnow
    from bot.storage.sealing import check_keys

    settings = load_settings()
    engine = open_database(settings.database_url, settings.keyring())
    upgrade(engine)
    check_keys(engine)
    service = ProgramService(
        engine=engine, catalog=Catalog.installed(settings.protocols_dir), clock=utcnow, leads=()
    )
    counts = service.report(team_id=team, months=months)
    engine.dispose()
    click.echo(program_csv(counts) if as_csv else program_table(counts), nl=not as_csv)
