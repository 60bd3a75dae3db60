"""The bot's kept-alive Slack client sends a request again only when Slack cannot have taken it:
a post whose answer never came is "no answer", not a second post in the channel."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackClientError

from bot.slack_http import KeepAliveWebClient
from tests.conftest import BOT_TOKEN

CHANNEL = "C0KEEPALIVE"


def client_for(slack) -> KeepAliveWebClient:
    return KeepAliveWebClient(token=BOT_TOKEN, base_url=slack.url, timeout=2)


def posted(slack) -> list[str]:
    return [call.args["text"] for call in slack.calls_to("chat.postMessage")]


def test_a_post_taken_but_never_answered_is_posted_once_and_reported(slack) -> None:
    client = client_for(slack)
    client.chat_postMessage(channel=CHANNEL, text="first")  # the connection is now kept alive
    slack.hang_next("chat.postMessage", 0)  # Slack posts it, then the connection closes unanswered
    with pytest.raises((SlackClientError, OSError)):
        client.chat_postMessage(channel=CHANNEL, text="second")
    assert posted(slack) == ["first", "second"]
    # The next call goes out on a fresh connection and is answered.
    assert client.chat_postMessage(channel=CHANNEL, text="third")["ok"]
    assert posted(slack) == ["first", "second", "third"]


def test_a_connection_the_server_closed_while_idle_is_not_used_again(slack) -> None:
    client = client_for(slack)
    client.chat_postMessage(channel=CHANNEL, text="first")
    slack.close_idle_connections()
    assert client.chat_postMessage(channel=CHANNEL, text="second")["ok"]
    assert posted(slack) == ["first", "second"]
