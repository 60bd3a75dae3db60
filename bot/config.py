"""Configuration from the environment (and `.env`), exactly the variables DESIGN.md lists.

Secrets are `SecretStr` so that printing or logging the settings never shows them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
README_SETUP = "README.md, section 'Create the Slack app'"


class SetupError(Exception):
    """A mistake in how the bot is set up (a variable, a token, the database, the protocols). The
    message is the one line the operator sees: what is wrong, naming the variable, and what to do."""


class MissingSetting(SetupError):
    """A variable the chosen mode needs is unset."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = f"sqlite:///{Path('data') / 'coachbot.db'}"
    port: int = 3000
    protocols_dir: Path | None = None

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
