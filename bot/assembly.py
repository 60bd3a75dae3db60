"""Putting the parts together once per process: storage, catalog, services, bolt app, scheduler."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from sqlalchemy import Engine

from bot.config import Settings
from bot.handlers import register_all
from bot.handlers.deps import Deps
from bot.logs import slack_library_logger
from bot.protocols.catalog import Catalog
from bot.scheduling import kinds
from bot.scheduling.dispatch import CLAIM_TIMEOUT, PACE_PER_SECOND, Dispatcher
from bot.scheduling.rounds import RoundKeeper
from bot.scheduling.scheduler import IntervalJob, build_scheduler
from bot.scheduling.sender import Sender
from bot.services.checkins import CheckinService
from bot.services.clients import ClientService
from bot.services.round_schedules import RoundScheduleService
from bot.services.rounds import RoundService
from bot.services.runs import Clock, RunService
from bot.slack_gateway import SlackGateway, make_client
from bot.storage.db import make_engine, upgrade
from bot.storage.models import utcnow

# Listener threads do the work after ack (open a modal, write answers, send a DM). Slack waits
# 3 s for an ack; bolt's default of 5 threads queues acks behind slow work under load.
LISTENER_THREADS = 64
MATERIALIZE_SECONDS = 300
DISPATCH_SECONDS = 5
ROUNDS_SECONDS = 15


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
    gateway: SlackGateway
    app: App
    scheduler: BackgroundScheduler


def build_bot(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    migrate: bool = True,
    listener_executor: Executor | None = None,
    claim_timeout: timedelta = CLAIM_TIMEOUT,
    pace_per_second: float | None = PACE_PER_SECOND,
    materialize_seconds: float = MATERIALIZE_SECONDS,
    dispatch_seconds: float = DISPATCH_SECONDS,
) -> Bot:
    """Everything one process runs. The job intervals are parameters so that a test moving an
    injected clock through days can have the jobs keep up in seconds."""
    settings.require_serving()
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    runs = RunService(engine=engine, catalog=Catalog.load(settings.protocols_dir), clock=clock)
    runs.record_catalog()
    clients = ClientService(engine=engine, catalog=runs.catalog, runs=runs, clock=clock)
    client = make_client(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    app = App(
        client=client,
        signing_secret=secret,
        logger=slack_library_logger(),
        listener_executor=listener_executor
        or ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"),
    )
    gateway = SlackGateway(client)
    checkins = CheckinService(engine=engine, clock=clock)
    rounds = RoundService(engine=engine, runs=runs, clock=clock)
    round_schedules = RoundScheduleService(engine=engine, clock=clock)
    registry = kinds.kinds(runs, checkins, rounds, round_schedules)
    dispatcher = Dispatcher(
        engine=engine,
        checkins=checkins,
        kinds=registry,
        gateway=gateway,
        clock=clock,
        claim_timeout=claim_timeout,
        pace_per_second=pace_per_second,
    )
    # The one sender of the outbox, which the dispatcher's pass runs too.
    sender = dispatcher.sender
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
            keeper=keeper,
            sender=sender,
        ),
    )
    scheduler = build_scheduler(
        [
            IntervalJob("materialize-checkins", checkins.materialize, materialize_seconds),
            IntervalJob("send-owed", dispatcher.run_once, dispatch_seconds),
            IntervalJob("keep-rounds", keeper.run_once, ROUNDS_SECONDS),
        ],
        at_start={"catch-up-rounds": keeper.catch_up},
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
        gateway=gateway,
        app=app,
        scheduler=scheduler,
    )
