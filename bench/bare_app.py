"""A plain bolt app doing what the bot does for each benchmarked interaction, with nothing of the
bot's own work: the floor that `bench/ack_latency.py` measures the bot against.

- `/coach start …`: ack, then `views.open` of a page as big as the bot's first protocol page;
- `/coach help`: ack with a message as big as the bot's help;
- a protocol page submitted: its answers stored, then an ack with `response_action: update` and a
  page as big as the next;
- a check-in rating tapped: ack, the rating stored, then `chat.update` of the tapped message with
  the "done" message.

Its views and messages are the bot's own, built once at start (so the same blocks and bytes go
over the wire), as a plain app would keep them in dict literals. What a plain app must store
before it can say it is kept (a page's answers, a rating), it stores as a plain app would: one
INSERT and a commit with the standard library's sqlite3, in WAL mode as the bot's SQLite is, so
the floor pays for the same disk writes. It reads nothing back and checks no ownership: that,
the ORM, the language, the Home republished after a change, is the bot's own work.

It is served by the bot's own server code (`create_asgi` + `run_http`), so whatever latency the
bot adds over this app is the bot's own work, not uvicorn, Starlette or bolt. Its Web API client
is slack_sdk's default WebClient, as a plain app's would be.

Reads SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, PORT and BARE_DATABASE (a file
path) from the environment.
Run as `python bench/bare_app.py` or `python -m bench.bare_app`.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

if not __package__:  # run as a script: make `bot` importable from a checkout, installed or not
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks.checkins import checkin_done_message
from bot.blocks.messages import Message, help_message
from bot.blocks.protocol_views import page_view
from bot.ids import COMMAND, ActionId, CallbackId
from bot.protocols.catalog import Catalog
from bot.server import bind_port, create_asgi, run_http
from bot.services.checkins import CheckinContext
from bot.services.runs import PageToShow
from bot.storage.models import DeliveryStatus

PROTOCOL = "five-lenses"  # the protocol bench/ack_latency.py starts
RATE = re.compile(rf"^{ActionId.CHECKIN_RATE}:([1-5])$")


class Store:
    """One table of what was submitted, a connection per thread (sqlite3's rule)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()
        self._connection().execute("CREATE TABLE IF NOT EXISTS kept (who TEXT, what TEXT)")

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self._path, timeout=5.0)
            connection.execute("PRAGMA journal_mode=WAL")
            self._local.connection = connection
        return connection

    def keep(self, who: str, what: object) -> None:
        connection = self._connection()
        with connection:  # a transaction, committed
            connection.execute("INSERT INTO kept VALUES (?, ?)", (who, json.dumps(what)))


@dataclass(frozen=True)
class Replies:
    """What the bare app sends, each the same size as the bot's own for the same interaction."""

    first_page: dict
    second_page: dict
    help: Message
    done: Message


def comparable_replies() -> Replies:
    catalog = Catalog.installed(None)
    protocol = catalog.get(PROTOCOL)
    checkin = CheckinContext(
        delivery_id="D0",
        recipient="UL0000",
        coach_id="UCOACH1",
        goal="Every 9th grader reads a grade-level text each week",
        occurrence=date(2026, 11, 23),
        status=DeliveryStatus.ANSWERED,
        leader_name="leader",
    )
    return Replies(
        first_page=page_view(PageToShow(protocol, protocol.pages[0], {})),
        second_page=page_view(PageToShow(protocol, protocol.pages[1], {}, run_id="R0")),
        help=help_message(catalog.for_audience("coach")),
        done=checkin_done_message(checkin, 4),
    )


def build_app(*, token: str, signing_secret: str, api_url: str, database: str) -> App:
    """bolt's defaults throughout; the token travels in the client (passing it twice makes bolt warn).

    bolt calls auth.test on the Web API at construction, so `api_url` must answer (the fake does).
    """
    app = App(client=WebClient(token=token, base_url=api_url), signing_secret=signing_secret)
    replies = comparable_replies()
    store = Store(database)

    @app.command(COMMAND)
    def on_coach(ack: Ack, command: dict, client: WebClient) -> None:
        if (command.get("text") or "").startswith("start"):
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=replies.first_page)
        else:
            ack(response_type="ephemeral", text=replies.help.text, blocks=replies.help.blocks)

    @app.view_submission(CallbackId.PROTOCOL_PAGE)
    def on_page(ack: Ack, body: dict, view: dict) -> None:
        store.keep(body["user"]["id"], view["state"]["values"])
        ack(response_action="update", view=replies.second_page)

    @app.action(RATE)
    def on_rating(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        store.keep(body["user"]["id"], action["action_id"])
        container = body["container"]
        client.chat_update(
            channel=container["channel_id"],
            ts=container["message_ts"],
            text=replies.done.text,
            blocks=replies.done.blocks,
        )

    return app


def main() -> None:
    app = build_app(
        token=os.environ["SLACK_BOT_TOKEN"],
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        api_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
        database=os.environ.get("BARE_DATABASE", "bare.db"),
    )
    run_http(
        create_asgi(app, signing_secret=os.environ["SLACK_SIGNING_SECRET"]),
        listener=bind_port("0.0.0.0", int(os.environ.get("PORT", "3000")), "PORT"),
    )


if __name__ == "__main__":
    main()
