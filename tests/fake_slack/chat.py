"""chat.*: posting, updating and deleting the bot's messages, ephemeral replies, permalinks."""

from __future__ import annotations

import copy

from tests.fake_slack.content import check_message
from tests.fake_slack.wire import ApiError, Json, truthy
from tests.fake_slack.workspace import APP_ID, BOT_ID, TEAM_DOMAIN, Workspace


class ChatMethods(Workspace):
    def _chat_post_message(self, args: Json) -> Json:
        requested = self._require_channel(args)
        channel = self._dm_channel_for(requested)
        if channel in self._members and self.bot_user_id not in self._members[channel]:
            raise ApiError("not_in_channel")
        if channel != requested:
            user = self._users.get(requested)
            if user is not None and user["deleted"]:
                raise ApiError("account_inactive")
        check_message(args)
        message: Json = {
            "type": "message",
            "ts": self._next_ts(),
            "user": self.bot_user_id,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self.team_id,
            "text": str(args.get("text") or ""),
            "blocks": copy.deepcopy(args.get("blocks")) or None,
            "attachments": copy.deepcopy(args.get("attachments")) or None,
            "metadata": copy.deepcopy(args.get("metadata")) or None,
            "thread_ts": str(args["thread_ts"]) if args.get("thread_ts") else None,
            "reply_broadcast": True
            if args.get("thread_ts") and truthy(args.get("reply_broadcast"))
            else None,
        }
        self.messages.setdefault(channel, []).append(message)
        return {
            "channel": channel,
            "ts": message["ts"],
            "message": self._render_message(message, self._threads(channel), include_metadata=True),
        }

    def _chat_post_ephemeral(self, args: Json) -> Json:
        self._require_channel(args)
        if not args.get("user"):
            raise ApiError("user_not_found")
        check_message(args)
        return {"message_ts": self._next_ts()}

    def _chat_update(self, args: Json) -> Json:
        channel = self._require_channel(args)
        message = self._find_message(channel, args.get("ts"))
        check_message(args)
        if "text" in args:
            message["text"] = str(args["text"] or "")
        for key in ("blocks", "attachments", "metadata"):
            if key in args:
                message[key] = copy.deepcopy(args[key]) or None  # an empty list removes them
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": self._render_message(message, self._threads(channel), include_metadata=True),
        }

    def _chat_delete(self, args: Json) -> Json:
        channel = self._require_channel(args)
        message = self._find_message(channel, args.get("ts"))
        self.messages[channel].remove(message)
        return {"channel": channel, "ts": message["ts"]}

    def _chat_get_permalink(self, args: Json) -> Json:
        channel = self._require_channel(args)
        message = self._find_message(channel, args.get("message_ts"))
        permalink = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{message['ts'].replace('.', '')}"
        if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
            permalink += f"?thread_ts={message['thread_ts']}&cid={channel}"
        return {"channel": channel, "permalink": permalink}
