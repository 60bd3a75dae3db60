"""The app manifest an administrator installs matches what the code listens to."""

from __future__ import annotations

import json

from bot.config import REPO_ROOT
from bot.ids import COMMAND, CallbackId
from tests import slack_requests as sr

MANIFEST = json.loads((REPO_ROOT / "manifest.json").read_text())


def test_command_interactivity_home_and_socket_mode():
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert commands == [COMMAND]
    assert MANIFEST["features"]["slash_commands"][0]["should_escape"] is True
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True


def test_least_privilege_scopes():
    # DMs and shares, the command, export files in the coach's DM, leaders' names; a Coach
    # Collaborative's channel: its members (read) and its round threads (history, for the
    # message events and the one catch-up read after a restart), public or private; the bot's
    # own DMs' history (im:history), where a dispatcher that died looks for what it sent.
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == [
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
    ]


def test_every_subscribed_event_has_a_listener(slack_http, slack):
    """An unhandled event gets a 404 from bolt and Slack retries it: every subscription is handled."""
    for subscription in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        # "message.channels" is the subscription; the event itself is of type "message".
        event_type = subscription.split(".")[0]
        inner = {"type": event_type, "user": sr.COACH, "tab": "home", "event_ts": "1.0", "channel": "C1"}
        assert slack_http.send(sr.event(inner)).status_code == 200, subscription


def test_every_shortcut_has_a_listener():
    shortcuts = {s["callback_id"] for s in MANIFEST["features"]["shortcuts"]}
    assert shortcuts == {CallbackId.WITHDRAW_REPLY}


def test_the_doctor_and_the_fake_slack_know_the_manifest_scopes():
    from bot.doctor import REQUIRED_SCOPES
    from tests.fake_slack import manifest_scopes

    assert set(REQUIRED_SCOPES) == manifest_scopes() == set(MANIFEST["oauth_config"]["scopes"]["bot"])
