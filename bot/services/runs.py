"""Protocol runs: start, answer page by page, resume, complete, summarize, change, share, delete.

Nothing here knows Slack: callers pass ids and raw answers and get back what to show next.
Every read of a run checks that the caller is its coach; someone else's run id is answered
exactly like an id that does not exist.

Languages: a run's pages stay in the language it was started in (recorded on the run), so a
coach who switches language midway never gets a run half in one and half in the other; what is
read about a run afterwards (its summary, its answers under their prompts, its title in lists)
is in the reader's language (`i18n.current()`), so a coach reads a leader's Spanish answers
under the prompts of their own language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot import i18n
from bot.actor import Actor, Clock
from bot.protocols import engine as rules
from bot.protocols.catalog import Catalog
from bot.protocols.schema import Page, Protocol
from bot.protocols.summary import render_summary
from bot.storage import clients as client_repo
from bot.storage import rounds as round_repo
from bot.storage import runs as repo
from bot.storage.models import Client, ProtocolRun, RunStatus, Share, ShareAudience


class UnknownProtocol(LookupError):
    pass


class RunNotFound(LookupError):
    """No such run for this coach: also what someone else's run id gets, so ids leak nothing."""


class ClientNotFound(LookupError):
    """No such client for this coach (or someone else's client id)."""


class FramesARound(ValueError):
    """The run is the framing of a feedback round: the round and its thread belong to the group,
    and their record reads the framing, so it is not deleted."""


class StaleSubmission(ValueError):
    """The submission names a page or step the run's protocol does not have."""


@dataclass(frozen=True)
class ClientRef:
    id: str
    name: str


@dataclass(frozen=True)
class Previous:
    """What the coach answered the last time they ran this protocol about this client."""

    answers: dict[str, rules.Value]
    completed_at: datetime


@dataclass(frozen=True)
class PageToShow:
    protocol: Protocol
    page: Page
    answers: dict[str, rules.Value]
    run_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    client: ClientRef | None = None
    previous: Previous | None = None
    # The run's language; None for a page no run stands behind yet (shown in the reader's).
    language: str | None = None

    @property
    def number(self) -> int:
        return (self.protocol.page_index(self.page.id) or 0) + 1

    @property
    def spoken(self) -> tuple[Protocol, Page]:
        """The protocol and this page with their text in the language the page is shown in."""
        protocol = self.protocol.in_language(self.language or i18n.current())
        return protocol, protocol.pages[self.number - 1]


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
    client_id: str | None = None


@dataclass(frozen=True)
class Completed:
    run_id: str
    protocol: Protocol
    summary: str
    completed_at: datetime
    # True only for the submission that completed the run (not for a retry of it).
    newly: bool
    client: ClientRef | None = None


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
    client_name: str | None = None


@dataclass(frozen=True)
class AnswerLine:
    step_id: str
    prompt: str
    text: str
    revisions: int


@dataclass(frozen=True)
class RunDetail:
    """Everything a coach sees of one of their runs: answers in protocol order, shares."""

    listing: RunListing
    protocol: Protocol
    summary: str | None
    answers: list[AnswerLine]
    shares: list[Share]
    client: ClientRef | None
    client_leader_id: str | None


class RunService:
    def __init__(self, *, engine: Engine, catalog: Catalog, clock: Clock) -> None:
        self._engine = engine
        self._catalog = catalog
        self._clock = clock
        self._versions: dict[tuple[str, int], Protocol] = {p.key: p for p in catalog}
        self._coach_protocols = catalog.for_audience("coach")

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def coach_protocols(self) -> Catalog:
        """What `/coach` offers; leader protocols (a goal check-in) open from their own DMs."""
        return self._coach_protocols

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def protocol(self, protocol_id: str) -> Protocol:
        protocol = self._catalog.get(protocol_id)
        if protocol is None:
            raise UnknownProtocol(protocol_id)
        return protocol

    def record_catalog(self) -> None:
        """Keep the definition of every protocol version this process offers, so a run started
        from it can go on with the same steps after the file changes.

        A version is its structure (ids, steps, types): translations are text, so a file that
        gains a language keeps its version and runs under way go on. The snapshot is the first
        definition recorded for a version (with the translations it had then); a version this
        process offers is read from the catalog, with its newest text."""
        with self._session() as session:
            for protocol in self._catalog:
                repo.record_snapshot(
                    session,
                    protocol_id=protocol.id,
                    version=protocol.version,
                    definition=protocol.model_dump(),
                    now=self._clock(),
                )

    def first_page(self, protocol_id: str) -> PageToShow:
        """What to show the moment a coach starts. No database work: the modal opens inside
        Slack's three seconds, and the run is written with the first answer the coach saves."""
        protocol = self.protocol(protocol_id)
        return PageToShow(protocol=protocol, page=protocol.pages[0], answers={})

    def first_page_about(self, coach: Actor, protocol_id: str, client_id: str) -> PageToShow:
        """Starting a protocol about a client: a checklist kept per client (enrollment) goes on
        where it stands; any other protocol starts fresh, beside the answers of last time."""
        protocol = self.protocol(protocol_id)
        with self._session() as session:
            client = owned_client(session, coach, client_id)
            ref = ClientRef(client.id, client.leader_name)
            if protocol.one_per_client:
                ongoing = repo.latest_run(
                    session,
                    team_id=coach.team_id,
                    user_id=coach.user_id,
                    protocol_id=protocol.id,
                    client_id=client.id,
                )
                if ongoing is not None:
                    return self._resume_page(session, ongoing)
            previous = self._previous(session, coach, protocol, client.id)
            return PageToShow(protocol, protocol.pages[0], {}, client=ref, previous=previous)

    def _previous(
        self, session: Session, coach: Actor, protocol: Protocol, client_id: str
    ) -> Previous | None:
        last = repo.latest_run(
            session,
            team_id=coach.team_id,
            user_id=coach.user_id,
            protocol_id=protocol.id,
            client_id=client_id,
            status=RunStatus.COMPLETED,
        )
        if last is None or last.completed_at is None:
            return None
        return Previous(repo.load_answers(session, run_id=last.id), last.completed_at)

    def start(
        self,
        coach: Actor,
        protocol_id: str,
        *,
        view_id: str | None,
        version: int | None = None,
        client_id: str | None = None,
    ) -> str:
        """Record a new run and return its id; `version` is the one the coach's modal showed."""
        protocol = self.protocol(protocol_id)
        with self._session() as session:
            if client_id is not None:
                owned_client(session, coach, client_id)
            run = repo.create_run(
                session,
                team_id=coach.team_id,
                user_id=coach.user_id,
                protocol_id=protocol.id,
                protocol_version=version or protocol.version,
                first_page=protocol.pages[0].id,
                origin_view_id=view_id,
                client_id=client_id,
                # The language the coach was just shown the first page in (English when the
                # protocol has no text in theirs): its later pages keep to it.
                language=protocol.in_language(i18n.current()).language,
                now=self._clock(),
            )
            return run.id

    def _protocol_of(self, session: Session, run: ProtocolRun) -> Protocol:
        return self._version_of(session, run.protocol_id, run.protocol_version)

    def _read(self, session: Session, run: ProtocolRun) -> Protocol:
        """The run's protocol as its reader reads about it (lists, history, the edit window)."""
        return self._protocol_of(session, run).in_language(i18n.current())

    def _version_of(self, session: Session, protocol_id: str, version: int) -> Protocol:
        key = (protocol_id, version)
        if key not in self._versions:
            definition = repo.load_snapshot(session, protocol_id=protocol_id, version=version)
            if definition is None:
                raise UnknownProtocol(protocol_id)
            self._versions[key] = Protocol.model_validate(definition)
        return self._versions[key]

    def protocol_at(self, protocol_id: str, version: int) -> Protocol:
        """A protocol as a given version defined it (a round keeps the phases it started with)."""
        with self._session() as session:
            return self._version_of(session, protocol_id, version)

    def _owned_run(self, session: Session, coach: Actor, run_id: str) -> ProtocolRun:
        run = repo.get_run(session, run_id=run_id)
        if run is None or (run.team_id, run.user_id) != (coach.team_id, coach.user_id):
            raise RunNotFound(run_id)
        return run

    def _client_ref(self, session: Session, run: ProtocolRun) -> ClientRef | None:
        if run.client_id is None:
            return None
        client = client_repo.get_client(session, client_id=run.client_id)
        return ClientRef(client.id, client.leader_name) if client else None

    def _run_for_submission(self, session: Session, coach: Actor, given: PageAnswers) -> ProtocolRun:
        if given.run_id is not None:
            return self._owned_run(session, coach, given.run_id)
        if given.view_id is None:
            raise RunNotFound("(none)")
        run = repo.run_for_view(session, view_id=given.view_id)
        if run is None:
            # The first answer given in a freshly opened modal: the run begins here, once.
            self.start(
                coach,
                given.protocol_id,
                view_id=given.view_id,
                version=given.protocol_version,
                client_id=given.client_id,
            )
            run = repo.run_for_view(session, view_id=given.view_id)
        if run is None or (run.team_id, run.user_id) != (coach.team_id, coach.user_id):
            raise RunNotFound(given.view_id)
        return run

    def _page_of(
        self, session: Session, coach: Actor, given: PageAnswers
    ) -> tuple[ProtocolRun, Protocol, Page]:
        run = self._run_for_submission(session, coach, given)
        protocol = self._protocol_of(session, run)
        index = protocol.page_index(given.page_id)
        if index is None:
            raise StaleSubmission(given.page_id)
        return run, protocol, protocol.pages[index]

    def _page_for_run(
        self,
        session: Session,
        run: ProtocolRun,
        protocol: Protocol,
        page: Page,
        answers: dict[str, rules.Value],
        errors: dict[str, str] | None = None,
    ) -> PageToShow:
        client = self._client_ref(session, run)
        previous = None
        if client is not None and not protocol.one_per_client:
            coach = Actor(run.team_id, run.user_id)
            previous = self._previous(session, coach, protocol, client.id)
        return PageToShow(protocol, page, answers, run.id, errors or {}, client, previous, run.language)

    def submit_page(self, coach: Actor, given: PageAnswers) -> PageToShow | Completed:
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
                cleared=checked.cleared if run.status is RunStatus.IN_PROGRESS else (),
                current_page=page.id if stays else following.id,
                keep_revisions=run.status is RunStatus.COMPLETED,
                now=self._clock(),
            )
            answers = repo.load_answers(session, run_id=run.id)
            if checked.errors:
                client = self._client_ref(session, run)
                errors = checked.errors
                return PageToShow(protocol, page, answers, run.id, errors, client, language=run.language)
            if following is not None:
                return self._page_for_run(session, run, protocol, following, answers)
            missing = rules.missing_required(protocol, answers)
            if missing:
                return self._page_for_run(session, run, protocol, missing[0], answers)
            newly = repo.complete_run(session, run_id=run.id, now=self._clock())
            session.refresh(run)
            if newly and protocol.goal is not None:
                self._record_goal(session, run, protocol, answers)
            return self._completed(session, run, protocol, answers, newly=newly)

    def _record_goal(
        self, session: Session, run: ProtocolRun, protocol: Protocol, answers: dict[str, rules.Value]
    ) -> None:
        fields = protocol.goal.model_dump()
        statement_step = fields.pop("statement")
        details = {}
        for name, step_id in fields.items():
            step = protocol.step(step_id) if step_id else None
            if step is not None and step_id in answers:
                details[name] = str(rules.display(step, answers[step_id]))
        client_repo.record_goal(
            session,
            team_id=run.team_id,
            coach_id=run.user_id,
            client_id=run.client_id,
            run_id=run.id,
            statement=str(answers[statement_step]),
            details=details,
            now=self._clock(),
        )

    def back(self, coach: Actor, given: PageAnswers) -> PageToShow:
        """The page before this one, with its answers: what is on this page is kept first
        (every answer that passes its step's rules, as for a closed page), so going back and
        forth loses nothing."""
        with self._session() as session:
            run, protocol, page = self._page_of(session, coach, given)
            before = protocol.pages[max((protocol.page_index(page.id) or 0) - 1, 0)]
            self._keep_passing(session, run, rules.check_page(page, given.raw), at_page=before.id)
            answers = repo.load_answers(session, run_id=run.id)
            return self._page_for_run(session, run, protocol, before, answers)

    def save_draft(self, coach: Actor, given: PageAnswers) -> int:
        """Keep what a coach typed on a page they closed without submitting: every answer that
        passes its step's rules is stored; nothing already stored is removed. Returns how many."""
        with self._session() as session:
            nothing_typed = (
                all(rules.is_empty(value) for value in given.raw.values()) and given.run_id is None
            )
            if nothing_typed and repo.run_for_view(session, view_id=given.view_id or "") is None:
                return 0  # closed straight away: no run to keep
            run, _, page = self._page_of(session, coach, given)
            checked = rules.check_page(page, given.raw)
            self._keep_passing(session, run, checked, at_page=page.id)
            return len(checked.values)

    def _keep_passing(
        self, session: Session, run: ProtocolRun, checked: rules.PageResult, *, at_page: str
    ) -> None:
        """Store the answers of a page left without submitting it (Back, or closed): those that
        pass their rules, the run resuming at `at_page` while unfinished; a completed run keeps
        each earlier answer as a revision."""
        repo.save_answers(
            session,
            run_id=run.id,
            values=checked.values,
            current_page=at_page if run.status is RunStatus.IN_PROGRESS else None,
            keep_revisions=run.status is RunStatus.COMPLETED,
            now=self._clock(),
        )

    def _resume_page(self, session: Session, run: ProtocolRun) -> PageToShow:
        protocol = self._protocol_of(session, run)
        answers = repo.load_answers(session, run_id=run.id)
        page = rules.resume_page(protocol, answers, run.current_page)
        return self._page_for_run(session, run, protocol, page, answers)

    def resume(self, coach: Actor, run_id: str) -> PageToShow:
        """Open a run where the coach stopped (a completed one at its first page, for changes)."""
        with self._session() as session:
            return self._resume_page(session, self._owned_run(session, coach, run_id))

    def listing_of(self, session: Session, line: repo.RunLine) -> RunListing:
        """One line about a run, for lists (shared with the client record, inside its session)."""
        protocol = self._version_of(session, line.protocol_id, line.protocol_version).in_language(
            i18n.current()
        )
        return RunListing(
            run_id=line.id,
            protocol_id=line.protocol_id,
            title=protocol.title,
            status=line.status,
            started_at=line.started_at,
            completed_at=line.completed_at,
            answered=line.answered,
            steps=len(protocol.steps),
            client_name=line.client_name,
        )

    def listing(self, coach: Actor, *, status: RunStatus | None = None, limit: int = 20) -> list[RunListing]:
        with self._session() as session:
            lines = repo.run_lines(
                session, team_id=coach.team_id, user_id=coach.user_id, status=status, limit=limit
            )
            return [self.listing_of(session, line) for line in lines]

    def detail(self, coach: Actor, run_id: str) -> RunDetail:
        with self._session() as session:
            run = self._owned_run(session, coach, run_id)
            protocol = self._read(session, run)
            answers = repo.load_answers(session, run_id=run.id)
            changed: dict[str, int] = {}
            for revision in repo.revisions(session, run_id=run.id):
                changed[revision.step_id] = changed.get(revision.step_id, 0) + 1
            lines = [
                AnswerLine(
                    step.id, step.prompt, str(rules.display(step, answers[step.id])), changed.get(step.id, 0)
                )
                for step in protocol.steps
                if step.id in answers
            ]
            client = self._client_ref(session, run)
            leader = client_repo.get_client(session, client_id=client.id).leader_id if client else None
            summary = self._summary(protocol, run, answers) if run.status is RunStatus.COMPLETED else None
            line = repo.RunLine(
                run.id,
                run.protocol_id,
                run.protocol_version,
                run.status,
                run.started_at,
                run.completed_at,
                len(answers),
                client.name if client else None,
            )
            return RunDetail(
                listing=self.listing_of(session, line),
                protocol=protocol,
                summary=summary,
                answers=lines,
                shares=list(repo.shares_of(session, run_id=run.id)),
                client=client,
                client_leader_id=leader,
            )

    def edit_answer(self, coach: Actor, run_id: str, step_id: str, raw: rules.Raw) -> str | None:
        """Change one answer of a run; the old value of a completed run is kept as a revision.
        Returns the error to show, or None when the answer was stored."""
        with self._session() as session:
            run = self._owned_run(session, coach, run_id)
            step = self._protocol_of(session, run).step(step_id)
            if step is None:
                raise StaleSubmission(step_id)
            checked = rules.check(step, raw)
            if checked.error:
                return checked.error
            if checked.value is None:
                return None  # an optional answer left empty: nothing to change
            repo.save_answers(
                session,
                run_id=run.id,
                values={step_id: checked.value},
                current_page=None,
                keep_revisions=run.status is RunStatus.COMPLETED,
                now=self._clock(),
            )
            return None

    def step_answers(self, coach: Actor, run_id: str) -> dict[str, rules.Value]:
        """A run's stored answers by step id, as stored (not formatted)."""
        with self._session() as session:
            return repo.load_answers(session, run_id=self._owned_run(session, coach, run_id).id)

    def step_of(self, coach: Actor, run_id: str, step_id: str) -> tuple[Protocol, rules.Value | None]:
        """The protocol and current answer behind an "Edit" button."""
        with self._session() as session:
            run = self._owned_run(session, coach, run_id)
            protocol = self._read(session, run)
            if protocol.step(step_id) is None:
                raise StaleSubmission(step_id)
            return protocol, repo.load_answers(session, run_id=run.id).get(step_id)

    def completed(self, coach: Actor, run_id: str) -> Completed:
        """A completed run's summary, for sharing or exporting."""
        with self._session() as session:
            run = self._owned_run(session, coach, run_id)
            if run.status is not RunStatus.COMPLETED:
                raise RunNotFound(run_id)
            protocol = self._protocol_of(session, run)
            return self._completed(
                session, run, protocol, repo.load_answers(session, run_id=run.id), newly=False
            )

    def delete(self, coach: Actor, run_id: str) -> None:
        with self._session() as session:
            run = self._owned_run(session, coach, run_id)
            if round_repo.round_for_framing(session, run_id=run.id) is not None:
                raise FramesARound(run.id)
            repo.delete_run(session, run_id=run.id)

    def record_share(
        self, coach: Actor, run_id: str, *, audience: ShareAudience, channel_id: str, message_ts: list[str]
    ) -> None:
        with self._session() as session:
            run = self._owned_run(session, coach, run_id)
            repo.add_share(
                session,
                run_id=run.id,
                audience=audience,
                channel_id=channel_id,
                message_ts=message_ts,
                now=self._clock(),
            )

    def active_shares(self, coach: Actor, run_id: str) -> list[Share]:
        with self._session() as session:
            run = self._owned_run(session, coach, run_id)
            return list(repo.shares_of(session, run_id=run.id, active_only=True))

    def share_withdrawn(self, coach: Actor, run_id: str, share_id: str) -> None:
        with self._session() as session:
            run = self._owned_run(session, coach, run_id)
            if any(share.id == share_id for share in repo.shares_of(session, run_id=run.id)):
                repo.mark_withdrawn(session, share_id=share_id, now=self._clock())

    def _summary(self, protocol: Protocol, run: ProtocolRun, answers: dict[str, rules.Value]) -> str:
        """In the reader's language: the template, the prompts and option labels are theirs;
        the answers are as written."""
        protocol = protocol.in_language(i18n.current())
        readable = {}
        for step_id, value in answers.items():
            step = protocol.step(step_id)
            if step is not None:
                readable[step_id] = rules.display(step, value)
        return render_summary(protocol, readable, started_at=run.started_at, completed_at=run.completed_at)

    def _completed(
        self,
        session: Session,
        run: ProtocolRun,
        protocol: Protocol,
        answers: dict[str, rules.Value],
        *,
        newly: bool,
    ) -> Completed:
        summary = self._summary(protocol, run, answers)
        spoken = protocol.in_language(i18n.current())
        return Completed(run.id, spoken, summary, run.completed_at, newly, self._client_ref(session, run))


def owned_client(session: Session, coach: Actor, client_id: str) -> Client:
    """The coach's client by id; anyone else's client id reads as not found."""
    client = client_repo.get_client(session, client_id=client_id)
    if client is None or (client.team_id, client.coach_id) != (coach.team_id, coach.user_id):
        raise ClientNotFound(client_id)
    return client


def decode_ts(share: Share) -> list[str]:
    return json.loads(share.message_ts)
