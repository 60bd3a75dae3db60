"""views.*: modals opened and pushed on a fresh trigger, updates guarded by hash and external
id, and one Home tab per user."""

from __future__ import annotations

import copy
import secrets
import time

from tests.fake_slack.content import checked_view
from tests.fake_slack.wire import ApiError, Json
from tests.fake_slack.workspace import APP_ID, BOT_ID, Workspace


class ViewMethods(Workspace):
    def _views_open(self, args: Json) -> Json:
        trigger = self._triggers.usable(args)
        view = checked_view(args, ("modal",))
        self._check_external_id_free(view)
        trigger.used = True  # only a successful open consumes the trigger
        return {"view": copy.deepcopy(self._store_view(view))}

    def _views_push(self, args: Json) -> Json:
        trigger = self._triggers.usable(args)
        view = checked_view(args, ("modal",))
        self._check_external_id_free(view)
        trigger.used = True
        return {"view": copy.deepcopy(self._store_view(view))}

    def _views_update(self, args: Json) -> Json:
        view_id = args.get("view_id")
        if view_id:
            current = self.views.get(str(view_id))
        else:
            external_id = args.get("external_id")
            current = next(
                (v for v in self.views.values() if external_id and v.get("external_id") == external_id), None
            )
        if current is None:
            raise ApiError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        view = checked_view(args, ("modal", "home"))
        self._check_external_id_free(view, except_view_id=current["id"])
        if "external_id" not in view and current.get("external_id"):
            view = {**view, "external_id": current["external_id"]}
        stored = self._store_view(
            view, view_id=current["id"], previous_view_id=current.get("previous_view_id")
        )
        return {"view": copy.deepcopy(stored)}

    def _views_publish(self, args: Json) -> Json:
        user_id = args.get("user_id")
        if not user_id:
            raise ApiError("invalid_arguments", ["[ERROR] missing required field: user_id [json-pointer:/]"])
        user = self._users.get(str(user_id))
        if user is not None and user["deleted"]:
            raise ApiError("user_not_found")
        existing_id = self._home_views.get(str(user_id))
        if existing_id and args.get("hash") and args["hash"] != self.views[existing_id]["hash"]:
            raise ApiError("hash_conflict")
        view = checked_view(args, ("home",))
        stored = self._store_view(view, view_id=existing_id)
        self._home_views[str(user_id)] = stored["id"]
        return {"view": copy.deepcopy(stored)}

    def _check_external_id_free(self, view: Json, *, except_view_id: str | None = None) -> None:
        external_id = view.get("external_id")
        if external_id and any(
            v.get("external_id") == external_id and vid != except_view_id for vid, v in self.views.items()
        ):
            raise ApiError("duplicate_external_id")

    def _store_view(
        self, view: Json, *, view_id: str | None = None, previous_view_id: str | None = None
    ) -> Json:
        """Stores a view the way Slack echoes it back, with a fresh hash."""
        view_id = view_id or f"V{self._next_number():06d}"
        stored: Json = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": copy.deepcopy(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": previous_view_id,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }
        self.views[view_id] = stored
        return stored
