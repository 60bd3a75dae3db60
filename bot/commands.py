"""What a coach typed after `/coach`, as a value: parsing knows words, not Slack payloads."""

from __future__ import annotations

from dataclasses import dataclass

from bot.protocols.catalog import Catalog


@dataclass(frozen=True)
class Help:
    unknown: str | None = None


@dataclass(frozen=True)
class Start:
    protocol_id: str


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class History:
    pass


Command = Help | Start | Resume | History


def parse(text: str, catalog: Catalog) -> Command:
    words = text.split()
    if not words or words[0].lower() == "help":
        return Help()
    verb, rest = words[0].lower(), words[1:]
    if verb == "start":
        if len(rest) == 1 and catalog.get(rest[0].lower()):
            return Start(rest[0].lower())
        return Help(unknown=text.strip())
    if verb == "resume" and not rest:
        return Resume()
    if verb == "history" and not rest:
        return History()
    if catalog.get(verb) and not rest:
        return Start(verb)
    return Help(unknown=text.strip())
