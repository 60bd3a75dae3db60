"""`GET /metrics`: what an operator graphs, counted from what the bot really did."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import SetupError
from bot.server import bind_port, health_server
from tests import slack_requests as sr
from tests.checkin_setup import schedule_for
from tests.test_serve import free_port


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_requests_are_counted_by_kind_and_outcome_with_their_ack_time(slack_http, slack):
    slack_http.send(sr.command("help", trigger_id=slack.issue_trigger_id()))
    slack_http.send(sr.command("help", trigger_id=slack.issue_trigger_id()), secret="forged")
    response = slack_http.http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    seen = samples(response.text)
    assert seen[("coachbot_requests_total", (("kind", "command"), ("outcome", "ok")))] == 1
    # A forged request is turned away at the edge, its body unread: counted, but under no kind.
    assert seen[("coachbot_requests_total", (("kind", "unverified"), ("outcome", "http_401")))] == 1
    assert seen[("coachbot_ack_seconds_count", (("kind", "command"),))] == 1
    assert seen[("coachbot_ack_seconds_bucket", (("kind", "command"), ("le", "3.0")))] == 1


def test_owed_check_ins_their_age_sends_429s_and_job_durations(slack_http, bot, slack, clock):
    clock.now = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    slack.add_user("ULEAD01", tz="America/New_York")
    schedule_for(bot, "ULEAD01")  # Mondays 09:00 New York = 14:00 UTC
    bot.checkins.materialize()
    clock.advance(timedelta(hours=1, minutes=30))  # due for half an hour
    seen = samples(slack_http.http.get("/metrics").text)
    assert seen[("coachbot_owed_messages", (("kind", "checkin"),))] == 1
    assert seen[("coachbot_owed_oldest_age_seconds", (("kind", "checkin"),))] == 30 * 60
    assert seen.get(("coachbot_owed_messages", (("kind", "answer_notice"),)), 0) == 0

    slack.rate_limit_next("chat.postMessage", retry_after=1)
    dispatch = bot.scheduler.get_job("send-owed").func  # the job as the scheduler runs it
    dispatch()
    clock.advance(timedelta(seconds=2))
    dispatch()
    seen = samples(slack_http.http.get("/metrics").text)
    assert seen[("coachbot_rate_limited_total", ())] == 1
    assert seen[("coachbot_sends_total", (("outcome", "rate_limited"),))] == 1
    assert seen[("coachbot_sends_total", (("outcome", "sent"),))] == 1
    assert seen[("coachbot_owed_messages", (("kind", "checkin"),))] == 0
    assert seen[("coachbot_job_seconds_count", (("job", "send-owed"),))] == 2
    assert ("coachbot_pace_wait_seconds_total", ()) in seen


def test_the_health_port_serves_healthz_and_metrics_beside_socket_mode(bot):
    port = free_port()
    server = health_server(bot)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [bind_port("127.0.0.1", port, "HEALTH_PORT")]}
    )
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert httpx.get(f"{base}/healthz").json() == {"ok": True}
        assert "coachbot_owed_messages" in httpx.get(f"{base}/metrics").text
        assert httpx.post(f"{base}/slack/events").status_code in (404, 405)  # Slack's way in is the socket
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_health_port_in_use_is_a_setup_mistake():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SetupError, match=rf"^HEALTH_PORT {port} on HOST 127.0.0.1 cannot be used \("):
            bind_port("127.0.0.1", port, "HEALTH_PORT")
