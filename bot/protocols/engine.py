"""Answer rules, independent of where the answer came from (a Slack modal, the terminal, a test).

A raw answer is `None` (not given), a string, or a list of strings (multi choice, checklist).
`check` turns it into the value that is stored, or an error the coach can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot import mrkdwn
from bot.i18n import _
from bot.protocols.schema import CHOICE_TYPES, TEXT_TYPES, InputType, Page, Protocol, Step

Raw = str | list[str] | None
Value = str | list[str]

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class Checked:
    """The outcome for one step: a value to store, nothing (an optional step left empty), or an error."""

    value: Value | None = None
    error: str | None = None


def is_empty(raw: Raw) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return raw.strip() == ""
    return len(raw) == 0


def check(step: Step, raw: Raw) -> Checked:
    if is_empty(raw):
        return Checked(error=_("Please answer this one.")) if step.required else Checked()
    if step.input in TEXT_TYPES:
        if not isinstance(raw, str):
            return Checked(error=_("This answer should be text."))
        text = raw.strip()
        if len(text) > step.max_length:
            over = len(text) - step.max_length
            return Checked(
                error=_(
                    "This answer is %(length)s characters; the limit is %(limit)s. "
                    "Please shorten it by %(over)s."
                )
                % {"length": f"{len(text):,}", "limit": f"{step.max_length:,}", "over": f"{over:,}"}
            )
        return Checked(value=text)
    if step.input in CHOICE_TYPES:
        chosen = [raw] if isinstance(raw, str) else list(raw)
        allowed = {option.value for option in step.options}
        if any(value not in allowed for value in chosen):
            return Checked(error=_("Please choose from the options shown."))
        if step.input is InputType.SINGLE_CHOICE:
            return Checked(value=chosen[0]) if len(chosen) == 1 else Checked(error=_("Please choose one."))
        return Checked(value=[o.value for o in step.options if o.value in chosen])
    if not isinstance(raw, str):
        return Checked(error=_("Please give a single answer."))
    return _check_scalar(step.input, raw.strip())


def _check_scalar(kind: InputType, text: str) -> Checked:
    if kind is InputType.RATING:
        return (
            Checked(value=text) if text in {"1", "2", "3", "4", "5"} else Checked(error=_("Choose 1 to 5."))
        )
    if kind is InputType.DATE:
        try:
            date.fromisoformat(text)
        except ValueError:
            return Checked(error=_("Please pick a date (YYYY-MM-DD)."))
        return Checked(value=text)
    if kind is InputType.TIME:
        return Checked(value=text) if _TIME.match(text) else Checked(error=_("Please pick a time (HH:MM)."))
    if kind is InputType.USER:
        return Checked(value=text) if _USER.match(text) else Checked(error=_("Please pick a person."))
    raise AssertionError(f"unhandled input type {kind}")


@dataclass(frozen=True)
class PageResult:
    values: dict[str, Value]
    errors: dict[str, str]
    cleared: list[str]


def check_page(page: Page, raw: dict[str, Raw]) -> PageResult:
    """Check every step on a page; valid answers are kept even when another step has an error,
    so the rest of the draft is stored while the coach fixes the one that is wrong."""
    values: dict[str, Value] = {}
    errors: dict[str, str] = {}
    cleared: list[str] = []
    for step in page.steps:
        outcome = check(step, raw.get(step.id))
        if outcome.error:
            errors[step.id] = outcome.error
        elif outcome.value is None:
            cleared.append(step.id)
        else:
            values[step.id] = outcome.value
    return PageResult(values=values, errors=errors, cleared=cleared)


def display(step: Step, value: Value) -> str:
    """How an answer reads in a summary, history or the terminal."""
    if step.input in CHOICE_TYPES:
        chosen = [value] if isinstance(value, str) else value
        return ", ".join(step.label_for(v) for v in chosen)
    if step.input is InputType.RATING:
        return f"{value} of 5"
    if step.input is InputType.USER and isinstance(value, str):
        return mrkdwn.mention(value)
    if isinstance(value, list):
        return ", ".join(value)
    return value


def resume_page(protocol: Protocol, answers: dict[str, Value], current_page: str) -> Page:
    """The page a returning coach lands on: where they stopped, or the first page still missing a
    required answer if that comes earlier (say, after the protocol gained a step)."""
    for page in protocol.pages:
        if page.id == current_page:
            return page
        if any(step.required and step.id not in answers for step in page.steps):
            return page
    return protocol.pages[0]


def next_page(protocol: Protocol, page_id: str) -> Page | None:
    index = protocol.page_index(page_id)
    if index is None or index + 1 >= len(protocol.pages):
        return None
    return protocol.pages[index + 1]


def missing_required(protocol: Protocol, answers: dict[str, Value]) -> list[Page]:
    """Pages that still lack a required answer: a run completes only when this is empty."""
    return [p for p in protocol.pages if any(s.required and s.id not in answers for s in p.steps)]
