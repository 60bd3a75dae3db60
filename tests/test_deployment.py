"""The deployment files say what the code does: the same install step as README.md, the same
Slack app in both manifests, every variable in .env.example."""

from __future__ import annotations

import json
import re

import yaml

from bot.config import REPO_ROOT, Settings

README = (REPO_ROOT / "README.md").read_text()
INSTALL = "python3 -m venv /opt/coachbot && /opt/coachbot/bin/pip install -q --no-cache-dir ."


def test_the_dockerfile_installs_as_the_readme_says_on_the_slim_image():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim$", dockerfile, re.MULTILINE)
    assert f"RUN {INSTALL}\n" in dockerfile
    assert INSTALL in README
    assert 'CMD ["coachbot", "serve"]' in dockerfile and "HEALTHCHECK" in dockerfile


def test_compose_runs_postgresql_and_the_bot_with_volumes_health_checks_and_restarts():
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    db, bot = compose["services"]["db"], compose["services"]["bot"]
    for service in (db, bot):
        assert (
            service["restart"] == "unless-stopped" and service["healthcheck"]["test"] and service["volumes"]
        )
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://coachbot:")
    assert "8080/healthz" in str(bot["healthcheck"]["test"]) and bot["environment"]["HEALTH_PORT"] == "8080"


def test_the_http_manifest_is_the_socket_mode_one_with_request_urls():
    socket = json.loads((REPO_ROOT / "manifest.json").read_text())
    http = json.loads((REPO_ROOT / "manifest.http.json").read_text())
    assert http["settings"]["socket_mode_enabled"] is False and socket["settings"]["socket_mode_enabled"]
    urls = [
        http["features"]["slash_commands"][0].pop("url"),
        http["settings"]["interactivity"].pop("request_url"),
        http["settings"]["event_subscriptions"].pop("request_url"),
    ]
    assert all(url.startswith("https://") and url.endswith("/slack/events") for url in urls)
    http["settings"]["socket_mode_enabled"] = True
    assert http == socket


def test_env_example_names_every_variable():
    example = (REPO_ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert re.search(rf"^#? ?{name.upper()}=", example, re.MULTILINE), name
        assert f"`{name.upper()}`" in README, name


def test_the_service_unit_runs_the_installed_bot():
    unit = (REPO_ROOT / "deploy" / "coachbot.service").read_text()
    assert "ExecStart=/opt/coachbot/bin/coachbot serve\n" in unit and "Restart=on-failure" in unit


def test_license_is_the_one_pyproject_names():
    assert (REPO_ROOT / "LICENSE").read_text().startswith("MIT License")
    assert 'license = { text = "MIT" }' in (REPO_ROOT / "pyproject.toml").read_text()
