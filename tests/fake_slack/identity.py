"""Who is who: api.test, auth.test (the bot's identity), apps.connections.open (Socket Mode's
app-level token) and users.info (a person's name, time zone and, asked for, locale)."""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.fake_slack.wire import ApiError, Json, truthy
from tests.fake_slack.workspace import BOT_ID, TEAM_DOMAIN, Workspace


class IdentityMethods(Workspace):
    def _api_test(self, args: Json) -> Json:
        return {"args": args} if args else {}

    def _apps_connections_open(self, args: Json) -> Json:
        # A WebSocket URL nobody listens on: the tests check the token, not the connection.
        return {"url": f"wss://127.0.0.1:9/link/?ticket={secrets.token_hex(8)}"}

    def _auth_test(self, args: Json) -> Json:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Fake Workspace",
            "user": self._users[self.bot_user_id]["name"],
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: Json) -> Json:
        user = self._users.get(str(args.get("user") or ""))
        if user is None:
            raise ApiError("user_not_found")
        now = datetime.now(ZoneInfo(user["tz"]))
        offset = now.utcoffset()
        # Slack gives the locale only to a caller who asks for it.
        locale = {"locale": user["locale"]} if truthy(args.get("include_locale")) else {}
        return {
            "user": locale
            | {
                "id": user["id"],
                "team_id": self.team_id,
                "name": user["name"],
                "real_name": user["real_name"],
                "deleted": user["deleted"],
                "is_bot": user["is_bot"],
                "tz": user["tz"],
                "tz_label": now.tzname() or user["tz"],
                "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
                "profile": {"real_name": user["real_name"], "display_name": user["display_name"]},
            }
        }
