"""Tests for tests/fake_slack/, driven through a real slack_sdk WebClient over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View
from slack_sdk.webhook import WebhookClient

from tests.fake_slack import FakeSlack

TOKEN = "xoxb-test-token"


class FakeClock:
    """A settable monotonic clock so trigger expiry and rate limits need no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeSlack]:
    with FakeSlack(clock=clock) as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.url)


def slack_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call(*args, **kwargs)
    return info.value


def section(text: str, **extra: Any) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def modal(blocks: list[dict], *, title: str = "Check-in", **extra: Any) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": blocks, **extra}


def text_input(block_id: str = "b1", action_id: str = "a1") -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": "Your reflection"},
        "element": {"type": "plain_text_input", "action_id": action_id, "multiline": True},
    }


# ---- auth ----------------------------------------------------------------------------------------


def test_auth_test_reports_bot_identity(client: WebClient) -> None:
    response = client.auth_test()
    assert response["user_id"] == "UBOT"
    assert response["team_id"] == "T0001"
    assert response["bot_id"] == "B0001"


def test_wrong_token_is_invalid_auth(fake: FakeSlack) -> None:
    error = slack_error(WebClient(token="xoxb-wrong", base_url=fake.url).auth_test)
    assert error.response["error"] == "invalid_auth"


def test_auth_test_names_the_token_scopes_in_a_header(fake: FakeSlack, client: WebClient) -> None:
    assert client.auth_test().headers["x-oauth-scopes"].split(",") == list(fake.scopes)
    fake.scopes = ("chat:write", "commands")
    assert client.auth_test().headers["x-oauth-scopes"] == "chat:write,commands"


def test_only_the_app_token_opens_a_socket_mode_connection_and_it_calls_nothing_else(fake: FakeSlack) -> None:
    app = WebClient(token=fake.app_token, base_url=fake.url)
    assert app.apps_connections_open(app_token=fake.app_token)["url"].startswith("wss://")
    bot = WebClient(token=TOKEN, base_url=fake.url)
    assert (
        slack_error(bot.apps_connections_open, app_token=TOKEN).response["error"] == "not_allowed_token_type"
    )
    assert slack_error(app.auth_test).response["error"] == "not_allowed_token_type"
    wrong = slack_error(app.apps_connections_open, app_token="xapp-wrong").response["error"]
    assert wrong == "invalid_auth"


def test_a_revoked_bot_token_is_refused(fake: FakeSlack, client: WebClient) -> None:
    fake.revoked = True
    assert slack_error(client.auth_test).response["error"] == "token_revoked"


def test_missing_token_is_not_authed(fake: FakeSlack) -> None:
    bare = WebClient(base_url=fake.url)
    error = slack_error(bare.chat_postMessage, channel="C1", text="hi")
    assert error.response["error"] == "not_authed"
    assert bare.api_test()["ok"]  # api.test needs no token
    assert fake.messages == {}


# ---- messages ------------------------------------------------------------------------------------


def test_post_message_is_stored_and_echoed(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="hello", blocks=[section("*hello*")])
    second = client.chat_postMessage(channel="C1", text="again")
    assert first["channel"] == "C1"
    assert first["message"]["text"] == "hello"
    assert float(second["ts"]) > float(first["ts"])
    stored = fake.messages["C1"]
    assert [m["text"] for m in stored] == ["hello", "again"]
    assert stored[0]["blocks"][0]["text"]["text"] == "*hello*"
    assert stored[0]["user"] == "UBOT"
    assert stored[1]["blocks"] is None and stored[1]["thread_ts"] is None


def test_missing_channel_and_no_text(client: WebClient) -> None:
    assert slack_error(client.chat_postMessage, channel="", text="x").response["error"] == "channel_not_found"
    with pytest.warns(UserWarning, match="`text` argument is missing"):  # slack_sdk's own nudge
        assert slack_error(client.chat_postMessage, channel="C1").response["error"] == "no_text"


def test_message_with_51_blocks_is_rejected(client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="ok", blocks=[{"type": "divider"}] * 50)
    error = slack_error(client.chat_postMessage, channel="C1", text="x", blocks=[{"type": "divider"}] * 51)
    assert error.response["error"] == "invalid_blocks"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"
    ]


def test_section_text_over_3000_chars_is_rejected(client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="ok", blocks=[section("a" * 3000)])
    error = slack_error(client.chat_postMessage, channel="C1", text="x", blocks=[section("a" * 3001)])
    assert error.response["error"] == "invalid_blocks"
    assert (
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
        in error.response["response_metadata"]["messages"]
    )


def test_message_length_limits(client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="a" * 40_000)
    assert slack_error(client.chat_postMessage, channel="C1", text="a" * 40_001).response["error"] == (
        "msg_too_long"
    )
    blocks = [section("a" * 2500) for _ in range(5)]  # 12,500 characters across blocks
    error = slack_error(client.chat_postMessage, channel="C1", text="x", blocks=blocks)
    assert error.response["error"] == "msg_blocks_too_long"


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (section("x", block_id="same"), "duplicate block_id: same [json-pointer:/blocks/1/block_id]"),
        ({"type": "sectoin", "text": {"type": "mrkdwn", "text": "x"}}, "unsupported type: sectoin"),
        ({"type": "section"}, "must provide either text or fields [json-pointer:/blocks/1]"),
        ({"type": "header", "text": {"type": "mrkdwn", "text": "x"}}, "must be one of: plain_text"),
        (
            section(
                "x", accessory={"type": "button", "text": {"type": "plain_text", "text": "b"}, "colour": 1}
            ),
            "invalid additional property: colour [json-pointer:/blocks/1/accessory]",
        ),
        (
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b"}}] * 26,
            },
            "no more than 25 items allowed [json-pointer:/blocks/1/elements]",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "b"}},
                    {"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "c"}},
                ],
            },
            "duplicate action_id: go",
        ),
        ({"type": "context", "elements": []}, "must provide at least 1 items"),
        ({"type": "section", "text": {"type": "plain_text", "text": ""}}, "must be more than 0 characters"),
    ],
)
def test_invalid_message_blocks(client: WebClient, block: dict, expected: str) -> None:
    error = slack_error(
        client.chat_postMessage, channel="C1", text="x", blocks=[section("x", block_id="same"), block]
    )
    assert error.response["error"] == "invalid_blocks"
    assert any(expected in message for message in error.response["response_metadata"]["messages"]), (
        error.response
    )


def test_update_and_delete(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="draft")
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="final", blocks=[section("final")])
    assert updated["ts"] == posted["ts"]
    assert fake.messages["C1"][0]["text"] == "final"
    assert fake.messages["C1"][0]["blocks"][0]["text"]["text"] == "final"
    assert slack_error(client.chat_update, channel="C1", ts="1.000001", text="x").response["error"] == (
        "message_not_found"
    )
    permalink = client.chat_getPermalink(channel="C1", message_ts=posted["ts"])["permalink"]
    assert permalink.endswith("/archives/C1/p" + posted["ts"].replace(".", ""))
    client.chat_delete(channel="C1", ts=posted["ts"])
    assert fake.messages["C1"] == []
    assert (
        slack_error(client.chat_delete, channel="C1", ts=posted["ts"]).response["error"]
        == "message_not_found"
    )


def test_ephemeral_requires_user(client: WebClient) -> None:
    assert client.chat_postEphemeral(channel="C1", user="U1", text="only you")["message_ts"]
    assert slack_error(client.chat_postEphemeral, channel="C1", user="", text="x").response["error"] == (
        "user_not_found"
    )


def test_dm_to_user_id_maps_to_d_channel(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U123")
    posted = client.chat_postMessage(channel="U123", text="hi coach")
    assert posted["channel"] == "D123"
    assert fake.messages["D123"][0]["text"] == "hi coach"
    assert client.conversations_open(users="U123")["channel"]["id"] == "D123"
    fake.add_user("UGONE", deleted=True)
    assert (
        slack_error(client.chat_postMessage, channel="UGONE", text="x").response["error"]
        == "account_inactive"
    )


def test_history_is_newest_first_and_metadata_is_opt_in(client: WebClient) -> None:
    metadata = {"event_type": "checkin_sent", "event_payload": {"goal_id": 7}}
    client.chat_postMessage(channel="C1", text="one")
    client.chat_postMessage(channel="C1", text="two", metadata=metadata)
    client.chat_postMessage(channel="C1", text="three")

    plain = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in plain] == ["three", "two", "one"]
    assert all("metadata" not in m for m in plain)

    rich = client.conversations_history(channel="C1", include_all_metadata=True, limit=2)
    assert [m["text"] for m in rich["messages"]] == ["three", "two"]
    assert rich["messages"][1]["metadata"] == metadata
    assert rich["has_more"] is True
    rest = client.conversations_history(channel="C1", cursor=rich["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["one"]


def test_history_bounds_and_replies(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])
    later = client.chat_postMessage(channel="C1", text="later")

    history = client.conversations_history(channel="C1", oldest=parent["ts"])["messages"]
    assert [m["text"] for m in history] == ["later"]  # oldest is exclusive, replies are not listed
    everything = client.conversations_history(channel="C1", latest=later["ts"], inclusive=True)["messages"]
    assert [m["text"] for m in everything] == ["later", "parent"]
    assert everything[1]["reply_count"] == 1

    thread = client.conversations_replies(channel="C1", ts=reply["ts"])["messages"]
    assert [m["text"] for m in thread] == ["parent", "reply"]
    assert slack_error(client.conversations_replies, channel="C1", ts="1.5").response["error"] == (
        "thread_not_found"
    )


def test_multipart_body_is_understood(fake: FakeSlack, client: WebClient) -> None:
    blocks = '[{"type": "divider"}]'
    client.api_call("chat.postMessage", data={"channel": "C9", "text": "via multipart", "blocks": blocks})
    assert fake.messages["C9"][0]["blocks"] == [{"type": "divider"}]
    assert fake.calls_to("chat.postMessage")[0].args["blocks"] == [{"type": "divider"}]


def test_response_url_replies_are_recorded_and_validated(fake: FakeSlack) -> None:
    webhook = WebhookClient(fake.response_url)
    sent = webhook.send(text="Too slow, try again", response_type="ephemeral", blocks=[section("Too slow")])
    assert sent.status_code == 200
    (reply,) = fake.calls_to("response_url")
    assert reply.ok and reply.args["response_type"] == "ephemeral"
    rejected = webhook.send(text="x", blocks=[section("a" * 3001)])
    assert rejected.status_code == 400
    assert fake.calls_to("response_url")[-1].response["error"] == "invalid_blocks"


# ---- users ---------------------------------------------------------------------------------------


def test_users_info(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U7", tz="Asia/Kolkata", name="priya")
    user = client.users_info(user="U7")["user"]
    assert (user["id"], user["name"], user["tz"], user["tz_offset"]) == ("U7", "priya", "Asia/Kolkata", 19800)
    assert user["deleted"] is False and user["is_bot"] is False
    assert slack_error(client.users_info, user="UNOPE").response["error"] == "user_not_found"


def test_users_info_gives_the_locale_only_when_asked(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U8", locale="es-LA")
    assert "locale" not in client.users_info(user="U8")["user"]
    assert client.users_info(user="U8", include_locale=True)["user"]["locale"] == "es-LA"
    fake.scopes = frozenset({"chat:write"})
    refused = slack_error(client.users_info, user="U8", include_locale=True).response
    assert refused["error"] == "missing_scope" and refused["needed"] == "users:read"


# ---- views ---------------------------------------------------------------------------------------


def test_trigger_ids_expire_after_three_seconds(fake: FakeSlack, client: WebClient, clock: FakeClock) -> None:
    trigger = fake.issue_trigger_id()
    clock.advance(2.9)
    client.views_open(trigger_id=trigger, view=modal([section("hi")]))

    late = fake.issue_trigger_id()
    clock.advance(3.0)
    assert slack_error(client.views_open, trigger_id=late, view=modal([])).response["error"] == (
        "expired_trigger_id"
    )

    expired = fake.issue_trigger_id()
    fake.expire_trigger(expired)
    assert slack_error(client.views_open, trigger_id=expired, view=modal([])).response["error"] == (
        "expired_trigger_id"
    )


def test_trigger_ids_are_single_use_and_must_be_issued(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.issue_trigger_id()
    opened = client.views_open(trigger_id=trigger, view=modal([section("hi")]))["view"]
    assert opened["id"].startswith("V") and opened["hash"] and opened["state"] == {"values": {}}
    assert fake.views[opened["id"]]["title"]["text"] == "Check-in"
    again = slack_error(client.views_open, trigger_id=trigger, view=modal([section("hi")]))
    assert again.response["error"] == "invalid_trigger_id"
    made_up = slack_error(client.views_open, trigger_id="123.456.abc", view=modal([]))
    assert made_up.response["error"] == "invalid_trigger_id"
    pushed = client.views_push(trigger_id=fake.issue_trigger_id(), view=modal([section("step 2")]))
    assert pushed["view"]["id"] != opened["id"]


def test_modal_block_limit_is_100(fake: FakeSlack, client: WebClient) -> None:
    dividers = [{"type": "divider"}] * 100
    client.views_open(trigger_id=fake.issue_trigger_id(), view=modal(dividers))
    error = slack_error(
        client.views_open, trigger_id=fake.issue_trigger_id(), view=modal([*dividers, dividers[0]])
    )
    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"
    ]


def test_modal_title_over_24_chars_is_rejected(fake: FakeSlack, client: WebClient) -> None:
    client.views_open(trigger_id=fake.issue_trigger_id(), view=modal([], title="t" * 24))
    error = slack_error(client.views_open, trigger_id=fake.issue_trigger_id(), view=modal([], title="t" * 25))
    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (modal([text_input()]), "missing required field: submit [json-pointer:/view]"),
        ({"type": "modal", "blocks": []}, "missing required field: title [json-pointer:/view]"),
        (modal([], id="V1"), "invalid additional property: id [json-pointer:/view]"),
        (modal([], private_metadata="x" * 3001), "must be less than 3001 characters"),
        (
            modal([text_input(), text_input()], submit={"type": "plain_text", "text": "Go"}),
            "duplicate block_id",
        ),
        (
            modal(
                [
                    {
                        "type": "input",
                        "label": {"type": "plain_text", "text": "Pick"},
                        "element": {
                            "type": "static_select",
                            "options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}],
                            "initial_option": {"text": {"type": "plain_text", "text": "B"}, "value": "b"},
                        },
                    }
                ],
                submit={"type": "plain_text", "text": "Go"},
            ),
            "must match one of the provided options [json-pointer:/view/blocks/0/element/initial_option]",
        ),
        (
            modal(
                [
                    {
                        "type": "input",
                        "label": {"type": "plain_text", "text": "Pick"},
                        "element": {
                            "type": "checkboxes",
                            "options": [
                                {"text": {"type": "mrkdwn", "text": f"*{i}*"}, "value": str(i)}
                                for i in range(11)
                            ],
                        },
                    }
                ],
                submit={"type": "plain_text", "text": "Go"},
            ),
            "no more than 10 items allowed [json-pointer:/view/blocks/0/element/options]",
        ),
        (
            modal(
                [
                    {
                        "type": "input",
                        "label": {"type": "plain_text", "text": "When"},
                        "element": {"type": "datepicker", "initial_date": "2024-02-30"},
                    }
                ],
                submit={"type": "plain_text", "text": "Go"},
            ),
            "must be a date in the format YYYY-MM-DD",
        ),
        (
            modal(
                [
                    {
                        "type": "input",
                        "label": {"type": "plain_text", "text": "Why"},
                        "element": {"type": "plain_text_input", "max_length": 5, "initial_value": "too long"},
                    }
                ],
                submit={"type": "plain_text", "text": "Go"},
            ),
            "must be less than 6 characters [json-pointer:/view/blocks/0/element/initial_value]",
        ),
        (
            modal(
                [
                    {
                        "type": "input",
                        "label": {"type": "plain_text", "text": "x"},
                        "element": {"type": "button"},
                    }
                ]
            ),
            "unsupported type: button [json-pointer:/view/blocks/0/element/type]",
        ),
    ],
)
def test_invalid_views_are_rejected(fake: FakeSlack, client: WebClient, view: dict, expected: str) -> None:
    error = slack_error(client.views_open, trigger_id=fake.issue_trigger_id(), view=view)
    assert error.response["error"] == "invalid_arguments"
    assert any(expected in message for message in error.response["response_metadata"]["messages"]), (
        error.response
    )


def test_oversized_view_is_view_too_large(fake: FakeSlack, client: WebClient) -> None:
    error = slack_error(
        client.views_open,
        trigger_id=fake.issue_trigger_id(),
        view=modal([], private_metadata="x" * 250_001),
    )
    assert error.response["error"] == "view_too_large"


def test_view_built_with_slack_sdk_models_is_accepted(fake: FakeSlack, client: WebClient) -> None:
    view = View(
        type="modal",
        callback_id="reflection",
        title="Weekly reflection",
        submit="Save",
        close="Cancel",
        private_metadata='{"goal": 7}',
        blocks=[
            HeaderBlock(text="How did it go?"),
            DividerBlock(),
            SectionBlock(text="Pick a focus", accessory=ButtonElement(text="Help", action_id="help")),
            InputBlock(
                block_id="focus",
                label="Focus area",
                element=StaticSelectElement(
                    action_id="focus_select",
                    placeholder="Choose one",
                    options=[
                        Option(text="Equity", value="equity"),
                        Option(text="Pedagogy", value="pedagogy"),
                    ],
                    initial_option=Option(text="Equity", value="equity"),
                ),
            ),
            InputBlock(
                block_id="notes",
                label="Notes",
                optional=True,
                element=PlainTextInputElement(action_id="notes_input", multiline=True, max_length=2000),
            ),
            ActionsBlock(elements=[ButtonElement(text="Skip", action_id="skip", style="danger")]),
        ],
    )
    opened = client.views_open(trigger_id=fake.issue_trigger_id(), view=view)["view"]
    assert opened["callback_id"] == "reflection"
    assert opened["private_metadata"] == '{"goal": 7}'
    assert len(fake.views[opened["id"]]["blocks"]) == 6


def test_views_update_checks_hash(fake: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(
        trigger_id=fake.issue_trigger_id(), view=modal([section("v1")], external_id="ext-1")
    )["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal([section("v2")]))[
        "view"
    ]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert fake.views[opened["id"]]["blocks"][0]["text"]["text"] == "v2"

    stale = slack_error(
        client.views_update, view_id=opened["id"], hash=opened["hash"], view=modal([section("v3")])
    )
    assert stale.response["error"] == "hash_conflict"
    client.views_update(external_id="ext-1", view=modal([section("v4")]))
    assert fake.views[opened["id"]]["blocks"][0]["text"]["text"] == "v4"
    missing = slack_error(client.views_update, view_id="VNOPE", view=modal([section("x")]))
    assert missing.response["error"] == "not_found"


def test_views_publish_keeps_one_home_view_per_user(fake: FakeSlack, client: WebClient) -> None:
    home = {"type": "home", "blocks": [section("Welcome")]}
    first = client.views_publish(user_id="U1", view=home)["view"]
    second = client.views_publish(user_id="U1", view=home, hash=first["hash"])["view"]
    assert first["id"] == second["id"] and first["hash"] != second["hash"]
    error = slack_error(client.views_publish, user_id="U1", view=modal([]))
    assert error.response["error"] == "invalid_arguments"


# ---- files ---------------------------------------------------------------------------------------


def test_files_upload_v2_flow(fake: FakeSlack, client: WebClient) -> None:
    response = client.files_upload_v2(
        channel="C1", content="# Notes\nhello", filename="x.md", title="x", initial_comment="Here you go"
    )
    assert response["file"]["title"] == "x"
    stored = fake.files[response["file"]["id"]]
    assert stored["content"] == b"# Notes\nhello"
    assert (stored["filename"], stored["title"], stored["channel"]) == ("x.md", "x", "C1")
    assert stored["initial_comment"] == "Here you go"
    assert [c.method for c in fake.calls] == ["files.getUploadURLExternal", "files.completeUploadExternal"]


def test_completing_an_upload_that_never_arrived_fails(client: WebClient) -> None:
    url = client.files_getUploadURLExternal(filename="y.md", length=3)
    error = slack_error(client.files_completeUploadExternal, files=[{"id": url["file_id"], "title": "y"}])
    assert error.response["error"] == "file_not_found"


# ---- failure injection and rate limits -----------------------------------------------------------


def test_fail_next_answers_the_error_then_recovers(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", "channel_not_found", times=2)
    for _ in range(2):
        assert slack_error(client.chat_postMessage, channel="C1", text="x").response["error"] == (
            "channel_not_found"
        )
    client.chat_postMessage(channel="C1", text="x")
    assert [c.ok for c in fake.calls_to("chat.postMessage")] == [False, False, True]


def test_rate_limit_next_answers_429_with_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.rate_limit_next("chat.postMessage", retry_after=7)
    error = slack_error(client.chat_postMessage, channel="C1", text="x")
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert fake.calls[-1].status == 429 and not fake.calls[-1].ok
    client.chat_postMessage(channel="C1", text="x")
    assert len(fake.messages["C1"]) == 1


def test_per_channel_rate_limit(clock: FakeClock) -> None:
    with FakeSlack(clock=clock, per_channel_per_second=1.0) as limited:
        client = WebClient(token=TOKEN, base_url=limited.url)
        for _ in range(3):  # the burst
            client.chat_postMessage(channel="C1", text="x")
        error = slack_error(client.chat_postMessage, channel="C1", text="x")
        assert error.response.status_code == 429
        assert int(error.response.headers["Retry-After"]) >= 1
        client.chat_postMessage(channel="C2", text="other channels have their own bucket")
        clock.advance(1.0)
        client.chat_postMessage(channel="C1", text="x")
        assert len(limited.messages["C1"]) == 4


def test_history_reads_are_limited_like_slacks_tier_3(
    fake: FakeSlack, client: WebClient, clock: FakeClock
) -> None:
    for _ in range(50):  # Tier 3: about 50 a minute
        client.conversations_history(channel="D123")
    error = slack_error(client.conversations_replies, channel="D123", ts="1.0")
    assert error.response["error"] == "thread_not_found"  # each method has its own allowance
    error = slack_error(client.conversations_history, channel="D123")
    assert error.response.status_code == 429
    assert int(error.response.headers["Retry-After"]) >= 1
    clock.advance(float(error.response.headers["Retry-After"]))
    client.conversations_history(channel="D123")


# ---- scopes --------------------------------------------------------------------------------------


def test_the_app_has_the_manifests_scopes_and_no_others(fake: FakeSlack) -> None:
    manifest = json.loads((Path(__file__).resolve().parent.parent / "manifest.json").read_text())
    assert fake.scopes == set(manifest["oauth_config"]["scopes"]["bot"])


@pytest.mark.parametrize(
    ("channel", "needed"),
    [("D123", "im:history"), ("C0GENERAL", "channels:history"), ("GPRIV", "groups:history")],
)
def test_reading_a_conversation_needs_the_history_scope_of_its_type(
    fake: FakeSlack, client: WebClient, channel: str, needed: str
) -> None:
    fake.scopes = fake.scopes - {needed}
    for read in (client.conversations_history, client.conversations_replies):
        response = slack_error(read, channel=channel, ts="1.0").response
        assert (response["error"], response["needed"]) == ("missing_scope", needed)
        assert needed not in response["provided"].split(",")
        assert "chat:write" in response["provided"].split(",")


def test_a_method_without_its_scope_is_refused(fake: FakeSlack, client: WebClient) -> None:
    fake.scopes = fake.scopes - {"chat:write"}
    response = slack_error(client.chat_postMessage, channel="C1", text="x").response
    assert (response["error"], response["needed"]) == ("missing_scope", "chat:write")
    assert "C1" not in fake.messages
    fake.reset()  # the app as installed from the manifest again
    client.chat_postMessage(channel="C1", text="x")


# ---- harness helpers -----------------------------------------------------------------------------


def test_wait_for_sees_calls_from_other_threads(fake: FakeSlack, client: WebClient) -> None:
    worker = threading.Thread(target=lambda: client.chat_postMessage(channel="C1", text="async"))
    worker.start()
    calls = fake.wait_for("chat.postMessage", timeout=2.0)
    worker.join()
    assert calls[0].args["text"] == "async" and calls[0].ok


def test_wait_for_times_out_with_a_useful_message(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(AssertionError, match=r"chat\.postMessage.*saw 0.*auth\.test\(ok\)"):
        fake.wait_for("chat.postMessage", timeout=0.05)


def test_unknown_method_and_reset(fake: FakeSlack, client: WebClient) -> None:
    assert slack_error(client.api_call, "chat.teleport").response["error"] == "unknown_method"
    fake.add_user("U5")
    fake.fail_next("auth.test", "fatal_error")
    client.chat_postMessage(channel="C1", text="x")
    fake.reset()
    assert fake.calls == [] and fake.messages == {} and fake.views == {}
    client.auth_test()  # the injected failure is gone
    assert client.users_info(user="U5")["user"]["id"] == "U5"  # users survive a reset


# --------------------------------------------------------------------------------------------------
# Charts: the data_visualization block (slack_sdk has no model for it yet)
# --------------------------------------------------------------------------------------------------


def chart(kind: str = "line", **changes: Any) -> dict:
    """A valid chart block: ratings by date (or, for a pie, two segments)."""
    if kind == "pie":
        body: dict = {
            "type": "pie",
            "segments": [{"label": "Will", "value": 2}, {"label": "Skill", "value": 1}],
        }
    else:
        body = {
            "type": kind,
            "series": [
                {
                    "name": "Rating",
                    "data": [{"label": "2026-11-23", "value": 4}, {"label": "2026-11-30", "value": 2}],
                }
            ],
            "axis_config": {
                "categories": ["2026-11-23", "2026-11-30"],
                "x_label": "Check-in",
                "y_label": "Rating",
            },
        }
    return {"type": "data_visualization", "title": "Reading goal", "chart": body | changes}


def chart_errors(client: WebClient, block: dict) -> list[str]:
    error = slack_error(client.chat_postMessage, channel="C1", text="x", blocks=[block])
    assert error.response["error"] == "invalid_blocks"
    return error.response["response_metadata"]["messages"]


@pytest.mark.parametrize("kind", ["line", "bar", "area", "pie"])
def test_a_well_formed_chart_of_each_kind_is_taken(client: WebClient, kind: str) -> None:
    assert client.chat_postMessage(channel="C1", text="x", blocks=[chart(kind)])["ok"]
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": [chart(kind)]})["ok"]


def test_a_chart_title_over_50_characters_is_rejected(client: WebClient) -> None:
    assert "[ERROR] must be less than 51 characters [json-pointer:/blocks/0/title]" in chart_errors(
        client, chart() | {"title": "t" * 51}
    )
    assert "[ERROR] missing required field: title [json-pointer:/blocks/0]" in chart_errors(
        client, {"type": "data_visualization", "chart": chart()["chart"]}
    )


def test_an_unknown_chart_type_is_rejected(client: WebClient) -> None:
    assert "[ERROR] must be one of: line, bar, area, pie [json-pointer:/blocks/0/chart/type]" in chart_errors(
        client, chart(type="scatter")
    )


def test_series_must_number_one_to_six_with_unique_names(client: WebClient) -> None:
    one = chart()["chart"]["series"][0]
    assert "[ERROR] must provide at least 1 items [json-pointer:/blocks/0/chart/series]" in chart_errors(
        client, chart(series=[])
    )
    seven = [one | {"name": f"S{i}"} for i in range(7)]
    assert "[ERROR] no more than 6 items allowed [json-pointer:/blocks/0/chart/series]" in chart_errors(
        client, chart(series=seven)
    )
    assert (
        "[ERROR] duplicate series name: Rating [json-pointer:/blocks/0/chart/series/1/name]"
        in chart_errors(client, chart(series=[one, one]))
    )


def test_a_data_point_label_outside_the_categories_is_rejected(client: WebClient) -> None:
    series = [{"name": "Rating", "data": [{"label": "2026-12-07", "value": 3}]}]
    outside = "[ERROR] must match one of axis_config.categories"
    assert f"{outside} [json-pointer:/blocks/0/chart/series/0/data/0/label]" in chart_errors(
        client, chart(series=series)
    )
    assert (
        "[ERROR] must provide a number [json-pointer:/blocks/0/chart/series/0/data/0/value]"
        in chart_errors(
            client, chart(series=[{"name": "Rating", "data": [{"label": "2026-11-23", "value": "4"}]}])
        )
    )


def test_axis_categories_are_required_unique_and_short(client: WebClient) -> None:
    body = chart()["chart"]
    assert "[ERROR] missing required field: axis_config [json-pointer:/blocks/0/chart]" in chart_errors(
        client,
        {
            "type": "data_visualization",
            "title": "t",
            "chart": {k: v for k, v in body.items() if k != "axis_config"},
        },
    )
    long = {"categories": ["2026-11-23", "c" * 21]}
    assert (
        "[ERROR] must be less than 21 characters [json-pointer:/blocks/0/chart/axis_config/categories/1]"
        in (chart_errors(client, chart(axis_config=long)))
    )
    twice = {"categories": ["2026-11-23", "2026-11-23"]}
    assert (
        "[ERROR] duplicate category: 2026-11-23 [json-pointer:/blocks/0/chart/axis_config/categories/1]"
        in (chart_errors(client, chart(axis_config=twice)))
    )


def test_a_pie_takes_one_to_six_segments_and_no_axes(client: WebClient) -> None:
    segments = [{"label": f"K{i}", "value": i} for i in range(7)]
    assert "[ERROR] no more than 6 items allowed [json-pointer:/blocks/0/chart/segments]" in chart_errors(
        client, chart("pie", segments=segments)
    )
    assert "[ERROR] invalid additional property: axis_config [json-pointer:/blocks/0/chart]" in chart_errors(
        client, chart("pie", axis_config={"categories": ["a"]})
    )


def test_a_surface_holds_at_most_two_charts(client: WebClient) -> None:
    assert client.chat_postMessage(channel="C1", text="x", blocks=[chart(), chart("bar")])["ok"]
    error = slack_error(
        client.chat_postMessage, channel="C1", text="x", blocks=[chart(), chart("bar"), chart("pie")]
    )
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] no more than 2 data_visualization blocks allowed [json-pointer:/blocks/2]"
    ]


# --------------------------------------------------------------------------------------------------
# Tables: the table block, sent in a message's attachments (slack_sdk has no model for it yet)
# --------------------------------------------------------------------------------------------------


def table_block(**changes: Any) -> dict:
    """A valid table: a header and one row, the second column right-aligned."""
    rows = [
        [{"type": "raw_text", "text": "Client"}, {"type": "raw_text", "text": "Runs"}],
        [{"type": "raw_text", "text": "Ana"}, {"type": "raw_text", "text": "3"}],
    ]
    return {"type": "table", "rows": rows, "column_settings": [None, {"align": "right"}]} | changes


def table_errors(client: WebClient, block: dict) -> list[str]:
    error = slack_error(client.chat_postMessage, channel="C1", text="x", attachments=[{"blocks": [block]}])
    assert error.response["error"] == "invalid_attachments"
    return error.response["response_metadata"]["messages"]


def test_a_well_formed_table_is_taken_in_attachments(client: WebClient) -> None:
    rich = {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": []}]}
    wrapped = table_block(column_settings=[{"is_wrapped": True, "align": "center"}])
    wrapped["rows"][1][0] = rich
    for block in (table_block(), wrapped):
        assert client.chat_postMessage(channel="C1", text="x", attachments=[{"blocks": [block]}])["ok"]


def test_a_table_outside_attachments_is_rejected(client: WebClient) -> None:
    error = slack_error(client.chat_postMessage, channel="C1", text="x", blocks=[table_block()])
    assert (
        "[ERROR] unsupported type: table [json-pointer:/blocks/0/type]"
        in error.response["response_metadata"]["messages"]
    )
    error = slack_error(client.views_publish, user_id="U1", view={"type": "home", "blocks": [table_block()]})
    assert error.response["error"] == "invalid_arguments"


def test_a_table_needs_text_or_blocks_beside_it(client: WebClient) -> None:
    error = slack_error(client.chat_postMessage, channel="C1", attachments=[{"blocks": [table_block()]}])
    assert error.response["error"] == "no_text"


def test_a_table_without_rows_is_rejected(client: WebClient) -> None:
    block = table_block()
    del block["rows"]
    assert "[ERROR] missing required field: rows [json-pointer:/attachments/0/blocks/0]" in table_errors(
        client, block
    )


def test_a_table_of_more_than_100_rows_is_rejected(client: WebClient) -> None:
    row = table_block()["rows"][1]
    assert client.chat_postMessage(
        channel="C1", text="x", attachments=[{"blocks": [table_block(rows=[row] * 100)]}]
    )["ok"]
    assert (
        "[ERROR] no more than 100 items allowed [json-pointer:/attachments/0/blocks/0/rows]"
        in table_errors(client, table_block(rows=[row] * 101))
    )


def test_a_row_of_more_than_20_cells_is_rejected(client: WebClient) -> None:
    cell = {"type": "raw_text", "text": "a"}
    assert (
        "[ERROR] no more than 20 items allowed [json-pointer:/attachments/0/blocks/0/rows/0]"
        in table_errors(client, table_block(rows=[[cell] * 21]))
    )


def test_a_cell_must_be_raw_text_with_its_text_or_rich_text(client: WebClient) -> None:
    bad_type = table_block(rows=[[{"type": "mrkdwn", "text": "*a*"}]])
    assert (
        "[ERROR] must be one of: raw_text, rich_text [json-pointer:/attachments/0/blocks/0/rows/0/0/type]"
        in table_errors(client, bad_type)
    )
    no_text = table_block(rows=[[{"type": "raw_text"}]])
    assert "[ERROR] missing required field: text [json-pointer:/attachments/0/blocks/0/rows/0/0]" in (
        table_errors(client, no_text)
    )
    number = table_block(rows=[[{"type": "raw_text", "text": 3}]])
    assert "[ERROR] must provide a string [json-pointer:/attachments/0/blocks/0/rows/0/0/text]" in (
        table_errors(client, number)
    )


def test_column_settings_are_at_most_20_each_aligned_left_center_or_right(client: WebClient) -> None:
    assert (
        "[ERROR] no more than 20 items allowed [json-pointer:/attachments/0/blocks/0/column_settings]"
        in table_errors(client, table_block(column_settings=[None] * 21))
    )
    assert (
        "[ERROR] must be one of: left, center, right "
        "[json-pointer:/attachments/0/blocks/0/column_settings/0/align]"
        in table_errors(client, table_block(column_settings=[{"align": "justify"}]))
    )
    assert (
        "[ERROR] must provide a boolean [json-pointer:/attachments/0/blocks/0/column_settings/0/is_wrapped]"
        in table_errors(client, table_block(column_settings=[{"is_wrapped": "yes"}]))
    )
