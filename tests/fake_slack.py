"""A local stand-in for the Slack Web API, for tests and benchmarks.

The bot under test talks to it through a real ``slack_sdk.WebClient(token=..., base_url=fake.url)``,
so the whole HTTP path (encoding, headers, status codes, Retry-After, error payloads) is exercised
instead of being mocked away.  Block Kit payloads are validated here independently of slack_sdk's
own model checks, with Slack's error codes and ``[ERROR] ... [json-pointer:...]`` messages, so a
payload that real Slack would refuse fails in tests too.

Standard library only.  Request bodies are never printed or logged.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import json
import math
import re
import secrets
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo

Json = dict[str, Any]

BOT_ID = "B0001"
APP_ID = "A0001"
TEAM_DOMAIN = "fake-workspace"

TRIGGER_TTL_SECONDS = 3.0  # Slack: a trigger_id expires 3 s after the interaction
CHANNEL_BURST = 3  # token-bucket size for the optional per-channel rate limit
WORKSPACE_BURST = 10  # default token-bucket size for the optional workspace-wide rate limit

# Slack's Tier 3 (conversations.history, conversations.replies): about 50 calls a minute per
# method and workspace, with a burst of as many.
TIER3_PER_MINUTE = 50.0
TIER3_METHODS = frozenset({"conversations.history", "conversations.replies"})

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.json"

# The bot scope each method needs. A method reading or listing a conversation needs the scope of
# that conversation's type (by its id's first letter here: D a DM, C public, G private).
_SCOPE_OF_METHOD: dict[str, str | None] = {
    "api.test": None,
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.getPermalink": None,
    "conversations.open": "im:write",
    "users.info": "users:read",
    "views.open": None,
    "views.push": None,
    "views.update": None,
    "views.publish": None,
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
_SCOPE_BY_CONVERSATION: dict[str, dict[str, str]] = {
    "conversations.history": {"D": "im:history", "C": "channels:history", "G": "groups:history"},
    "conversations.replies": {"D": "im:history", "C": "channels:history", "G": "groups:history"},
    "conversations.members": {"D": "im:read", "C": "channels:read", "G": "groups:read"},
}


def manifest_scopes(path: Path = MANIFEST) -> frozenset[str]:
    """The bot scopes an install of the app's manifest grants."""
    return frozenset(json.loads(path.read_text())["oauth_config"]["scopes"]["bot"])


MAX_MESSAGE_TEXT = 40_000
MAX_MESSAGE_BLOCK_TEXT = 12_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_VIEW_BYTES = 250_000

# Arguments that travel as JSON strings inside form bodies.
_JSON_ARGS = frozenset({"blocks", "view", "metadata", "attachments", "files"})


@dataclass
class Call:
    """One Web API request as the fake saw and answered it."""

    method: str
    args: dict
    response: dict
    status: int

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


class _ApiError(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": code}``."""

    def __init__(self, code: str, messages: list[str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.messages = messages or []

    def payload(self) -> Json:
        body: Json = {"ok": False, "error": self.code}
        if self.messages:
            body["response_metadata"] = {"messages": list(self.messages)}
        return body


@dataclass
class _Trigger:
    expires_at: float
    used: bool = False


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class _Injected:
    """A queued failure: an error code, or a 429 when ``retry_after`` is set; for the next call
    whose ``channel`` argument is ``channel``, when that is set."""

    error: str
    retry_after: int | None = None
    channel: str | None = None
    # No answer at all: the connection is closed once the request is read, as when Slack (or
    # the network) gives up mid-call. The client sees the same as a timeout, only sooner.
    drop: bool = False
    status: int = 200


# --------------------------------------------------------------------------------------------------
# Block Kit validation
# --------------------------------------------------------------------------------------------------

_SELECT_COMMON = frozenset({"placeholder", "confirm", "focus_on_load"})
_TEXT_INPUT_COMMON = frozenset({"placeholder", "initial_value", "dispatch_action_config", "focus_on_load"})

# Keys each element may carry besides "type" and "action_id".
_ELEMENT_KEYS: dict[str, frozenset[str]] = {
    "button": frozenset({"text", "url", "value", "style", "confirm", "accessibility_label"}),
    "static_select": _SELECT_COMMON | {"options", "option_groups", "initial_option"},
    "multi_static_select": _SELECT_COMMON
    | {"options", "option_groups", "initial_options", "max_selected_items"},
    "external_select": _SELECT_COMMON | {"initial_option", "min_query_length"},
    "multi_external_select": _SELECT_COMMON | {"initial_options", "min_query_length", "max_selected_items"},
    "users_select": _SELECT_COMMON | {"initial_user"},
    "multi_users_select": _SELECT_COMMON | {"initial_users", "max_selected_items"},
    "conversations_select": _SELECT_COMMON
    | {"initial_conversation", "default_to_current_conversation", "response_url_enabled", "filter"},
    "multi_conversations_select": _SELECT_COMMON
    | {"initial_conversations", "default_to_current_conversation", "max_selected_items", "filter"},
    "channels_select": _SELECT_COMMON | {"initial_channel", "response_url_enabled"},
    "multi_channels_select": _SELECT_COMMON | {"initial_channels", "max_selected_items"},
    "plain_text_input": _TEXT_INPUT_COMMON | {"multiline", "min_length", "max_length"},
    "number_input": _TEXT_INPUT_COMMON | {"is_decimal_allowed", "min_value", "max_value"},
    "email_text_input": _TEXT_INPUT_COMMON,
    "url_text_input": _TEXT_INPUT_COMMON,
    "checkboxes": frozenset({"options", "initial_options", "confirm", "focus_on_load"}),
    "radio_buttons": frozenset({"options", "initial_option", "confirm", "focus_on_load"}),
    "datepicker": frozenset({"initial_date", "placeholder", "confirm", "focus_on_load"}),
    "timepicker": frozenset({"initial_time", "placeholder", "confirm", "focus_on_load", "timezone"}),
    "overflow": frozenset({"options", "confirm"}),
}

_SELECTS = frozenset(t for t in _ELEMENT_KEYS if t.endswith("_select"))
_INTERACTIVE = _SELECTS | {"button", "checkboxes", "radio_buttons", "datepicker", "timepicker", "overflow"}
_ACCESSORY_TYPES = _INTERACTIVE | {"image"}
_ACTIONS_TYPES = _INTERACTIVE
_INPUT_TYPES = _SELECTS | {
    "plain_text_input",
    "number_input",
    "email_text_input",
    "url_text_input",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "timepicker",
}

_BLOCK_KEYS: dict[str, frozenset[str]] = {
    "section": frozenset({"text", "fields", "accessory", "expand"}),
    "divider": frozenset(),
    "header": frozenset({"text"}),
    "context": frozenset({"elements"}),
    "actions": frozenset({"elements"}),
    "input": frozenset({"label", "element", "hint", "optional", "dispatch_action"}),
    "image": frozenset({"image_url", "alt_text", "title", "slack_file"}),
    "rich_text": frozenset({"elements"}),
    "data_visualization": frozenset({"title", "chart"}),
}

_MODAL_KEYS = frozenset(
    {
        "type",
        "title",
        "blocks",
        "close",
        "submit",
        "private_metadata",
        "callback_id",
        "clear_on_close",
        "notify_on_close",
        "external_id",
    }
)
# data_visualization limits (see _BlockKitChecker._block_data_visualization).
CHART_TYPES = ("line", "bar", "area", "pie")
CHART_TITLE_MAX = 50
CHART_SERIES_MAX = 6
CHART_CATEGORY_MAX = 20
CHART_LABEL_MAX = 50
CHARTS_PER_SURFACE_MAX = 2

_HOME_KEYS = frozenset({"type", "blocks", "private_metadata", "callback_id", "external_id"})

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")


def _is_calendar_date(text: str) -> bool:
    if not _DATE_RE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


class _BlockKitChecker:
    """Collects Block Kit violations as Slack-style ``[ERROR] what [json-pointer:/path]`` strings.

    Every check records what is wrong and carries on, so one response lists all problems, as
    Slack's does.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, ptr: str, what: str) -> None:
        self.errors.append(f"[ERROR] {what} [json-pointer:{ptr}]")

    # ---- primitives ------------------------------------------------------------------------------

    def is_object(self, value: Any, ptr: str) -> bool:
        if isinstance(value, dict):
            return True
        self.error(ptr, "must provide an object")
        return False

    def keys(
        self, obj: Mapping[str, Any], allowed: Iterable[str], ptr: str, required: Iterable[str] = ()
    ) -> None:
        allowed = set(allowed)
        for key in obj:
            if key not in allowed:
                self.error(ptr, f"invalid additional property: {key}")
        for key in required:
            if key not in obj:
                self.error(ptr, f"missing required field: {key}")

    def string(self, value: Any, ptr: str, *, max_len: int, min_len: int = 0) -> bool:
        if not isinstance(value, str):
            self.error(ptr, "must provide a string")
            return False
        if len(value) < min_len:
            self.error(ptr, f"must be more than {min_len - 1} characters")
            return False
        if len(value) > max_len:
            self.error(ptr, f"must be less than {max_len + 1} characters")
            return False
        return True

    def boolean(self, value: Any, ptr: str) -> None:
        if not isinstance(value, bool):
            self.error(ptr, "must provide a boolean")

    def integer(self, value: Any, ptr: str, *, lo: int, hi: int | None = None) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(ptr, "must provide an integer")
            return None
        if value < lo:
            self.error(ptr, f"must be at least {lo}")
            return None
        if hi is not None and value > hi:
            self.error(ptr, f"must be at most {hi}")
            return None
        return value

    def array(self, value: Any, ptr: str, *, min_items: int = 0, max_items: int | None = None) -> list | None:
        if not isinstance(value, list):
            self.error(ptr, "must provide an array")
            return None
        if len(value) < min_items:
            self.error(ptr, f"must provide at least {min_items} items")
            return None
        if max_items is not None and len(value) > max_items:
            self.error(ptr, f"no more than {max_items} items allowed")
            return None
        return value

    # ---- composition objects ---------------------------------------------------------------------

    def text(self, value: Any, ptr: str, *, max_len: int, plain_only: bool = False) -> None:
        """A text object: plain_text (optional emoji) or mrkdwn (optional verbatim)."""
        if not self.is_object(value, ptr):
            return
        kind = value.get("type")
        allowed_kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind is None:
            self.error(ptr, "missing required field: type")
            return
        if kind not in allowed_kinds:
            self.error(f"{ptr}/type", f"must be one of: {', '.join(allowed_kinds)}")
            return
        flag = "emoji" if kind == "plain_text" else "verbatim"
        self.keys(value, {"type", "text", flag}, ptr, required=("text",))
        if "text" in value:
            self.string(value["text"], f"{ptr}/text", min_len=1, max_len=max_len)
        if flag in value:
            self.boolean(value[flag], f"{ptr}/{flag}")

    def confirm(self, value: Any, ptr: str) -> None:
        if not self.is_object(value, ptr):
            return
        self.keys(
            value,
            {"title", "text", "confirm", "deny", "style"},
            ptr,
            required=("title", "text", "confirm", "deny"),
        )
        if "title" in value:
            self.text(value["title"], f"{ptr}/title", max_len=100, plain_only=True)
        if "text" in value:
            self.text(value["text"], f"{ptr}/text", max_len=300)
        for key in ("confirm", "deny"):
            if key in value:
                self.text(value[key], f"{ptr}/{key}", max_len=30, plain_only=True)
        if "style" in value and value["style"] not in ("primary", "danger"):
            self.error(f"{ptr}/style", "must be one of: primary, danger")

    def option(self, value: Any, ptr: str, *, mrkdwn_ok: bool, url_ok: bool) -> str | None:
        """Checks one option object and returns its value when well formed."""
        if not self.is_object(value, ptr):
            return None
        allowed = {"text", "value", "description"} | ({"url"} if url_ok else set())
        self.keys(value, allowed, ptr, required=("text", "value"))
        if "text" in value:
            self.text(value["text"], f"{ptr}/text", max_len=75, plain_only=not mrkdwn_ok)
        if "description" in value:
            self.text(value["description"], f"{ptr}/description", max_len=75, plain_only=not mrkdwn_ok)
        if "url" in value:
            self.string(value["url"], f"{ptr}/url", min_len=1, max_len=3000)
        if "value" in value and self.string(value["value"], f"{ptr}/value", max_len=150):
            return value["value"]
        return None

    def options(
        self,
        value: Any,
        ptr: str,
        *,
        min_items: int,
        max_items: int,
        mrkdwn_ok: bool = False,
        url_ok: bool = False,
    ) -> set[str]:
        items = self.array(value, ptr, min_items=min_items, max_items=max_items)
        values: set[str] = set()
        for i, item in enumerate(items or []):
            found = self.option(item, f"{ptr}/{i}", mrkdwn_ok=mrkdwn_ok, url_ok=url_ok)
            if found is not None:
                values.add(found)
        return values

    def initial_option(
        self, value: Any, ptr: str, known: set[str] | None, *, mrkdwn_ok: bool = False
    ) -> None:
        """An initial option must be a valid option whose value is among ``known`` (if given)."""
        found = self.option(value, ptr, mrkdwn_ok=mrkdwn_ok, url_ok=False)
        if found is not None and known is not None and found not in known:
            self.error(ptr, "must match one of the provided options")

    def initial_options(
        self, value: Any, ptr: str, known: set[str] | None, *, mrkdwn_ok: bool = False
    ) -> None:
        for i, item in enumerate(self.array(value, ptr) or []):
            self.initial_option(item, f"{ptr}/{i}", known, mrkdwn_ok=mrkdwn_ok)

    # ---- elements --------------------------------------------------------------------------------

    def element(self, el: Any, ptr: str, allowed: frozenset[str], action_ids: set[str]) -> None:
        """A block element; ``action_ids`` collects ids already used in the enclosing block."""
        if not self.is_object(el, ptr):
            return
        kind = el.get("type")
        if kind is None:
            self.error(ptr, "missing required field: type")
            return
        if kind not in allowed:
            self.error(f"{ptr}/type", f"unsupported type: {kind}")
            return
        if kind == "image":
            self.image_element(el, ptr)
            return
        self.keys(el, _ELEMENT_KEYS[kind] | {"type", "action_id"}, ptr)
        if "action_id" in el and self.string(el["action_id"], f"{ptr}/action_id", min_len=1, max_len=255):
            if el["action_id"] in action_ids:
                self.error(f"{ptr}/action_id", f"duplicate action_id: {el['action_id']}")
            action_ids.add(el["action_id"])
        self._element_common(el, ptr)
        specific = getattr(self, f"_el_{kind}", None)
        if specific is not None:
            specific(el, ptr)

    def _element_common(self, el: Json, ptr: str) -> None:
        if "placeholder" in el:
            self.text(el["placeholder"], f"{ptr}/placeholder", max_len=150, plain_only=True)
        if "confirm" in el:
            self.confirm(el["confirm"], f"{ptr}/confirm")
        for key in ("focus_on_load", "default_to_current_conversation", "response_url_enabled"):
            if key in el:
                self.boolean(el[key], f"{ptr}/{key}")
        if "max_selected_items" in el:
            self.integer(el["max_selected_items"], f"{ptr}/max_selected_items", lo=1)
        if "min_query_length" in el:
            self.integer(el["min_query_length"], f"{ptr}/min_query_length", lo=0)
        if "filter" in el:
            self.is_object(el["filter"], f"{ptr}/filter")
        if "dispatch_action_config" in el:
            self._dispatch_action_config(el["dispatch_action_config"], f"{ptr}/dispatch_action_config")
        for key in ("initial_user", "initial_conversation", "initial_channel"):
            if key in el:
                self.string(el[key], f"{ptr}/{key}", min_len=1, max_len=255)
        for key in ("initial_users", "initial_conversations", "initial_channels"):
            if key in el:
                for i, item in enumerate(self.array(el[key], f"{ptr}/{key}") or []):
                    self.string(item, f"{ptr}/{key}/{i}", min_len=1, max_len=255)

    def _dispatch_action_config(self, value: Any, ptr: str) -> None:
        if not self.is_object(value, ptr):
            return
        self.keys(value, {"trigger_actions_on"}, ptr)
        for i, item in enumerate(
            self.array(value.get("trigger_actions_on", []), f"{ptr}/trigger_actions_on") or []
        ):
            if item not in ("on_enter_pressed", "on_character_entered"):
                self.error(
                    f"{ptr}/trigger_actions_on/{i}", "must be one of: on_enter_pressed, on_character_entered"
                )

    def image_element(self, el: Json, ptr: str) -> None:
        self.keys(el, {"type", "image_url", "alt_text", "slack_file"}, ptr, required=("alt_text",))
        self._image_source(el, ptr)
        if "alt_text" in el:
            self.string(el["alt_text"], f"{ptr}/alt_text", min_len=1, max_len=2000)

    def _image_source(self, obj: Json, ptr: str) -> None:
        if "image_url" not in obj and "slack_file" not in obj:
            self.error(ptr, "missing required field: image_url")
        if "image_url" in obj:
            self.string(obj["image_url"], f"{ptr}/image_url", min_len=1, max_len=3000)
        if "slack_file" in obj:
            self.is_object(obj["slack_file"], f"{ptr}/slack_file")

    def _el_button(self, el: Json, ptr: str) -> None:
        if "text" not in el:
            self.error(ptr, "missing required field: text")
        else:
            self.text(el["text"], f"{ptr}/text", max_len=75, plain_only=True)
        if "value" in el:
            self.string(el["value"], f"{ptr}/value", max_len=2000)
        if "url" in el:
            self.string(el["url"], f"{ptr}/url", min_len=1, max_len=3000)
        if "style" in el and el["style"] not in ("primary", "danger"):
            self.error(f"{ptr}/style", "must be one of: primary, danger")
        if "accessibility_label" in el:
            self.string(el["accessibility_label"], f"{ptr}/accessibility_label", min_len=1, max_len=75)

    def _static_options(self, el: Json, ptr: str) -> set[str]:
        """Options of a static select: exactly one of ``options`` or ``option_groups``."""
        has_options, has_groups = "options" in el, "option_groups" in el
        if has_options == has_groups:
            self.error(ptr, "must provide exactly one of: options, option_groups")
        if has_options:
            return self.options(el["options"], f"{ptr}/options", min_items=1, max_items=100)
        values: set[str] = set()
        if has_groups:
            groups = self.array(el["option_groups"], f"{ptr}/option_groups", min_items=1, max_items=100)
            for i, group in enumerate(groups or []):
                gptr = f"{ptr}/option_groups/{i}"
                if not self.is_object(group, gptr):
                    continue
                self.keys(group, {"label", "options"}, gptr, required=("label", "options"))
                if "label" in group:
                    self.text(group["label"], f"{gptr}/label", max_len=75, plain_only=True)
                if "options" in group:
                    values |= self.options(group["options"], f"{gptr}/options", min_items=1, max_items=100)
        return values

    def _el_static_select(self, el: Json, ptr: str) -> None:
        known = self._static_options(el, ptr)
        if "initial_option" in el:
            self.initial_option(el["initial_option"], f"{ptr}/initial_option", known)

    def _el_multi_static_select(self, el: Json, ptr: str) -> None:
        known = self._static_options(el, ptr)
        if "initial_options" in el:
            self.initial_options(el["initial_options"], f"{ptr}/initial_options", known)

    def _el_external_select(self, el: Json, ptr: str) -> None:
        if "initial_option" in el:
            self.initial_option(el["initial_option"], f"{ptr}/initial_option", None)

    def _el_multi_external_select(self, el: Json, ptr: str) -> None:
        if "initial_options" in el:
            self.initial_options(el["initial_options"], f"{ptr}/initial_options", None)

    def _el_checkboxes(self, el: Json, ptr: str) -> None:
        if "options" not in el:
            self.error(ptr, "missing required field: options")
            return
        known = self.options(el["options"], f"{ptr}/options", min_items=1, max_items=10, mrkdwn_ok=True)
        if "initial_options" in el:
            self.initial_options(el["initial_options"], f"{ptr}/initial_options", known, mrkdwn_ok=True)

    def _el_radio_buttons(self, el: Json, ptr: str) -> None:
        if "options" not in el:
            self.error(ptr, "missing required field: options")
            return
        known = self.options(el["options"], f"{ptr}/options", min_items=1, max_items=10, mrkdwn_ok=True)
        if "initial_option" in el:
            self.initial_option(el["initial_option"], f"{ptr}/initial_option", known, mrkdwn_ok=True)

    def _el_overflow(self, el: Json, ptr: str) -> None:
        if "options" not in el:
            self.error(ptr, "missing required field: options")
            return
        self.options(el["options"], f"{ptr}/options", min_items=2, max_items=5, url_ok=True)

    def _el_plain_text_input(self, el: Json, ptr: str) -> None:
        if "multiline" in el:
            self.boolean(el["multiline"], f"{ptr}/multiline")
        min_length = (
            self.integer(el["min_length"], f"{ptr}/min_length", lo=0, hi=3000) if "min_length" in el else None
        )
        max_length = (
            self.integer(el["max_length"], f"{ptr}/max_length", lo=1, hi=3000) if "max_length" in el else None
        )
        if min_length is not None and max_length is not None and min_length > max_length:
            self.error(f"{ptr}/min_length", "must be less than or equal to max_length")
        if "initial_value" in el:
            self.string(el["initial_value"], f"{ptr}/initial_value", max_len=max_length or 3000)

    def _el_number_input(self, el: Json, ptr: str) -> None:
        if "is_decimal_allowed" not in el:
            self.error(ptr, "missing required field: is_decimal_allowed")
        else:
            self.boolean(el["is_decimal_allowed"], f"{ptr}/is_decimal_allowed")
        for key in ("initial_value", "min_value", "max_value"):
            if key in el and self.string(el[key], f"{ptr}/{key}", min_len=1, max_len=64):
                if not _NUMBER_RE.match(el[key]):
                    self.error(f"{ptr}/{key}", "must be a number")
                elif "." in el[key] and el.get("is_decimal_allowed") is False:
                    self.error(f"{ptr}/{key}", "must be an integer when is_decimal_allowed is false")

    def _el_email_text_input(self, el: Json, ptr: str) -> None:
        if "initial_value" in el:
            self.string(el["initial_value"], f"{ptr}/initial_value", max_len=320)

    def _el_url_text_input(self, el: Json, ptr: str) -> None:
        if "initial_value" in el:
            self.string(el["initial_value"], f"{ptr}/initial_value", max_len=3000)

    def _el_datepicker(self, el: Json, ptr: str) -> None:
        if "initial_date" in el:
            initial, iptr = el["initial_date"], f"{ptr}/initial_date"
            if self.string(initial, iptr, min_len=1, max_len=10) and not _is_calendar_date(initial):
                self.error(iptr, "must be a date in the format YYYY-MM-DD")

    def _el_timepicker(self, el: Json, ptr: str) -> None:
        if "initial_time" in el:
            initial, iptr = el["initial_time"], f"{ptr}/initial_time"
            if self.string(initial, iptr, min_len=1, max_len=5) and not _TIME_RE.match(initial):
                self.error(iptr, "must be a time in the format HH:mm")
        if "timezone" in el:
            self.string(el["timezone"], f"{ptr}/timezone", min_len=1, max_len=255)

    # ---- blocks ----------------------------------------------------------------------------------

    def blocks(self, value: Any, ptr: str, *, max_blocks: int) -> list[Json]:
        """Checks a block list; returns the blocks that are objects, for surface-level rules."""
        items = self.array(value, ptr, max_items=max_blocks)
        block_ids: set[str] = set()
        good: list[Json] = []
        for i, block in enumerate(items or []):
            bptr = f"{ptr}/{i}"
            if not self.is_object(block, bptr):
                continue
            good.append(block)
            kind = block.get("type")
            if kind is None:
                self.error(bptr, "missing required field: type")
                continue
            if kind not in _BLOCK_KEYS:
                self.error(f"{bptr}/type", f"unsupported type: {kind}")
                continue
            self.keys(block, _BLOCK_KEYS[kind] | {"type", "block_id"}, bptr)
            if "block_id" in block and self.string(
                block["block_id"], f"{bptr}/block_id", min_len=1, max_len=255
            ):
                if block["block_id"] in block_ids:
                    self.error(f"{bptr}/block_id", f"duplicate block_id: {block['block_id']}")
                block_ids.add(block["block_id"])
            getattr(self, f"_block_{kind}")(block, bptr)
        self._charts_per_surface(good, ptr)
        return good

    def _block_section(self, block: Json, ptr: str) -> None:
        if "text" not in block and "fields" not in block:
            self.error(ptr, "must provide either text or fields")
        if "text" in block:
            self.text(block["text"], f"{ptr}/text", max_len=3000)
        if "fields" in block:
            fields = self.array(block["fields"], f"{ptr}/fields", min_items=1, max_items=10)
            for i, field in enumerate(fields or []):
                self.text(field, f"{ptr}/fields/{i}", max_len=2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{ptr}/accessory", _ACCESSORY_TYPES, set())
        if "expand" in block:
            self.boolean(block["expand"], f"{ptr}/expand")

    def _block_divider(self, block: Json, ptr: str) -> None:
        pass

    def _block_header(self, block: Json, ptr: str) -> None:
        if "text" not in block:
            self.error(ptr, "missing required field: text")
        else:
            self.text(block["text"], f"{ptr}/text", max_len=150, plain_only=True)

    def _block_context(self, block: Json, ptr: str) -> None:
        if "elements" not in block:
            self.error(ptr, "missing required field: elements")
            return
        elements = self.array(block["elements"], f"{ptr}/elements", min_items=1, max_items=10)
        for i, el in enumerate(elements or []):
            eptr = f"{ptr}/elements/{i}"
            if isinstance(el, dict) and el.get("type") == "image":
                self.image_element(el, eptr)
            else:
                self.text(el, eptr, max_len=3000)

    def _block_actions(self, block: Json, ptr: str) -> None:
        if "elements" not in block:
            self.error(ptr, "missing required field: elements")
            return
        action_ids: set[str] = set()
        elements = self.array(block["elements"], f"{ptr}/elements", min_items=1, max_items=25)
        for i, el in enumerate(elements or []):
            self.element(el, f"{ptr}/elements/{i}", _ACTIONS_TYPES, action_ids)

    def _block_input(self, block: Json, ptr: str) -> None:
        if "label" not in block:
            self.error(ptr, "missing required field: label")
        else:
            self.text(block["label"], f"{ptr}/label", max_len=2000, plain_only=True)
        if "element" not in block:
            self.error(ptr, "missing required field: element")
        else:
            self.element(block["element"], f"{ptr}/element", _INPUT_TYPES, set())
        if "hint" in block:
            self.text(block["hint"], f"{ptr}/hint", max_len=2000, plain_only=True)
        for key in ("optional", "dispatch_action"):
            if key in block:
                self.boolean(block[key], f"{ptr}/{key}")

    def _block_image(self, block: Json, ptr: str) -> None:
        if "alt_text" not in block:
            self.error(ptr, "missing required field: alt_text")
        else:
            self.string(block["alt_text"], f"{ptr}/alt_text", min_len=1, max_len=2000)
        self._image_source(block, ptr)
        if "title" in block:
            self.text(block["title"], f"{ptr}/title", max_len=2000, plain_only=True)

    def _block_rich_text(self, block: Json, ptr: str) -> None:
        if "elements" not in block:
            self.error(ptr, "missing required field: elements")
        else:
            self.array(block["elements"], f"{ptr}/elements")

    # ---- charts: data_visualization (Block Kit, 2026-06-16) --------------------------------------
    # slack_sdk has no model for this block yet, so these checks follow Slack's reference: a
    # title of at most 50 characters; chart.type line, bar, area or pie; line/bar/area take 1-6
    # series with unique names, each a list of labelled points whose labels are among
    # axis_config.categories (each at most 20 characters, unique), with optional axis labels of
    # at most 50; pie takes 1-6 labelled segments. A surface holds at most two charts.

    def _block_data_visualization(self, block: Json, ptr: str) -> None:
        for key in ("title", "chart"):
            if key not in block:
                self.error(ptr, f"missing required field: {key}")
        if "title" in block:
            self.string(block["title"], f"{ptr}/title", min_len=1, max_len=CHART_TITLE_MAX)
        chart = block.get("chart")
        if chart is None or not self.is_object(chart, f"{ptr}/chart"):
            return
        kind = chart.get("type")
        if kind not in CHART_TYPES:
            self.error(f"{ptr}/chart/type", f"must be one of: {', '.join(CHART_TYPES)}")
            return
        if kind == "pie":
            self.keys(chart, {"type", "segments"}, f"{ptr}/chart", required=("segments",))
            segments = self.array(
                chart.get("segments"), f"{ptr}/chart/segments", min_items=1, max_items=CHART_SERIES_MAX
            )
            for i, segment in enumerate(segments or []):
                self._chart_point(segment, f"{ptr}/chart/segments/{i}")
            return
        self.keys(
            chart, {"type", "series", "axis_config"}, f"{ptr}/chart", required=("series", "axis_config")
        )
        categories = self._axis_config(chart.get("axis_config"), f"{ptr}/chart/axis_config")
        series = self.array(
            chart.get("series"), f"{ptr}/chart/series", min_items=1, max_items=CHART_SERIES_MAX
        )
        names: set[str] = set()
        for i, one in enumerate(series or []):
            sptr = f"{ptr}/chart/series/{i}"
            if not self.is_object(one, sptr):
                continue
            self.keys(one, {"name", "data"}, sptr, required=("name", "data"))
            if self.string(one.get("name"), f"{sptr}/name", min_len=1, max_len=CHART_LABEL_MAX):
                if one["name"] in names:
                    self.error(f"{sptr}/name", f"duplicate series name: {one['name']}")
                names.add(one["name"])
            labels: set[str] = set()
            for j, point in enumerate(self.array(one.get("data"), f"{sptr}/data", min_items=1) or []):
                label = self._chart_point(point, f"{sptr}/data/{j}")
                if label is None:
                    continue
                if categories is not None and label not in categories:
                    self.error(f"{sptr}/data/{j}/label", "must match one of axis_config.categories")
                if label in labels:
                    self.error(f"{sptr}/data/{j}/label", f"duplicate label: {label}")
                labels.add(label)

    def _axis_config(self, value: Any, ptr: str) -> set[str] | None:
        if value is None or not self.is_object(value, ptr):
            return None
        self.keys(value, {"categories", "x_label", "y_label"}, ptr, required=("categories",))
        for key in ("x_label", "y_label"):
            if key in value:
                self.string(value[key], f"{ptr}/{key}", min_len=1, max_len=CHART_TITLE_MAX)
        found: set[str] = set()
        for i, category in enumerate(
            self.array(value.get("categories"), f"{ptr}/categories", min_items=1) or []
        ):
            if self.string(category, f"{ptr}/categories/{i}", min_len=1, max_len=CHART_CATEGORY_MAX):
                if category in found:
                    self.error(f"{ptr}/categories/{i}", f"duplicate category: {category}")
                found.add(category)
        return found

    def _chart_point(self, value: Any, ptr: str) -> str | None:
        """A data point or a pie segment: a label and a number; returns the label."""
        if not self.is_object(value, ptr):
            return None
        self.keys(value, {"label", "value"}, ptr, required=("label", "value"))
        number = value.get("value")
        if "value" in value and (isinstance(number, bool) or not isinstance(number, int | float)):
            self.error(f"{ptr}/value", "must provide a number")
        if self.string(value.get("label"), f"{ptr}/label", min_len=1, max_len=CHART_LABEL_MAX):
            return value["label"]
        return None

    def _charts_per_surface(self, blocks: list[Json], ptr: str) -> None:
        charts = [i for i, b in enumerate(blocks) if b.get("type") == "data_visualization"]
        if len(charts) > CHARTS_PER_SURFACE_MAX:
            self.error(
                f"{ptr}/{charts[CHARTS_PER_SURFACE_MAX]}",
                f"no more than {CHARTS_PER_SURFACE_MAX} data_visualization blocks allowed",
            )

    # ---- views -----------------------------------------------------------------------------------

    def view(self, view: Any, ptr: str, allowed_types: tuple[str, ...]) -> None:
        if not self.is_object(view, ptr):
            return
        kind = view.get("type")
        if kind is None:
            self.error(ptr, "missing required field: type")
            return
        if kind not in allowed_types:
            self.error(f"{ptr}/type", f"must be one of: {', '.join(allowed_types)}")
            return
        if kind == "home":
            self.keys(view, _HOME_KEYS, ptr, required=("blocks",))
        else:
            self.keys(view, _MODAL_KEYS, ptr, required=("title", "blocks"))
            if "title" in view:
                self.text(view["title"], f"{ptr}/title", max_len=24, plain_only=True)
            for key in ("submit", "close"):
                if key in view:
                    self.text(view[key], f"{ptr}/{key}", max_len=24, plain_only=True)
            for key in ("notify_on_close", "clear_on_close"):
                if key in view:
                    self.boolean(view[key], f"{ptr}/{key}")
        if "private_metadata" in view:
            self.string(view["private_metadata"], f"{ptr}/private_metadata", max_len=3000)
        for key in ("callback_id", "external_id"):
            if key in view:
                self.string(view[key], f"{ptr}/{key}", max_len=255)
        blocks = self.blocks(view.get("blocks", []), f"{ptr}/blocks", max_blocks=MAX_VIEW_BLOCKS)
        if kind == "modal" and "submit" not in view and any(b.get("type") == "input" for b in blocks):
            self.error(ptr, "missing required field: submit")


def _block_text_chars(node: Any) -> int:
    """Total characters of every ``text`` string in a block tree (Slack's msg_blocks_too_long basis)."""
    if isinstance(node, dict):
        return sum(
            len(value) if key == "text" and isinstance(value, str) else _block_text_chars(value)
            for key, value in node.items()
        )
    if isinstance(node, list):
        return sum(_block_text_chars(item) for item in node)
    return 0


# --------------------------------------------------------------------------------------------------
# Request decoding helpers
# --------------------------------------------------------------------------------------------------


def _truthy(value: Any) -> bool:
    """Slack booleans arrive as true/false, "true"/"false", "1"/"0" or "True"/"False"."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true")


def _ts_micros(ts: Any, error: str) -> int:
    try:
        return int(Decimal(str(ts)) * 1_000_000)
    except InvalidOperation:
        raise _ApiError(error) from None


def _parse_multipart(content_type: str, body: bytes) -> tuple[Json, dict[str, bytes]]:
    """Splits a multipart body into text fields and file parts (by field name)."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise _ApiError("invalid_form_data")
    fields: Json = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[str(name)] = payload
        else:
            fields[str(name)] = payload.decode("utf-8", errors="replace")
    return fields, files


def _decode_args(query: str, content_type: str, body: bytes) -> Json:
    """Query-string args overlaid by body args, with JSON-carrying fields decoded."""
    args: Json = dict(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";", 1)[0].strip().lower()
    if body:
        if media_type == "application/json":
            try:
                decoded = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise _ApiError("invalid_json") from None
            if not isinstance(decoded, dict):
                raise _ApiError("invalid_json")
            args.update(decoded)
        elif media_type == "multipart/form-data":
            fields, _files = _parse_multipart(content_type, body)
            args.update(fields)
        else:  # Slack treats anything else as a form body
            try:
                args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
            except UnicodeDecodeError:
                raise _ApiError("invalid_form_data") from None
    for key in _JSON_ARGS & args.keys():
        value = args[key]
        if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
            # Malformed JSON stays a string; the method reports it the way Slack does.
            with contextlib.suppress(json.JSONDecodeError):
                args[key] = json.loads(value)
    return args


def _encode_cursor(ts: str) -> str:
    return base64.urlsafe_b64encode(f"next_ts:{ts}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _ApiError("invalid_cursor") from None
    if not text.startswith("next_ts:"):
        raise _ApiError("invalid_cursor")
    return _ts_micros(text[len("next_ts:") :], "invalid_cursor")


# --------------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------------


def _report_internal_error(exc: BaseException) -> None:
    """Prints the exception type and stack locations only: messages may quote request data."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{frame.name}:{frame.lineno}" for frame in reversed(frames))
    print(f"fake_slack internal error: {type(exc).__name__} at {where}", file=sys.stderr)


# The status of a call answered with nothing (see FakeSlack.drop_next).
DROPPED = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    fake: FakeSlack


class _RequestHandler(BaseHTTPRequestHandler):
    """Routes ``/api/<method>``, ``/upload/<file_id>`` and ``/response_url`` to the fake."""

    server: _Server
    # Keep-alive, as Slack's own endpoint: every answer carries a Content-Length.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this the body of an answer on a reused
    # connection waits ~40 ms for the client's delayed ACK, a delay real Slack does not add.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean; request bodies must never reach logs anyway

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        content_type = self.headers.get("Content-Type", "")
        fake = self.server.fake
        try:
            if url.path.startswith("/upload/"):
                status, text = fake._receive_upload(unquote(url.path[len("/upload/") :]), content_type, body)
                self._send(status, text.encode(), "text/plain; charset=utf-8", {})
                return
            if url.path.startswith("/response_url"):
                status, payload = fake._receive_response_url(content_type, body)
                self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8", {})
                return
            if not url.path.startswith("/api/"):
                self._send(404, b"Not Found", "text/plain; charset=utf-8", {})
                return
            method = unquote(url.path[len("/api/") :])
            status, payload, headers = fake._handle_api(
                method, url.query, content_type, body, self.headers.get("Authorization")
            )
            if status == DROPPED:
                self.close_connection = True
                return
        except Exception as exc:  # a bug in the fake: answer like Slack's 500 and say where it broke
            _report_internal_error(exc)
            status, payload, headers = 500, {"ok": False, "error": "fatal_error"}, {}
        hang = fake._take_hang(url.path[len("/api/") :]) if url.path.startswith("/api/") else None
        if hang is not None:  # done, but the answer never comes: the client times out
            time.sleep(hang)
            self.close_connection = True
            return
        self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)

    def _send(self, status: int, data: bytes, content_type: str, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


# --------------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------------


class FakeSlack:
    """An in-process HTTP server that answers like the Slack Web API.

    State (messages, views, files) is kept per instance and is readable directly by tests; read it
    after ``wait_for`` so the bot's request has been fully handled.
    """

    def __init__(
        self,
        *,
        token: str = "xoxb-test-token",
        app_token: str = "xapp-test-token",
        bot_user_id: str = "UBOT",
        team_id: str = "T0001",
        clock: Callable[[], float] = time.monotonic,
        per_channel_per_second: float | None = None,
        workspace_per_second: float | None = None,
        workspace_burst: int = WORKSPACE_BURST,
        scopes: Iterable[str] | None = None,
        tier3_per_minute: float = TIER3_PER_MINUTE,
    ) -> None:
        if per_channel_per_second is not None and per_channel_per_second <= 0:
            raise ValueError("per_channel_per_second must be positive")
        if workspace_per_second is not None and workspace_per_second <= 0:
            raise ValueError("workspace_per_second must be positive")
        if workspace_burst < 1:
            raise ValueError("workspace_burst must be at least 1")
        self.token = token
        # The app-level token (Socket Mode): it opens connections and calls nothing else, and the
        # bot token cannot open one, as in Slack.
        self.app_token = app_token
        # A revoked token is refused everywhere with token_revoked.
        self.revoked = False
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.per_channel_per_second = per_channel_per_second
        # chat.postMessage across every channel, as Slack limits a workspace's messages too.
        self.workspace_per_second = workspace_per_second
        self.workspace_burst = workspace_burst
        # What the installed app may do: the manifest's bot scopes unless a test says otherwise,
        # enforced on every method and sent as auth.test's x-oauth-scopes header.
        self._default_scopes = frozenset(scopes) if scopes is not None else manifest_scopes()
        self.scopes = self._default_scopes
        self.tier3_per_minute = tier3_per_minute
        self._clock = clock

        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

        self.calls: list[Call] = []
        self.messages: dict[str, list[dict]] = {}
        self.views: dict[str, dict] = {}
        self.files: dict[str, dict] = {}
        self._users: dict[str, Json] = {}
        self._injected: dict[str, deque[_Injected]] = {}
        self._hangs: dict[str, deque[float]] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._workspace_bucket: _Bucket | None = None
        self._tier3_buckets: dict[str, _Bucket] = {}
        self._pending_uploads: dict[str, Json] = {}
        self._home_views: dict[str, str] = {}
        # Channel id -> its members, for channels a test set up; posting in one of them needs
        # the bot among the members, as in Slack (not_in_channel).
        self._members: dict[str, list[str]] = {}
        self._counter = 0
        self._last_ts_micros = 0

        self._methods: dict[str, Callable[[Json], Json]] = {
            "api.test": self._api_test,
            "apps.connections.open": self._apps_connections_open,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.members": self._conversations_members,
            "users.info": self._users_info,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }
        self.add_user(bot_user_id, name="bot", is_bot=True)

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Binds 127.0.0.1 on a free port and serves from a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeSlack is already running")
        server = _Server(("127.0.0.1", 0), _RequestHandler)
        server.fake = self
        self._server = server
        self._url = f"http://127.0.0.1:{server.server_address[1]}/api/"
        self._thread = threading.Thread(
            # A short poll interval keeps stop() (and so each test teardown) to ~10 ms.
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-slack",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL for ``WebClient(base_url=...)``; slack_sdk appends the method name."""
        if self._url is None:
            raise RuntimeError("FakeSlack.start() has not been called")
        return self._url

    @property
    def response_url(self) -> str:
        """A slash-command/action ``response_url``; posts to it are recorded as method "response_url"."""
        return self.url.replace("/api/", "/response_url")

    # ---- test controls ---------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Blocks until ``count`` calls to ``method`` were recorded; the bot works on other threads."""
        with self._cond:
            done = self._cond.wait_for(
                lambda: sum(c.method == method for c in self.calls) >= count, timeout=timeout
            )
            matching = [c for c in self.calls if c.method == method]
            if not done:
                seen = ", ".join(
                    f"{c.method}({'ok' if c.ok else c.response.get('error')})" for c in self.calls[-20:]
                )
                raise AssertionError(
                    f"expected {count} call(s) to {method} within {timeout}s, saw {len(matching)}; "
                    f"recent calls: [{seen}]"
                )
            return matching

    def reset(self) -> None:
        """Forgets calls, messages, views, files, triggers, injected failures, spent rate limits and
        changed scopes; users stay."""
        with self._lock:
            self.calls.clear()
            self.messages.clear()
            self.views.clear()
            self.files.clear()
            self._injected.clear()
            self._hangs.clear()
            self._triggers.clear()
            self._buckets.clear()
            self._workspace_bucket = None
            self._tier3_buckets.clear()
            self.scopes = self._default_scopes
            self._pending_uploads.clear()
            self._home_views.clear()
            self._members.clear()
            self.revoked = False

    def issue_trigger_id(self) -> str:
        """A trigger id as an interaction payload would carry: valid 3 s of ``clock``, single use."""
        with self._lock:
            number = self._next_number()
            trigger_id = f"{number}.{1_000_000_000 + number}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(expires_at=self._clock() + TRIGGER_TTL_SECONDS)
            return trigger_id

    def expire_trigger(self, trigger_id: str) -> None:
        with self._lock:
            if trigger_id not in self._triggers:
                raise KeyError(f"unknown trigger id {trigger_id!r}")
            self._triggers[trigger_id].expires_at = -math.inf

    def add_user(
        self,
        user_id: str,
        *,
        tz: str = "America/Los_Angeles",
        name: str | None = None,
        deleted: bool = False,
        is_bot: bool = False,
        real_name: str | None = None,
        display_name: str = "",
    ) -> None:
        """A member; `name` is their handle, and like Slack, a display name left unset is ""."""
        ZoneInfo(tz)  # fail here, not inside a request, on a bad zone name
        with self._lock:
            self._users[user_id] = {
                "id": user_id,
                "name": name or user_id.lower(),
                "real_name": real_name or name or user_id.lower(),
                "display_name": display_name,
                "tz": tz,
                "deleted": deleted,
                "is_bot": is_bot,
            }

    def set_members(self, channel: str, members: Sequence[str]) -> None:
        """A channel and who is in it (include ``bot_user_id`` for a channel the bot was invited to)."""
        with self._lock:
            self._members[channel] = list(members)

    def user_posts(
        self, channel: str, user: str, text: str, *, thread_ts: str | None = None, ts: str | None = None
    ) -> Json:
        """A person's message, stored as Slack would store it, so the history and thread methods
        return it; the test delivers the matching event itself (or not: the bot was down).
        Returns the message as the event's ``event`` field carries it."""
        with self._lock:
            message: Json = {
                "type": "message",
                "ts": ts or self._next_ts(),
                "user": user,
                "team": self.team_id,
                "text": text,
                "thread_ts": thread_ts,
            }
            self.messages.setdefault(channel, []).append(message)
            return {k: v for k, v in message.items() if v is not None} | {
                "channel": channel,
                "channel_type": "channel",
            }

    def fail_next(self, method: str, error: str, times: int = 1, *, status: int = 200) -> None:
        """The next `times` calls are answered `error` (with HTTP `status`: 500 for a server fault)."""
        with self._lock:
            self._injected.setdefault(method, deque()).extend(
                _Injected(error, status=status) for _ in range(times)
            )

    def hang_next(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls are carried out (a post is stored, as when Slack took it) but
        answered only after `seconds`, by closing the connection: a client timing out sooner
        cannot know whether the call was taken."""
        with self._lock:
            self._hangs.setdefault(method, deque()).extend(seconds for _ in range(times))

    def _take_hang(self, method: str) -> float | None:
        with self._lock:
            queue = self._hangs.get(method)
            return queue.popleft() if queue else None

    def drop_next(self, method: str, times: int = 4) -> None:
        """The next `times` requests get no answer (the connection closes). One call of a client
        can be up to four requests: a keep-alive client sends once more when a reused connection
        closes on it, and slack_sdk retries a connection error once."""
        with self._lock:
            self._injected.setdefault(method, deque()).extend(_Injected("", drop=True) for _ in range(times))

    def rate_limit_next(
        self, method: str, retry_after: int = 1, times: int = 1, *, channel: str | None = None
    ) -> None:
        """The next `times` calls (to `channel` only, if given) are answered 429."""
        with self._lock:
            self._injected.setdefault(method, deque()).extend(
                _Injected("ratelimited", retry_after=retry_after, channel=channel) for _ in range(times)
            )

    def _take_injected(self, method: str, args: Json) -> _Injected | None:
        queue = self._injected.get(method)
        for injected in queue or ():
            if injected.channel is None or injected.channel == args.get("channel"):
                queue.remove(injected)  # type: ignore[union-attr]
                return injected
        return None

    # ---- request entry points (called from server threads) ---------------------------------------

    def _handle_api(
        self, method: str, query: str, content_type: str, body: bytes, authorization: str | None
    ) -> tuple[int, Json, dict[str, str]]:
        try:
            args = _decode_args(query, content_type, body)
            decode_error = None
        except _ApiError as exc:
            args, decode_error = {}, exc
        token_arg = args.pop("token", None)
        with self._cond:  # answering and recording is one step, so ``calls`` is in answer order
            if decode_error is not None:
                status, response, headers = 200, decode_error.payload(), {}
            else:
                status, response, headers = self._respond(method, args, authorization, token_arg)
            self.calls.append(Call(method=method, args=args, response=response, status=status))
            self._cond.notify_all()
        return status, response, headers

    def _respond(
        self, method: str, args: Json, authorization: str | None, token_arg: Any
    ) -> tuple[int, Json, dict[str, str]]:
        """Auth, injected failures, rate limits, then the method itself.  Caller holds the lock."""
        if method != "api.test":
            auth_error = self._auth_error(
                authorization, token_arg, app_level=method == "apps.connections.open"
            )
            if auth_error:
                return 200, {"ok": False, "error": auth_error}, {}
        needed = self._scope_needed(method, args)
        if needed is not None and needed not in self.scopes:
            refusal = {"ok": False, "error": "missing_scope", "needed": needed}
            return 200, {**refusal, "provided": ",".join(sorted(self.scopes))}, {}
        injected = self._take_injected(method, args)
        if injected is not None:
            if injected.drop:
                return DROPPED, {}, {}
            if injected.retry_after is not None:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(injected.retry_after)}
            return injected.status, {"ok": False, "error": injected.error}, {}
        handler = self._methods.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        if method in TIER3_METHODS:
            retry_after = self._take_tier3_token(method)
            if retry_after is not None:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        if method == "chat.postMessage":
            retry_after = self._take_post_tokens(args)
            if retry_after is not None:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        headers = {"x-oauth-scopes": ",".join(self.scopes)} if method == "auth.test" else {}
        try:
            return 200, {"ok": True, **handler(args)}, headers
        except _ApiError as exc:
            return 200, exc.payload(), {}

    def _scope_needed(self, method: str, args: Json) -> str | None:
        """The scope `method` needs, for the conversation it names when that matters."""
        by_type = _SCOPE_BY_CONVERSATION.get(method)
        if by_type is None:
            return _SCOPE_OF_METHOD.get(method)
        channel = str(args.get("channel") or "")
        return by_type.get(self._dm_channel_for(channel)[:1]) if channel else None

    def _take_tier3_token(self, method: str) -> int | None:
        """A Tier 3 method's bucket: a call takes a token, or gets the seconds until one is back."""
        now = self._clock()
        rate = self.tier3_per_minute / 60
        burst = max(1.0, self.tier3_per_minute)
        bucket = self._tier3_buckets.setdefault(method, _Bucket(tokens=burst, updated=now))
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens < 1:
            return max(1, math.ceil((1 - bucket.tokens) / rate))
        bucket.tokens -= 1
        return None

    def _auth_error(self, authorization: str | None, token_arg: Any, *, app_level: bool) -> str | None:
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return "invalid_auth"
        elif token_arg:
            token = str(token_arg)  # Slack also accepts a token argument
        else:
            return "not_authed"
        expected, other = (self.app_token, self.token) if app_level else (self.token, self.app_token)
        if token.strip() == other:
            return "not_allowed_token_type"
        if token.strip() != expected:
            return "invalid_auth"
        return "token_revoked" if self.revoked and not app_level else None

    def _receive_response_url(self, content_type: str, body: bytes) -> tuple[int, Json]:
        """A webhook-style reply (WebhookClient JSON); needs no token, validated like a message."""
        args: Json = {}
        try:
            args = _decode_args("", content_type, body)
            if not _truthy(args.get("delete_original", False)):
                self._message_content(args)
            status, response = 200, {"ok": True}
        except _ApiError as exc:
            status, response = 400, exc.payload()
        with self._cond:
            self.calls.append(Call(method="response_url", args=args, response=response, status=status))
            self._cond.notify_all()
        return status, response

    def _receive_upload(self, file_id: str, content_type: str, body: bytes) -> tuple[int, str]:
        """Step 2 of the v2 upload flow: bytes POSTed to the URL files.getUploadURLExternal gave out."""
        if content_type.split(";", 1)[0].strip().lower() == "multipart/form-data":
            _fields, files = _parse_multipart(content_type, body)
            body = files.get("file", next(iter(files.values()), b""))
        with self._lock:
            pending = self._pending_uploads.get(file_id)
            if pending is None:
                return 404, "Not Found"
            pending["content"] = body
        return 200, f"OK - {len(body)}"

    # ---- state helpers (caller holds the lock) ---------------------------------------------------

    def _next_number(self) -> int:
        self._counter += 1
        return self._counter

    def _next_ts(self) -> str:
        """Wall-clock based like Slack's, bumped so every ts is unique and increasing."""
        micros = max(int(time.time() * 1_000_000), self._last_ts_micros + 1)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{secrets.token_hex(4)}"

    def _take_post_tokens(self, args: Json) -> int | None:
        """chat.postMessage's token buckets: per channel and workspace-wide, each when set. A
        post takes a token from every bucket that applies, or from none and gets a Retry-After
        in whole seconds (at least 1), long enough for every empty bucket to have a token."""
        now = self._clock()
        limits: list[tuple[_Bucket, float, float]] = []
        if self.per_channel_per_second is not None and args.get("channel"):
            channel = self._dm_channel_for(str(args["channel"]))
            bucket = self._buckets.setdefault(channel, _Bucket(tokens=CHANNEL_BURST, updated=now))
            limits.append((bucket, self.per_channel_per_second, CHANNEL_BURST))
        if self.workspace_per_second is not None:
            if self._workspace_bucket is None:
                self._workspace_bucket = _Bucket(tokens=self.workspace_burst, updated=now)
            limits.append((self._workspace_bucket, self.workspace_per_second, self.workspace_burst))
        for bucket, rate, burst in limits:
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
        empty = [(bucket, rate) for bucket, rate, _ in limits if bucket.tokens < 1]
        if empty:
            return max(max(1, math.ceil((1 - bucket.tokens) / rate)) for bucket, rate in empty)
        for bucket, _, _ in limits:
            bucket.tokens -= 1
        return None

    @staticmethod
    def _dm_channel_for(channel: str) -> str:
        """Posting to a user id means their DM; the D id is derived so tests can predict it."""
        if channel[:1] in ("U", "W"):
            return "D" + channel[1:]
        return channel

    def _require_channel(self, args: Json, key: str = "channel") -> str:
        channel = args.get(key)
        if not channel or not isinstance(channel, str):
            raise _ApiError("channel_not_found")
        return channel

    def _find_message(self, channel: str, ts: Any) -> Json:
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise _ApiError("message_not_found")

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

    def _message_content(self, args: Json, *, require_content: bool = True) -> None:
        """Shared chat.* checks: no_text, msg_too_long, invalid_blocks, msg_blocks_too_long."""
        text = args.get("text")
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            raise _ApiError("invalid_blocks_format")
        if "metadata" in args and args["metadata"] not in (None, ""):
            metadata = args["metadata"]
            if not isinstance(metadata, dict):
                raise _ApiError("invalid_metadata_format")
            if not isinstance(metadata.get("event_type"), str) or not isinstance(
                metadata.get("event_payload"), dict
            ):
                raise _ApiError("invalid_metadata_schema")
        if require_content and not text and not blocks and not args.get("attachments"):
            raise _ApiError("no_text")
        if text is not None and len(str(text)) > MAX_MESSAGE_TEXT:
            raise _ApiError("msg_too_long")
        if blocks is not None:
            checker = _BlockKitChecker()
            checker.blocks(blocks, "/blocks", max_blocks=MAX_MESSAGE_BLOCKS)
            if checker.errors:
                raise _ApiError("invalid_blocks", checker.errors)
            if _block_text_chars(blocks) > MAX_MESSAGE_BLOCK_TEXT:
                raise _ApiError("msg_blocks_too_long")

    def _use_trigger(self, args: Json) -> _Trigger:
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not trigger_id:
            raise _ApiError(
                "invalid_arguments", ["[ERROR] missing required field: trigger_id [json-pointer:/]"]
            )
        trigger = self._triggers.get(str(trigger_id))
        if trigger is None or trigger.used:
            raise _ApiError("invalid_trigger_id")
        if self._clock() >= trigger.expires_at:
            raise _ApiError("expired_trigger_id")
        return trigger

    def _checked_view(self, args: Json, allowed_types: tuple[str, ...]) -> Json:
        view = args.get("view")
        if view is None or view == "":
            raise _ApiError("invalid_arguments", ["[ERROR] missing required field: view [json-pointer:/]"])
        if isinstance(view, str):
            raise _ApiError("invalid_arguments", ["[ERROR] must provide an object [json-pointer:/view]"])
        if len(json.dumps(view, separators=(",", ":"), ensure_ascii=False).encode()) > MAX_VIEW_BYTES:
            raise _ApiError("view_too_large")
        checker = _BlockKitChecker()
        checker.view(view, "/view", allowed_types)
        if checker.errors:
            raise _ApiError("invalid_arguments", checker.errors)
        return view

    def _check_external_id_free(self, view: Json, *, except_view_id: str | None = None) -> None:
        external_id = view.get("external_id")
        if external_id and any(
            v.get("external_id") == external_id and vid != except_view_id for vid, v in self.views.items()
        ):
            raise _ApiError("duplicate_external_id")

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
            "hash": self._new_hash(),
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

    # ---- methods ---------------------------------------------------------------------------------

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

    def _chat_post_message(self, args: Json) -> Json:
        requested = self._require_channel(args)
        channel = self._dm_channel_for(requested)
        if channel in self._members and self.bot_user_id not in self._members[channel]:
            raise _ApiError("not_in_channel")
        if channel != requested:
            user = self._users.get(requested)
            if user is not None and user["deleted"]:
                raise _ApiError("account_inactive")
        self._message_content(args)
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
            if args.get("thread_ts") and _truthy(args.get("reply_broadcast"))
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
            raise _ApiError("user_not_found")
        self._message_content(args)
        return {"message_ts": self._next_ts()}

    def _chat_update(self, args: Json) -> Json:
        channel = self._require_channel(args)
        message = self._find_message(channel, args.get("ts"))
        self._message_content(args)
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

    def _conversations_members(self, args: Json) -> Json:
        channel = self._require_channel(args)
        if channel not in self._members:
            raise _ApiError("channel_not_found")
        return {"members": list(self._members[channel]), "response_metadata": {"next_cursor": ""}}

    def _conversations_open(self, args: Json) -> Json:
        if args.get("channel"):
            return {"channel": {"id": str(args["channel"])}}
        users = args.get("users")
        if isinstance(users, str):
            users = [u.strip() for u in users.split(",") if u.strip()]
        if not users:
            raise _ApiError("users_list_not_supplied")
        if len(users) > 8:
            raise _ApiError("too_many_users")
        for user_id in users:
            user = self._users.get(user_id)
            if user is not None and user["deleted"]:
                raise _ApiError("user_disabled")
        if len(users) == 1:
            return {"channel": {"id": self._dm_channel_for(users[0]), "is_im": True, "user": users[0]}}
        digest = hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()
        return {"channel": {"id": f"G{digest}", "is_im": False, "is_mpim": True}}

    @staticmethod
    def _limit(args: Json, *, default: int, maximum: int) -> int:
        try:
            limit = int(args.get("limit") or default)
        except (TypeError, ValueError):
            raise _ApiError("invalid_limit") from None
        return default if limit <= 0 else min(limit, maximum)

    def _conversations_history(self, args: Json) -> Json:
        channel = self._require_channel(args)
        limit = self._limit(args, default=100, maximum=999)
        include_metadata = _truthy(args.get("include_all_metadata"))
        inclusive = _truthy(args.get("inclusive"))
        oldest = _ts_micros(args["oldest"], "invalid_ts_oldest") if args.get("oldest") else None
        latest = _ts_micros(args["latest"], "invalid_ts_latest") if args.get("latest") else None
        before = _decode_cursor(str(args["cursor"])) if args.get("cursor") else None

        def wanted(message: Json) -> bool:
            if message.get("thread_ts") not in (None, message["ts"]) and not message.get("reply_broadcast"):
                return False  # thread replies live in conversations.replies
            ts = _ts_micros(message["ts"], "invalid_ts_latest")
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
            raise _ApiError("thread_not_found")
        try:
            message = self._find_message(channel, args["ts"])
        except _ApiError:
            raise _ApiError("thread_not_found") from None
        parent_ts = message.get("thread_ts") or message["ts"]
        try:
            parent = self._find_message(channel, parent_ts)
        except _ApiError:
            raise _ApiError("thread_not_found") from None
        threads = self._threads(channel)
        thread = [parent, *threads.get(parent_ts, [])]
        limit = self._limit(args, default=1000, maximum=1000)
        include_metadata = _truthy(args.get("include_all_metadata"))
        return {
            "messages": [
                self._render_message(m, threads, include_metadata=include_metadata) for m in thread[:limit]
            ],
            "has_more": len(thread) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _users_info(self, args: Json) -> Json:
        user = self._users.get(str(args.get("user") or ""))
        if user is None:
            raise _ApiError("user_not_found")
        now = datetime.now(ZoneInfo(user["tz"]))
        offset = now.utcoffset()
        return {
            "user": {
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

    def _views_open(self, args: Json) -> Json:
        trigger = self._use_trigger(args)
        view = self._checked_view(args, ("modal",))
        self._check_external_id_free(view)
        trigger.used = True  # only a successful open consumes the trigger
        return {"view": copy.deepcopy(self._store_view(view))}

    def _views_push(self, args: Json) -> Json:
        trigger = self._use_trigger(args)
        view = self._checked_view(args, ("modal",))
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
            raise _ApiError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        view = self._checked_view(args, ("modal", "home"))
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
            raise _ApiError("invalid_arguments", ["[ERROR] missing required field: user_id [json-pointer:/]"])
        user = self._users.get(str(user_id))
        if user is not None and user["deleted"]:
            raise _ApiError("user_not_found")
        existing_id = self._home_views.get(str(user_id))
        if existing_id and args.get("hash") and args["hash"] != self.views[existing_id]["hash"]:
            raise _ApiError("hash_conflict")
        view = self._checked_view(args, ("home",))
        stored = self._store_view(view, view_id=existing_id)
        self._home_views[str(user_id)] = stored["id"]
        return {"view": copy.deepcopy(stored)}

    def _files_get_upload_url(self, args: Json) -> Json:
        filename = args.get("filename")
        if not filename:
            raise _ApiError(
                "invalid_arguments", ["[ERROR] missing required field: filename [json-pointer:/]"]
            )
        try:
            length = int(args.get("length", ""))
        except (TypeError, ValueError):
            raise _ApiError(
                "invalid_arguments", ["[ERROR] missing required field: length [json-pointer:/]"]
            ) from None
        file_id = f"F{self._next_number():08d}"
        self._pending_uploads[file_id] = {"filename": str(filename), "length": length, "content": None}
        return {"upload_url": self.url.replace("/api/", f"/upload/{file_id}"), "file_id": file_id}

    def _files_complete_upload(self, args: Json) -> Json:
        files = args.get("files")
        if (
            not isinstance(files, list)
            or not files
            or not all(isinstance(f, dict) and f.get("id") for f in files)
        ):
            raise _ApiError("invalid_arguments", ["[ERROR] missing required field: files [json-pointer:/]"])
        for entry in files:
            pending = self._pending_uploads.get(str(entry["id"]))
            if pending is None or pending["content"] is None:
                raise _ApiError("file_not_found")
        channels = [c for c in str(args.get("channels") or "").split(",") if c]
        channel = args.get("channel_id") or (channels[0] if channels else None)
        completed = []
        for entry in files:
            pending = self._pending_uploads.pop(str(entry["id"]))
            record = {
                "id": entry["id"],
                "title": entry.get("title") or pending["filename"],
                "filename": pending["filename"],
                "content": pending["content"],
                "channel": channel,
                "initial_comment": args.get("initial_comment"),
                "thread_ts": args.get("thread_ts"),
            }
            self.files[entry["id"]] = record
            completed.append(
                {
                    "id": record["id"],
                    "title": record["title"],
                    "name": record["filename"],
                    "size": len(record["content"]),
                    "channels": [channel] if channel else [],
                }
            )
        return {"files": completed}
