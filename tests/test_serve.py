"""`coachbot serve` as an operator runs it: a real process, real HTTP, a clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx2 as httpx
import pytest

from tests import slack_requests as sr
from tests.conftest import BOT_TOKEN


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(database_url, slack, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env |= {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"serve did not come up: {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.05)
    yield base, process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_http_mode_answers_signed_commands_and_stops_cleanly_on_sigterm(served, slack):
    base, process = served
    request = sr.command("help", trigger_id=slack.issue_trigger_id())
    response = httpx.post(f"{base}/slack/events", content=request.body, headers=request.headers())
    assert response.status_code == 200 and response.json()["response_type"] == "ephemeral"

    forged = httpx.post(f"{base}/slack/events", content=request.body, headers=request.headers(secret="nope"))
    assert forged.status_code == 401

    start = sr.command("start five-lenses", trigger_id=slack.issue_trigger_id())
    assert httpx.post(f"{base}/slack/events", content=start.body, headers=start.headers()).status_code == 200
    slack.wait_for("views.open")

    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal so supervisors see how it ended.
    assert process.wait(timeout=20) in (0, -signal.SIGTERM)
    logged = process.stderr.read().decode()
    records = [json.loads(line) for line in logged.splitlines()]  # LOG_FORMAT=json: every line
    assert records[-1]["message"] == "stopped cleanly"
    assert {"kind": "command", "team": sr.TEAM, "user": sr.COACH, "outcome": "ok"}.items() <= next(
        r for r in records if r["logger"] == "coachbot.requests"
    ).items()
    # It says where its database is; and neither bolt's misleading token warning nor a line per
    # scheduler run.
    assert "database " in logged and "will be unused" not in logged and "executed successfully" not in logged


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the port, not the database, is tested
def test_socket_mode_serves_healthz_and_metrics_on_the_health_port(database_url, slack, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env |= {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "HEALTH_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"no health port: {process.stderr.read().decode()[-2000:]}"
                    ) from None
                time.sleep(0.05)
        assert health.status_code == 200 and health.json() == {"ok": True}
        assert "coachbot_owed_messages" in httpx.get(f"{base}/metrics").text
        # The app token was checked, and Socket Mode asked for its connection.
        slack.wait_for("apps.connections.open", count=2, timeout=15)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
