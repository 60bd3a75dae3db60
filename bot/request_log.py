"""One log line and one count per request Slack sends, made of ids only.

The line says what kind of request it was (a command, a button, a form, an event), for which
team and user, how it ended and how long its acknowledgement took. It never carries the body
or anything a person typed: a command's text, a form's values and a message's text stay out.
"""

from __future__ import annotations

import contextvars
import logging
import time

from slack_bolt import Ack, App, BoltRequest, BoltResponse

from bot.metrics import Metrics

log = logging.getLogger("coachbot.requests")


def kind_of(body: dict) -> str:
    """A bounded name for the request: Slack's payload type, and for events the event type."""
    if "command" in body:
        return "command"
    kind = str(body.get("type") or "unknown")
    if kind == "event_callback":
        return f"event:{(body.get('event') or {}).get('type', 'unknown')}"
    return kind


def _id(value: object) -> str | None:
    """Slack gives a team or user as an id, or as an object with one."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def _ids(body: dict) -> tuple[str | None, str | None]:
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    team = _id(body.get("team_id")) or _id(body.get("team")) or _id(event.get("team"))
    user = _id(body.get("user_id")) or _id(body.get("user")) or _id(event.get("user"))
    return team, user


def _outcome(status: int) -> str:
    return "ok" if status < 400 else f"http_{status}"


def record(metrics: Metrics, req: BoltRequest, resp: BoltResponse, seconds: float) -> None:
    kind = kind_of(req.body)
    outcome = _outcome(resp.status)
    metrics.requests.labels(kind=kind, outcome=outcome).inc()
    metrics.ack_seconds.labels(kind=kind).observe(seconds)
    if resp.status == 401:
        return  # a refused signature is only counted: refusals are logged where they are made
    team, user = _ids(req.body)
    fields = {
        "kind": kind,
        "team": team,
        "user": user,
        "outcome": outcome,
        "duration_ms": round(seconds * 1000, 1),
    }
    log.info("request", extra={"fields": fields})


class KeptAck(Ack):
    """bolt's ack, which keeps its own copy of what was acknowledged.

    When a listener raises after its ack, bolt's thread runner (slack_bolt 1.x,
    `run_ack_function_asynchronously`) writes status 500 into the response it shares with the
    request thread, which can by then be the very ack that thread is returning, and then sets
    that shared response to None, which can make the request thread return nothing (bolt then
    answers 404). Neither the response nor `ack.response` can then say what Slack was told
    (found by tests/test_hostile_edge.py, then by tests/test_rounds.py in CI), so the first
    ack is copied here as it is given."""

    given: BoltResponse | None = None

    def __call__(self, *args, **kwargs) -> BoltResponse:
        response = super().__call__(*args, **kwargs)
        if self.given is None:
            self.given = _copy(response)
        return response


def _copy(response: BoltResponse) -> BoltResponse:
    return BoltResponse(status=response.status, body=response.body, headers=dict(response.headers))


def _as_acknowledged(req: BoltRequest, response: BoltResponse) -> BoltResponse:
    """Once a listener has acknowledged, Slack gets that acknowledgement: whatever failed came
    after it, and the listener's error handler has logged it."""
    given = getattr(req.context.get("ack"), "given", None)
    return response if given is None else _copy(given)


class ObservedApp(App):
    """bolt's App, each request it dispatches (over HTTP or Socket Mode) counted and logged. The
    sync App returns from `dispatch` once the listener has acknowledged, so the time it takes is
    the time Slack waited for the ack."""

    metrics: Metrics | None = None

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        # In a context of its own: what a request sets there (the reader's language) ends with it.
        return contextvars.copy_context().run(self._observed_dispatch, req)

    def _observed_dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.perf_counter()
        req.context["ack"] = KeptAck()
        response = _as_acknowledged(req, super().dispatch(req))
        if self.metrics is not None:
            record(self.metrics, req, response, time.perf_counter() - started)
        return response
