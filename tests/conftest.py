"""Fixtures: a real database (SQLite and PostgreSQL), the fake Slack Web API, the real bolt app.

Every test that takes `database_url` (directly or through `bot`) runs once per backend.
PostgreSQL comes from a throwaway server started from the machine's binaries; where there are
none the PostgreSQL runs are skipped, unless COACHBOT_REQUIRE_POSTGRES=1 (as in CI) makes that
an error.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from bot.assembly import Bot, build_bot
from bot.config import Settings
from bot.server import bot_asgi
from bot.storage.db import make_engine, upgrade
from tests import slack_requests
from tests.clock import FakeClock
from tests.fake_slack import FakeSlack
from tests.postgres import PostgresServer, find_binaries

BOT_TOKEN = "xoxb-test-token"
_databases = itertools.count(1)


@pytest.fixture(autouse=True)
def machine_share(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Under pytest-xdist the tests share the machine's cores; a `timed` test (one that asserts
    how long something took, or how far apart) has them to itself, so another worker's load
    cannot make the bot look slow. Two locks across the workers: every test passes a turnstile
    and holds the room shared; a timed test holds the turnstile, so no test starts behind it, and
    waits for the room alone."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    shared = tmp_path_factory.getbasetemp().parent
    timed = request.node.get_closest_marker("timed") is not None
    turnstile = _locked(shared / "machine.turnstile", fcntl.LOCK_EX)
    room = _locked(shared / "machine.room", fcntl.LOCK_EX if timed else fcntl.LOCK_SH)
    if not timed:
        os.close(turnstile)
    try:
        yield
    finally:
        os.close(room)
        if timed:
            os.close(turnstile)


def _locked(path: Path, mode: int) -> int:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, mode)
    return descriptor


@pytest.fixture(scope="session", autouse=True)
def default_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default database lives in the user's data folder; a test that uses the default (or a
    process it starts) gets a throwaway one instead."""
    path = tmp_path_factory.mktemp("xdg-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(path))
        yield path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    binaries = find_binaries()
    if binaries is None:
        if os.environ.get("COACHBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail("COACHBOT_REQUIRE_POSTGRES=1 but no PostgreSQL binaries (initdb) were found")
        pytest.skip("no PostgreSQL binaries on this machine (install postgresql to run these)")
    server = PostgresServer(binaries)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    admin_url = postgres_server.admin_url
    with psycopg.connect(_libpq(admin_url), autocommit=True) as admin:
        admin.execute("CREATE DATABASE coachbot_template")
    engine = make_engine(_with_database(admin_url, "coachbot_template"))
    upgrade(engine)
    engine.dispose()
    return admin_url


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with every migration applied, copied from a template made once."""
    if request.param == "sqlite":
        path = tmp_path / "coachbot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin_url = request.getfixturevalue("postgres_template")
    name = f"test_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE coachbot_template")
    yield _with_database(admin_url, name)
    with psycopg.connect(_libpq(admin_url), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[FakeSlack]:
    server = FakeSlack(token=BOT_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def slack(fake_slack_server: FakeSlack) -> FakeSlack:
    fake_slack_server.reset()
    for user in (slack_requests.COACH, slack_requests.OTHER_COACH):
        fake_slack_server.add_user(user, tz="America/Los_Angeles")
    return fake_slack_server


class TrackingExecutor(ThreadPoolExecutor):
    """The listener pool, able to say when the work after every ack has finished, so tests wait
    on completion instead of on the clock."""

    def __init__(self) -> None:
        super().__init__(max_workers=16, thread_name_prefix="test-listener")
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn, /, *args, **kwargs):
        with self._idle:
            self._pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> None:
        with self._idle:
            if not self._idle.wait_for(lambda: self._pending == 0, timeout=timeout):
                raise AssertionError("listener work did not finish")


def make_settings(database_url: str, slack: FakeSlack, **overrides) -> Settings:
    values = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": slack_requests.SIGNING_SECRET,
        "slack_app_token": None,
        "slack_api_url": slack.url,
        "database_url": database_url,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bot(database_url: str, slack: FakeSlack, clock: FakeClock) -> Iterator[Bot]:
    executor = TrackingExecutor()
    settings = make_settings(database_url, slack)
    # No pacing: tests count messages, they do not time them (bench/dispatch.py does).
    bot = build_bot(
        settings,
        clock=clock,
        migrate=False,
        listener_executor=executor,
        home_executor=executor,
        home_settle_seconds=0,
        pace_per_second=None,
    )
    bot.idle = executor.wait_idle
    yield bot
    executor.wait_idle()
    executor.shutdown()
    bot.engine.dispose()


class SlackClient:
    """Posts signed requests to the bot's HTTP endpoint the way Slack does."""

    def __init__(self, http: TestClient, bot: Bot) -> None:
        self.http = http
        self.bot = bot

    def send(self, request: slack_requests.SlackRequest, *, wait: bool = True, **signing):
        response = self.http.post("/slack/events", content=request.body, headers=request.headers(**signing))
        if wait:
            self.bot.idle()
        return response


@pytest.fixture
def slack_http(bot: Bot) -> Iterator[SlackClient]:
    with TestClient(bot_asgi(bot, run_scheduler=False)) as http:
        yield SlackClient(http, bot)
