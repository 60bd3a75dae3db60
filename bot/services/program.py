"""The program view: how much coaching happened, month by month, for a program director to report
to a funder without reading anything private.

Counts only: no name, no text, no user id leaves this module. A count under SUPPRESS_BELOW is not
given (`Count.value` None, shown as "fewer than 5"), zero included, so a reader cannot tell one
person's activity from none. Subtraction is ruled out by construction: the only sums shown are a
row's total over its months, and a total is shown only when every month in its row is; no shown
count is the sum of others (phases are shown without a total, kinds without a total per month).
A total over a different span of months is shown under the same rule, so the difference of two
totals is always a sum of months that are themselves shown.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot import i18n
from bot.actor import Actor
from bot.protocols.catalog import Catalog
from bot.protocols.schema import CyclePhase
from bot.storage import program as repo
from bot.storage.models import DeliveryStatus

SUPPRESS_BELOW = 5
MONTHS_DEFAULT = 6
MONTHS_MAX = 24
CHECKIN_PROTOCOL = "goal-checkin"
OBSTACLES_STEP = "obstacle_kinds"
# Audiences whose runs are a coach's own work (a leader's check-in is not a coach being active).
COACH_AUDIENCES = {"coach", "collaborative"}


class NotALead(Exception):
    """The person asking is not in PROGRAM_LEADS."""


@dataclass(frozen=True)
class Count:
    value: int | None  # None: fewer than SUPPRESS_BELOW, not to be shown

    @classmethod
    def of(cls, n: int) -> Count:
        return cls(n if n >= SUPPRESS_BELOW else None)


@dataclass(frozen=True)
class Row:
    measure: str  # what is counted: a fixed measure, or the group's kind (then `label` names it)
    label: str | None
    cells: tuple[Count, ...]
    total: Count


@dataclass(frozen=True)
class Group:
    key: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class ProgramReport:
    months: tuple[str, ...]  # "2026-11", oldest first
    groups: tuple[Group, ...]
    # Clients by coaching-cycle phase today: the phase a client was in last month is not kept.
    phases: tuple[tuple[str, Count], ...]


def _months(now: datetime, count: int) -> list[tuple[int, int]]:
    year, month = now.year, now.month
    months = []
    for _ in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _key(moment: datetime | None) -> tuple[int, int] | None:
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.year, moment.month


class _Tally:
    def __init__(self, months: list[tuple[int, int]]) -> None:
        self.months = months
        self.counts: dict[str, Counter] = defaultdict(Counter)

    def add(self, row: str, moment: datetime | None, n: int = 1) -> None:
        key = _key(moment)
        if key in self.months:
            self.counts[row][key] += n

    def row(self, measure: str, label: str | None = None, counted: str | None = None) -> Row:
        by_month = self.counts[counted or measure]
        cells = tuple(Count.of(by_month[m]) for m in self.months)
        whole = all(c.value is not None for c in cells)
        total = Count.of(sum(by_month[m] for m in self.months)) if whole else Count(None)
        return Row(measure, label, cells, total)


class ProgramService:
    def __init__(
        self, *, engine: Engine, catalog: Catalog, clock: Callable[[], datetime], leads: Iterable[str]
    ) -> None:
        self._engine = engine
        self._catalog = catalog
        self._clock = clock
        self._leads = frozenset(leads)

    def is_lead(self, person: Actor) -> bool:
        return person.user_id in self._leads

    def for_lead(self, person: Actor, *, months: int = MONTHS_DEFAULT) -> ProgramReport:
        """The person's own workspace, if they are a program lead; else NotALead."""
        if not self.is_lead(person):
            raise NotALead
        return self.report(team_id=person.team_id, months=months)

    def report(self, *, team_id: str | None, months: int = MONTHS_DEFAULT) -> ProgramReport:
        """Every workspace's counts with `team_id` None (an operator's `coachbot report`)."""
        window = _months(self._clock(), max(1, min(months, MONTHS_MAX)))
        since = datetime(*window[0], 1, tzinfo=UTC)
        tally = _Tally(window)
        with Session(self._engine) as session:
            runs = repo.runs(session, team_id=team_id, since=since)
            deliveries = repo.deliveries(session, team_id=team_id)
            obstacles = repo.answered_choices(
                session, team_id=team_id, protocol_id=CHECKIN_PROTOCOL, step_id=OBSTACLES_STEP, since=since
            )
            rounds = repo.rounds_closed(session, team_id=team_id, since=since)
            steps = repo.next_steps(session, team_id=team_id, since=since)
            phases = Counter(CyclePhase(p) for p in repo.client_phases(session, team_id=team_id))

        active: set[tuple[str, tuple[int, int] | None]] = set()
        kinds: set[str] = set()
        for user_id, protocol_id, started_at, completed_at in runs:
            protocol = self._catalog.get(protocol_id)
            if protocol is not None and COACH_AUDIENCES & set(protocol.audience):
                active.update({(user_id, _key(started_at)), (user_id, _key(completed_at))})
            if completed_at is not None:
                kinds.add(protocol_id)
                tally.add(f"protocol:{protocol_id}", completed_at)
        for _, month in active:
            if month in window:
                tally.counts["coaches_active"][month] += 1
        for moment in rounds:
            tally.add("rounds_held", moment)
        for moment in steps:
            tally.add("next_steps", moment)
        self._checkins(tally, deliveries)
        options = self._obstacle_options()
        for value, moment in obstacles:
            chosen = json.loads(value)
            for option in set(chosen if isinstance(chosen, list) else [chosen]) & options.keys():
                tally.add(f"obstacle:{option}", moment)

        activity = Group(
            "activity",
            tuple(tally.row(m) for m in ("coaches_active", "rounds_held", "next_steps", "goals_rose")),
        )
        checkins = Group("checkins", tuple(tally.row(m) for m in ("sent", "answered", "missed")))
        titles = {p.id: p.in_language(i18n.current()).title for p in self._catalog}
        shown = sorted(set(titles) | kinds, key=lambda pid: titles.get(pid, pid).lower())
        protocols = Group(
            "protocols",
            tuple(tally.row("protocol", titles.get(p, p), counted=f"protocol:{p}") for p in shown),
        )
        kinds_group = Group(
            "obstacles",
            tuple(tally.row("obstacle", label, counted=f"obstacle:{v}") for v, label in options.items()),
        )
        return ProgramReport(
            months=tuple(f"{y:04d}-{m:02d}" for y, m in window),
            groups=(activity, checkins, protocols, kinds_group),
            phases=tuple((p.label, Count.of(phases[p])) for p in CyclePhase),
        )

    @staticmethod
    def _checkins(tally: _Tally, deliveries: Iterable[tuple]) -> None:
        """Sent, answered and missed; and goals whose rating rose: the last rating given in a month
        is above the one before it (the last of an earlier month, else the month's first)."""
        ratings: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
        for status, sent_at, answer_by, answered_at, rating, goal_id, schedule_id in deliveries:
            tally.add("sent", sent_at)
            if status == DeliveryStatus.ANSWERED:
                tally.add("answered", answered_at)
            elif status == DeliveryStatus.MISSED:
                tally.add("missed", answer_by)
            if rating is not None and answered_at is not None:
                ratings[goal_id or f"schedule:{schedule_id}"].append((answered_at, rating))
        for given in ratings.values():
            given.sort()
            for month in tally.months:
                before = [r for moment, r in given if _key(moment) < month]
                during = [r for moment, r in given if _key(moment) == month]
                if during and during[-1] > (before[-1] if before else during[0]):
                    tally.counts["goals_rose"][month] += 1

    def _obstacle_options(self) -> dict[str, str]:
        """The kinds a check-in offers (value: label): only these are counted, never what a
        crafted answer put there."""
        protocol = self._catalog.get(CHECKIN_PROTOCOL)
        if protocol is None:
            return {}
        for step in protocol.in_language(i18n.current()).steps:
            if step.id == OBSTACLES_STEP:
                return {option.value: option.label for option in step.options}
        return {}
