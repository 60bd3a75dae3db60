"""Configuration from the environment (and `.env`), the variables README.md lists.

Secrets are `SecretStr` so that printing or logging the settings never shows them. A value that
cannot be right (a port that is not a number, a bot token that is not `xoxb-`, a database URL
that is not one) is refused as the settings are read, with one line naming the variable.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.storage.crypto import Keyring

REPO_ROOT = Path(__file__).resolve().parent.parent
README_SETUP = "README.md, section 'Create the Slack app'"
README_CONFIG = "README.md, section 'Configuration'"
DATABASE_EXAMPLES = (
    "sqlite:////var/lib/coachbot/coachbot.db or postgresql+psycopg://user:password@host/coachbot"
)


class SetupError(Exception):
    """A mistake in how the bot is set up (a variable, a token, the database, the protocols). The
    message is the one line the operator sees: what is wrong, naming the variable, and what to do."""


class MissingSetting(SetupError):
    """A variable the chosen mode needs is unset."""


def data_dir() -> Path:
    """Where the default SQLite database lives: one per-user folder, the same whichever folder the
    bot is started from (XDG on Linux and BSD, the platform's own elsewhere)."""
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local")) / "coachbot"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "coachbot"
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "coachbot"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'coachbot.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = ""
    host: str = "0.0.0.0"
    port: int = 3000
    health_port: int | None = None
    protocols_dir: Path | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Days after which what is finished or closed (completed runs, answered or missed check-ins,
    # closed rounds) is deleted by a daily job; unset keeps everything.
    retention_days: int | None = None
    # Fernet keys, newest first: the first encrypts, every one decrypts.
    encryption_key: SecretStr | None = None
    # Slack user ids, comma-separated, of those who may see the program's counts (`/coach program`).
    program_leads: str = ""

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "health_port",
        "protocols_dir",
        "retention_days",
        "encryption_key",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`VAR=` in a .env or compose file means "not set", not "set to nothing"."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError(
                "is not a bot token (those start with xoxb-): copy the Bot User OAuth Token from your "
                f"app's 'OAuth & Permissions' page; see {README_SETUP}."
            )
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError(
                "is not an app-level token (those start with xapp-): create one with the "
                f"connections:write scope under 'Basic Information' > App-Level Tokens; see {README_SETUP}."
            )
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/; unset it to use Slack's")
        return value if value.endswith("/") else f"{value}/"

    @field_validator("encryption_key")
    @classmethod
    def _keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                Keyring.parse(value.get_secret_value())
            except ValueError:
                raise ValueError(
                    "is not a comma-separated list of keys (newest first) as `coachbot keys new` makes "
                    "them; see README.md, section 'Encryption at rest'."
                ) from None
        return value

    @field_validator("program_leads")
    @classmethod
    def _leads(cls, value: str) -> str:
        for lead in (part.strip() for part in value.split(",")):
            if lead and not re.fullmatch(r"[UW][A-Z0-9]{2,}", lead):
                raise ValueError(
                    "must be Slack user ids separated by commas (U0123ABCD,U0456EFGH): copy each from "
                    "the person's Slack profile, 'Copy member ID'"
                )
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.strip():
            return default_database_url()
        try:
            url = make_url(value.strip())
        except ArgumentError:
            raise ValueError(f"is not a database URL: write one like {DATABASE_EXAMPLES}") from None
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")  # the driver this package installs
        if url.drivername not in ("sqlite", "postgresql+psycopg"):
            raise ValueError(
                f"uses {url.drivername}, which this bot does not run on: write one like {DATABASE_EXAMPLES}"
            )
        if url.drivername == "sqlite" and not url.database:
            raise ValueError(f"names no SQLite file: write one like {DATABASE_EXAMPLES}")
        return url.render_as_string(hide_password=False)

    @field_validator("port", "health_port")
    @classmethod
    def _port(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 65535:
            raise ValueError("must be a port number from 1 to 65535")
        return value

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be a number of days, 1 or more (unset keeps everything)")
        return value

    def keyring(self) -> Keyring | None:
        """The keys free text is encrypted with, or None to store it as typed."""
        return Keyring.parse(self.encryption_key.get_secret_value()) if self.encryption_key else None

    @property
    def program_lead_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.program_leads.split(",") if part.strip())

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def require_serving(self) -> None:
        """Fail with one line naming the first missing variable for the mode the settings select."""
        if self.slack_bot_token is None:
            raise MissingSetting(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your app's "
                f"'OAuth & Permissions' page; see {README_SETUP}."
            )
        if not self.socket_mode and self.slack_signing_secret is None:
            raise MissingSetting(
                "SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is not set: set SLACK_APP_TOKEN (xapp-..., "
                "'Basic Information' > App-Level Tokens) for Socket Mode, or SLACK_SIGNING_SECRET "
                f"('Basic Information' > Signing Secret) to serve HTTP; see {README_SETUP}."
            )


SECRET_FIELDS = {
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "database_url",
    "encryption_key",
}


def load_settings() -> Settings:
    """The settings, or a SetupError naming the first variable whose value cannot be right. A
    secret's value (or a database URL, which may carry a password) is never repeated."""
    try:
        return Settings()
    except ValidationError as invalid:
        error = invalid.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "a setting"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "literal_error":
            message = message.replace("Input should be", "must be")
        elif error["type"] in ("int_parsing", "int_type"):
            message = "must be a whole number"
        line = (
            f"{name} {message}"
            if name.lower() in SECRET_FIELDS
            else f"{name} is {error['input']!r}: {message}"
        )
        raise SetupError(line if "README" in line else f"{line}; see {README_CONFIG}.") from None
