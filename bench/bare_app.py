"""A bolt app that only acks `/coach`: the floor that `bench/ack_latency.py` measures the bot against.

It is served by the bot's own server code (`create_asgi` + `run_http`), so whatever latency the
bot adds over this app is the bot's own work (parsing, rendering, the database, the Web API calls
after the ack), not uvicorn, Starlette or bolt.

Reads SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL and PORT from the environment.
Run as `python bench/bare_app.py` or `python -m bench.bare_app`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if not __package__:  # run as a script: make `bot` importable from a checkout, installed or not
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.server import bind_port, create_asgi, run_http


def build_app(*, token: str, signing_secret: str, api_url: str) -> App:
    """bolt's defaults throughout; the token travels in the client (passing it twice makes bolt warn).

    bolt calls auth.test on the Web API at construction, so `api_url` must answer (the fake does).
    """
    app = App(client=WebClient(token=token, base_url=api_url), signing_secret=signing_secret)

    @app.command("/coach")
    def only_ack(ack: Ack) -> None:
        ack()

    return app


def main() -> None:
    app = build_app(
        token=os.environ["SLACK_BOT_TOKEN"],
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        api_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
    )
    run_http(
        create_asgi(app, signing_secret=os.environ["SLACK_SIGNING_SECRET"]),
        listener=bind_port("0.0.0.0", int(os.environ.get("PORT", "3000")), "PORT"),
    )


if __name__ == "__main__":
    main()
