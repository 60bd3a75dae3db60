"""`coachbot doctor`: every part of the setup an administrator can get wrong, checked in turn.

Unlike `serve`, which stops at the first mistake, the doctor goes on and reports each check,
so one run shows everything left to fix. It does not migrate the database.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError

from bot.config import Settings, SetupError
from bot.protocols.catalog import Catalog
from bot.slack_checks import check_app_token, check_bot_token
from bot.storage.db import alembic_config, open_database
from bot.storage.sealing import check_keys

# The bot token scopes manifest.json asks for (tests/test_manifest.py keeps the two the same).
REQUIRED_SCOPES = (
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "files:write",
    "groups:history",
    "groups:read",
    "im:history",
    "im:write",
    "users:read",
)
# A zone every check-in schedule's arithmetic needs to be right about, DST and all.
PROBE_ZONE = "America/New_York"


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


def _slack(settings: Settings) -> str:
    if settings.slack_bot_token is None:
        raise SetupError("SLACK_BOT_TOKEN is not set")
    identity = check_bot_token(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    missing = sorted(set(REQUIRED_SCOPES) - identity.scopes)
    if missing:
        raise SetupError(
            f"the token lacks {', '.join(missing)}: add them under 'OAuth & Permissions' > Scopes (or "
            "paste manifest.json again), then reinstall the app and copy the new token"
        )
    return f"valid for team {identity.team_id}, every scope manifest.json asks for"


def _mode(settings: Settings) -> str:
    settings.require_serving()
    if settings.socket_mode:
        check_app_token(settings.slack_app_token.get_secret_value(), settings.slack_api_url)
        health = f", /healthz on port {settings.health_port}" if settings.health_port else ", no HEALTH_PORT"
        return f"Socket Mode, SLACK_APP_TOKEN accepted{health}"
    return f"HTTP on {settings.host}:{settings.port}, SLACK_SIGNING_SECRET set"


def _database(settings: Settings) -> str:
    engine = open_database(settings.database_url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    finally:
        engine.dispose()
    if current != head:
        raise SetupError(
            f"reachable, at migration {current or 'none'} of {head}: run `coachbot db upgrade` "
            "(serve also does it as it starts)"
        )
    return f"reachable, migrated to {head}"


def _encryption(settings: Settings) -> str:
    """The keys open what the database holds encrypted (what `serve` checks as it starts)."""
    keyring = settings.keyring()
    engine = open_database(settings.database_url, keyring)
    try:
        check_keys(engine)
    except DBAPIError:
        raise SetupError("not checked: the database is not migrated yet (see database)") from None
    finally:
        engine.dispose()
    return "on, ENCRYPTION_KEY opens the stored text" if keyring else "off: free text is stored as typed"


def _protocols(settings: Settings) -> str:
    catalog = Catalog.installed(settings.protocols_dir)
    return f"{len(catalog)} valid" + (f", with {settings.protocols_dir}" if settings.protocols_dir else "")


def _time_zones(_: Settings) -> str:
    try:
        zoneinfo.ZoneInfo(PROBE_ZONE)
    except zoneinfo.ZoneInfoNotFoundError:
        raise SetupError("no time zone data: install the tzdata package (pip install tzdata)") from None
    return f"{len(zoneinfo.available_timezones())} zones"


CHECKS: tuple[tuple[str, Callable[[Settings], str]], ...] = (
    ("slack token", _slack),
    ("slack mode", _mode),
    ("database", _database),
    ("encryption", _encryption),
    ("protocols", _protocols),
    ("time zones", _time_zones),
)


def examine(settings: Settings) -> Iterator[Finding]:
    for name, check in CHECKS:
        try:
            yield Finding(name, True, check(settings))
        except SetupError as problem:
            yield Finding(name, False, str(problem).splitlines()[0])
