"""Every outbound Slack Web API call goes through here.

Listeners never sleep on a rate limit: a 429 or a transient failure surfaces as
`DeliveryFailed(transient=True)` and whatever was being sent stays in the database for a
scheduler job to retry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from bot.blocks.messages import Message
from bot.logs import slack_library_logger
from bot.slack_http import KeepAliveWebClient

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

TRIGGER_ERRORS = {"expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"}
# The install itself is refused: nothing the bot sends can succeed until an operator acts
# (reinstalls the app with the manifest's scopes, or gives it a new token).
INSTALL_ERRORS = {
    "missing_scope",
    "not_allowed_token_type",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "not_authed",
}
# Errors that sending the same call again cannot cure.
PERMANENT_ERRORS = INSTALL_ERRORS | {
    "user_not_found",
    "user_disabled",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "msg_blocks_too_long",
    "no_text",
    "invalid_metadata_format",
    "invalid_metadata_schema",
}


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: list[str]


class TriggerExpired(Exception):
    """Slack's 3-second window to open a modal passed: the coach is asked to try again."""


class DeliveryFailed(Exception):
    def __init__(
        self,
        error: str,
        *,
        transient: bool,
        posted: Posted | None = None,
        retry_after: float | None = None,
        unanswered: bool = False,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.transient = transient
        # Slack's Retry-After on a 429: when the same call may be made again.
        self.retry_after = retry_after
        # Messages of a multi-message post that went out before the failure.
        self.posted = posted
        # No answer came (a timeout, a dropped connection): Slack may have posted it anyway.
        self.unanswered = unanswered

    @property
    def maybe_posted(self) -> bool:
        return self.unanswered or bool(self.posted and self.posted.ts)


def make_client(*, token: str, base_url: str) -> WebClient:
    return KeepAliveWebClient(token=token, base_url=base_url, timeout=10, logger=slack_library_logger())


def _carries(message: dict, event_type: str, key: str, value: str) -> bool:
    """Whether a message's Slack metadata says `key == value` for our `event_type`."""
    metadata = message.get("metadata") or {}
    return metadata.get("event_type") == event_type and metadata.get("event_payload", {}).get(key) == value


def _error_code(error: SlackApiError) -> str:
    code = str(error.response.get("error") or f"http_{error.response.status_code}")
    if code in INSTALL_ERRORS:
        _tell_operator(error, code)
    return code


def _tell_operator(error: SlackApiError, code: str) -> None:
    """One line an operator can act on when Slack refuses the install itself. (`account_inactive`
    also answers a DM to a deactivated person; the line names it either way.)"""
    method = str(getattr(error.response, "api_url", "") or "").rstrip("/").rsplit("/", 1)[-1] or "a call"
    if code == "missing_scope":
        log.error(
            "Slack refused %s: missing_scope (needs %s; the app has %s): add the scope to the app "
            "from manifest.json and reinstall it",
            method,
            error.response.get("needed"),
            error.response.get("provided"),
        )
    elif code == "account_inactive":
        log.error(
            "Slack refused %s: account_inactive: the message was to a deactivated person, or the "
            "token's workspace or user is deactivated (then set SLACK_BOT_TOKEN anew)",
            method,
        )
    else:
        log.error(
            "Slack refused %s: %s: check SLACK_BOT_TOKEN (a bot token, xoxb-, of an installed app)",
            method,
            code,
        )


def _retry_after(error: SlackApiError) -> float | None:
    if error.response.status_code != 429:
        return None
    headers = {k.lower(): v for k, v in (error.response.headers or {}).items()}
    value = headers.get("retry-after")
    value = value[0] if isinstance(value, list) else value
    try:
        return max(1.0, float(value))
    except (TypeError, ValueError):
        return 1.0


class SlackGateway:
    def __init__(self, client: WebClient, metrics: Metrics | None = None) -> None:
        self._client = client
        self._metrics = metrics
        self._bot_user_id: str | None = None

    def _count(self, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.sends.labels(outcome=outcome).inc()
            if outcome == "rate_limited":
                self._metrics.rate_limited.inc()

    def open_view(self, *, trigger_id: str, view: dict) -> str:
        """Open a modal and return its view id."""
        try:
            response = self._client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as error:
            code = _error_code(error)
            if code in TRIGGER_ERRORS:
                raise TriggerExpired(code) from error
            log.error("views.open failed: %s", code)
            raise DeliveryFailed(code, transient=code not in PERMANENT_ERRORS) from error
        except (SlackClientError, OSError) as error:  # no answer: a timeout, a dropped connection
            log.warning("views.open failed: %s", type(error).__name__)
            raise DeliveryFailed(type(error).__name__, transient=True, unanswered=True) from error
        return response["view"]["id"]

    def post(
        self,
        *,
        channel: str,
        messages: Sequence[Message],
        metadata: dict | None = None,
        thread_ts: str | None = None,
    ) -> Posted:
        """Post messages in order to a channel, or (given a user id) to that user's DM with the
        bot; returns where they landed (a DM's own channel id) and their timestamps. `metadata`
        (Slack message metadata) goes on the first message, so it can be found again."""
        sent: list[str] = []
        for message in messages:
            extra = {"metadata": metadata} if metadata and not sent else {}
            if thread_ts:
                extra["thread_ts"] = thread_ts
            try:
                response = self._client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks, unfurl_links=False, **extra
                )
            except SlackApiError as error:
                code = _error_code(error)
                log.warning("chat.postMessage failed: %s", code)
                posted = Posted(channel, sent)
                transient = code not in PERMANENT_ERRORS
                self._count("rate_limited" if error.response.status_code == 429 else "failed")
                raise DeliveryFailed(
                    code, transient=transient, posted=posted, retry_after=_retry_after(error)
                ) from error
            except (SlackClientError, OSError) as error:  # no answer (a timeout, a dropped connection)
                log.warning("chat.postMessage failed: %s", type(error).__name__)
                self._count("unanswered")
                raise DeliveryFailed(
                    type(error).__name__, transient=True, posted=Posted(channel, sent), unanswered=True
                ) from error
            self._count("sent")
            sent.append(response["ts"])
            channel = response.get("channel") or channel
        return Posted(channel=channel, ts=sent)

    def replace(self, *, channel: str, ts: str, message: Message) -> None:
        """Change a message the bot posted (a check-in once answered, snoozed or skipped)."""
        try:
            self._client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
        except SlackApiError as error:
            log.warning("chat.update failed: %s", _error_code(error))

    def respond(self, *, response_url: str, message: Message, replace: bool = False) -> None:
        """Answer a slash command or action ephemerally after its ack (e.g. a late modal), or
        with `replace` change the ephemeral message the click came from. Best effort, as the
        request was acknowledged already: a failure is logged, not raised."""
        try:
            WebhookClient(response_url, timeout=10, logger=slack_library_logger()).send(
                text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=replace
            )
        except OSError as error:
            log.warning("response_url answer failed: %s", type(error).__name__)

    def publish_home(self, *, user_id: str, view: dict) -> None:
        try:
            self._client.views_publish(user_id=user_id, view=view)
        except SlackApiError as error:
            log.warning("views.publish failed: %s", _error_code(error))

    def update_view(self, *, view_id: str, view: dict) -> bool:
        """Whether Slack took the new view (a failure is for the caller to tell the person)."""
        try:
            self._client.views_update(view_id=view_id, view=view)
        except SlackApiError as error:
            log.warning("views.update failed: %s", _error_code(error))
            return False
        except (SlackClientError, OSError) as error:
            log.warning("views.update failed: %s", type(error).__name__)
            return False
        return True

    def push_view(self, *, trigger_id: str, view: dict) -> str | None:
        """Push a modal over the one open; its view id, or None when Slack refused it."""
        try:
            response = self._client.views_push(trigger_id=trigger_id, view=view)
        except SlackApiError as error:
            code = _error_code(error)
            if code in TRIGGER_ERRORS:
                raise TriggerExpired(code) from error
            log.warning("views.push failed: %s", code)
            return None
        except (SlackClientError, OSError) as error:
            log.warning("views.push failed: %s", type(error).__name__)
            return None
        return response["view"]["id"]

    def permalink(self, *, channel: str, ts: str) -> str | None:
        """A link to a message the bot posted (what a repeated share points to); None if gone."""
        try:
            return self._client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
        except SlackApiError as error:
            log.warning("chat.getPermalink failed: %s", _error_code(error))
            return None

    def retract(self, posted: Posted) -> None:
        """Delete messages the bot posted; one already gone counts as deleted."""
        for ts in posted.ts:
            try:
                self._client.chat_delete(channel=posted.channel, ts=ts)
            except SlackApiError as error:
                code = _error_code(error)
                if code != "message_not_found":
                    raise DeliveryFailed(code, transient=code not in PERMANENT_ERRORS) from error

    def _user(self, user_id: str) -> dict:
        try:
            return self._client.users_info(user=user_id, include_locale=True)["user"]
        except SlackApiError as error:
            log.warning("users.info failed: %s", _error_code(error))
            return {}

    def user_name(self, user_id: str) -> str | None:
        """A person as Slack shows them: their display name, else their real name; the handle
        only when they have set neither."""
        user = self._user(user_id)
        profile = user.get("profile") or {}
        return (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
        )

    def user_tz(self, user_id: str) -> str | None:
        """The user's IANA time zone as Slack has it (not the offset, which is wrong across DST)."""
        return self._user(user_id).get("tz")

    def user_tz_and_locale(self, user_id: str) -> tuple[str | None, str | None]:
        """Both from one users.info: a check-in schedule needs the leader's zone and language."""
        user = self._user(user_id)
        return user.get("tz"), user.get("locale")

    def read_locale(self, user_id: str) -> str | None:
        """The user's Slack locale (`es-LA`), None when Slack gives none; a failure is raised, so
        that the caller can try again later rather than record that there is none."""
        try:
            return self._client.users_info(user=user_id, include_locale=True)["user"].get("locale")
        except SlackApiError as error:
            code = _error_code(error)
            log.warning("users.info failed: %s", code)
            raise DeliveryFailed(
                code, transient=code not in PERMANENT_ERRORS, retry_after=_retry_after(error)
            ) from error
        except (SlackClientError, OSError) as error:
            raise DeliveryFailed(type(error).__name__, transient=True, unanswered=True) from error

    def send_file(
        self, *, user_id: str, filename: str, title: str, content: str | bytes, comment: str
    ) -> None:
        """A file in the user's DM with the bot (exports): text, or bytes (a zip)."""
        body = {"file": content} if isinstance(content, bytes) else {"content": content}
        try:
            channel = self._client.conversations_open(users=user_id)["channel"]["id"]
            self._client.files_upload_v2(
                channel=channel, filename=filename, title=title, initial_comment=comment, **body
            )
        except SlackApiError as error:
            code = _error_code(error)
            log.warning("file upload failed: %s", code)
            raise DeliveryFailed(code, transient=code not in PERMANENT_ERRORS) from error
        except (SlackClientError, OSError) as error:  # the upload timed out or was cut off
            log.warning("file upload failed: %s", type(error).__name__)
            raise DeliveryFailed(type(error).__name__, transient=True, unanswered=True) from error

    def dm_channel(self, user_id: str) -> str:
        try:
            return self._client.conversations_open(users=user_id)["channel"]["id"]
        except SlackApiError as error:
            code = _error_code(error)
            raise DeliveryFailed(
                code, transient=code not in PERMANENT_ERRORS, retry_after=_retry_after(error)
            ) from error
        except (SlackClientError, OSError) as error:
            raise DeliveryFailed(type(error).__name__, transient=True, unanswered=True) from error

    def find_posted(
        self, *, channel: str, event_type: str, key: str, value: str, oldest: float
    ) -> str | None:
        """The ts of a message the bot posted since `oldest` whose metadata says `key == value`:
        how a dispatcher that died between sending and recording finds out it did send."""
        cursor = None
        while True:
            try:
                page = self._client.conversations_history(
                    channel=channel,
                    oldest=f"{oldest:.6f}",
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            except SlackApiError as error:
                code = _error_code(error)
                raise DeliveryFailed(
                    code, transient=code not in PERMANENT_ERRORS, retry_after=_retry_after(error)
                ) from error
            except (SlackClientError, OSError) as error:
                raise DeliveryFailed(type(error).__name__, transient=True, unanswered=True) from error
            for message in page.get("messages", []):
                if _carries(message, event_type, key, value):
                    return message["ts"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    def find_in_thread(
        self, *, channel: str, thread_ts: str, event_type: str, key: str, value: str
    ) -> str | None:
        """`find_posted` for a thread's replies."""
        replies = self.thread_replies(channel=channel, thread_ts=thread_ts, include_metadata=True)
        return next((m["ts"] for m in replies if _carries(m, event_type, key, value)), None)

    def whisper(self, *, channel: str, user_id: str, message: Message, thread_ts: str | None = None) -> None:
        """An ephemeral message only `user_id` sees (a nudge to the presenter); best effort."""
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        try:
            self._client.chat_postEphemeral(
                channel=channel, user=user_id, text=message.text, blocks=message.blocks, **extra
            )
        except SlackApiError as error:
            log.warning("chat.postEphemeral failed: %s", _error_code(error))

    def channel_members(self, channel: str) -> list[str]:
        """Who is in a channel now: a Collaborative's members are its channel's members."""
        members: list[str] = []
        cursor = None
        while True:
            try:
                page = self._client.conversations_members(channel=channel, limit=200, cursor=cursor)
            except SlackApiError as error:
                code = _error_code(error)
                raise DeliveryFailed(
                    code, transient=code not in PERMANENT_ERRORS, retry_after=_retry_after(error)
                ) from error
            except (SlackClientError, OSError) as error:
                raise DeliveryFailed(type(error).__name__, transient=True, unanswered=True) from error
            members += page.get("members", [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return members

    def thread_replies(self, *, channel: str, thread_ts: str, include_metadata: bool = False) -> list[dict]:
        """Every reply in a thread, read after a restart for what arrived while the bot was down
        (replies are captured from events otherwise: Slack limits this method)."""
        replies: list[dict] = []
        cursor = None
        while True:
            try:
                page = self._client.conversations_replies(
                    channel=channel,
                    ts=thread_ts,
                    limit=200,
                    cursor=cursor,
                    include_all_metadata=include_metadata,
                )
            except SlackApiError as error:
                code = _error_code(error)
                raise DeliveryFailed(
                    code, transient=code not in PERMANENT_ERRORS, retry_after=_retry_after(error)
                ) from error
            except (SlackClientError, OSError) as error:
                raise DeliveryFailed(type(error).__name__, transient=True, unanswered=True) from error
            replies += [m for m in page.get("messages", []) if m.get("ts") != thread_ts]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return replies

    def bot_user_id(self) -> str:
        """The bot's own user id, asked once: its messages in a thread are not contributions."""
        if self._bot_user_id is None:
            self._bot_user_id = str(self._client.auth_test()["user_id"])
        return self._bot_user_id
