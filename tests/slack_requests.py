"""Requests built the way Slack builds them: form-encoded slash commands and interactivity
payloads, JSON events, every one signed with the app's signing secret."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

SIGNING_SECRET = "test-signing-secret"
TEAM = "T0001"
COACH = "UCOACH1"
OTHER_COACH = "UCOACH2"
_sequence = itertools.count(1)


def sign(body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass(frozen=True)
class SlackRequest:
    body: str
    content_type: str
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    def headers(self, **signing: Any) -> dict[str, str]:
        return {"Content-Type": self.content_type, **sign(self.body, **signing), **self.extra_headers}


def command(
    text: str, *, trigger_id: str, user: str = COACH, team: str = TEAM, channel: str = "C0GENERAL"
) -> SlackRequest:
    form = {
        "token": "deprecated-verification-token",
        "team_id": team,
        "team_domain": "equity-coaches",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/coach",
        "text": text,
        "api_app_id": "A0COACH",
        "is_enterprise_install": "false",
        "response_url": "",
        "trigger_id": trigger_id,
    }
    return SlackRequest(urlencode(form), "application/x-www-form-urlencoded")


def with_response_url(request: SlackRequest, url: str) -> SlackRequest:
    body = request.body.replace("response_url=&", f"{urlencode({'response_url': url})}&")
    return SlackRequest(body, request.content_type)


def _interactive(payload: dict) -> SlackRequest:
    return SlackRequest(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def _user(user: str, team: str) -> dict:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team}


def form_submission(
    view: dict, answers: Mapping[str, Any], *, user: str = COACH, team: str = TEAM
) -> SlackRequest:
    """A form's submission, its answers keyed by block id (the form's inputs are not steps);
    like Slack, every input block is in the state, empty ones with null values."""
    values = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            element = block["element"]
            value = answers.get(block["block_id"])
            values[block["block_id"]] = {element["action_id"]: _element_state(element, value)}
    payload = _view_payload(view, {})
    payload["state"] = {"values": values}
    trigger = f"{next(_sequence)}.trigger"
    return _view_event("view_submission", payload, user, team, trigger_id=trigger)


def _element_state(element: dict, value: Any) -> dict:
    """What Slack reports in view.state for an element holding `value`."""
    kind = element["type"]
    if kind == "plain_text_input":
        return {"type": kind, "value": value}
    if kind in ("radio_buttons", "static_select"):
        chosen = next((o for o in element["options"] if o["value"] == value), None)
        return {"type": kind, "selected_option": chosen}
    if kind in ("checkboxes", "multi_static_select"):
        chosen = [o for o in element["options"] if o["value"] in (value or [])]
        return {"type": kind, "selected_options": chosen}
    if kind == "datepicker":
        return {"type": kind, "selected_date": value}
    if kind == "timepicker":
        return {"type": kind, "selected_time": value}
    if kind == "users_select":
        return {"type": kind, "selected_user": value}
    if kind == "multi_users_select":
        return {"type": kind, "selected_users": value or []}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": value}
    raise AssertionError(f"no state shape for {kind}")


def state_for(view: dict, answers: Mapping[str, Any]) -> dict:
    """A view's state as Slack sends it: every input block, with the typed value or the one
    shown initially. `answers` is keyed by step id (block ids are `step:<id>`)."""
    values: dict[str, dict] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        step_id = block["block_id"].removeprefix("step:")
        if step_id in answers:
            value = answers[step_id]
        else:
            value = (
                element.get("initial_value")
                or (element.get("initial_option") or {}).get("value")
                or [o["value"] for o in element.get("initial_options", [])]
                or element.get("initial_date")
                or element.get("initial_time")
                or element.get("initial_user")
            )
        values[block["block_id"]] = {element["action_id"]: _element_state(element, value)}
    return {"values": values}


def _view_payload(view: dict, answers: Mapping[str, Any]) -> dict:
    return {
        "id": view["id"],
        "team_id": view.get("team_id", TEAM),
        "type": "modal",
        "callback_id": view.get("callback_id", ""),
        "private_metadata": view.get("private_metadata", ""),
        "hash": view.get("hash", "h"),
        "title": view.get("title"),
        "blocks": view.get("blocks", []),
        "state": state_for(view, answers),
        "previous_view_id": view.get("previous_view_id"),
        "root_view_id": view.get("root_view_id", view["id"]),
    }


def _view_event(kind: str, payload: dict, user: str, team: str, **extra: Any) -> SlackRequest:
    return _interactive(
        {
            "type": kind,
            "team": {"id": team, "domain": "equity-coaches"},
            "user": _user(user, team),
            "api_app_id": "A0COACH",
            **extra,
            "view": payload,
        }
    )


def view_submission(
    view: dict, answers: Mapping[str, Any], *, user: str = COACH, team: str = TEAM
) -> SlackRequest:
    trigger = f"{next(_sequence)}.trigger"
    return _view_event("view_submission", _view_payload(view, answers), user, team, trigger_id=trigger)


def view_closed(
    view: dict, answers: Mapping[str, Any], *, user: str = COACH, team: str = TEAM
) -> SlackRequest:
    return _view_event("view_closed", _view_payload(view, answers), user, team, is_cleared=False)


def block_action(
    action_id: str,
    value: str,
    *,
    trigger_id: str,
    user: str = COACH,
    team: str = TEAM,
    block_id: str = "b",
    view: dict | None = None,
    selected: str | None = None,
    message: tuple[str, str] | None = None,
    action_type: str | None = None,
    thread_ts: str | None = None,
) -> SlackRequest:
    """A button click (or, with `selected`, a select's choice), in an ephemeral message, in a
    modal (`view`) or in a posted message (`message`: its channel and ts)."""
    where: dict = {"view": {**view, "state": {"values": {}}}} if view else {}
    if view:
        container = {"type": "view", "view_id": view["id"]}
    elif message:
        container = {
            "type": "message",
            "channel_id": message[0],
            "message_ts": message[1],
            "is_ephemeral": False,
        }
        where = {"channel": {"id": message[0]}, "message": {"ts": message[1]}}
        if thread_ts:
            where["message"]["thread_ts"] = thread_ts
    else:
        container = {"type": "message", "is_ephemeral": True}
    return _interactive(
        {
            "type": "block_actions",
            "team": {"id": team, "domain": "equity-coaches"},
            "user": _user(user, team),
            "api_app_id": "A0COACH",
            "trigger_id": trigger_id,
            "container": container,
            **where,
            "response_url": "",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
                if selected is None
                else {
                    "type": action_type or "static_select",
                    "action_id": action_id,
                    "block_id": block_id,
                    "selected_option": {"text": {"type": "plain_text", "text": selected}, "value": selected},
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
    )


def event(
    inner: dict, *, team: str = TEAM, event_id: str | None = None, retry: int | None = None
) -> SlackRequest:
    body = {
        "token": "deprecated-verification-token",
        "team_id": team,
        "api_app_id": "A0COACH",
        "event": inner,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_sequence):08d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
    }
    headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
    return SlackRequest(json.dumps(body), "application/json", headers)


def message_shortcut(
    callback_id: str,
    channel: str,
    message: dict,
    *,
    trigger_id: str,
    user: str = COACH,
    team: str = TEAM,
    response_url: str = "",
) -> SlackRequest:
    """A message shortcut (the "…" menu on a message), as Slack sends it."""
    return _interactive(
        {
            "type": "message_action",
            "callback_id": callback_id,
            "team": {"id": team, "domain": "equity-coaches"},
            "user": _user(user, team),
            "channel": {"id": channel, "name": "collaborative"},
            "message": message,
            "message_ts": message["ts"],
            "trigger_id": trigger_id,
            "response_url": response_url,
        }
    )
