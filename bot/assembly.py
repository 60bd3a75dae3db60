"""Putting the parts together once per process: storage, catalog, services, bolt app, scheduler."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from sqlalchemy import Engine

from bot.actor import Actor, Clock
from bot.blocks.messages import draft_not_saved_messages
from bot.config import Settings, SetupError
from bot.handlers import register_all
from bot.handlers.deps import Deps
from bot.handlers.language import CarryContext
from bot.home_tab import HomeTab
from bot.logs import slack_library_logger
from bot.metrics import Metrics
from bot.protocols.catalog import Catalog
from bot.request_log import ObservedApp
from bot.scheduling import kinds
from bot.scheduling.dispatch import PACE_PER_SECOND, Dispatcher
from bot.scheduling.locales import LocaleReader
from bot.scheduling.rounds import RoundKeeper
from bot.scheduling.scheduler import IntervalJob, build_scheduler
from bot.scheduling.sender import CLAIM_TIMEOUT, Sender
from bot.services.checkins import CheckinService
from bot.services.clients import ClientService
from bot.services.data_rights import DataRights
from bot.services.drafts import DraftKeeper
from bot.services.export import Wording
from bot.services.guards import Guards
from bot.services.home import HomeService
from bot.services.languages import LanguageService
from bot.services.program import ProgramService
from bot.services.round_schedules import RoundScheduleService
from bot.services.rounds import RoundService
from bot.services.runs import PageAnswers, RunService
from bot.slack_checks import check_app_token, check_bot_token
from bot.slack_gateway import DeliveryFailed, SlackGateway, make_client
from bot.storage.db import open_database, upgrade
from bot.storage.models import utcnow
from bot.storage.sealing import check_keys

log = logging.getLogger(__name__)

# Listener threads do the work after ack (open a modal, write answers, send a DM). Slack waits
# 3 s for an ack; bolt's default of 5 threads queues acks behind slow work under load.
LISTENER_THREADS = 64
# A coach's Home is republished this long after a change, so that changes coming together (a
# leader's rating, then their answers; several leaders at nine) are published as one.
HOME_SETTLE_SECONDS = 0.5
MATERIALIZE_SECONDS = 300
DISPATCH_SECONDS = 5
ROUNDS_SECONDS = 15
DRAFTS_SECONDS = 15
LOCALES_SECONDS = 10
# Retention deletes what is older than a number of days: once a day is often enough.
RETENTION_SECONDS = 24 * 60 * 60


def tell_draft_lost(runs: RunService, gateway: SlackGateway, coach: Actor, given: PageAnswers) -> None:
    """A closed page the database never took: the coach gets it back in their DM."""
    messages = draft_not_saved_messages(runs.protocol(given.protocol_id), given.raw)
    try:
        gateway.post(channel=coach.user_id, messages=messages)
    except DeliveryFailed as failure:
        log.warning("coach not told of an unsaved draft: %s", failure.error)


@dataclass
class Bot:
    settings: Settings
    engine: Engine
    runs: RunService
    clients: ClientService
    checkins: CheckinService
    dispatcher: Dispatcher
    sender: Sender
    kinds: dict[str, kinds.Kind]
    rounds: RoundService
    keeper: RoundKeeper
    drafts: DraftKeeper
    gateway: SlackGateway
    app: App
    scheduler: BackgroundScheduler
    metrics: Metrics
    data_rights: DataRights
    home_tab: HomeTab
    languages: LanguageService
    locales: LocaleReader


def build_bot(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    migrate: bool = True,
    listener_executor: Executor | None = None,
    home_executor: Executor | None = None,
    home_settle_seconds: float = HOME_SETTLE_SECONDS,
    claim_timeout: timedelta = CLAIM_TIMEOUT,
    pace_per_second: float | None = PACE_PER_SECOND,
    materialize_seconds: float = MATERIALIZE_SECONDS,
    dispatch_seconds: float = DISPATCH_SECONDS,
    rounds_seconds: float = ROUNDS_SECONDS,
) -> Bot:
    """Everything one process runs, once every part of its setup has been checked (settings,
    protocols, database, tokens): a mistake is a SetupError before anything has started. The job
    intervals are parameters so that a test moving an injected clock through days can have the
    jobs keep up in seconds. Tests give their own executors (to wait for the work after a
    request) and no settling time."""
    settings.require_serving()
    catalog = Catalog.installed(settings.protocols_dir)
    engine = open_database(settings.database_url, settings.keyring())
    token = settings.slack_bot_token.get_secret_value()
    try:
        check_bot_token(token, settings.slack_api_url)
        if settings.socket_mode:
            check_app_token(settings.slack_app_token.get_secret_value(), settings.slack_api_url)
    except SetupError:
        engine.dispose()
        raise
    if migrate:
        upgrade(engine)
    try:
        check_keys(engine)
    except SetupError:
        engine.dispose()
        raise
    client = make_client(token=token, base_url=settings.slack_api_url)
    runs = RunService(engine=engine, catalog=catalog, clock=clock)
    runs.record_catalog()
    languages = LanguageService(engine=engine, clock=clock)
    clients = ClientService(
        engine=engine, catalog=runs.catalog, runs=runs, clock=clock, reader_changed=languages.forget
    )
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    app = ObservedApp(
        client=client,
        signing_secret=secret,
        logger=slack_library_logger(),
        # Each listener runs in the request's context: it speaks the language the middleware set.
        listener_executor=CarryContext(
            listener_executor
            or ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
        ),
    )
    metrics = Metrics(engine, clock)
    app.metrics = metrics
    gateway = SlackGateway(client, metrics)
    checkins = CheckinService(engine=engine, clock=clock)
    rounds = RoundService(engine=engine, runs=runs, clock=clock)
    round_schedules = RoundScheduleService(engine=engine, clock=clock)
    data_rights = DataRights(
        engine=engine,
        clock=clock,
        retention_days=settings.retention_days,
        reader_changed=languages.forget,
        wording=Wording(at=runs.protocol_at, latest=runs.catalog.get),
    )
    home = HomeService(engine=engine, catalog=runs.catalog, clock=clock)
    home_tab = HomeTab(
        home=home,
        gateway=gateway,
        protocols=runs.coach_protocols,
        languages=languages,
        # One thread: republishing Homes never takes more than one thread's share of the CPU
        # from the requests Slack is waiting on.
        executor=home_executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="home"),
        settle_seconds=home_settle_seconds,
    )
    locales = LocaleReader(languages=languages, gateway=gateway)
    registry = kinds.kinds(runs, checkins, rounds, round_schedules, data_rights, home_tab.changed, languages)
    dispatcher = Dispatcher(
        engine=engine,
        kinds=registry,
        gateway=gateway,
        clock=clock,
        claim_timeout=claim_timeout,
        pace_per_second=pace_per_second,
        metrics=metrics,
    )
    # The one sender of the outbox, which the dispatcher's pass runs too.
    sender = dispatcher.sender
    drafts = DraftKeeper(runs=runs, clock=clock)
    keeper = RoundKeeper(rounds=rounds, schedules=round_schedules, gateway=gateway, sender=sender)
    register_all(
        app,
        Deps(
            runs=runs,
            clients=clients,
            checkins=checkins,
            gateway=gateway,
            rounds=rounds,
            round_schedules=round_schedules,
            guards=Guards(engine=engine, clock=clock),
            drafts=drafts,
            sender=sender,
            data_rights=data_rights,
            program=ProgramService(
                engine=engine, catalog=runs.catalog, clock=clock, leads=settings.program_lead_ids
            ),
            home=home,
            home_tab=home_tab,
            languages=languages,
        ),
    )
    jobs = [
        IntervalJob("materialize-checkins", checkins.materialize, materialize_seconds),
        IntervalJob("read-locales", locales.run_once, LOCALES_SECONDS),
        IntervalJob("send-owed", dispatcher.run_once, dispatch_seconds),
        IntervalJob("keep-rounds", keeper.run_once, rounds_seconds),
        IntervalJob(
            "write-kept-drafts",
            partial(drafts.flush, partial(tell_draft_lost, runs, gateway)),
            DRAFTS_SECONDS,
        ),
    ]
    at_start = {"catch-up-rounds": metrics.timed("catch-up-rounds", keeper.catch_up)}
    if settings.retention_days is not None:
        jobs.append(IntervalJob("apply-retention", data_rights.apply_retention, RETENTION_SECONDS))
        # At start too: a bot restarted more often than daily would otherwise never get to it.
        at_start["retention-at-start"] = metrics.timed("apply-retention", data_rights.apply_retention)
    scheduler = build_scheduler(
        [IntervalJob(job.id, metrics.timed(job.id, job.func), job.seconds) for job in jobs], at_start=at_start
    )
    return Bot(
        settings=settings,
        engine=engine,
        runs=runs,
        clients=clients,
        checkins=checkins,
        dispatcher=dispatcher,
        sender=sender,
        kinds=registry,
        rounds=rounds,
        keeper=keeper,
        drafts=drafts,
        gateway=gateway,
        app=app,
        scheduler=scheduler,
        metrics=metrics,
        data_rights=data_rights,
        home_tab=home_tab,
        languages=languages,
        locales=locales,
    )
