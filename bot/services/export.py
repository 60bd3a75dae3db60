"""Markdown exports of a run or a client's whole record: the coach's own copy, in plain text.

A file, not Slack mrkdwn: nothing is escaped, and every answer is written out in full.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import jinja2

from bot import i18n
from bot.i18n import dates
from bot.i18n import jinja as i18n_jinja
from bot.protocols.engine import Value
from bot.protocols.schema import CHOICE_TYPES, InputType, Protocol, Step
from bot.services.clients import ClientRecord
from bot.services.runs import RunDetail

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("bot.services", "templates"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
    keep_trailing_newline=True,
)
_ENV.filters["day"] = lambda moment: dates.day(moment) if moment else ""
# A file, not mrkdwn: the words are translated, the user text in them is written as typed.
i18n_jinja.install(_ENV, escape=None)


def run_markdown(detail: RunDetail) -> str:
    return _ENV.get_template("run.md.j2").render(detail=detail)


def client_markdown(record: ClientRecord, details: Sequence[RunDetail]) -> str:
    return _ENV.get_template("client.md.j2").render(record=record, details=details)


@dataclass(frozen=True)
class Said:
    """One answer as its reader asked it: the question they saw, and what they chose or wrote."""

    prompt: str
    value: str


@dataclass(frozen=True)
class Wording:
    """What the ids in a person's records stand for, in the reader's language: a protocol's title,
    the questions its answers were given to, the labels of the options chosen.

    The records hold ids (the JSON keeps them, for machines); a person reading their own file
    should read the words they were shown. `at` is the protocol as the run's version defined
    it, `latest` the catalog's (for what keeps no version, a recurring round); a protocol
    neither knows is written by its ids."""

    at: Callable[[str, int], Protocol] | None = None
    latest: Callable[[str], Protocol | None] | None = None

    def _protocol(self, protocol_id: str, version: int | None) -> Protocol | None:
        try:
            if version is not None and self.at is not None:
                found: Protocol | None = self.at(protocol_id, version)
            else:
                found = self.latest(protocol_id) if self.latest is not None else None
        except LookupError:
            return None
        return found.in_language(i18n.current()) if found is not None else None

    def title(self, protocol_id: str, version: int | None = None) -> str:
        protocol = self._protocol(protocol_id, version)
        return protocol.title if protocol is not None else protocol_id

    def answers(self, protocol_id: str, version: int | None, values: Mapping[str, Value]) -> list[Said]:
        """In the protocol's order; a step it no longer has comes last, under its id."""
        protocol = self._protocol(protocol_id, version)
        order = [step.id for step in protocol.steps if step.id in values] if protocol is not None else []
        order += [step_id for step_id in values if step_id not in order]
        return [self._said(protocol, step_id, values[step_id]) for step_id in order]

    def said(self, protocol_id: str, version: int | None, step_id: str, value: Value) -> Said:
        return self._said(self._protocol(protocol_id, version), step_id, value)

    @staticmethod
    def _said(protocol: Protocol | None, step_id: str, value: Value) -> Said:
        step = protocol.step(step_id) if protocol is not None else None
        if step is None:
            return Said(step_id, _plain(value))
        return Said(step.prompt, _shown(step, value))


def _plain(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _shown(step: Step, value: Value) -> str:
    """A choice by the labels the reader was shown, a day as their language writes it; anything
    else as it was given."""
    if step.input in CHOICE_TYPES:
        chosen = [value] if isinstance(value, str) else value
        return ", ".join(step.label_for(v) for v in chosen)
    if step.input is InputType.DATE and isinstance(value, str):
        try:
            return dates.day(date.fromisoformat(value))
        except ValueError:
            return value
    return _plain(value)


def my_data_markdown(held: object, *, exported_at: datetime, wording: Wording) -> str:
    """Everything held about one person (bot.services.data_rights.Holding), to read."""
    return _ENV.get_template("my_data.md.j2").render(held=held, exported_at=exported_at, words=wording)
