"""`coachbot try`: a protocol in the terminal, through the same service as Slack.

Useful to authors checking a new protocol file and to anyone without Slack at hand. Each page
is stored as soon as it is answered, exactly as in the modal.
"""

from __future__ import annotations

import getpass

import click

from bot.actor import Actor
from bot.protocols import engine as rules
from bot.protocols.catalog import Catalog
from bot.protocols.schema import CHOICE_TYPES, InputType, Step
from bot.services.runs import Completed, PageAnswers, PageToShow, RunService, UnknownProtocol
from bot.storage.db import open_database, upgrade
from bot.storage.models import utcnow
from bot.storage.sealing import check_keys

TERMINAL_TEAM = "terminal"


def _ask(step: Step, previous: rules.Value | None) -> rules.Raw:
    optional = "" if step.required else " (optional: Enter to skip)"
    click.secho(f"\n{step.prompt}{optional}", bold=True)
    if step.help:
        click.secho(step.help, dim=True)
    if previous is not None:
        click.secho(f"(saved: {rules.display(step, previous)})", dim=True)
    if step.input in CHOICE_TYPES:
        for number, option in enumerate(step.options, 1):
            click.echo(f"  {number}. {option.label}")
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
        click.secho("Write as many lines as you like; an empty line ends the answer.", dim=True)
        lines = []
        while (line := click.prompt("", default="", show_default=False, prompt_suffix="> ")) != "":
            lines.append(line)
        return "\n".join(lines)
    hint = {InputType.RATING: " (1-5)", InputType.DATE: " (YYYY-MM-DD)", InputType.TIME: " (HH:MM)"}
    return click.prompt(f"Answer{hint.get(step.input, '')}", default="", show_default=False)


def run_in_terminal(settings, protocol_id: str) -> None:
    catalog = Catalog.installed(settings.protocols_dir)
    engine = open_database(settings.database_url, settings.keyring())
    upgrade(engine)
    check_keys(engine)
    runs = RunService(engine=engine, catalog=catalog, clock=utcnow)
    runs.record_catalog()
    coach = Actor(team_id=TERMINAL_TEAM, user_id=getpass.getuser())
    try:
        shown: PageToShow | Completed = runs.first_page(protocol_id)
    except UnknownProtocol:
        known = ", ".join(p.id for p in runs.catalog)
        raise click.ClickException(f"no protocol '{protocol_id}'; known: {known}") from None
    run_id = runs.start(coach, protocol_id, view_id=None)
    protocol = shown.protocol
    click.secho(f"{protocol.title}: {protocol.purpose}", bold=True)
    click.echo("Answers are saved page by page; stop with Ctrl-C at any time.")
    raw: dict[str, rules.Raw] = {}
    while isinstance(shown, PageToShow):
        if not shown.errors:
            click.secho(
                f"\n== Page {shown.number} of {len(protocol.pages)}: {shown.page.title} ==", bold=True
            )
            if shown.page.intro:
                click.echo(shown.page.intro)
            raw = {}
        for step in shown.page.steps:
            if not shown.errors or step.id in shown.errors:
                if step.id in shown.errors:
                    click.secho(shown.errors[step.id], fg="red")
                raw[step.id] = _ask(step, shown.answers.get(step.id))
        shown = runs.submit_page(coach, PageAnswers(protocol_id, shown.page.id, raw, run_id=run_id))
    click.secho("\n== Summary ==", bold=True)
    click.echo(shown.summary)
