"""What a listener's failure looks like to Slack: a malformed payload is the sender's fault (400,
one rate-limited line whose reason is our own fixed text), anything else is ours (500, logged by
type and never with the payload)."""

from __future__ import annotations

import logging
import traceback

from slack_bolt import App, BoltResponse

from bot.blocks.protocol_views import MalformedPayload
from bot.edge import refusal_log
from bot.handlers.deps import Deps

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.error
    def on_error(error: Exception) -> BoltResponse:
        if isinstance(error, MalformedPayload):
            refusal_log.refused(400, f"malformed: {error}")
            return BoltResponse(status=400, body="malformed payload")
        # Frames only: an exception's message can quote the payload or SQL parameters.
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("listener failed: %s\n%s", type(error).__name__, frames)
        return BoltResponse(status=500, body="")
