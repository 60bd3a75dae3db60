"""What one Slack workspace holds, as the Web API methods read and change it.

The method families (chat.py, conversations.py, views.py, files.py, identity.py) extend this
class, so each sees the same messages, views, files, users and channels; the fake adds the lock
(every method here runs with it held) and the HTTP side.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from typing import Any

from tests.fake_slack.triggers import Triggers
from tests.fake_slack.wire import ApiError, Json

BOT_ID = "B0001"
APP_ID = "A0001"
TEAM_DOMAIN = "fake-workspace"


class Workspace:
    """Messages by channel, views and files are public so tests can read what the bot did."""

    def __init__(self, *, bot_user_id: str, team_id: str, clock: Callable[[], float]) -> None:
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.messages: dict[str, list[dict]] = {}
        self.views: dict[str, dict] = {}
        self.files: dict[str, dict] = {}
        self._users: dict[str, Json] = {}
        # Channel id -> its members, for channels a test set up; posting in one of them needs
        # the bot among the members, as in Slack (not_in_channel).
        self._members: dict[str, list[str]] = {}
        self._home_views: dict[str, str] = {}
        self._pending_uploads: dict[str, Json] = {}
        self._triggers = Triggers(clock)
        self._counter = 0
        self._last_ts_micros = 0

    def _next_number(self) -> int:
        self._counter += 1
        return self._counter

    def _next_ts(self) -> str:
        """Wall-clock based like Slack's, bumped so every ts is unique and increasing."""
        micros = max(int(time.time() * 1_000_000), self._last_ts_micros + 1)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    @staticmethod
    def _dm_channel_for(channel: str) -> str:
        """Posting to a user id means their DM; the D id is derived so tests can predict it."""
        if channel[:1] in ("U", "W"):
            return "D" + channel[1:]
        return channel

    def _require_channel(self, args: Json) -> str:
        channel = args.get("channel")
        if not channel or not isinstance(channel, str):
            raise ApiError("channel_not_found")
        return channel

    def _find_message(self, channel: str, ts: Any) -> Json:
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise ApiError("message_not_found")

    def _threads(self, channel: str) -> dict[str, list[Json]]:
        """Parent ts -> its replies in order, built once per response."""
        threads: dict[str, list[Json]] = {}
        for message in self.messages.get(channel, []):
            if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
                threads.setdefault(message["thread_ts"], []).append(message)
        return threads

    @staticmethod
    def _render_message(message: Json, threads: Mapping[str, list[Json]], *, include_metadata: bool) -> Json:
        """A stored message as the API returns it: no null fields, thread summary on parents."""
        out = {k: copy.deepcopy(v) for k, v in message.items() if v is not None}
        if not include_metadata:
            out.pop("metadata", None)
        replies = threads.get(message["ts"])
        if replies:
            out["thread_ts"] = message["ts"]
            out["reply_count"] = len(replies)
            out["reply_users"] = sorted({r["user"] for r in replies})
            out["latest_reply"] = replies[-1]["ts"]
        return out
