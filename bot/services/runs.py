"""Protocol runs: start, answer page by page, resume, complete, summarize.

Nothing here knows Slack: callers pass ids and raw answers and get back what to show next.
Every read of a run checks that the caller is its coach.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.protocols import engine as rules
from bot.protocols.catalog import Catalog
from bot.protocols.schema import Page, Protocol
from bot.protocols.summary import render_summary
from bot.storage import runs as repo
from bot.storage.models import ProtocolRun, RunStatus, utcnow

Clock = Callable[[], datetime]
# A sender that died holding a summary claim is presumed dead after this long.
SUMMARY_CLAIM_TIMEOUT = timedelta(minutes=5)


class UnknownProtocol(LookupError):
    pass


class RunNotFound(LookupError):
    """No such run for this coach: also what someone else's run id gets, so ids leak nothing."""


class StaleSubmission(ValueError):
    """The submission names a page the run's protocol does not have."""


@dataclass(frozen=True)
class PageToShow:
    protocol: Protocol
    page: Page
    answers: dict[str, rules.Value]
    run_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def number(self) -> int:
        return (self.protocol.page_index(self.page.id) or 0) + 1


@dataclass(frozen=True)
class PageAnswers:
    """A page as the coach left it: which page, of which run (or of the modal the run was
    opened in, before the run has an id the modal knows), and the raw answers."""

    protocol_id: str
    page_id: str
    raw: dict[str, rules.Raw]
    run_id: str | None = None
    view_id: str | None = None
    protocol_version: int | None = None


@dataclass(frozen=True)
class Completed:
    run_id: str
    protocol: Protocol
    summary: str
    completed_at: datetime
    # True only for the submission that completed the run (not for a retry of it).
    newly: bool


@dataclass(frozen=True)
class RunListing:
    run_id: str
    protocol_id: str
    title: str
    status: RunStatus
    started_at: datetime
    completed_at: datetime | None
    answered: int
    steps: int


@dataclass(frozen=True)
class Coach:
    """Who is asking: a Slack user in a Slack team (or the terminal's stand-ins for them)."""

    team_id: str
    user_id: str


class RunService:
    def __init__(self, *, engine: Engine, catalog: Catalog, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._catalog = catalog
        self._clock = clock
        self._versions: dict[tuple[str, int], Protocol] = {p.key: p for p in catalog}

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def protocol(self, protocol_id: str) -> Protocol:
        protocol = self._catalog.get(protocol_id)
        if protocol is None:
            raise UnknownProtocol(protocol_id)
        return protocol

    def first_page(self, protocol_id: str) -> PageToShow:
        """What to show the moment a coach starts. No database work: the modal opens inside
        Slack's three seconds, and the run is written with the first answer the coach saves."""
        protocol = self.protocol(protocol_id)
        return PageToShow(protocol=protocol, page=protocol.pages[0], answers={})

    def record_catalog(self) -> None:
        """Keep the definition of every protocol version this process offers, so a run started
        from it can go on with the same steps after the file changes."""
        with self._session() as session:
            for protocol in self._catalog:
                repo.record_snapshot(
                    session,
                    protocol_id=protocol.id,
                    version=protocol.version,
                    definition=protocol.model_dump(),
                )

    def start(
        self, coach: Coach, protocol_id: str, *, view_id: str | None, version: int | None = None
    ) -> str:
        """Record a new run and return its id; `version` is the one the coach's modal showed."""
        protocol = self.protocol(protocol_id)
        with self._session() as session:
            run = repo.create_run(
                session,
                team_id=coach.team_id,
                user_id=coach.user_id,
                protocol_id=protocol.id,
                protocol_version=version or protocol.version,
                first_page=protocol.pages[0].id,
                origin_view_id=view_id,
                now=self._clock(),
            )
            return run.id

    def _protocol_of(self, session: Session, run: ProtocolRun) -> Protocol:
        key = (run.protocol_id, run.protocol_version)
        if key not in self._versions:
            definition = repo.load_snapshot(
                session, protocol_id=run.protocol_id, version=run.protocol_version
            )
            if definition is None:
                raise UnknownProtocol(run.protocol_id)
            self._versions[key] = Protocol.model_validate(definition)
        return self._versions[key]

    def _owned_run(self, session: Session, coach: Coach, run_id: str) -> ProtocolRun:
        run = repo.get_run(session, run_id=run_id)
        if run is None or (run.team_id, run.user_id) != (coach.team_id, coach.user_id):
            raise RunNotFound(run_id)
        return run

    def _run_for_submission(
        self,
        session: Session,
        coach: Coach,
        *,
        run_id: str | None,
        view_id: str | None,
        protocol_id: str,
        version: int | None,
    ) -> ProtocolRun:
        if run_id is not None:
            return self._owned_run(session, coach, run_id)
        if view_id is None:
            raise RunNotFound("(none)")
        run = repo.run_for_view(session, view_id=view_id)
        if run is None:
            # The first answer given in a freshly opened modal: the run begins here, once.
            self.start(coach, protocol_id, view_id=view_id, version=version)
            run = repo.run_for_view(session, view_id=view_id)
        if run is None or (run.team_id, run.user_id) != (coach.team_id, coach.user_id):
            raise RunNotFound(view_id)
        return run

    def _page_of(
        self, session: Session, coach: Coach, given: PageAnswers
    ) -> tuple[ProtocolRun, Protocol, Page]:
        run = self._run_for_submission(
            session,
            coach,
            run_id=given.run_id,
            view_id=given.view_id,
            protocol_id=given.protocol_id,
            version=given.protocol_version,
        )
        protocol = self._protocol_of(session, run)
        index = protocol.page_index(given.page_id)
        if index is None:
            raise StaleSubmission(given.page_id)
        return run, protocol, protocol.pages[index]

    def submit_page(self, coach: Coach, given: PageAnswers) -> PageToShow | Completed:
        """Store a page's valid answers at once, then say what comes next: the same page with
        errors, the next page, or the completed run with its summary."""
        with self._session() as session:
            run, protocol, page = self._page_of(session, coach, given)
            checked = rules.check_page(page, given.raw)
            following = rules.next_page(protocol, page.id)
            stays = checked.errors or following is None
            repo.save_answers(
                session,
                run_id=run.id,
                values=checked.values,
                cleared=checked.cleared,
                current_page=page.id if stays else following.id,
                now=self._clock(),
            )
            answers = repo.load_answers(session, run_id=run.id)
            if checked.errors:
                return PageToShow(protocol, page, answers, run_id=run.id, errors=checked.errors)
            if following is not None:
                return PageToShow(protocol, following, answers, run_id=run.id)
            missing = rules.missing_required(protocol, answers)
            if missing:
                return PageToShow(protocol, missing[0], answers, run_id=run.id)
            newly = repo.complete_run(session, run_id=run.id, now=self._clock())
            session.refresh(run)
            return Completed(run.id, protocol, self._summary(protocol, run, answers), run.completed_at, newly)

    def save_draft(self, coach: Coach, given: PageAnswers) -> int:
        """Keep what a coach typed on a page they closed without submitting: every answer that
        passes its step's rules is stored; nothing already stored is removed. Returns how many."""
        with self._session() as session:
            nothing_typed = (
                all(rules.is_empty(value) for value in given.raw.values()) and given.run_id is None
            )
            if nothing_typed and repo.run_for_view(session, view_id=given.view_id or "") is None:
                return 0  # closed straight away: no run to keep
            run, _, page = self._page_of(session, coach, given)
            if run.status is not RunStatus.IN_PROGRESS:
                return 0
            checked = rules.check_page(page, given.raw)
            repo.save_answers(
                session, run_id=run.id, values=checked.values, current_page=page.id, now=self._clock()
            )
            return len(checked.values)

    def resume(self, coach: Coach, run_id: str) -> PageToShow | Completed:
        with self._session() as session:
            run = self._owned_run(session, coach, run_id)
            protocol = self._protocol_of(session, run)
            answers = repo.load_answers(session, run_id=run.id)
            if run.status is RunStatus.COMPLETED:
                return Completed(
                    run.id, protocol, self._summary(protocol, run, answers), run.completed_at, newly=False
                )
            page = rules.resume_page(protocol, answers, run.current_page)
            return PageToShow(protocol, page, answers, run_id=run.id)

    def listing(self, coach: Coach, *, status: RunStatus | None = None, limit: int = 20) -> list[RunListing]:
        with self._session() as session:
            runs = repo.list_runs(
                session, team_id=coach.team_id, user_id=coach.user_id, status=status, limit=limit
            )
            counts = repo.answer_counts(session, run_ids=[run.id for run in runs])
            listings = []
            for run in runs:
                protocol = self._protocol_of(session, run)
                listings.append(
                    RunListing(
                        run_id=run.id,
                        protocol_id=run.protocol_id,
                        title=protocol.title,
                        status=run.status,
                        started_at=run.started_at,
                        completed_at=run.completed_at,
                        answered=counts.get(run.id, 0),
                        steps=len(protocol.steps),
                    )
                )
            return listings

    def _summary(self, protocol: Protocol, run: ProtocolRun, answers: dict[str, rules.Value]) -> str:
        readable = {}
        for step_id, value in answers.items():
            step = protocol.step(step_id)
            if step is not None:
                readable[step_id] = rules.display(step, value)
        return render_summary(protocol, readable, started_at=run.started_at, completed_at=run.completed_at)

    # The summary DM is an outbox of one message per run: claimed, sent, then marked.

    def claim_summary(self, run_id: str) -> bool:
        with self._session() as session:
            return repo.claim_summary(
                session, run_id=run_id, now=self._clock(), stale_after=SUMMARY_CLAIM_TIMEOUT
            )

    def summary_sent(self, run_id: str) -> None:
        with self._session() as session:
            repo.mark_summary_sent(session, run_id=run_id, now=self._clock())

    def summary_failed(self, run_id: str) -> None:
        with self._session() as session:
            repo.release_summary(session, run_id=run_id)

    def unsent_summaries(self, *, older_than: timedelta) -> list[tuple[Coach, Completed]]:
        """Completed runs whose summary DM never went out (Slack was down, the process died)."""
        with self._session() as session:
            found = []
            for run_id in repo.unsent_summaries(session, completed_before=self._clock() - older_than):
                run = repo.get_run(session, run_id=run_id)
                protocol = self._protocol_of(session, run)
                answers = repo.load_answers(session, run_id=run_id)
                summary = self._summary(protocol, run, answers)
                completed = Completed(run.id, protocol, summary, run.completed_at, newly=False)
                found.append((Coach(run.team_id, run.user_id), completed))
            return found
