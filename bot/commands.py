"""What a coach typed after `/coach`, as a value: parsing knows words, not Slack payloads."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from bot.protocols.catalog import Catalog
from bot.services.clients import LeaderRef

# With the command's should_escape on, Slack sends `<@U123|name>`; typed without it, `@name`.
_ESCAPED_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
_PLAIN_MENTION = re.compile(r"^@([\w.\-]+)$")


@dataclass(frozen=True)
class Help:
    unknown: str | None = None


@dataclass(frozen=True)
class Start:
    protocol_id: str
    leader: LeaderRef | None = None


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class History:
    pass


@dataclass(frozen=True)
class AddClient:
    leader: LeaderRef | None = None


@dataclass(frozen=True)
class Clients:
    pass


@dataclass(frozen=True)
class RemoveClient:
    leader: LeaderRef


@dataclass(frozen=True)
class MyData:
    """What the bot holds about whoever typed it: export it, erase it."""


@dataclass(frozen=True)
class Export:
    leader: LeaderRef


@dataclass(frozen=True)
class Checkins:
    leader: LeaderRef


@dataclass(frozen=True)
class Collaborative:
    """Register the channel the command was typed in as a Coach Collaborative."""


@dataclass(frozen=True)
class ScheduleRounds:
    pass


@dataclass(frozen=True)
class Round:
    protocol_id: str


@dataclass(frozen=True)
class Language:
    """`/coach language [code]`: which language the bot writes to whoever typed it in."""

    code: str | None = None


@dataclass(frozen=True)
class Program:
    """The program's counts, for a program lead."""


Command = (
    Help
    | Start
    | Resume
    | History
    | AddClient
    | Clients
    | RemoveClient
    | MyData
    | Export
    | Checkins
    | Collaborative
    | ScheduleRounds
    | Round
    | Program
    | Language
)


def parse_mention(word: str) -> LeaderRef | None:
    if match := _ESCAPED_MENTION.match(word):
        return LeaderRef(user_id=match.group(1), name=match.group(2) or None)
    if match := _PLAIN_MENTION.match(word):
        return LeaderRef(user_id=None, name=match.group(1))
    return None


def _start(protocol_id: str, rest: list[str], catalog: Catalog) -> Start | None:
    if catalog.get(protocol_id) is None or len(rest) > 1:
        return None
    leader = parse_mention(rest[0]) if rest else None
    if rest and leader is None:
        return None
    return Start(protocol_id, leader)


def parse(text: str, catalog: Catalog, rounds: Catalog | None = None) -> Command:
    """`catalog` holds the protocols a coach runs alone; `rounds` the collaborative ones."""
    words = text.split()
    unknown = Help(unknown=text.strip())
    if not words or words[0].lower() == "help":
        return Help()
    verb, rest = words[0].lower(), words[1:]
    match verb, rest:
        case "start", [protocol_id, *more]:
            return _start(protocol_id.lower(), more, catalog) or unknown
        case "resume", []:
            return Resume()
        case "history", []:
            return History()
        case "clients", []:
            return Clients()
        case "client", ["add"]:
            return AddClient()
        case "client", ["add", mention]:
            leader = parse_mention(mention)
            return AddClient(leader) if leader else unknown
        case "client", ["remove", mention]:
            leader = parse_mention(mention)
            return RemoveClient(leader) if leader else unknown
        case "my", ["data"]:
            return MyData()
        case "export", [mention]:
            leader = parse_mention(mention)
            return Export(leader) if leader else unknown
        case "checkins", [mention]:
            leader = parse_mention(mention)
            return Checkins(leader) if leader else unknown
        case "program", []:
            return Program()
        case "language", []:
            return Language()
        case "language", [code]:
            return Language(code.lower())
        case "collaborative", []:
            return Collaborative()
        case "collaborative", ["schedule"]:
            return ScheduleRounds()
        case "round", [protocol_id] if rounds is not None and rounds.get(protocol_id.lower()):
            return Round(protocol_id.lower())
    return _start(verb, rest, catalog) or unknown


# The words `/coach` knows first, for "did you mean": a typo of one is likelier than a new word.
VERBS = (
    *("help", "start", "resume", "history", "clients", "client"),
    *("export", "checkins", "collaborative", "round", "language"),
)


def _closest(word: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(word.lower(), known, n=1, cutoff=0.7)
    return close[0] if close and close[0] != word.lower() else None


def suggest(text: str, catalog: Catalog) -> str | None:
    """The command a mistyped word most likely meant (`histroy` -> `history`, `start five-lense`
    -> `start five-lenses`), or None when nothing is close."""
    words = text.split()
    ids = [protocol.id for protocol in catalog]
    if len(words) > 1 and words[0].lower() == "start":
        fixed = _closest(words[1], ids)
        return " ".join(["start", fixed, *words[2:]]) if fixed else None
    fixed = _closest(words[0], [*VERBS, *ids]) if words else None
    return " ".join([fixed, *words[1:]]) if fixed else None
