"""conversations.*: opening DMs and group DMs, reading history and threads, listing members.

History pages newest first with Slack's opaque cursors, and thread replies stay out of it
unless broadcast, so a bot reading back what it posted sees what it would see in Slack.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from tests.fake_slack.wire import ApiError, Json, truthy, ts_micros
from tests.fake_slack.workspace import Workspace


def _encode_cursor(ts: str) -> str:
    return base64.urlsafe_b64encode(f"next_ts:{ts}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError("invalid_cursor") from None
    if not text.startswith("next_ts:"):
        raise ApiError("invalid_cursor")
    return ts_micros(text[len("next_ts:") :], "invalid_cursor")


def _limit(args: Json, *, default: int, maximum: int) -> int:
    try:
        limit = int(args.get("limit") or default)
    except (TypeError, ValueError):
        raise ApiError("invalid_limit") from None
    return default if limit <= 0 else min(limit, maximum)


class ConversationMethods(Workspace):
    def _conversations_members(self, args: Json) -> Json:
        channel = self._require_channel(args)
        if channel not in self._members:
            raise ApiError("channel_not_found")
        return {"members": list(self._members[channel]), "response_metadata": {"next_cursor": ""}}

    def _conversations_open(self, args: Json) -> Json:
        if args.get("channel"):
            return {"channel": {"id": str(args["channel"])}}
        users = args.get("users")
        if isinstance(users, str):
            users = [u.strip() for u in users.split(",") if u.strip()]
        if not users:
            raise ApiError("users_list_not_supplied")
        if len(users) > 8:
            raise ApiError("too_many_users")
        for user_id in users:
            user = self._users.get(user_id)
            if user is not None and user["deleted"]:
                raise ApiError("user_disabled")
        if len(users) == 1:
            return {"channel": {"id": self._dm_channel_for(users[0]), "is_im": True, "user": users[0]}}
        digest = hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()
        return {"channel": {"id": f"G{digest}", "is_im": False, "is_mpim": True}}

    def _conversations_history(self, args: Json) -> Json:
        channel = self._require_channel(args)
        limit = _limit(args, default=100, maximum=999)
        include_metadata = truthy(args.get("include_all_metadata"))
        inclusive = truthy(args.get("inclusive"))
        oldest = ts_micros(args["oldest"], "invalid_ts_oldest") if args.get("oldest") else None
        latest = ts_micros(args["latest"], "invalid_ts_latest") if args.get("latest") else None
        before = _decode_cursor(str(args["cursor"])) if args.get("cursor") else None

        def wanted(message: Json) -> bool:
            if message.get("thread_ts") not in (None, message["ts"]) and not message.get("reply_broadcast"):
                return False  # thread replies live in conversations.replies
            ts = ts_micros(message["ts"], "invalid_ts_latest")
            if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
                return False
            if latest is not None and (ts > latest or (ts == latest and not inclusive)):
                return False
            return before is None or ts < before

        newest_first = [m for m in reversed(self.messages.get(channel, [])) if wanted(m)]
        page = newest_first[:limit]
        has_more = len(newest_first) > limit
        threads = self._threads(channel)
        return {
            "messages": [self._render_message(m, threads, include_metadata=include_metadata) for m in page],
            "has_more": has_more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": _encode_cursor(page[-1]["ts"]) if has_more else ""},
        }

    def _conversations_replies(self, args: Json) -> Json:
        channel = self._require_channel(args)
        if not args.get("ts"):
            raise ApiError("thread_not_found")
        try:
            message = self._find_message(channel, args["ts"])
        except ApiError:
            raise ApiError("thread_not_found") from None
        parent_ts = message.get("thread_ts") or message["ts"]
        try:
            parent = self._find_message(channel, parent_ts)
        except ApiError:
            raise ApiError("thread_not_found") from None
        threads = self._threads(channel)
        thread = [parent, *threads.get(parent_ts, [])]
        limit = _limit(args, default=1000, maximum=1000)
        include_metadata = truthy(args.get("include_all_metadata"))
        return {
            "messages": [
                self._render_message(m, threads, include_metadata=include_metadata) for m in thread[:limit]
            ],
            "has_more": len(thread) > limit,
            "response_metadata": {"next_cursor": ""},
        }
