"""A protocol's text in another language: the `translations:` mapping at the end of its file.

English stays the protocol (required, it carries the ids, types and limits); a translation holds
only text, keyed by the protocol's stable ids, so an author edits wording without touching the
structure and a reader in another language answers exactly the same steps. These functions work
on the protocol's plain data (`model_dump()`), so the schema can build a translated copy and
validate it with its own limits, and the validator can say which field is missing by its path.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# The language a protocol's own text is written in.
ENGLISH = "en"
# An ISO 639 code (es, pt, vi, zh); English is the protocol itself (Protocol refuses `en`).
LANGUAGE = r"^[a-z]{2,3}$"
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepText(_Strict):
    prompt: Text | None = None
    help: Text | None = None
    placeholder: Text | None = None
    # option value -> label
    options: dict[str, Text] = {}


class PageText(_Strict):
    title: Text | None = None
    intro: Text | None = None
    steps: dict[str, StepText] = {}


class TagText(_Strict):
    label: Text | None = None
    help: Text | None = None


class PhaseText(_Strict):
    title: Text | None = None
    guide: Text | None = None
    # tag word -> label and help
    tags: dict[str, TagText] = {}


class RoundText(_Strict):
    phases: dict[str, PhaseText] = {}


class Translation(_Strict):
    """Every field optional: a partial language falls back to English field by field, and
    `coachbot protocols validate` lists what is still missing."""

    title: Text | None = None
    purpose: Text | None = None
    summary: Text | None = None
    pages: dict[str, PageText] = {}
    round: RoundText | None = None


@dataclass
class Slot:
    """One English text field and its counterpart in a language (None while untranslated)."""

    path: str
    holder: dict
    key: str
    translated: str | None


@dataclass
class Walk:
    slots: list[Slot]
    # Paths a translation names that the English does not have (a typo, or a removed step).
    unknown: list[str]

    @property
    def missing(self) -> list[str]:
        return [slot.path for slot in self.slots if slot.translated is None]


def _fields(walk: Walk, path: str, english: dict, translated: Mapping, names: Sequence[str]) -> None:
    for name in names:
        if english.get(name) is not None:
            walk.slots.append(Slot(f"{path}{name}", english, name, translated.get(name)))
        elif translated.get(name) is not None:
            walk.unknown.append(f"{path}{name}")


def _by_id(walk: Walk, path: str, items: list[dict], key: str, translated: Mapping | None):
    """Pair each English item (a page, a step, a phase) with its translation by stable id."""
    translated = translated or {}
    known = {item[key] for item in items}
    walk.unknown.extend(f"{path}{name}" for name in translated if name not in known)
    for item in items:
        yield f"{path}{item[key]}.", item, translated.get(item[key]) or {}


def walk(english: dict, translated: Mapping) -> Walk:
    """Every text field of the English `english` (a protocol's model_dump) against a language's
    text (a Translation's model_dump); holders point into `english`, so setting them overlays."""
    found = Walk([], [])
    _fields(found, "", english, translated, ("title", "purpose", "summary"))
    _walk_pages(found, english["pages"], translated.get("pages"))
    if english.get("round") is not None:
        _walk_round(found, english["round"]["phases"], (translated.get("round") or {}).get("phases"))
    elif translated.get("round"):
        found.unknown.append("round")
    return found


def _walk_pages(found: Walk, pages: list[dict], translated: Mapping | None) -> None:
    for page_path, page, page_text in _by_id(found, "pages.", pages, "id", translated):
        _fields(found, page_path, page, page_text, ("title", "intro"))
        steps = _by_id(found, f"{page_path}steps.", page["steps"], "id", page_text.get("steps"))
        for step_path, step, step_text in steps:
            _fields(found, step_path, step, step_text, ("prompt", "help", "placeholder"))
            labels = step_text.get("options") or {}
            options = _by_id(found, f"{step_path}options.", step["options"], "value", labels)
            for option_path, option, _ in options:
                label = labels.get(option["value"])
                found.slots.append(Slot(option_path.rstrip("."), option, "label", label))


def _walk_round(found: Walk, phases: list[dict], translated: Mapping | None) -> None:
    for phase_path, phase, phase_text in _by_id(found, "round.phases.", phases, "id", translated):
        _fields(found, phase_path, phase, phase_text, ("title", "guide"))
        tags = _by_id(found, f"{phase_path}tags.", phase["tags"], "word", phase_text.get("tags"))
        for tag_path, tag, tag_text in tags:
            _fields(found, tag_path, tag, tag_text, ("label", "help"))


def overlay(english: dict, translated: Mapping) -> dict:
    """The protocol's data with every translated field in place of the English one (the rest
    stays English) and no translations of its own: ready to validate as a protocol."""
    merged = copy.deepcopy(english)
    merged["translations"] = {}
    for slot in walk(merged, translated).slots:
        if slot.translated is not None:
            slot.holder[slot.key] = slot.translated
    return merged


_ID_KEYS = {"pages": "id", "steps": "id", "phases": "id", "options": "value", "tags": "word"}


def id_path(english: dict, location: Sequence[str | int]) -> str:
    """A validation error's location in a translated copy (`pages.0.steps.2.prompt`) as the path
    an author writes under `translations:` (`pages.checkin.steps.evidence.prompt`)."""
    parts: list[str] = []
    node: object = english
    parent = ""
    for part in location:
        if isinstance(part, int) and isinstance(node, list | tuple) and part < len(node):
            node = node[part]
            key = _ID_KEYS.get(parent)
            parts.append(str(node.get(key, part)) if key and isinstance(node, dict) else str(part))
        else:
            node = node.get(part) if isinstance(node, dict) else None
            parts.append(str(part))
        parent = str(part)
    if len(parts) >= 3 and parts[-3] == "options" and parts[-1] == "label":
        parts.pop()  # an option's label is written as `options: {value: label}`
    return ".".join(parts) or "(protocol)"
