"""One log line and one count per request Slack sends, made of ids only.

The line says what kind of request it was (a command, a button, a form, an event), for which
team and user, how it ended and how long its acknowledgement took. It never carries the body
or anything a person typed: a command's text, a form's values and a message's text stay out.
"""

from __future__ import annotations

import contextvars
import logging
import time

from slack_bolt import App, BoltRequest, BoltResponse

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


def _as_acknowledged(req: BoltRequest, response: BoltResponse) -> BoltResponse:
    """What the listener acknowledged, when bolt answers 500 for a failure after the ack.

    bolt's thread runner briefly holds a 500 for a listener that raised, and drops it once it
    sees the ack was given; the request thread can read it in between (found by
    tests/test_hostile_edge.py). Slack must get what was acknowledged: the failure came after."""
    acked = req.context.ack.response if req.context.ack is not None else None
    if response.status == 500 and acked is not None and acked.status < 500:
        return acked
    return response


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
        response = _as_acknowledged(req, super().dispatch(req))
        if self.metrics is not None:
            record(self.metrics, req, response, time.perf_counter() - started)
        return response
