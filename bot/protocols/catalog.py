"""Loading protocol files: every problem is reported as file, field and what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.protocols.schema import Protocol
from bot.protocols.summary import check_summary_template


@dataclass(frozen=True)
class Problem:
    path: Path
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


class InvalidProtocol(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _field_path(location: tuple) -> str:
    return ".".join(str(part) for part in location) or "(file)"


def load_file(path: Path) -> Protocol:
    """Parse and validate one protocol file, or raise InvalidProtocol listing every problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
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
    if path.stem != protocol.id:
        problems.append(Problem(path, "id", f"is '{protocol.id}' but the file is named '{path.name}'"))
    template_error = check_summary_template(protocol)
    if template_error:
        problems.append(Problem(path, "summary", template_error))
    if problems:
        raise InvalidProtocol(problems)
    return protocol


def protocol_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


class Catalog:
    """The protocols an installation offers, loaded once at start and read on every request."""

    def __init__(self, protocols: list[Protocol]) -> None:
        self._by_id = {p.id: p for p in protocols}

    @classmethod
    def load(cls, directory: Path) -> Catalog:
        """Load every file; one broken file stops the start, since a silently missing protocol
        would look like data loss to the coaches who use it."""
        problems: list[Problem] = []
        protocols = []
        for path in protocol_files(directory):
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
