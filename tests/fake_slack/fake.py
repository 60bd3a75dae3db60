"""The fake itself: one workspace's Web API served over HTTP, with every call recorded.

Each call goes through what Slack does before a method runs (the token, the scope, a failure a
test queued, the rate limits) and is recorded with its answer, in answer order, for tests to
wait on and read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from tests.fake_slack.chat import ChatMethods
from tests.fake_slack.content import check_message
from tests.fake_slack.conversations import ConversationMethods
from tests.fake_slack.files import FileMethods
from tests.fake_slack.identity import IdentityMethods
from tests.fake_slack.injected import Failures, Injected
from tests.fake_slack.limits import TIER3_METHODS, TIER3_PER_MINUTE, WORKSPACE_BURST, RateLimits
from tests.fake_slack.scopes import manifest_scopes, scope_needed
from tests.fake_slack.server import DROPPED, Listener
from tests.fake_slack.views import ViewMethods
from tests.fake_slack.wire import ApiError, Json, decode_args, parse_multipart, truthy


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


class FakeSlack(ChatMethods, ConversationMethods, ViewMethods, FileMethods, IdentityMethods):
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
        self._limits = RateLimits(
            clock=clock,
            per_channel_per_second=per_channel_per_second,
            workspace_per_second=workspace_per_second,
            workspace_burst=workspace_burst,
            tier3_per_minute=tier3_per_minute,
        )
        super().__init__(bot_user_id=bot_user_id, team_id=team_id, clock=clock)
        self.token = token
        # The app-level token (Socket Mode): it opens connections and calls nothing else, and the
        # bot token cannot open one, as in Slack.
        self.app_token = app_token
        # A revoked token is refused everywhere with token_revoked.
        self.revoked = False
        # What the installed app may do: the manifest's bot scopes unless a test says otherwise,
        # enforced on every method and sent as auth.test's x-oauth-scopes header.
        self._default_scopes = frozenset(scopes) if scopes is not None else manifest_scopes()
        self.scopes = self._default_scopes

        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._listener: Listener | None = None
        self._url: str | None = None
        self.calls: list[Call] = []
        self._failures = Failures()

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
        if self._listener is not None:
            raise RuntimeError("FakeSlack is already running")
        self._listener = Listener(self)
        self._url = self._listener.url
        return self

    def stop(self) -> None:
        if self._listener is None:
            return
        self._listener.close()
        self._listener = None

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

    def close_idle_connections(self) -> None:
        """Close every kept-alive connection waiting for its next request, without a word."""
        if self._listener is not None:
            self._listener.close_idle_connections()

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
            self._failures.clear()
            self._triggers.clear()
            self._limits.clear()
            self.scopes = self._default_scopes
            self._pending_uploads.clear()
            self._home_views.clear()
            self._members.clear()
            self.revoked = False

    def issue_trigger_id(self) -> str:
        """A trigger id as an interaction payload would carry: valid 3 s of ``clock``, single use."""
        with self._lock:
            return self._triggers.issue(self._next_number())

    def expire_trigger(self, trigger_id: str) -> None:
        with self._lock:
            self._triggers.expire(trigger_id)

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
        locale: str = "en-US",
    ) -> None:
        """A member; `name` is their handle, and like Slack, a display name left unset is "".
        `locale` is their Slack language (`es-LA`), which users.info gives with include_locale."""
        ZoneInfo(tz)  # fail here, not inside a request, on a bad zone name
        with self._lock:
            self._users[user_id] = {
                "id": user_id,
                "name": name or user_id.lower(),
                "real_name": real_name or name or user_id.lower(),
                "display_name": display_name,
                "tz": tz,
                "locale": locale,
                "deleted": deleted,
                "is_bot": is_bot,
            }

    def set_locale(self, user_id: str, locale: str) -> None:
        """The person changes their Slack language."""
        with self._lock:
            self._users[user_id]["locale"] = locale

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
            self._failures.add(method, [Injected(error, status=status) for _ in range(times)])

    def hang_next(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls are carried out (a post is stored, as when Slack took it) but
        answered only after `seconds`, by closing the connection: a client timing out sooner
        cannot know whether the call was taken."""
        with self._lock:
            self._failures.add_hangs(method, seconds, times)

    def drop_next(self, method: str, times: int = 1) -> None:
        """The next `times` requests get no answer (the connection closes before anything is
        done). The bot's client never sends a request again once it has been written, so one
        call is one request."""
        with self._lock:
            self._failures.add(method, [Injected("", drop=True) for _ in range(times)])

    def rate_limit_next(
        self, method: str, retry_after: int = 1, times: int = 1, *, channel: str | None = None
    ) -> None:
        """The next `times` calls (to `channel` only, if given) are answered 429."""
        with self._lock:
            self._failures.add(
                method,
                [Injected("ratelimited", retry_after=retry_after, channel=channel) for _ in range(times)],
            )

    # ---- request entry points (called from server threads) ---------------------------------------

    def take_hang(self, method: str) -> float | None:
        with self._lock:
            return self._failures.take_hang(method)

    def answer_api(
        self, method: str, query: str, content_type: str, body: bytes, authorization: str | None
    ) -> tuple[int, Json, dict[str, str]]:
        try:
            args = decode_args(query, content_type, body)
            decode_error = None
        except ApiError as exc:
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

    def answer_response_url(self, content_type: str, body: bytes) -> tuple[int, Json]:
        """A webhook-style reply (WebhookClient JSON); needs no token, validated like a message."""
        args: Json = {}
        try:
            args = decode_args("", content_type, body)
            if not truthy(args.get("delete_original", False)):
                check_message(args)
            status, response = 200, {"ok": True}
        except ApiError as exc:
            status, response = 400, exc.payload()
        with self._cond:
            self.calls.append(Call(method="response_url", args=args, response=response, status=status))
            self._cond.notify_all()
        return status, response

    def answer_upload(self, file_id: str, content_type: str, body: bytes) -> tuple[int, str]:
        if content_type.split(";", 1)[0].strip().lower() == "multipart/form-data":
            _fields, files = parse_multipart(content_type, body)
            body = files.get("file", next(iter(files.values()), b""))
        with self._lock:
            return self._receive_upload(file_id, body)

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
        # The conversation the call names, a user id resolved to their DM ("" when it names none).
        channel = self._dm_channel_for(str(args.get("channel") or ""))
        needed = scope_needed(method, channel)
        if needed is not None and needed not in self.scopes:
            refusal = {"ok": False, "error": "missing_scope", "needed": needed}
            return 200, {**refusal, "provided": ",".join(sorted(self.scopes))}, {}
        injected = self._failures.take(method, args)
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
            retry_after = self._limits.take_tier3(method)
            if retry_after is not None:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        if method == "chat.postMessage":
            retry_after = self._limits.take_post(channel)
            if retry_after is not None:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        headers = {"x-oauth-scopes": ",".join(self.scopes)} if method == "auth.test" else {}
        try:
            return 200, {"ok": True, **handler(args)}, headers
        except ApiError as exc:
            return 200, exc.payload(), {}

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
