"""Asking Slack, before anything starts, whether the tokens are the right ones.

A wrong or revoked token otherwise shows up as a traceback from deep inside the Slack libraries
(for the app token, only once the scheduler is already running). Each check turns Slack's answer
into one line naming the variable and what to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import README_SETUP, SetupError

REVOKED = {"token_revoked", "account_inactive", "token_expired", "app_uninstalled", "team_disabled"}


@dataclass(frozen=True)
class BotIdentity:
    team_id: str
    user_id: str
    scopes: frozenset[str]


def _quiet_client(token: str, api_url: str) -> WebClient:
    """A client whose failures reach the operator only as the check's one line: slack_sdk would
    log its own ERROR line for an unreachable server first."""
    quiet = logging.getLogger("coachbot.slack.checks")
    quiet.setLevel(logging.CRITICAL)
    quiet.propagate = False
    return WebClient(token=token, base_url=api_url, timeout=10, logger=quiet)


def check_bot_token(token: str, api_url: str) -> BotIdentity:
    """auth.test with SLACK_BOT_TOKEN; its x-oauth-scopes header says what the token may do."""
    try:
        response = _quiet_client(token, api_url).auth_test()
    except SlackApiError as refused:
        raise SetupError(_refused("SLACK_BOT_TOKEN", _code(refused))) from None
    except OSError as unreachable:
        raise SetupError(_unreachable(api_url, unreachable)) from None
    headers = {name.lower(): value for name, value in response.headers.items()}
    scopes = {s.strip() for s in headers.get("x-oauth-scopes", "").split(",") if s.strip()}
    return BotIdentity(team_id=response["team_id"], user_id=response["user_id"], scopes=frozenset(scopes))


def check_app_token(app_token: str, api_url: str) -> None:
    """apps.connections.open with SLACK_APP_TOKEN, the call Socket Mode starts with. The URL it
    gives out is left unused; Socket Mode asks for its own."""
    try:
        _quiet_client(app_token, api_url).apps_connections_open(app_token=app_token)
    except SlackApiError as refused:
        raise SetupError(_refused("SLACK_APP_TOKEN", _code(refused))) from None
    except OSError as unreachable:
        raise SetupError(_unreachable(api_url, unreachable)) from None


def _code(error: SlackApiError) -> str:
    return str(error.response.get("error") or f"HTTP {error.response.status_code}")


def _refused(variable: str, code: str) -> str:
    if code in REVOKED:
        what = (
            "it was revoked or the app was removed: reinstall the app to the workspace and copy the new token"
        )
    elif code == "not_allowed_token_type":
        what = (
            "it is not a bot token: copy the Bot User OAuth Token (xoxb-...) from 'OAuth & Permissions'"
            if variable == "SLACK_BOT_TOKEN"
            else "it is not an app-level token: create one with connections:write under 'Basic Information'"
            " > App-Level Tokens"
        )
    else:
        what = "copy it again from your app's settings"
    return f"Slack refused {variable} ({code}); {what}; see {README_SETUP}."


def _unreachable(api_url: str, error: OSError) -> str:
    reason = getattr(error, "reason", None) or error.strerror or type(error).__name__
    return (
        f"cannot reach Slack at {api_url} ({reason}): check this machine's network and proxy, or "
        "SLACK_API_URL if you set it."
    )
