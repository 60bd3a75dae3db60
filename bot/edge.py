"""The request edge: what reaches bolt was signed by Slack and has the shape Slack sends.

Bolt parses a request before it verifies it, and its parsing assumes Slack's shapes: an
unsigned `payload=[]` or a timestamp header of `²` raised inside it and answered 500 with a
traceback. Here the signature is checked first, over the raw bytes (so nothing of an unsigned
body is ever parsed), and then the payload is checked against the shapes the listeners read,
so a listener never meets a string where Slack sends an object. A refusal is logged in one line
that names its kind, never the body, and at most `limit` lines a window, so a flood cannot fill
the log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger(__name__)

# Slack's own rule: a request more than five minutes old (or ahead) is a replay.
SIGNATURE_MAX_AGE = 300
# A Unix time in seconds has 10 digits until the year 2286.
TIMESTAMP_MAX_DIGITS = 12
# Slack's payloads nest a handful of levels (view.state.values.block.action.selected_option).
MAX_DEPTH = 32


class Malformed(ValueError):
    """A payload that is not the shape Slack sends. Its message names the field by our own
    spec's path (never a key or a value from the body), so it may be logged."""


def verified(headers: Mapping[str, str], body: bytes, secret: str, now: float) -> bool:
    """Slack's v0 signature: HMAC-SHA256 over `v0:{timestamp}:{raw body}`, the timestamp ASCII
    digits within SIGNATURE_MAX_AGE of now, compared in constant time."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not secret or timestamp is None or signature is None or not signature.isascii():
        return False
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= TIMESTAMP_MAX_DIGITS):
        return False
    if abs(now - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest(b"v0=" + digest.hexdigest().encode(), signature.encode("ascii"))


class RefusalLog:
    """At most `limit` refusal lines per `window` seconds; the next line allowed says how many
    were left out."""

    def __init__(self, *, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self._limit, self._window, self._clock = limit, window, clock
        self._lock = threading.Lock()
        self._started = -math.inf
        self._written = 0
        self._dropped = 0

    def refused(self, status: int, reason: str) -> None:
        with self._lock:
            now = self._clock()
            if now - self._started >= self._window:
                self._started, self._written = now, 0
            if self._written >= self._limit:
                self._dropped += 1
                return
            self._written += 1
            dropped, self._dropped = self._dropped, 0
        suffix = f" ({dropped} more refused since the last line)" if dropped else ""
        log.warning("refused request: %d %s%s", status, reason, suffix)


refusal_log = RefusalLog()

# --- shapes ------------------------------------------------------------------------------------

Spec = Callable[[Any, str], None]


def _fail(where: str, what: str) -> None:
    raise Malformed(f"{where} {what}")


def text(value: Any, where: str) -> None:
    if not isinstance(value, str):
        _fail(where, "is not text")


def link(value: Any, where: str) -> None:
    """Where the bot answers a request later (a response_url): empty, or a web address. Slack's
    are https; the fake Slack in tests serves http on loopback."""
    if not isinstance(value, str):
        _fail(where, "is not text")
    if value:
        try:
            parts = urlsplit(value)
            web = parts.scheme in ("https", "http") and bool(parts.hostname)
        except ValueError:  # an unbalanced [ in the host, a port out of range
            web = False
        if not web:
            _fail(where, "is not a web address")


def an_id(value: Any, where: str) -> None:
    if not isinstance(value, str) or not value:
        _fail(where, "is not an id")


def flag(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        _fail(where, "is not true or false")


def maybe(spec: Spec) -> Spec:
    def check(value: Any, where: str) -> None:
        if value is not None:
            spec(value, where)

    return check


def either(*specs: Spec) -> Spec:
    def check(value: Any, where: str) -> None:
        for spec in specs:
            try:
                spec(value, where)
                return
            except Malformed:
                continue
        _fail(where, "has none of the shapes Slack sends")

    return check


def listing(item: Spec, *, at_least: int = 0) -> Spec:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, list) or len(value) < at_least:
            _fail(where, "is not a list")
        for each in value:
            item(each, f"{where}[]")

    return check


def mapping(item: Spec) -> Spec:
    """An object keyed by ids Slack or we chose (block ids, action ids)."""

    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict):
            _fail(where, "is not an object")
        for each in value.values():
            item(each, f"{where}.*")

    return check


def shape(required: Mapping[str, Spec] | None = None, **optional: Spec) -> Spec:
    """An object with these fields; others are allowed (Slack adds fields over time)."""
    required = required or {}

    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict):
            _fail(where, "is not an object")
        for name, spec in required.items():
            if name not in value:
                _fail(f"{where}.{name}", "is missing")
            spec(value[name], f"{where}.{name}")
        for name, spec in optional.items():
            if name in value:
                spec(value[name], f"{where}.{name}")

    return check


OPTION = shape(value=maybe(text))
ELEMENT_STATE = shape(
    type=maybe(text),
    value=maybe(text),
    selected_option=maybe(OPTION),
    selected_options=maybe(listing(OPTION)),
    selected_date=maybe(text),
    selected_time=maybe(text),
    selected_user=maybe(text),
    selected_users=maybe(listing(text)),
    selected_conversation=maybe(text),
    selected_conversations=maybe(listing(text)),
    selected_channel=maybe(text),
)
STATE = shape({"values": mapping(mapping(ELEMENT_STATE))})
VIEW = shape(
    {"id": an_id},
    type=maybe(text),
    team_id=maybe(text),
    callback_id=maybe(text),
    private_metadata=maybe(text),
    hash=maybe(text),
    root_view_id=maybe(text),
    previous_view_id=maybe(text),
    app_installed_team_id=maybe(text),
    external_id=maybe(text),
    state=maybe(STATE),
    blocks=maybe(listing(shape())),
    title=maybe(shape()),
)
USER = shape({"id": an_id}, team_id=maybe(text), name=maybe(text), username=maybe(text))
TEAM = maybe(shape(id=maybe(text), enterprise_id=maybe(text), domain=maybe(text)))
ENTERPRISE = maybe(either(text, shape(id=maybe(text))))
AUTHORIZATIONS = maybe(
    listing(
        shape(
            team_id=maybe(text),
            enterprise_id=maybe(text),
            user_id=maybe(text),
            is_bot=maybe(flag),
            is_enterprise_install=maybe(flag),
        )
    )
)
CHANNEL = shape(id=maybe(text), name=maybe(text))
MESSAGE = shape(ts=maybe(text), thread_ts=maybe(text), text=maybe(text), user=maybe(text))
CONTAINER = shape(
    type=maybe(text),
    channel_id=maybe(text),
    message_ts=maybe(text),
    thread_ts=maybe(text),
    view_id=maybe(text),
    is_ephemeral=maybe(flag),
)
ACTION = shape(
    {"action_id": an_id},
    block_id=maybe(text),
    type=maybe(text),
    value=maybe(text),
    action_ts=maybe(text),
    selected_option=maybe(OPTION),
    selected_options=maybe(listing(OPTION)),
    selected_user=maybe(text),
    selected_date=maybe(text),
    selected_time=maybe(text),
    selected_conversation=maybe(text),
)
_INTERACTIVE_COMMON = {
    "team": TEAM,
    "enterprise": ENTERPRISE,
    "authorizations": AUTHORIZATIONS,
    "is_enterprise_install": maybe(flag),
    "api_app_id": maybe(text),
    "trigger_id": maybe(text),
    "response_url": maybe(link),
    "channel": maybe(CHANNEL),
    "message": maybe(MESSAGE),
    "container": maybe(CONTAINER),
    "callback_id": maybe(text),
}
INTERACTIVE = {
    "block_actions": shape({"user": USER, "actions": listing(ACTION, at_least=1)}, **_INTERACTIVE_COMMON),
    "view_submission": shape({"user": USER, "view": VIEW}, **_INTERACTIVE_COMMON),
    "view_closed": shape({"user": USER, "view": VIEW}, **_INTERACTIVE_COMMON, is_cleared=maybe(flag)),
    "message_action": shape(
        {"user": USER, "callback_id": an_id, "channel": CHANNEL, "message": MESSAGE},
        **_INTERACTIVE_COMMON,
        message_ts=maybe(text),
    ),
    "shortcut": shape({"user": USER, "callback_id": an_id}, **_INTERACTIVE_COMMON),
}
_USER_REF = maybe(either(text, shape(id=maybe(text), team_id=maybe(text), tz=maybe(text))))
_EVENT_COMMON = {
    "type": text,
    "user": _USER_REF,
    "channel": maybe(either(text, shape(id=maybe(text)))),
    "team": maybe(text),
    "user_team": maybe(text),
    "ts": maybe(text),
    "thread_ts": maybe(text),
    "item": maybe(shape(channel=maybe(text))),
}
EVENTS = {
    "message": shape(
        {"channel": text},
        **{**_EVENT_COMMON, "user": maybe(text)},
        text=maybe(text),
        subtype=maybe(text),
        bot_id=maybe(text),
        message=maybe(MESSAGE),
        previous_message=maybe(MESSAGE),
        deleted_ts=maybe(text),
    ),
    "member_joined_channel": shape(
        {"user": text, "channel": text},
        **{**_EVENT_COMMON, "user": text, "channel": text},
        inviter=maybe(text),
    ),
    "user_change": shape({"user": _USER_REF}, **_EVENT_COMMON),
    "app_home_opened": shape({"user": text}, **{**_EVENT_COMMON, "user": text}, tab=maybe(text)),
}
_EVENT_ANY = shape({"type": text}, **_EVENT_COMMON)
EVENT_ENVELOPE = shape(
    {"event": shape({"type": text})},
    team_id=maybe(text),
    enterprise_id=maybe(text),
    event_id=maybe(text),
    authorizations=AUTHORIZATIONS,
    is_ext_shared_channel=maybe(flag),
)
COMMAND = shape({"command": text, "user_id": an_id, "team_id": an_id}, response_url=maybe(link))


def read_body(raw: str, content_type: str | None) -> Any:
    """The body as Slack meant it: JSON (events), or a form whose `payload` field is JSON
    (interactivity), or a plain form (slash commands). Raises ValueError when unreadable.

    Bolt 1.30 reads any form that merely contains the word "payload" (`/coach payload`, or a
    command whose text says it) as an interactive payload and finds nothing; the server hands
    bolt this reading instead."""
    if not raw:
        return {}
    if content_type == "application/json" or raw.startswith("{"):
        return json.loads(raw)
    form = dict(parse_qsl(raw, keep_blank_values=True))
    return json.loads(form["payload"]) if "payload" in form else form


def check_values(body: Any) -> None:
    """Every value JSON can carry, but only text that can be stored: no lone surrogates (which
    no encoder accepts) and no NUL (which PostgreSQL refuses); numbers finite; nesting shallow."""
    pending: list[tuple[Any, int]] = [(body, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            _fail("the payload", "nests too deeply")
        if isinstance(value, str):
            if "\x00" in value:
                _fail("a text", "holds a NUL character")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                _fail("a text", "is not valid Unicode")
        elif isinstance(value, float) and not math.isfinite(value):
            _fail("a number", "is not finite")
        elif isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def check_shape(body: Any) -> None:
    """Raise Malformed unless `body` (as bolt parses it) is one of the shapes Slack sends."""
    if not isinstance(body, dict):
        _fail("the payload", "is not an object")
    check_values(body)
    if "command" in body:
        COMMAND(body, "command")
        return
    if "ssl_check" in body:
        return
    if "view" in body:  # bolt reads it whatever the type, even to log an unhandled request
        VIEW(body["view"], "view")
    if "event" in body and not isinstance(body["event"], dict):
        # Bolt's middleware reads `event` as an object in a payload of any type.
        _fail("the event", "is not an object")
    kind = body.get("type")
    if not isinstance(kind, str):
        _fail("the payload", "has no type")
    if kind == "url_verification":
        shape({"challenge": text})(body, kind)
    elif kind == "event_callback":
        EVENT_ENVELOPE(body, kind)
        event = body["event"]
        EVENTS.get(event["type"], _EVENT_ANY)(event, f"{kind}.event")
    elif kind in INTERACTIVE:
        INTERACTIVE[kind](body, kind)
    else:
        shape(
            user=maybe(USER),
            team=TEAM,
            enterprise=ENTERPRISE,
            authorizations=AUTHORIZATIONS,
            actions=listing(ACTION),
        )(body, "payload")
