"""`coachbot try`: a protocol in the terminal, through the same service as Slack.

Useful to authors checking a new protocol file and to anyone without Slack at hand. Each page
is stored as soon as it is answered, exactly as in the modal; each answer is checked as it is
given, so a required one is asked again at once with the reason. A stop (Ctrl-C, or the end of
the input) says how far the run is saved, and `--resume` continues it. Everything printed is
plain text: the protocol's and the summary's Slack marks are taken out (bot.plain_text).
"""

from __future__ import annotations

import getpass

import click

from bot import prompts
from bot.actor import Actor
from bot.plain_text import plain
from bot.protocols import engine as rules
from bot.protocols.catalog import Catalog
from bot.protocols.schema import CHOICE_TYPES, InputType, Step
from bot.services.runs import (
    Completed,
    PageAnswers,
    PageToShow,
    RunListing,
    RunNotFound,
    RunService,
    UnknownProtocol,
)
from bot.storage.db import open_database, upgrade
from bot.storage.models import RunStatus, utcnow
from bot.storage.sealing import check_keys

TERMINAL_TEAM = "terminal"
# `--resume` given without a run: the coach's latest unfinished one.
LATEST = "latest"
# How many unfinished runs `--resume` looks through for a named one.
RESUMABLE = 100


def say(template: str, /, **context: object) -> None:
    click.echo(plain(prompts.render(template, **context)))


def _reply(step: Step) -> rules.Raw:
    if step.input in CHOICE_TYPES:
        for number, option in enumerate(step.options, 1):
            click.echo(f"  {number}. {plain(option.label)}")
        many = step.input is not InputType.SINGLE_CHOICE
        reply = click.prompt(
            "Numbers, separated by commas" if many else "Number", default="", show_default=False
        )
        picked = []
        for word in reply.replace(",", " ").split():
            if word.isdigit() and 1 <= int(word) <= len(step.options):
                picked.append(step.options[int(word) - 1].value)
            else:
                picked.append(word)  # the rules answer with a clear error
        return picked if many else (picked[0] if len(picked) == 1 else picked or None)
    if step.input is InputType.LONG_TEXT:
        click.echo("Write as many lines as you like; an empty line ends the answer.")
        lines = []
        while (line := click.prompt("", default="", show_default=False, prompt_suffix="> ")) != "":
            lines.append(line)
        return "\n".join(lines)
    hint = {InputType.RATING: " (1-5)", InputType.DATE: " (YYYY-MM-DD)", InputType.TIME: " (HH:MM)"}
    return click.prompt(f"Answer{hint.get(step.input, '')}", default="", show_default=False)


def _ask(step: Step, previous: rules.Value | None, error: str | None) -> rules.Raw:
    """One step, asked until its answer passes the protocol's rules (the reason said each
    time). A saved answer is kept when the coach just presses Enter."""
    optional = "" if step.required else " (optional: Enter to skip)"
    click.echo(f"\n{plain(step.prompt)}{optional}")
    if error:
        click.echo(plain(error))
    if step.help:
        click.echo(plain(step.help))
    if previous is not None:
        click.echo(f"(saved: {plain(rules.display(step, previous))}; Enter keeps it)")
    while True:
        raw = _reply(step)
        if previous is not None and rules.is_empty(raw):
            return previous
        checked = rules.check(step, raw)
        if checked.error is None:
            return raw
        click.echo(plain(checked.error))


def _unfinished(runs: RunService, coach: Actor, wanted: str, protocol_id: str | None) -> RunListing:
    """The run `--resume` names: the latest unfinished one (of `protocol_id`, when given), or
    the one whose id starts with `wanted`."""
    listed = runs.listing(coach, status=RunStatus.IN_PROGRESS, limit=RESUMABLE)
    if protocol_id is not None:
        listed = [run for run in listed if run.protocol_id == protocol_id]
    if wanted != LATEST:
        listed = [run for run in listed if run.run_id.startswith(wanted)]
    if not listed:
        raise click.ClickException(plain(prompts.render("try_nothing_to_resume", wanted=wanted)))
    return listed[0]


def _stopped(shown: PageToShow, run_id: str | None) -> None:
    """What is kept when the coach stops: every page before the one they were on."""
    say("try_stopped", saved=shown.number - 1, pages=len(shown.protocol.pages), run=run_id)


def run_in_terminal(settings, protocol_id: str | None, *, resume: str | None = None) -> None:
    catalog = Catalog.installed(settings.protocols_dir)
    engine = open_database(settings.database_url, settings.keyring())
    upgrade(engine)
    check_keys(engine)
    runs = RunService(engine=engine, catalog=catalog, clock=utcnow)
    runs.record_catalog()
    coach = Actor(team_id=TERMINAL_TEAM, user_id=getpass.getuser())
    run_id: str | None = None
    try:
        if resume is not None:
            run_id = _unfinished(runs, coach, resume, protocol_id).run_id
            shown: PageToShow | Completed = runs.resume(coach, run_id)
        elif protocol_id is None:
            raise click.UsageError("name a protocol, or continue one with --resume")
        else:
            shown = runs.first_page(protocol_id)
    except UnknownProtocol:
        known = ", ".join(p.id for p in runs.catalog)
        raise click.ClickException(f"no protocol '{protocol_id}'; known: {known}") from None
    except RunNotFound:
        raise click.ClickException(plain(prompts.render("try_nothing_to_resume", wanted=resume))) from None
    protocol = shown.protocol
    click.echo(f"{plain(protocol.title)}: {plain(protocol.purpose)}")
    click.echo("Answers are saved page by page; stop with Ctrl-C at any time.")
    try:
        while isinstance(shown, PageToShow):
            click.echo(f"\n== Page {shown.number} of {len(protocol.pages)}: {plain(shown.page.title)} ==")
            if shown.page.intro:
                click.echo(plain(shown.page.intro))
            raw = {
                step.id: _ask(step, shown.answers.get(step.id), shown.errors.get(step.id))
                for step in shown.page.steps
            }
            if run_id is None:  # the run begins with its first page saved, as in Slack
                run_id = runs.start(coach, protocol.id, view_id=None)
            shown = runs.submit_page(coach, PageAnswers(protocol.id, shown.page.id, raw, run_id=run_id))
    except (click.Abort, KeyboardInterrupt, EOFError):
        click.echo()
        _stopped(shown, run_id)
        raise SystemExit(130) from None
    click.echo("\n== Summary ==")
    click.echo(plain(shown.summary))
