"""Loading protocol files: every problem is reported as file, field and what is wrong.

An installation offers the protocols shipped inside the package (the repository's `protocols/`,
installed as `bot.shipped_protocols`) and those in `PROTOCOLS_DIR`, where a file replaces the
shipped one of the same id.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.config import SetupError
from bot.protocols.schema import Protocol
from bot.protocols.summary import check_summary_template
from bot.protocols.translations import id_path, walk

SHIPPED_PACKAGE = "bot.shipped_protocols"
SUFFIX = ".yaml"


class NoProtocols(SetupError):
    """PROTOCOLS_DIR names no folder, or there is no protocol at all: a bot that offers nothing
    would look to coaches like one that lost their protocols."""


@dataclass(frozen=True)
class Problem:
    path: Path | Traversable
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


class InvalidProtocol(SetupError):
    """One line per problem: file, field, what is wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _field_path(location: tuple) -> str:
    return ".".join(str(part) for part in location) or "(file)"


# libyaml's safe loader, where PyYAML was built with it (its wheels are), parses the shipped
# protocols ten times faster than the pure-Python one: most of what starting a bot costs.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_file(path: Path | Traversable) -> Protocol:
    """Parse and validate one protocol file, or raise InvalidProtocol listing every problem."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidProtocol([Problem(path, "(file)", f"cannot be read: {error}")]) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise InvalidProtocol([Problem(path, where, f"is not valid YAML: {error}")]) from error
    if not isinstance(data, dict):
        raise InvalidProtocol([Problem(path, "(file)", "must be a mapping of protocol fields")])
    try:
        protocol = Protocol.model_validate(data)
    except ValidationError as error:
        problems = [Problem(path, _field_path(e["loc"]), e["msg"]) for e in error.errors()]
        raise InvalidProtocol(problems) from error
    problems = []
    if path.name.removesuffix(SUFFIX) != protocol.id:
        problems.append(Problem(path, "id", f"is '{protocol.id}' but the file is named '{path.name}'"))
    template_error = check_summary_template(protocol)
    if template_error:
        problems.append(Problem(path, "summary", template_error))
    problems.extend(_language_problems(path, protocol))
    if problems:
        raise InvalidProtocol(problems)
    return protocol


def _language_problems(path: Path | Traversable, protocol: Protocol) -> list[Problem]:
    """What would break a reader of another language: text for ids the English lacks, a limit
    the translated text exceeds (checked by building the copy readers see) or a summary that
    does not render. A field merely missing is not here: it falls back to English (see
    `missing_text`)."""
    problems = []
    english = protocol.model_dump()
    for language, text in protocol.translations.items():
        found = walk(english, text.model_dump(exclude_none=True))
        problems += [
            Problem(path, f"{language}: {where}", "is not in the English protocol") for where in found.unknown
        ]
        try:
            spoken = protocol.translated(language)
        except ValidationError as error:
            problems += [
                Problem(path, f"{language}: {id_path(english, e['loc'])}", e["msg"]) for e in _deepest(error)
            ]
            continue
        template_error = check_summary_template(spoken)
        if template_error:
            problems.append(Problem(path, f"{language}: summary", template_error))
    return problems


def _deepest(error: ValidationError) -> list:
    """The errors that say what is wrong, without the echo pydantic adds on an enclosing tuple
    (`pages: should have at least 1 item`) when an item inside it failed."""
    errors = error.errors()
    locations = [tuple(e["loc"]) for e in errors]
    return [
        e
        for e in errors
        if not any(
            len(other) > len(e["loc"]) and other[: len(e["loc"])] == tuple(e["loc"]) for other in locations
        )
    ]


def missing_text(protocol: Protocol) -> dict[str, list[str]]:
    """Every English text field each language has no counterpart for, by path
    (`pages.checkin.steps.evidence.placeholder`): what a reader would see in English."""
    english = protocol.model_dump()
    return {
        language: walk(english, text.model_dump(exclude_none=True)).missing
        for language, text in sorted(protocol.translations.items())
    }


def protocol_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{SUFFIX}"))


def shipped_files() -> list[Traversable]:
    shipped = resources.files(SHIPPED_PACKAGE)
    return sorted((f for f in shipped.iterdir() if f.name.endswith(SUFFIX)), key=lambda f: f.name)


def installed_files(protocols_dir: Path | None) -> list[Path | Traversable]:
    """The shipped files, each replaced by the file of the same name in `protocols_dir`, plus
    that folder's others. The file name is the protocol's id (`load_file` checks it)."""
    by_name: dict[str, Path | Traversable] = {f.name: f for f in shipped_files()}
    if protocols_dir is not None:
        if not protocols_dir.is_dir():
            raise NoProtocols(
                f"PROTOCOLS_DIR is {protocols_dir}, which is not a folder: create it and put your "
                "protocol files in it, or unset PROTOCOLS_DIR to offer only the shipped protocols."
            )
        by_name |= {f.name: f for f in protocol_files(protocols_dir)}
    return [by_name[name] for name in sorted(by_name)]


class Catalog:
    """The protocols an installation offers, loaded once at start and read on every request."""

    def __init__(self, protocols: list[Protocol]) -> None:
        self._by_id = {p.id: p for p in protocols}

    @classmethod
    def installed(cls, protocols_dir: Path | None) -> Catalog:
        """What this installation offers; refuses to be empty."""
        catalog = cls.from_files(installed_files(protocols_dir))
        if not catalog:
            where = f"PROTOCOLS_DIR ({protocols_dir}) has" if protocols_dir else "PROTOCOLS_DIR is unset and"
            raise NoProtocols(
                f"no protocols: {where} no .yaml files and this installation ships none; reinstall "
                "coachbot, or put protocol files in PROTOCOLS_DIR."
            )
        return catalog

    @classmethod
    def load(cls, directory: Path) -> Catalog:
        return cls.from_files(protocol_files(directory))

    @classmethod
    def from_files(cls, files: list[Path] | list[Path | Traversable]) -> Catalog:
        """Load every file; one broken file stops the start, since a silently missing protocol
        would look like data loss to the coaches who use it."""
        problems: list[Problem] = []
        protocols = []
        for path in files:
            try:
                protocols.append(load_file(path))
            except InvalidProtocol as error:
                problems.extend(error.problems)
        if problems:
            raise InvalidProtocol(problems)
        return cls(protocols)

    def for_audience(self, audience: str) -> Catalog:
        """The protocols meant for coaches (or leaders, or a collaborative) to start themselves."""
        return Catalog([p for p in self._by_id.values() if audience in p.audience])

    def get(self, protocol_id: str) -> Protocol | None:
        return self._by_id.get(protocol_id)

    def __iter__(self) -> Iterator[Protocol]:
        return iter(sorted(self._by_id.values(), key=lambda p: p.id))

    def __len__(self) -> int:
        return len(self._by_id)
