"""A hostile world at the HTTP edge: an unsigned request is 401 whatever its body, a signed one
not shaped as Slack sends is 400 with one body-free line in the log, and nothing is ever a 500.

The property tests generate bodies, headers and payloads; the mutated payloads start from real
ones (every action id and callback id in bot/ids.py), so they reach the listeners too.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import time
from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.edge import Malformed, RefusalLog, check_shape, verified
from bot.ids import ActionId, CallbackId, pair
from bot.storage.models import Answer, ProtocolRun
from tests import slack_requests as sr
from tests.flow import open_modal, protocol, sample_answer

SECRET = sr.SIGNING_SECRET
FORM = "application/x-www-form-urlencoded"


def stored_nothing(bot) -> bool:
    with Session(bot.engine) as session:
        return not session.exec(select(ProtocolRun)).all() and not session.exec(select(Answer)).all()


def post(slack_http, body: str | bytes, headers: dict[str, str]):
    return slack_http.http.post("/slack/events", content=body, headers=headers)


def sign_bytes(body: bytes) -> dict[str, str]:
    """Slack's signature over raw bytes (sr.sign takes text)."""
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def signed(body: str, content_type: str = FORM) -> dict[str, str]:
    return {"Content-Type": content_type, **sr.sign(body)}


UNSIGNED_BODIES = [
    "payload=[]",
    "payload=null",
    'payload="str"',
    "payload=123",
    "payload=%7Bnot-json",
    "null",
    '"str"',
    "123",
    "[]",
    "{}",
    "",
]


@pytest.mark.parametrize("body", UNSIGNED_BODIES)
def test_an_unsigned_request_is_a_401_whatever_its_body(slack_http, bot, body):
    for content_type in (FORM, "application/json"):
        response = post(slack_http, body, {"Content-Type": content_type})
        assert response.status_code == 401
        assert len(response.content) < 100  # no traceback
    assert stored_nothing(bot)


@pytest.mark.parametrize("timestamp", ["²", "¹²³", "9" * 400, "yesterday", "-1", " 1", "1e9", ""])
def test_a_timestamp_that_is_not_plain_digits_is_a_401_with_any_signature(slack_http, slack, timestamp):
    request = sr.command("help", trigger_id=slack.issue_trigger_id())
    for body in (request.body, "payload=[]", "null"):
        # as a client sends them: the header's UTF-8 bytes (the server reads them as latin-1)
        headers = {**request.headers(), "X-Slack-Request-Timestamp": timestamp.encode()}
        assert post(slack_http, body.encode(), headers).status_code == 401


def test_a_signature_over_another_body_is_a_401(slack_http, slack, bot):
    good = sr.command("start five-lenses", trigger_id=slack.issue_trigger_id())
    other = sr.command("start enrollment", trigger_id=slack.issue_trigger_id())
    assert post(slack_http, other.body, good.headers()).status_code == 401
    assert slack.calls_to("views.open") == []


def _payload(payload: object) -> str:
    return urlencode({"payload": json.dumps(payload)})


def _interactive(kind: str, **fields: object) -> dict:
    return {"type": kind, "team": {"id": sr.TEAM}, "user": {"id": sr.COACH, "team_id": sr.TEAM}, **fields}


SIGNED_MALFORMED = {
    "payload is a list": _payload([]),
    "payload is null": _payload(None),
    "payload is a number": _payload(123),
    "view is a string": _payload(_interactive("view_submission", view="v")),
    "no user": _payload({"type": "view_submission", "team": {"id": sr.TEAM}, "view": {"id": "V1"}}),
    "user is a string": _payload({**_interactive("block_actions", actions=[]), "user": "U1"}),
    "team is a list": _payload({**_interactive("view_closed", view={"id": "V1"}), "team": []}),
    "actions empty": _payload(_interactive("block_actions", actions=[])),
    "action id a number": _payload(_interactive("block_actions", actions=[{"action_id": 7}])),
    "value an object": _payload(
        _interactive("block_actions", actions=[{"action_id": ActionId.VIEW_RUN, "value": {"a": 1}}])
    ),
    "state values a list": _payload(
        _interactive("view_submission", view={"id": "V1", "state": {"values": []}})
    ),
    "element state a string": _payload(
        _interactive("view_submission", view={"id": "V1", "state": {"values": {"b": {"a": "x"}}}})
    ),
    "message is a string": _payload(
        _interactive(
            "message_action", callback_id=CallbackId.WITHDRAW_REPLY, channel={"id": "C"}, message="m"
        )
    ),
    "command without a user": urlencode({"command": "/coach", "team_id": sr.TEAM, "text": "help"}),
    "empty body": "",
    "not utf-8": b"payload=%7B%22a%22%3A%22\xff%22%7D",
    "deep nesting": _payload(
        _interactive("block_actions", actions=[{"action_id": "x", "v": [[[[[[]]]]]] * 1}])
    )
    .replace("%5B%5B%5B", "%5B" * 2000)
    .replace("%5D%5D%5D", "%5D" * 2000),
    "huge number": "payload=" + "9" * 5000,
}


@pytest.mark.parametrize("name", sorted(SIGNED_MALFORMED))
def test_a_signed_payload_not_shaped_as_slack_sends_is_a_400(slack_http, bot, name):
    body = SIGNED_MALFORMED[name]
    raw = body if isinstance(body, bytes) else body.encode()
    response = post(slack_http, raw, {"Content-Type": FORM, **sign_bytes(raw)})
    assert response.status_code == 400, name
    assert stored_nothing(bot)


def test_event_envelopes_of_the_wrong_shape_are_a_400(slack_http):
    for event in ("x", None, [], {"type": 3}, {"type": "message", "channel": {"id": "C"}, "message": "m"}):
        body = json.dumps({"type": "event_callback", "team_id": sr.TEAM, "event": event})
        assert post(slack_http, body, signed(body, "application/json")).status_code == 400


def test_a_lone_surrogate_in_an_answer_is_a_400_and_nothing_is_stored(slack_http, slack, bot):
    view = open_modal(slack_http, slack, "five-lenses")
    page = protocol("five-lenses").pages[0]
    answers = {s.id: sample_answer(s) for s in page.steps}
    request = sr.view_submission(view, answers)
    step = next(
        s.id for s in page.steps if isinstance(answers[s.id], str) and answers[s.id].startswith(" My")
    )
    broken = request.body.replace(urlencode({"": f" My answer to {step}"})[1:], "%5Cud800", 1)
    assert broken != request.body
    response = slack_http.send(sr.SlackRequest(broken, request.content_type))
    assert response.status_code == 400
    assert stored_nothing(bot)


def test_refusals_are_logged_in_one_body_free_line_each_and_a_flood_is_cut_short(
    slack_http, caplog, monkeypatch
):
    monkeypatch.setattr("bot.server.refusal_log", RefusalLog())  # a window of its own
    secret_text = "my principal said something racist"
    body = _payload(_interactive("view_submission", view=secret_text))
    with caplog.at_level(logging.DEBUG):
        for _ in range(50):
            assert post(slack_http, body, signed(body)).status_code == 400
            assert post(slack_http, body, {"Content-Type": FORM}).status_code == 401
    lines = [r.getMessage() for r in caplog.records]
    refused = [line for line in lines if line.startswith("refused request")]
    assert 1 <= len(refused) <= 10
    assert any(line.startswith("refused request: 400 malformed: view is not an object") for line in refused)
    assert not any("principal" in line or "Traceback" in line for line in lines)


def test_the_refusal_log_says_how_many_lines_it_left_out(caplog):
    now = [0.0]
    refusals = RefusalLog(limit=2, window=60, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="bot.edge"):
        for _ in range(5):
            refusals.refused(401, "not signed by Slack, or stale")
        now[0] = 61.0
        refusals.refused(400, "malformed: x")
    assert [r.getMessage() for r in caplog.records] == [
        "refused request: 401 not signed by Slack, or stale",
        "refused request: 401 not signed by Slack, or stale",
        "refused request: 400 malformed: x (3 more refused since the last line)",
    ]


# --- generated ---------------------------------------------------------------------------------

ODD_TEXT = st.sampled_from(["\ud800", "\udfff", "\x00", "²", "¹²³", "<!channel>", "&amp;", "🙂", "", " "])
TEXTS = st.one_of(st.text(max_size=12), ODD_TEXT)
OTHER_IDS = st.sampled_from(
    [sr.OTHER_COACH, "T0OTHER", "C0OTHER", "VOTHER2", "R1:S1", "1.000001", "{}", "[]"]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXTS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXTS, inner, max_size=3),
    max_leaves=8,
)


def _dumps(value: object) -> str:
    return json.dumps(value)  # NaN and lone surrogates pass through json.dumps as Slack never would


@settings(max_examples=3000, deadline=None)
@given(JSON)
def test_the_shape_check_refuses_anything_else_only_by_saying_so(value):
    with contextlib.suppress(Malformed):
        check_shape(value)


@settings(max_examples=2000, deadline=None)
@given(
    body=st.binary(max_size=64),
    timestamp=st.one_of(st.none(), st.text(max_size=20), st.integers(0, 2**40).map(str)),
    signature=st.one_of(st.none(), st.text(max_size=80)),
)
def test_only_the_right_signature_over_these_very_bytes_verifies(body, timestamp, signature):
    headers = {}
    if timestamp is not None:
        headers["x-slack-request-timestamp"] = timestamp
    if signature is not None:
        headers["x-slack-signature"] = signature
    assert verified(headers, body, SECRET, time.time()) is False


def _templates() -> list[tuple[str, dict]]:
    """One real-looking payload per action id and callback id the bot listens for."""
    view = {
        "id": "VOTHER1",
        "type": "modal",
        "callback_id": CallbackId.PROTOCOL_PAGE,
        "private_metadata": json.dumps({"p": "five-lenses", "g": "name", "v": 1}),
        "root_view_id": "VOTHER1",
        "blocks": [
            {
                "type": "input",
                "block_id": "step:situation_name",
                "element": {"type": "plain_text_input", "action_id": "answer"},
            }
        ],
    }
    found = []
    for action in ActionId:
        request = sr.block_action(action, pair("R1", "S1"), trigger_id="1.t", message=("C1", "1.000001"))
        found.append(("actions", _decode(request.body)))
        request = sr.block_action(action, "R1", trigger_id="1.t", view=view)
        found.append(("actions", _decode(request.body)))
    for callback in CallbackId:
        found.append(
            (
                "view",
                _decode(sr.view_submission({**view, "callback_id": callback}, {"situation_name": "x"}).body),
            )
        )
        found.append(
            ("view", _decode(sr.view_closed({**view, "callback_id": callback}, {"situation_name": "x"}).body))
        )
    found.append(("event", {"type": "event_callback", "team_id": sr.TEAM, "event": {"type": "message"}}))
    return found


def _plain(body: str) -> str:
    return parse_qs(body)["payload"][0]


def _decode(body: str) -> dict:
    return json.loads(_plain(body))


TEMPLATES = _templates()


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: object, path: tuple, new: object) -> object:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


@st.composite
def mutated_payloads(draw) -> tuple[str, object]:
    kind, payload = draw(st.sampled_from(TEMPLATES))
    for _ in range(draw(st.integers(1, 3))):
        texts = [path for path in _paths(payload) if isinstance(_at(payload, path), str)]
        if texts and draw(st.booleans()):  # the shape kept, the text another's id or odd
            payload = _replace(payload, draw(st.sampled_from(texts)), draw(st.one_of(TEXTS, OTHER_IDS)))
        else:
            payload = _replace(payload, draw(st.sampled_from(_paths(payload))), draw(JSON))
    return kind, payload


def _at(value: object, path: tuple) -> object:
    for step in path:
        value = value[step]
    return value


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=mutated_payloads(), sign=st.booleans())
def test_no_payload_of_any_shape_is_a_500(slack_http, caplog, case, sign):
    kind, payload = case
    if kind == "event":
        body, content_type = _dumps(payload), "application/json"
    else:
        body, content_type = urlencode({"payload": _dumps(payload)}), FORM
    headers = signed(body, content_type) if sign else {"Content-Type": content_type}
    with caplog.at_level(logging.ERROR, logger="bot.handlers.errors"):
        response = post(slack_http, body, headers)
        slack_http.bot.idle()
    assert response.status_code in ((200, 400, 404) if sign else (401,))
    assert not [r for r in caplog.records if r.name == "bot.handlers.errors"]


def test_a_command_whose_text_says_payload_is_answered_like_any_other(slack_http, slack):
    """bolt 1.30 reads a form mentioning "payload" as an interactive payload; the edge reads it
    as Slack meant it, so an unknown subcommand gets help, not an error."""
    answer = slack_http.send(sr.command("payload", trigger_id=slack.issue_trigger_id())).json()
    assert answer["response_type"] == "ephemeral" and "payload" in json.dumps(answer["blocks"])


@pytest.mark.parametrize("kind", ["event_callback", "block_actions", "no_such_type"])
@pytest.mark.parametrize("event", [None, "text", ["list"]])
def test_an_event_that_is_not_an_object_is_refused_in_a_payload_of_any_type(slack_http, kind, event):
    """Found by the search above: bolt reads `event` as an object whatever the payload's type."""
    body = json.dumps({"type": kind, "event": event, "team_id": sr.TEAM})
    response = post(slack_http, body, signed(body, "application/json"))
    assert response.status_code == 400
