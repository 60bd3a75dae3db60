"""Logging that never carries coaching text.

slack_sdk logs whole request and response bodies at DEBUG, and bolt logs the body of a request
whose signature fails at INFO. Both are handed one logger pinned at WARNING, so turning on
DEBUG for the process (or the root logger) cannot bring reflection text into the logs.
Our own modules log ids and counts, never answers.

Libraries that log every routine step (APScheduler a line per job run, alembic a line per
migration context) are held at WARNING too: what they did is in our own lines and in /metrics.
"""

from __future__ import annotations

import logging

from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

SLACK_LOGGER = "coachbot.slack"
ROUTINE_LOGGERS = ("apscheduler", "alembic")
# bolt reads SLACK_BOT_TOKEN from the environment by itself and, finding it next to the client we
# hand it (which carries that same token), warns that the token "will be unused". It is used.
MISLEADING = warning_client_prioritized_and_token_skipped()


class _DropMisleading(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != MISLEADING


def slack_library_logger() -> logging.Logger:
    logger = logging.getLogger(SLACK_LOGGER)
    logger.setLevel(logging.WARNING)
    return logger


def configure(level: int | str = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    slack_library_logger()
    for name in ROUTINE_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("slack_bolt.App").addFilter(_DropMisleading())
